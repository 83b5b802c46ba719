package dev.coffer.secureworld;

import dev.coffer.pack.ChunkCipher;
import dev.coffer.pack.ChunkEntry;
import dev.coffer.pack.PackException;
import dev.coffer.pack.PackTamperedException;
import dev.coffer.pack.RestorePlan;
import dev.coffer.tee.channel.StagingRing;
import dev.coffer.tee.memory.SecretRegion;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * Restores a pack's chunks, in compute order, into secret memory while the model already runs (TZ-LLM's pipelined
 * restoration). One thread takes each chunk's ciphertext from the host's staging ring into a private buffer (the host
 * cannot change what is checked), authenticates and decrypts it straight into its place, and publishes progress;
 * compute waits in {@link #awaitChunk} for the chunks a tensor needs, not for the model.
 *
 * <p>Under a memory budget ({@link RestorePlan}) the last layers are streamed: after the initial pass the restorer
 * keeps decrypting those layers, round after round, from its own copy of their ciphertext into a few slot regions, each one zeroized and reused once compute
 * is done with the layer it held ({@link #layerDone}); compute waits for its layer's turn in {@link #awaitLayer}.
 * A chunk that fails authentication stops restoration; its bytes are wiped and every waiter gets the error.
 */
final class PackRestoration implements AutoCloseable {
    private final RestorePlan plan;
    private final ChunkCipher cipher;
    private final SecretRegion resident;
    private final SecretRegion[] slots;
    private final StagingRing ring;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment ciphertext;
    // Streamed layers' ciphertext, kept after the initial pass in this process's ordinary memory: private to the secure
    // world (the host cannot change it, so it is checked where it lies), not secret (it is ciphertext), and outside the
    // secret-memory budget. Each later round decrypts from here: no host I/O, no staging traffic, no extra copy.
    private final MemorySegment streamedCiphertext;
    private final long[] cacheOffset;
    private final Thread thread;
    private final long startNanos = System.nanoTime();
    /** A host that sends nothing for this long has stopped feeding (a dead feeder, a file that vanished). */
    static final long STALL_NANOS = 120_000_000_000L;
    private final long stallNanos;
    private volatile int restored;          // chunks of the initial pass in place
    private volatile long restoredLayers;   // streamed-layer occurrences fully in place
    private volatile long consumedLayers;   // streamed-layer occurrences compute is done with
    private volatile RuntimeException failure;
    private volatile boolean cancelled;
    private volatile int computeWaitsForChunk = -1; // a chunk of the initial pass compute is blocked on, or -1
    private volatile long finishedNanos;
    private long waitNanos; // guarded by this

    PackRestoration(RestorePlan plan, ChunkCipher cipher, SecretRegion resident, SecretRegion[] slots, StagingRing ring) {
        this(plan, cipher, resident, slots, ring, STALL_NANOS);
    }

    PackRestoration(RestorePlan plan, ChunkCipher cipher, SecretRegion resident, SecretRegion[] slots, StagingRing ring,
                    long stallNanos) {
        this.stallNanos = stallNanos;
        this.plan = plan;
        this.cipher = cipher;
        this.resident = resident;
        this.slots = slots.clone();
        this.ring = ring;
        this.ciphertext = arena.allocate(ring.slotBytes(), 64);
        List<ChunkEntry> chunks = plan.manifest().chunks();
        this.cacheOffset = new long[chunks.size()];
        long cached = 0;
        for (int i = 0; i < chunks.size(); i++) {
            if (plan.isStreamed(i)) {
                cacheOffset[i] = cached;
                cached += chunks.get(i).ciphertextLength();
            }
        }
        this.streamedCiphertext = cached == 0 ? MemorySegment.NULL : arena.allocate(cached, 64);
        this.thread = Thread.ofPlatform().daemon().name("restore-pack").start(this::run);
    }

    private void run() {
        List<ChunkEntry> chunks = plan.manifest().chunks();
        long occurrence = -1;
        try {
            for (long seq = 0; !cancelled; seq++) {
                if (seq == chunks.size()) {
                    finishedNanos = System.nanoTime();
                    if (plan.streamedLayers() == 0) return;
                }
                int i = plan.chunkAt(seq);
                ChunkEntry c = chunks.get(i);
                MemorySegment target;
                if (plan.isStreamed(i)) {
                    if (plan.opensLayer(i)) occurrence = claimSlot(occurrence + 1, plan.layerBytes(plan.layerOf(i)));
                    target = slots[(int) (occurrence % slots.length)].segment();
                } else {
                    target = resident.segment();
                }
                MemorySegment source;
                if (plan.isStreamed(i)) {
                    source = streamedCiphertext.asSlice(cacheOffset[i], c.ciphertextLength());
                    if (seq < chunks.size()) { // first round: keep a copy
                        source = source.asSlice(0, take(seq, source));
                    }
                } else {
                    source = ciphertext.asSlice(0, take(seq, ciphertext));
                }
                cipher.open(i, source.asByteBuffer(), target.asSlice(plan.packedOffset(i), c.length()).asByteBuffer());
                synchronized (this) {
                    if (seq < chunks.size()) restored = (int) seq + 1;
                    if (plan.closesLayer(i)) restoredLayers = occurrence + 1;
                    notifyAll();
                }
            }
        } catch (CancellationException e) {
            fail(new IllegalStateException("restoration was cancelled"));
        } catch (PackException | IllegalStateException e) {
            fail(e);
        } catch (RuntimeException | Error e) {
            fail(new PackTamperedException("restoration stopped at chunk " + restored + ": " + e));
        }
    }

    /** The next item from the host, or an error naming the chunk when the host stops feeding. */
    private int take(long seq, MemorySegment into) {
        long deadline = System.nanoTime() + stallNanos;
        try {
            return ring.take(seq, into, () -> cancelled || System.nanoTime() > deadline);
        } catch (CancellationException e) {
            if (cancelled) throw e;
            throw new IllegalStateException("the host stopped feeding the pack: no ciphertext for chunk " + seq + " in "
                    + String.format(java.util.Locale.ROOT, "%.1f", stallNanos / 1e9) + " s");
        }
    }

    /**
     * Waits until compute is done with the layer the slot of {@code occurrence} held. The new layer's decryption
     * overwrites its first {@code layerBytes}; what lies beyond (a larger layer's tail) is zeroized now.
     */
    private long claimSlot(long occurrence, long layerBytes) {
        synchronized (this) {
            while (consumedLayers < occurrence - slots.length + 1 && !cancelled) {
                int needed = computeWaitsForChunk;
                if (needed >= 0 && needed >= restored) {
                    // compute waits for a chunk that comes after the layer this slot is for: neither can proceed
                    throw new IllegalStateException("this pack cannot be streamed under this budget: compute needs chunk "
                            + needed + " before layers that do not fit in secret memory are done; raise the budget");
                }
                try {
                    wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CancellationException();
                }
            }
        }
        if (cancelled) throw new CancellationException();
        MemorySegment slot = slots[(int) (occurrence % slots.length)].segment();
        slot.asSlice(layerBytes).fill((byte) 0);
        return occurrence;
    }

    private synchronized void fail(RuntimeException e) {
        failure = e;
        notifyAll();
    }

    /** Blocks until chunks {@code 0..index} of the initial pass are authenticated and in place. */
    void awaitChunk(int index) {
        if (restored > index) return;
        computeWaitsForChunk = index;
        synchronized (this) {
            notifyAll(); // a restorer waiting for a slot re-checks whether this can ever be served
        }
        try {
            await(() -> restored > index);
        } finally {
            computeWaitsForChunk = -1;
        }
    }

    /** Blocks until streamed layer {@code layer}'s turn is in place; returns the slot holding it. */
    SecretRegion awaitLayer(int layer) {
        long o = consumedLayers;
        if (plan.streamedLayer(o) != layer) {
            throw new IllegalStateException("compute asked for layer " + layer + " where layer " + plan.streamedLayer(o)
                    + " was due: streamed layers must be used in order, each exactly once per step");
        }
        if (restoredLayers <= o) await(() -> restoredLayers > o);
        return slots[(int) (o % slots.length)];
    }

    /** Compute is done with {@code layer} for this step: a streamed layer's slot may be reused. */
    void layerDone(int layer) {
        if (!plan.isStreamedLayer(layer)) return;
        synchronized (this) {
            consumedLayers++;
            notifyAll();
        }
    }

    private interface Condition {
        boolean holds();
    }

    private void await(Condition ready) {
        long t0 = System.nanoTime();
        synchronized (this) {
            while (!ready.holds()) {
                if (failure != null) throw failure;
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for restoration");
                }
            }
            waitNanos += System.nanoTime() - t0;
        }
    }

    void awaitAll() {
        awaitChunk(plan.chunkCount() - 1);
    }

    RestorePlan plan() { return plan; }

    SecretRegion resident() { return resident; }

    int restoredChunks() { return restored; }

    /** Nanoseconds from opening to the end of the initial pass, or -1 while it runs. */
    long restoreNanos() {
        long f = finishedNanos;
        return f == 0 ? -1 : f - startNanos;
    }

    synchronized long computeWaitNanos() { return waitNanos; }

    @Override
    public void close() {
        cancelled = true;
        synchronized (this) {
            notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cipher.close();
        arena.close();
    }
}
