package dev.coffer.host.tee;

import dev.coffer.inference.Generator;
import dev.coffer.secureworld.InferenceCalls;
import dev.coffer.secureworld.InferenceCalls.ModelSummary;
import dev.coffer.secureworld.InferenceCalls.Start;
import dev.coffer.secureworld.InferenceCalls.Tokens;
import dev.coffer.tee.Enclave;
import dev.coffer.pack.AesGcm;
import dev.coffer.pack.PackFile;
import dev.coffer.pack.Credential;
import dev.coffer.pack.RestorePlan;
import dev.coffer.tee.channel.StagingRing;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongConsumer;

/**
 * The host's control plane for a model inside the secure world: it reads the model file (the secure world opens no
 * files), copies it through the staging buffer chunk by chunk, and asks for tokens one crossing at a time.
 */
public final class EnclaveModelRunner {
    /** Receives the bytes of each token batch as it arrives; return false to stop. */
    @FunctionalInterface
    public interface TokenSink {
        boolean accept(byte[] bytes);
    }

    private final Enclave enclave;

    public EnclaveModelRunner(Enclave enclave) {
        this.enclave = enclave;
    }

    /** {@code settings} with a staging buffer large enough for a ring of {@code prefetch} slots of this pack's chunks. */
    public static dev.coffer.tee.EnclaveSettings withRingFor(dev.coffer.tee.EnclaveSettings settings, PackFile pack, int prefetch) {
        long ring = StagingRing.bytesNeeded(prefetch, pack.maxChunkBytes() + AesGcm.TAG_BYTES);
        if (ring > Integer.MAX_VALUE) throw new IllegalArgumentException("--prefetch " + prefetch + " is too large for this pack");
        return settings.withStaging((int) Math.max(ring, settings.stagingBytes()));
    }

