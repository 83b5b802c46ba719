package dev.coffer.inference.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Supplies every large buffer of an inference (KV cache, activations, scratch). The default takes ordinary
 * off-heap memory; the secure world injects one that carves buffers out of secret memory, so the kernels never
 * change. Buffers are zero-filled and 64-byte aligned; they live as long as the allocator's owner keeps them.
 */
@FunctionalInterface
public interface BufferAllocator {
    /**
     * @param byteSize bytes needed
     * @param purpose  what the buffer is for (for accounting and errors), e.g. "kv-cache"
     */
    MemorySegment allocate(long byteSize, String purpose);

    /** Ordinary native memory from the given arena (freed when it closes); it must be a shared or global arena,
     *  because worker threads read the buffers. */
    static BufferAllocator of(Arena arena) {
        return (size, purpose) -> arena.allocate(size, 64);
    }
}
