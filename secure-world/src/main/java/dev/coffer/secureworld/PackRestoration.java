package dev.coffer.secureworld;

import dev.coffer.pack.ChunkCipher;
import dev.coffer.pack.ChunkEntry;
import dev.coffer.pack.PackException;
import dev.coffer.pack.PackManifest;
import dev.coffer.pack.PackTamperedException;
import dev.coffer.tee.channel.StagingRing;
import dev.coffer.tee.memory.SecretRegion;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * Restores a pack's chunks, in compute order, into the model image in secret memory while the model already runs
 * (TZ-LLM's pipelined restoration). One thread takes each chunk's ciphertext from the host's staging ring into a
 * private buffer (the host cannot change what is checked), authenticates and decrypts it straight into its place in
 * secret memory, and publishes how many chunks are ready; compute waits in {@link #awaitChunk} for the chunks a tensor
 * needs, not for the model. A chunk that fails authentication stops restoration; its bytes are wiped and every waiter
 * gets the error.
 */
final class PackRestoration implements AutoCloseable {
    private final PackManifest manifest;
    private final ChunkCipher cipher;
    private final SecretRegion image;
    private final StagingRing ring;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment ciphertext;
    private final Thread thread;
    private final long startNanos = System.nanoTime();
    private volatile int restored;
    private volatile RuntimeException failure;
    private volatile boolean cancelled;
    private volatile long finishedNanos;
    private long waitNanos; // guarded by this

    PackRestoration(PackManifest manifest, ChunkCipher cipher, SecretRegion image, StagingRing ring) {
        this.manifest = manifest;
        this.cipher = cipher;
        this.image = image;
        this.ring = ring;
        this.ciphertext = arena.allocate(ring.slotBytes(), 64);
        this.thread = Thread.ofPlatform().daemon().name("restore-pack").start(this::run);
    }

    private void run() {
        List<ChunkEntry> chunks = manifest.chunks();
        try {
            for (int i = 0; i < chunks.size() && !cancelled; i++) {
                ChunkEntry c = chunks.get(i);
                int n = ring.take(i, ciphertext, () -> cancelled);
                cipher.open(i, ciphertext.asSlice(0, n).asByteBuffer(), image.segment().asSlice(c.offset(), c.length()).asByteBuffer());
                synchronized (this) {
                    restored = i + 1;
                    notifyAll();
                }
            }
            finishedNanos = System.nanoTime();
        } catch (CancellationException e) {
            fail(new IllegalStateException("restoration was cancelled"));
        } catch (PackException | IllegalStateException e) {
            fail(e);
        } catch (RuntimeException e) {
            fail(new PackTamperedException("restoration stopped at chunk " + restored + ": " + e.getMessage()));
        }
    }

    private synchronized void fail(RuntimeException e) {
        failure = e;
        notifyAll();
    }

    /** Blocks until chunks {@code 0..index} are authenticated and in place. */
    void awaitChunk(int index) {
        if (restored > index) return;
        long t0 = System.nanoTime();
        synchronized (this) {
            while (restored <= index) {
                if (failure != null) throw failure;
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for chunk " + index);
                }
            }
            waitNanos += System.nanoTime() - t0;
        }
    }

    void awaitAll() {
        awaitChunk(manifest.chunks().size() - 1);
    }

    int restoredChunks() { return restored; }

    /** Nanoseconds from opening to the last chunk in place, or -1 while restoring. */
    long restoreNanos() {
        long f = finishedNanos;
        return f == 0 ? -1 : f - startNanos;
    }

    synchronized long computeWaitNanos() { return waitNanos; }

    @Override
    public void close() {
        cancelled = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cipher.close();
        arena.close();
    }
}