    /** Copies a plaintext GGUF into the secure world's secret memory and builds the model there. */
    public ModelSummary loadPlaintext(Path gguf, int contextLength, LongConsumer progress) throws IOException {
        MemorySegment staging = enclave.staging();
        try (FileChannel ch = FileChannel.open(gguf, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            enclave.call(InferenceCalls.LOAD_BEGIN, size);
            for (long off = 0; off < size; ) {
                int n = (int) Math.min(staging.byteSize(), size - off);
                MemorySegment.copy(file, off, staging, 0, n);
                enclave.call(InferenceCalls.LOAD_CHUNK, new InferenceCalls.Chunk(off, n));
                off += n;
                progress.accept(n);
            }
        }
        return enclave.call(InferenceCalls.LOAD_END, contextLength);
    }

    /**
     * Streams an encrypted pack into the secure world and builds the model there: the host opens the pack file and
     * feeds ciphertext chunks through the staging ring from a thread of its own (the control plane), while the
     * secure world authenticates and decrypts them into secret memory. Returns once the model is built, which with
     * {@code waitForAll == false} is as soon as the header is in: generation may start while later layers are
     * still being restored. {@code populateThreads}: see {@link InferenceCalls.PackOpen}. {@link PackFeed#close()}
     * waits for the feeder.
     */
    public PackFeed loadPack(PackFile pack, RestorePlan plan, Credential credential, long minVersion, int contextLength,
                             boolean waitForAll, int window, int populateThreads, LongConsumer progress) {
        return loadPack(pack, plan, PackUnlock.of(credential), minVersion, contextLength, waitForAll, window,
                populateThreads, progress);
    }

    /**
     * Checks the pack's header inside and has evidence claim it, before its key is fetched from a key broker (which
     * releases the key only to evidence that names the pack). Returns the digest the secure world found.
     */
    public String preparePack(PackFile pack, long minVersion) {
        return enclave.call(InferenceCalls.PACK_PREPARE, new InferenceCalls.PackPrepare(pack.header().encode(), minVersion)).digest();
    }

    /** {@link #loadPack(PackFile, RestorePlan, Credential, long, int, boolean, int, int, LongConsumer)} with a key the
     *  host may not be able to read (a key broker's release). */
    public PackFeed loadPack(PackFile pack, RestorePlan plan, PackUnlock unlock, long minVersion, int contextLength,
                             boolean waitForAll, int window, int populateThreads, LongConsumer progress) {
        int slotBytes = pack.maxChunkBytes() + AesGcm.TAG_BYTES;
        int slots = Math.min(window, StagingRing.slotsThatFit(enclave.staging().byteSize(), slotBytes));
        if (slots < 1) {
            throw new IllegalArgumentException("the staging buffer (" + enclave.staging().byteSize() + " bytes) cannot hold "
                    + "one chunk of " + slotBytes + " bytes");
        }
        StagingRing ring = new StagingRing(enclave.staging(), slots, slotBytes);
        ring.reset();
        byte[] raw = unlock.bytes();
        try {
            enclave.call(InferenceCalls.PACK_OPEN,
                    new InferenceCalls.PackOpen(pack.header().encode(), unlock.kind(), raw, minVersion, slots, slotBytes, populateThreads,
                            plan.streamedLayers(), plan.slots()));
        } finally {
            java.util.Arrays.fill(raw, (byte) 0);
        }
        PackFeed feed = new PackFeed(pack, plan, ring, progress);
        try {
            enclave.call(InferenceCalls.PACK_MODEL, new InferenceCalls.PackModel(contextLength, waitForAll));
        } catch (RuntimeException e) {
            feed.abort();
            throw e;
        }
        return feed;
    }

    /**
     * The restoration benchmark's plaintext baseline, first half: copies a plaintext GGUF into the staging buffer
     * (memory the host shares, so never a way to protect a model). Returns its size for {@link #serveShared}.
     */
    public long stageShared(Path gguf) throws IOException {
        MemorySegment staging = enclave.staging();
        try (FileChannel ch = FileChannel.open(gguf, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            if (size > staging.byteSize()) throw new IllegalArgumentException("the staging buffer is smaller than " + gguf);
            MemorySegment.copy(ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), 0, staging, 0, size);
            return size;
        }
    }

    /** Second half: the secure world builds the model over the staged plaintext, read in place. */
    public ModelSummary serveShared(long bytes, int contextLength) {
        return enclave.call(InferenceCalls.LOAD_SHARED, new InferenceCalls.SharedModel(bytes, contextLength));
    }

    /** Restoration progress inside the secure world. */
    public InferenceCalls.RestoreStatus restoreStatus() {
        return enclave.call(InferenceCalls.RESTORE_STATUS_CALL, null);
    }

    /**
     * The host's feeder thread: every ciphertext chunk once, from the pack file into the staging ring, in compute
     * order. (Under a memory budget the secure world keeps its own copy of the streamed layers' ciphertext and
     * restores them again from there: no further host I/O.)
     */
    public static final class PackFeed implements AutoCloseable {
        private final Thread thread;
        private volatile boolean cancelled;
        private volatile RuntimeException failure;

        private PackFeed(PackFile pack, RestorePlan plan, StagingRing ring, LongConsumer progress) {
            int initial = plan.chunkCount();
            this.thread = Thread.ofPlatform().daemon().name("feed-pack").start(() -> {
                try {
                    for (int seq = 0; !cancelled && seq < initial; seq++) {
                        int chunk = plan.chunkAt(seq);
                        ring.put(seq, pack.ciphertext(chunk), () -> cancelled);
                        progress.accept(pack.manifest().chunks().get(chunk).length());
                    }
                } catch (RuntimeException | Error e) { // e.g. the pack file truncated under its mapping
                    if (!cancelled) failure = e instanceof RuntimeException r ? r : new IllegalStateException(
                            "feeding the pack failed: " + e, e);
                }
            });
        }

        /** Stops feeding (e.g. the secure world failed) and waits for the thread. */
        public void abort() {
            cancelled = true;
            join();
        }

        /**
         * Waits for the feeder to finish. Under a memory budget the initial pass only completes while compute consumes
         * the streamed layers (their slots are few), so close this after generating. Rethrows what stopped the feeder.
         */
        @Override
        public void close() {
            join();
            if (failure != null) throw failure;
        }

        private void join() {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Runs one generation, streaming token bytes to {@code sink}; one crossing per token, plus one for the stats. */
    public Generator.Stats generate(Start request, TokenSink sink) {
        Tokens t = enclave.call(InferenceCalls.START, request);
        while (sink.accept(t.bytes()) && !t.ended()) {
            t = enclave.call(InferenceCalls.NEXT, 1);
        }
        return enclave.call(InferenceCalls.STATS_CALL, null);
    }
}
