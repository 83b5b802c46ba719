package dev.coffer.tee;

/** Which identity a sealed blob is bound to (Open Enclave's {@code OE_SEAL_POLICY_UNIQUE} / {@code _PRODUCT}). */
public enum SealPolicy {
    /** Only an enclave with the same measurement can unseal (any change of code or configuration loses access). */
    UNIQUE(1),
    /** Any enclave of the same signer and product id can unseal (survives updates of the image). */
    PRODUCT(2);

    final int code;

    SealPolicy(int code) {
        this.code = code;
    }

    static SealPolicy of(int code) {
        for (SealPolicy p : values()) if (p.code == code) return p;
        throw new UnsealException("unknown seal policy " + code + ": not a Coffer sealed blob");
    }
}
