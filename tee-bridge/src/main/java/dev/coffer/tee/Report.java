package dev.coffer.tee;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Objects;

/**
 * What the platform vouches for, like Open Enclave's {@code oe_get_report}: the TEE type, whether it is a debug
 * enclave, the enclave's identity, how its memory is protected, the digest of its syscall allowlist, and 64 bytes
 * of report data chosen by the secure world (tee-bridge never interprets them; the attestation layer puts a hash
 * of its claims there). Signed with the platform's Ed25519 key.
 */
public record Report(String teeType, boolean debug, EnclaveIdentity identity, String memoryMode,
                     Digest syscallPolicy, byte[] reportData, byte[] signature) {
    public static final int REPORT_DATA_BYTES = 64;
    private static final String DOMAIN = "coffer-report-v1";

    public Report {
        Objects.requireNonNull(teeType, "teeType");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(memoryMode, "memoryMode");
        Objects.requireNonNull(syscallPolicy, "syscallPolicy");
        if (reportData.length != REPORT_DATA_BYTES) {
            throw new IllegalArgumentException("report data has 64 bytes, not " + reportData.length);
        }
        reportData = reportData.clone();
        signature = signature.clone();
    }

    @Override
    public byte[] reportData() {
        return reportData.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The bytes the platform signs: everything but the signature, in a fixed layout. */
    public byte[] signedBytes() {
        MessageWriter w = new MessageWriter().writeString(DOMAIN).writeString(teeType).writeBoolean(debug);
        identity.write(w);
        return w.writeString(memoryMode).writeFixed(syscallPolicy.bytes()).writeFixed(reportData).toByteArray();
    }

    /** Checks the platform's signature. */
    public boolean verify(PublicKey platformKey) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(platformKey);
            s.update(signedBytes());
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    public byte[] encode() {
        MessageWriter w = new MessageWriter().writeString(teeType).writeBoolean(debug);
        identity.write(w);
        return w.writeString(memoryMode).writeFixed(syscallPolicy.bytes()).writeFixed(reportData)
                .writeBytes(signature).toByteArray();
    }

    public static Report decode(byte[] bytes) {
        MessageReader r = new MessageReader(bytes);
        Report report = new Report(r.readString("tee type"), r.readBoolean("debug"), EnclaveIdentity.read(r),
                r.readString("memory mode"), Digest.of(r.readFixed("syscall policy", Digest.BYTES)),
                r.readFixed("report data", REPORT_DATA_BYTES), r.readBytes("signature"));
        r.end();
        return report;
    }
}
