package dev.coffer.tee.channel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A ring of slots in the staging buffer, through which the host streams bulk data (ciphertext) to the secure world
 * with no crossing per item: the host's producer fills slot {@code seq % slots} and publishes the sequence number; the
 * secure world's consumer copies the item out and frees the slot. This is the co-driver's I/O path: the host keeps
 * reading files and pacing, the secure world only consumes, and the number of slots is the prefetch window.
 *
 * <p>Layout: a control area of one 64-byte line per slot and direction (host-written {@code filled} and length,
 * secure-world-written {@code freed}), rounded to 4 KiB, then the slots. Both sides wait by spinning briefly, then
 * parking 20 µs at a time (futex and nanosleep are on the secure world's allowlist).
 *
 * <p>The host is not trusted: the consumer copies an item out before anything looks at it, bounds every length, and
 * relies on the item's own authentication (AEAD) for its content. A host that stalls only delays the secure world.
 */
public final class StagingRing {
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final int LINE = 64;
    private static final long SPIN_NANOS = 50_000;
    private static final long PARK_NANOS = 20_000;

    private final MemorySegment staging;
    private final int slots;
    private final int slotBytes;
    private final long dataStart;

    /** Lays a ring of {@code slots} slots of {@code slotBytes} each over {@code staging}. */
    public StagingRing(MemorySegment staging, int slots, int slotBytes) {
        if (slots < 1 || slotBytes < 1) throw new IllegalArgumentException("a ring needs >= 1 slot of >= 1 byte");
        this.staging = staging;
        this.slots = slots;
        this.slotBytes = slotBytes;
        this.dataStart = controlBytes(slots);
        if (bytesNeeded(slots, slotBytes) > staging.byteSize()) {
            throw new IllegalArgumentException(slots + " slots of " + slotBytes + " bytes need " + bytesNeeded(slots, slotBytes)
                    + " bytes of staging, it has " + staging.byteSize());
        }
    }

    /** Staging bytes a ring of this shape needs. */
    public static long bytesNeeded(int slots, int slotBytes) {
        return controlBytes(slots) + (long) slots * slotBytes;
    }

    /** The most slots of {@code slotBytes} that fit in {@code stagingBytes}. */
    public static int slotsThatFit(long stagingBytes, int slotBytes) {
        int n = (int) Math.min(Integer.MAX_VALUE, stagingBytes / slotBytes);
        while (n > 0 && bytesNeeded(n, slotBytes) > stagingBytes) n--;
        return n;
    }

    private static long controlBytes(int slots) {
        return ((2L * LINE * slots) + 4095) & ~4095L;
    }

    public int slots() { return slots; }

    public int slotBytes() { return slotBytes; }

    /** Zeroes the control area: both sides start from sequence 0. The host does this before the secure world reads. */
    public void reset() {
        staging.asSlice(0, dataStart).fill((byte) 0);
        VarHandle.fullFence();
    }

    private long filledAt(int slot) { return 2L * LINE * slot; }

    private long lengthAt(int slot) { return 2L * LINE * slot + 8; }

    private long freedAt(int slot) { return 2L * LINE * slot + LINE; }

    private MemorySegment slot(int slot) { return staging.asSlice(dataStart + (long) slot * slotBytes, slotBytes); }

    /**
     * Host side: puts item {@code seq} (0, 1, 2, ... in order) into its slot once the secure world has taken the item
     * that used it before. @throws CancellationException when {@code cancelled} turns true while waiting
     */
    public void put(long seq, MemorySegment item, BooleanSupplier cancelled) {
        if (item.byteSize() > slotBytes) throw new IllegalArgumentException("item of " + item.byteSize() + " bytes > slot " + slotBytes);
        int s = (int) (seq % slots);
        long previous = seq - slots; // the item this slot held before must have been taken
        await(() -> previous < 0 || (long) L.varHandle().getAcquire(staging, freedAt(s)) >= previous + 1, cancelled);
        MemorySegment.copy(item, 0, slot(s), 0, item.byteSize());
        staging.set(L, lengthAt(s), item.byteSize());
        L.varHandle().setRelease(staging, filledAt(s), seq + 1);
    }

    /**
     * Secure-world side: waits for item {@code seq}, copies it into {@code into} (which must hold it) and frees the
     * slot. Returns the item's length, as the host claims it, checked against the slot and {@code into}.
     */
    public int take(long seq, MemorySegment into, BooleanSupplier cancelled) {
        int s = (int) (seq % slots);
        await(() -> (long) L.varHandle().getAcquire(staging, filledAt(s)) == seq + 1, cancelled);
        long length = staging.get(L, lengthAt(s));
        if (length < 0 || length > slotBytes || length > into.byteSize()) {
            throw new BrokenFrameException("staging slot " + s + " claims " + length + " bytes (slot " + slotBytes
                    + ", room " + into.byteSize() + ")");
        }
        MemorySegment.copy(slot(s), 0, into, 0, length);
        L.varHandle().setRelease(staging, freedAt(s), seq + 1);
        return (int) length;
    }

    private static void await(BooleanSupplier ready, BooleanSupplier cancelled) {
        long start = System.nanoTime();
        while (!ready.getAsBoolean()) {
            if (cancelled.getAsBoolean()) throw new CancellationException("staging ring: cancelled while waiting");
            if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
            else LockSupport.parkNanos(PARK_NANOS);
        }
    }
}
