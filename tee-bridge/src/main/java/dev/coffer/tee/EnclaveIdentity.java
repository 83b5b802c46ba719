package dev.coffer.tee;

import java.util.Objects;

/**
 * Who the secure world is, as the platform vouches for it (Open Enclave's report identity): the measurement of its
 * image and configuration (MRENCLAVE / MRTD), the signer of the image (MRSIGNER; all zero when unsigned), the
 * product id and the security version.
 */
public record EnclaveIdentity(Digest measurement, Digest signer, int productId, int securityVersion) {
    public EnclaveIdentity {
        Objects.requireNonNull(measurement, "measurement");
        Objects.requireNonNull(signer, "signer");
        if (productId < 0 || securityVersion < 0) throw new IllegalArgumentException("product id and svn are >= 0");
    }

    void write(MessageWriter out) {
        out.writeFixed(measurement.bytes()).writeFixed(signer.bytes()).writeInt(productId).writeInt(securityVersion);
    }

    static EnclaveIdentity read(MessageReader in) {
        return new EnclaveIdentity(Digest.of(in.readFixed("measurement", Digest.BYTES)),
                Digest.of(in.readFixed("signer", Digest.BYTES)), in.readCount("product id", Integer.MAX_VALUE),
                in.readCount("security version", Integer.MAX_VALUE));
    }
}
