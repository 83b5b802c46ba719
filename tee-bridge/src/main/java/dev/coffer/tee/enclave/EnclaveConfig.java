package dev.coffer.tee.enclave;

import dev.coffer.tee.EnclaveIdentity;
import dev.coffer.tee.memory.MemoryPolicy;
import java.util.Objects;

/** What the secure world is told at creation (besides its sealing keys): who it is and what the host's policy
 *  allows it. */
public record EnclaveConfig(String teeType, boolean debug, EnclaveIdentity identity, long secureMemoryBytes,
                            MemoryPolicy memoryPolicy, int threads) {
    public EnclaveConfig {
        Objects.requireNonNull(memoryPolicy, "memoryPolicy");
        Objects.requireNonNull(teeType, "teeType");
        Objects.requireNonNull(identity, "identity");
        if (secureMemoryBytes <= 0) throw new IllegalArgumentException("secure memory budget must be > 0");
        if (threads <= 0) throw new IllegalArgumentException("threads must be > 0");
    }
}
