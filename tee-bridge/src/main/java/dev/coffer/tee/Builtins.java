package dev.coffer.tee;

/** tee-bridge's own call ids (below {@link Ecall#FIRST_APPLICATION_ID}) and ocall ids. */
public final class Builtins {
    private Builtins() {
    }

    /** host → secure world, isolated backend only: the configuration and keys the platform hands over at start. */
    public static final int INIT = 0;
    /** host → secure world: release secret state and end. */
    public static final int TERMINATE = 1;
    /** host → secure world: claims for a nonce, bound into a platform report. */
    public static final int EVIDENCE = 2;
    /** host → secure world: echo; measures the cost of one crossing. */
    public static final int PING = 3;
    /** host → secure world: secret-memory figures (used, peak, mode, population time). */
    public static final int MEMORY = 4;

    /** secure world → platform: sign a report over 64 bytes of report data. */
    public static final int OCALL_REPORT = 1;
}
