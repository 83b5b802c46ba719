package dev.coffer.tee.memory;

/** How secret memory is protected. The mode is a claim in evidence: verifiers can require the stronger one. */
public enum MemoryMode {
    /** {@code memfd_secret(2)}: pages removed from the kernel's direct map; unreadable through /proc/PID/mem and
     *  ptrace, even by root; never swapped or dumped; zeroed by the kernel when freed. */
    MEMFD_SECRET("memfd_secret"),
    /** The fallback where the kernel lacks memfd_secret: anonymous memory, {@code mlock}ed (never swapped),
     *  {@code MADV_DONTDUMP} (not in core dumps), {@code MADV_WIPEONFORK}. Root can still read it. */
    MLOCKED("mlock");

    private final String claim;

    MemoryMode(String claim) {
        this.claim = claim;
    }

    /** The name used in evidence and statistics. */
    public String claim() {
        return claim;
    }
}
