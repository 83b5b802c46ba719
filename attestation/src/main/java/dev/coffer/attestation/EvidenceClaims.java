package dev.coffer.attestation;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.pack.KeyId;
import dev.coffer.pack.PackDigest;
import dev.coffer.pack.RecipientPublicKey;
import dev.coffer.tee.Digest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the secure world claims about itself for one challenge: an Entity Attestation Token claim set (RFC 9711) in
 * its JSON form. EAT names where EAT has them ({@code eat_nonce}, {@code iat}, {@code exp}, {@code eat_profile},
 * {@code dbgstat}; the enclave key as an RFC 7800 {@code cnf} JWK), Coffer's own otherwise; docs/attestation.md lists
 * them. The secure world serializes these claims and puts the SHA-512 of the exact bytes into its platform report;
 * verifiers parse the bytes they hashed, never a re-serialization.
 *
 * @param tlsKeyHash SHA-256 of the DER SubjectPublicKeyInfo of the serving TLS key the host asked to bind
 * @param enclaveKey the secure world's HPKE (X25519) key: prompts and released pack keys are sealed to it
 */
public record EvidenceClaims(Nonce nonce, Instant issuedAt, Instant expiresAt, TeeType tee, boolean debug,
                             Digest measurement, int securityVersion, String secretMemory, Optional<PackClaim> pack,
                             Optional<RecipientPublicKey> enclaveKey, Optional<Digest> tlsKeyHash, Engine engine) {
    /** The EAT profile: which claims to expect and how to read them. */
    public static final String PROFILE = "tag:coffer.dev,2026:evidence-v1";
    /** How long evidence says it may be relied on (verifiers may ask for less with {@code max_age_seconds}). */
    public static final long LIFETIME_SECONDS = 300;
    private static final int DBGSTAT_ENABLED = 0;
    private static final int DBGSTAT_DISABLED = 1;

    /** The pack the secure world serves: its signed manifest's digest, the owner's key id, the pack version. */
    public record PackClaim(PackDigest digest, KeyId owner, long version) {
        public PackClaim {
            Objects.requireNonNull(digest, "digest");
            Objects.requireNonNull(owner, "owner");
        }
    }

    /** The inference engine and its numerics (platform fingerprints compare against these). */
    public record Engine(String name, String version, String numerics) {
        public Engine {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(numerics, "numerics");
        }
    }

    public EvidenceClaims {
        Objects.requireNonNull(nonce, "nonce");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(tee, "tee");
        Objects.requireNonNull(measurement, "measurement");
        Objects.requireNonNull(secretMemory, "secretMemory");
        Objects.requireNonNull(pack, "pack");
        Objects.requireNonNull(enclaveKey, "enclaveKey");
        Objects.requireNonNull(tlsKeyHash, "tlsKeyHash");
        Objects.requireNonNull(engine, "engine");
        issuedAt = Instant.ofEpochSecond(issuedAt.getEpochSecond());
        expiresAt = Instant.ofEpochSecond(expiresAt.getEpochSecond());
    }

    /** The JSON bytes the secure world hashes into its report. */
    public byte[] toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("eat_profile", PROFILE);
        m.put("eat_nonce", nonce.base64Url());
        m.put("iat", issuedAt.getEpochSecond());
        m.put("exp", expiresAt.getEpochSecond());
        m.put("tee", tee.id());
        m.put("dbgstat", debug ? DBGSTAT_ENABLED : DBGSTAT_DISABLED);
        m.put("measurement", measurement.hex());
        m.put("svn", securityVersion);
        m.put("secret_memory", secretMemory);
        pack.ifPresent(p -> {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("digest", p.digest().hex());
            pm.put("owner_key_id", p.owner().hex());
            pm.put("version", p.version());
            m.put("pack", pm);
        });
        enclaveKey.ifPresent(k -> {
            Map<String, Object> jwk = new LinkedHashMap<>();
            jwk.put("kty", "OKP");
            jwk.put("crv", "X25519");
            jwk.put("x", Base64.getUrlEncoder().withoutPadding().encodeToString(k.raw()));
            m.put("cnf", Map.of("jwk", jwk));
        });
        tlsKeyHash.ifPresent(h -> m.put("tls_spki_sha256", h.hex()));
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", engine.name());
        e.put("version", engine.version());
        e.put("numerics", engine.numerics());
        m.put("engine", e);
        return JSONObjectUtils.toJSONString(m).getBytes(StandardCharsets.UTF_8);
    }

    /** @throws MalformedEvidenceException naming the first claim that is missing or malformed */
    public static EvidenceClaims parse(byte[] json) {
        try {
            JsonFields c = JsonFields.parse("the evidence claims", new String(json, StandardCharsets.UTF_8));
            String profile = c.string("eat_profile");
            if (!PROFILE.equals(profile)) {
                throw new IllegalArgumentException("eat_profile is '" + profile + "', expected " + PROFILE);
            }
            long dbg = c.integer("dbgstat");
            if (dbg < 0 || dbg > 4) throw new IllegalArgumentException("dbgstat " + dbg + " is not an EAT debug state");
            Optional<PackClaim> pack = c.optionalObject("pack").map(p -> new PackClaim(PackDigest.parse(p.string("digest")),
                    new KeyId(HexFormat.of().parseHex(p.string("owner_key_id"))), p.integer("version")));
            Optional<RecipientPublicKey> key = c.optionalObject("cnf").map(cnf -> {
                JsonFields jwk = cnf.object("jwk");
                if (!"OKP".equals(jwk.string("kty")) || !"X25519".equals(jwk.string("crv"))) {
                    throw new IllegalArgumentException("cnf.jwk is not an X25519 key");
                }
                return RecipientPublicKey.fromRaw(jwk.base64Url("x"));
            });
            JsonFields e = c.object("engine");
            long svn = c.integer("svn");
            if (svn < 0 || svn > Integer.MAX_VALUE) throw new IllegalArgumentException("svn " + svn + " is out of range");
            return new EvidenceClaims(Nonce.parse(c.string("eat_nonce")), Instant.ofEpochSecond(c.integer("iat")),
                    Instant.ofEpochSecond(c.integer("exp")), TeeType.parse(c.string("tee")), dbg == DBGSTAT_ENABLED,
                    Digest.fromHex(c.string("measurement")), (int) svn, c.string("secret_memory"), pack, key,
                    c.optionalString("tls_spki_sha256").map(Digest::fromHex),
                    new Engine(e.string("name"), e.string("version"), e.string("numerics")));
        } catch (RuntimeException e) {
            throw new MalformedEvidenceException("malformed claims: " + e.getMessage());
        }
    }
}
