package dev.coffer.tee;

import dev.coffer.tee.memory.MemoryPolicy;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How to create a secure world (the settings of {@code oe_create_enclave}), all chosen by the host's policy.
 *
 * @param backend             where it runs
 * @param debug               a debug enclave: reports say so and verifiers reject it by default (sim is always debug)
 * @param secureMemoryBytes   the secret-memory budget (weights, KV cache, activations)
 * @param stagingBytes        the shared staging buffer for bulk data crossing in
 * @param threads             data-plane threads the secure world may use
 * @param stateDirectory      where the isolated backend's platform keeps its key and sealing secret
 * @param memoryPolicy        which secret memory the secure world may use (memfd_secret, or also mlock: reported as weaker)
 */
public record EnclaveSettings(Backend backend, boolean debug, long secureMemoryBytes, int stagingBytes, int threads,
                              Path stateDirectory, MemoryPolicy memoryPolicy) {
    public static final long DEFAULT_SECURE_MEMORY = 4L << 30;
    public static final int DEFAULT_STAGING = 16 << 20;

    public EnclaveSettings {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(memoryPolicy, "memoryPolicy");
        if (backend == Backend.SIM) debug = true;
        if (secureMemoryBytes <= 0) throw new IllegalArgumentException("secure memory budget must be > 0");
        if (stagingBytes < 4096) throw new IllegalArgumentException("staging buffer must be >= 4096 bytes");
        if (threads <= 0) throw new IllegalArgumentException("threads must be > 0");
    }

    /** Defaults: 4 GiB of secret memory, 16 MiB staging, all processors, memfd_secret required. */
    public static EnclaveSettings defaults(Backend backend, Path stateDirectory) {
        return new EnclaveSettings(backend, false, DEFAULT_SECURE_MEMORY, DEFAULT_STAGING,
                Runtime.getRuntime().availableProcessors(), stateDirectory, MemoryPolicy.MEMFD_SECRET);
    }

    public EnclaveSettings withDebug(boolean value) {
        return new EnclaveSettings(backend, value, secureMemoryBytes, stagingBytes, threads, stateDirectory, memoryPolicy);
    }

    public EnclaveSettings withSecureMemory(long bytes) {
        return new EnclaveSettings(backend, debug, bytes, stagingBytes, threads, stateDirectory, memoryPolicy);
    }

    public EnclaveSettings withStaging(int bytes) {
        return new EnclaveSettings(backend, debug, secureMemoryBytes, bytes, threads, stateDirectory, memoryPolicy);
    }

    public EnclaveSettings withThreads(int value) {
        return new EnclaveSettings(backend, debug, secureMemoryBytes, stagingBytes, value, stateDirectory, memoryPolicy);
    }

    /** Accept mlocked memory where the kernel lacks memfd_secret (true), or require memfd_secret (false). */
    public EnclaveSettings withMemoryFallback(boolean value) {
        return withMemoryPolicy(MemoryPolicy.secretMemory(value));
    }

    public EnclaveSettings withMemoryPolicy(MemoryPolicy value) {
        return new EnclaveSettings(backend, debug, secureMemoryBytes, stagingBytes, threads, stateDirectory, value);
    }
}
