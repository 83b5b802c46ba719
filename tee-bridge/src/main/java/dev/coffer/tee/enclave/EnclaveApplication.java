package dev.coffer.tee.enclave;

import java.util.SortedMap;
import java.util.TreeMap;

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

    /** Claims the application adds to evidence for this nonce (e.g. the hash of its public key). */
    default SortedMap<String, String> claims(byte[] nonce) {
        return new TreeMap<>();
    }

    /** Called before the secure world ends normally: drop references to secret state. (Secret memory itself is
     *  zeroized by tee-bridge afterwards.) */
    default void terminate() {
    }
}
