package dev.coffer.secureworld;

import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.tee.memory.SecretMemory;
import dev.coffer.tee.memory.SecretRegion;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * inference-core's buffers (KV cache, activations) carved out of secret memory: small buffers share regions of
 * up to 16 MiB (a mapping per buffer would cost a memfd and a VMA each), large ones get their own. Closing releases
 * (zeroizes) every region.
 */
final class SecretBufferAllocator implements BufferAllocator, AutoCloseable {
    private static final long CHUNK = 16L << 20;
    private static final long ALIGN = 64;

    private final SecretMemory memory;
    private final List<SecretRegion> regions = new ArrayList<>();
    private MemorySegment current;
    private long used;

    SecretBufferAllocator(SecretMemory memory) {
        this.memory = memory;
    }

    @Override
    public synchronized MemorySegment allocate(long byteSize, String purpose) {
        if (byteSize > CHUNK / 4) {
            SecretRegion r = memory.allocate(byteSize, purpose);
            regions.add(r);
            return r.segment();
        }
        long start = (used + ALIGN - 1) / ALIGN * ALIGN;
        if (current == null || start + byteSize > current.byteSize()) {
            // A whole chunk, or what the budget has left: a small budget (a non-root user's 8 MiB lock limit)
            // must still fit a small model's buffers.
            long chunk = Math.max(byteSize, Math.min(CHUNK, memory.budget() - memory.used()));
            SecretRegion r = memory.allocate(chunk, "buffers");
            regions.add(r);
            current = r.segment();
            start = 0;
        }
        used = start + byteSize;
        return current.asSlice(start, byteSize);
    }

    /** Faults in every region now, with up to {@code threads} threads, so that the first decode steps do not pay
     *  for populating the KV cache page by page. */
    synchronized void populate(int threads) {
        for (SecretRegion r : regions) r.populate(threads);
    }

    @Override
    public synchronized void close() {
        regions.forEach(SecretRegion::close);
        regions.clear();
        current = null;
    }
}
