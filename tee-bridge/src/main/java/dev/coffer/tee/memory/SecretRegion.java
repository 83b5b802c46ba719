package dev.coffer.tee.memory;

import java.lang.foreign.MemorySegment;

/** One mapping of secret memory, handed out by {@link SecretMemory}. Closing it zeroizes and unmaps it; the segment
 *  must not be used afterwards. */
public final class SecretRegion implements AutoCloseable {
    private final SecretMemory owner;
    private final long address;
    private final long mappedBytes;
    private final MemorySegment segment;
    private final String purpose;
    private boolean released;

    SecretRegion(SecretMemory owner, long address, long mappedBytes, long usableBytes, String purpose) {
        this.owner = owner;
        this.address = address;
        this.mappedBytes = mappedBytes;
        this.segment = MemorySegment.ofAddress(address).reinterpret(usableBytes);
        this.purpose = purpose;
    }

    /** The memory (exactly the size asked for; the mapping is rounded up to whole pages). */
    public MemorySegment segment() {
        if (released) throw new IllegalStateException("secret region '" + purpose + "' was released");
        return segment;
    }

    public String purpose() {
        return purpose;
    }

    public long mappedBytes() {
        return mappedBytes;
    }

    long address() {
        return address;
    }

    /** Faults every page in now, with up to {@code threads} threads, instead of on first use during compute
     *  (populating secret memory costs several seconds per GiB of kernel time). */
    public void populate(int threads) {
        owner.populate(this, threads);
    }

    /** Faults in the pages of {@code [offset, offset + length)} on the calling thread (for populating ahead of a copy
     *  from another thread). */
    public void populate(long offset, long length) {
        if (released) throw new IllegalStateException("secret region '" + purpose + "' was released");
        if (offset < 0 || length < 0 || offset > mappedBytes - length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + length + ") outside " + mappedBytes + " bytes");
        }
        long first = offset & ~4095L;
        owner.populateRange(this, first, Math.min(mappedBytes, offset + length + 4095 & ~4095L) - first);
    }

    @Override
    public void close() {
        if (released) return;
        released = true;
        owner.release(this);
    }
}
