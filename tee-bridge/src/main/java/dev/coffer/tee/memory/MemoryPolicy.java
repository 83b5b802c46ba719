package dev.coffer.tee.memory;

/**
 * Which secret memory the host's policy lets the secure world use. The mode actually obtained is reported
 * ({@link MemoryMode}) and is a claim in evidence, so verifiers can require memfd_secret.
 */
public enum MemoryPolicy {
    /** memfd_secret or nothing: start fails on kernels without it. The default. */
    MEMFD_SECRET(0),
    /** memfd_secret where the kernel has it, else mlocked memory (reported as the weaker mode). */
    MEMFD_SECRET_OR_MLOCK(1),
    /**
     * mlocked memory even where memfd_secret exists: readable by root, but populated an order of magnitude faster and
     * without flushing every CPU's TLB per page. For comparison, and for confidential VMs, whose memory the hardware
     * encrypts as a whole (there memfd_secret only adds protection from the guest's own kernel).
     */
    MLOCK(2);

    private final int code;

    MemoryPolicy(int code) {
        this.code = code;
    }

    /** The value the native library takes. */
    public int code() {
        return code;
    }

    /** memfd_secret, with or without the mlock fallback where the kernel lacks it. */
    public static MemoryPolicy secretMemory(boolean allowFallback) {
        return allowFallback ? MEMFD_SECRET_OR_MLOCK : MEMFD_SECRET;
    }

    public static MemoryPolicy ofCode(int code) {
        for (MemoryPolicy p : values()) if (p.code == code) return p;
        throw new IllegalArgumentException("unknown memory policy " + code);
    }
}
