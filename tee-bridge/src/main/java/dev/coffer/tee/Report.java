package dev.coffer.tee;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.text.ParseException;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.Objects;

/**
 * What the platform vouches for, like Open Enclave's {@code oe_get_report} or a TDX quote: the TEE type, whether it
 * is a debug enclave, the enclave's identity, how its memory is protected, the digest of its syscall allowlist, and
 * 64 bytes of report data chosen by the secure world (tee-bridge never interprets them; the attestation layer puts
 * the hash of its claims there).
 *
 * <p>The software platforms (sim, isolated) sign reports as a JWS (RFC 7515, compact form, {@code EdDSA} over
 * Ed25519, RFC 8037) built with nimbus-jose-jwt, so any JOSE library can check them; {@code kid} is the platform
 * key's RFC 7638 thumbprint. Hardware platforms have their own report formats (quotes), verified elsewhere. A Report
 * is always decoded from its signed token, so its fields cannot disagree with what was signed.
 */
public final class Report {
    public static final int REPORT_DATA_BYTES = 64;
    /** The JWS {@code typ} of a software platform's report. */
    public static final String TYPE = "coffer-platform-report+jwt";

    private final String token;
    private final String teeType;
    private final boolean debug;
    private final EnclaveIdentity identity;
    private final String memoryMode;
    private final Digest syscallPolicy;
    private final byte[] reportData;
    private final String keyId;

    private Report(String token, String teeType, boolean debug, EnclaveIdentity identity, String memoryMode,
                   Digest syscallPolicy, byte[] reportData, String keyId) {
        this.token = token;
        this.teeType = teeType;
        this.debug = debug;
        this.identity = identity;
        this.memoryMode = memoryMode;
        this.syscallPolicy = syscallPolicy;
        this.reportData = reportData;
        this.keyId = keyId;
    }

    /** Signs a report with a platform key (tee-bridge's {@link Platform} does this; tests forge with other keys). */
    static Report sign(PrivateKey platformKey, PublicKey platformPublic, String teeType, boolean debug,
                       EnclaveIdentity identity, String memoryMode, Digest syscallPolicy, byte[] reportData) {
        Objects.requireNonNull(teeType, "teeType");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(memoryMode, "memoryMode");
        if (reportData.length != REPORT_DATA_BYTES) {
            throw new IllegalArgumentException("report data has 64 bytes, not " + reportData.length);
        }
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .claim("tee", teeType)
                .claim("debug", debug)
                .claim("measurement", identity.measurement().hex())
                .claim("signer", identity.signer().hex())
                .claim("product_id", identity.productId())
                .claim("svn", identity.securityVersion())
                .claim("memory", memoryMode)
                .claim("syscall_policy", syscallPolicy.hex())
                .claim("report_data", Base64.getUrlEncoder().withoutPadding().encodeToString(reportData))
                .issueTime(new Date())
                .build();
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.EdDSA).type(new JOSEObjectType(TYPE))
                .keyID(JdkEdDsa.thumbprint(platformPublic)).build();
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(new JdkEdDsa.Signer(platformKey));
        } catch (JOSEException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
        return decode(jwt.serialize());
    }

    /** Signs, parses and checks one report under a throwaway key, so that the JOSE classes are loaded (a secure
     *  world does this before its sandbox closes). */
    public static void warmUp() {
        try {
            java.security.KeyPair k = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            Report r = sign(k.getPrivate(), k.getPublic(), "warm-up", true, new EnclaveIdentity(Digest.zero(),
                    Digest.zero(), 0, 0), "none", Digest.zero(), new byte[REPORT_DATA_BYTES]);
            if (!decode(r.encode()).verify(k.getPublic())) throw new IllegalStateException("Ed25519 self-check failed");
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no Ed25519", e);
        }
    }

    /** Parses a report token (without checking its signature: see {@link #verify}).
     *  @throws MalformedMessageException when it is not a well-formed platform report */
    public static Report decode(String token) {
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            JWSHeader h = jwt.getHeader();
            if (!JWSAlgorithm.EdDSA.equals(h.getAlgorithm()) || h.getType() == null
                    || !TYPE.equals(h.getType().getType())) {
                throw new MalformedMessageException("not a platform report (alg " + h.getAlgorithm() + ", typ "
                        + h.getType() + ")");
            }
            Map<String, Object> c = jwt.getJWTClaimsSet().getClaims();
            byte[] data = Base64.getUrlDecoder().decode(string(c, "report_data"));
            if (data.length != REPORT_DATA_BYTES) {
                throw new MalformedMessageException("report data has " + data.length + " bytes, not 64");
            }
            EnclaveIdentity identity = new EnclaveIdentity(Digest.fromHex(string(c, "measurement")),
                    Digest.fromHex(string(c, "signer")), count(c, "product_id"), count(c, "svn"));
            if (!(c.get("debug") instanceof Boolean debug)) throw new MalformedMessageException("report: no debug flag");
            return new Report(token, string(c, "tee"), debug, identity, string(c, "memory"),
                    Digest.fromHex(string(c, "syscall_policy")), data, h.getKeyID() == null ? "" : h.getKeyID());
        } catch (ParseException | IllegalArgumentException e) {
            throw new MalformedMessageException("not a platform report: " + e.getMessage());
        }
    }

    private static String string(Map<String, Object> claims, String name) {
        if (claims.get(name) instanceof String s) return s;
        throw new MalformedMessageException("report: claim " + name + " missing or not a string");
    }

    private static int count(Map<String, Object> claims, String name) {
        if (claims.get(name) instanceof Number n && n.longValue() >= 0 && n.longValue() <= Integer.MAX_VALUE
                && n.doubleValue() == n.longValue()) {
            return n.intValue();
        }
        throw new MalformedMessageException("report: claim " + name + " missing or not a non-negative integer");
    }

    /** True when {@code platformKey} signed exactly this token. */
    public boolean verify(PublicKey platformKey) {
        try {
            return SignedJWT.parse(token).verify(new JdkEdDsa.Verifier(platformKey));
        } catch (ParseException | JOSEException | IllegalArgumentException e) {
            return false;
        }
    }

    /** The signed token (JWS compact serialization). */
    public String token() {
        return token;
    }

    public String teeType() {
        return teeType;
    }

    public boolean debug() {
        return debug;
    }

    public EnclaveIdentity identity() {
        return identity;
    }

    public String memoryMode() {
        return memoryMode;
    }

    public Digest syscallPolicy() {
        return syscallPolicy;
    }

    public byte[] reportData() {
        return reportData.clone();
    }

    /** The {@code kid} the signer put in the header: the RFC 7638 thumbprint of its key (not itself proof). */
    public String keyId() {
        return keyId;
    }

    public byte[] encode() {
        return token.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    public static Report decode(byte[] bytes) {
        return decode(new String(bytes, java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Report r && r.token.equals(token);
    }

    @Override
    public int hashCode() {
        return token.hashCode();
    }

    @Override
    public String toString() {
        return "Report[tee=" + teeType + ", debug=" + debug + ", measurement=" + identity.measurement() + "]";
    }
}
