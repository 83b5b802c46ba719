package dev.coffer.tee;

import java.lang.foreign.MemorySegment;

/**
 * A running secure world, seen from the host (Open Enclave's host API). Calls are served one at a time, in order;
 * a call made while another is running waits. Closing terminates it.
 */
public interface Enclave extends AutoCloseable {
    /** {@code oe_create_enclave}. */
    static Enclave create(EnclaveImage image, EnclaveSettings settings) {
        return switch (settings.backend()) {
            case SIM -> new dev.coffer.tee.sim.SimEnclave(image, settings);
            case ISOLATED -> new dev.coffer.tee.isolated.IsolatedEnclave(image, settings);
        };
    }

    EnclaveInfo info();

    /** {@code oe_call_enclave}: one crossing.
     *  @throws EcallFailedException when the secure world refused or failed the call (it keeps running)
     *  @throws EnclaveLostException when the secure world is gone */
    <Q, R> R call(Ecall<Q, R> ecall, Q request);

    /** {@code oe_get_evidence}: the secure world's claims for this nonce (8..64 bytes) and the host data it is asked
     *  to bind (at most 1 KiB; the application decides what to claim), bound into a platform-signed report. */
    Evidence evidence(byte[] nonce, byte[] hostData);

    /** The host's view of the staging buffer: write bulk data here, then make the call that consumes it. */
    MemorySegment staging();

    BoundaryStats stats();

    /** The key that signs this enclave's reports (its platform's; host-held for sim and isolated). */
    java.security.PublicKey platformKey();

    /** Secret-memory figures reported by the secure world (one crossing). */
    SecretMemoryFigures memory();

    /** {@code oe_terminate_enclave}: the secure world zeroizes its secret memory and ends. Idempotent. */
    void terminate();

    @Override
    default void close() {
        terminate();
    }
}
