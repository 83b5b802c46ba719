package dev.coffer.tee.enclave;

import dev.coffer.tee.EnclaveIdentity;
import dev.coffer.tee.Report;
import dev.coffer.tee.SealPolicy;
import dev.coffer.tee.memory.SecretMemory;
import java.lang.foreign.MemorySegment;

/** What tee-bridge gives the code inside the secure world (Open Enclave's enclave-side API). */
public interface EnclaveContext {
    EnclaveIdentity identity();

    /** The TEE type the platform reports this secure world under ({@code sim}, {@code isolated}). */
    String teeType();

    boolean debug();

    /** Secret memory within the host's budget: the only place for plaintext weights, KV cache, activations. */
    SecretMemory secretMemory();

    /**
     * The staging buffer shared with the host, for bulk data the host may see (ciphertext, or plaintext in the
     * development path). The host can change it at any moment: copy out before checking, never check in place.
     */
    MemorySegment staging();

    /** Threads the host's scheduling policy allows the data plane. */
    int threads();

    /** {@code oe_get_report}: the platform's signed report over this enclave and 64 bytes of report data. */
    Report report(byte[] reportData);

    /** {@code oe_seal}: AES-256-GCM under a key bound to this enclave's identity by {@code policy}. */
    byte[] seal(SealPolicy policy, byte[] plaintext, byte[] associatedData);

    /** {@code oe_unseal}. @throws dev.coffer.tee.UnsealException when sealed for another identity or modified */
    byte[] unseal(byte[] sealed, byte[] associatedData);
}
