package dev.coffer.tee.enclave;

/**
 * The code that runs inside the secure world. tee-bridge instantiates it (public no-argument constructor; the
 * class is named by the image's {@code Coffer-Enclave-Application} manifest attribute), calls {@link #initialize}
 * once, then serves its {@link #ecalls()} one at a time.
 */
public interface EnclaveApplication {
    /**
     * Called once, before the sandbox closes (in the isolated backend, the seccomp filter is installed right after
     * this returns and no file can be opened afterwards). Load every class and run every code path once here:
     * kernels, exceptions, lambdas, thread pools.
     */
    void initialize(EnclaveContext context);

    /** The calls the host may make. Consulted once, after {@link #initialize}. */
    EcallTable ecalls();

    /**
     * The claims for evidence, in the application's own encoding; tee-bridge puts their SHA-512 into the report
     * data. They must include {@code nonce} (8..64 bytes, the verifier's challenge) or the evidence is not fresh;
     * {@code hostData} is what the host asked to have bound (e.g. the hash of its TLS key, at most 1 KiB): the
     * application decides whether and how to claim it. The default claims nothing but the nonce.
     */
    default byte[] claims(byte[] nonce, byte[] hostData) {
        return nonce.clone();
    }

    /** Called before the secure world ends normally: drop references to secret state. (Secret memory itself is
     *  zeroized by tee-bridge afterwards.) */
    default void terminate() {
    }
}
