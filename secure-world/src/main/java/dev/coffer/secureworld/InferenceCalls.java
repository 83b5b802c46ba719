package dev.coffer.secureworld;

import dev.coffer.inference.Generator;
import dev.coffer.inference.sampling.SamplerConfig;
import dev.coffer.tee.Codec;
import dev.coffer.tee.Ecall;
import dev.coffer.tee.MalformedMessageException;
import dev.coffer.tee.MessageReader;
import dev.coffer.tee.MessageWriter;

/**
 * The secure world's inference calls, shared by the host (which makes them) and {@link InferenceApplication}
 * (which serves them). The host stays the control plane: it reads the model file, paces the copy through the
 * staging buffer and decides when to ask for the next token; everything that touches plaintext weights, prompts or
 * activations happens inside. A decode step, with its new token handed back, is one crossing.
 */
public final class InferenceCalls {
    private InferenceCalls() {
    }

    /** Copy {@code length} staging bytes to {@code offset} of the model image in secret memory. */
    public record Chunk(long offset, int length) {
    }

    /** What the secure world loaded. */
    public record ModelSummary(String name, String architecture, int contextLength, int vocabularySize, long bytes) {
    }

    /** Start a generation. */
    public record Start(String prompt, int maxTokens, boolean ignoreEos, SamplerConfig sampling) {
    }

    /** Tokens produced by one crossing: their ids, their bytes concatenated, and whether the generation ended. */
    public record Tokens(int[] ids, byte[] bytes, boolean ended) {
    }

    /**
     * Open a pack: its header (manifest, signature, recipients), the credential that unwraps its data key (a raw
     * recipient key or a passphrase, {@link dev.coffer.pack.Credential#exportSecret}: the {@code --key} development
     * path, where the operator holds the key; a key broker replaces it), the oldest version accepted, and the shape of
     * the staging ring the host will stream the chunks through, and how to populate the model image's secret pages:
     * {@code populateThreads > 0} faults them all in first with that many threads (before any compute, which
     * population would slow: see docs/benchmarks.md), 0 lets decryption fault them in as it writes, overlapping
     * compute. Under a memory budget the last {@code streamedLayers} layers are restored again for every step through
     * {@code layerSlots} slots ({@link dev.coffer.pack.RestorePlan}). The secure world starts restoring at once.
     */
    public record PackOpen(byte[] header, int credentialKind, byte[] credential, long minVersion, int slots, int slotBytes,
                           int populateThreads, int streamedLayers, int layerSlots) {
        @Override
        public String toString() { return "PackOpen[" + header.length + " header bytes, key hidden]"; }
    }

    /** A pack header to check and claim before its key is fetched (from a key broker that wants evidence first). */
    public record PackPrepare(byte[] header, long minVersion) {
    }

    static final Codec<PackPrepare> PACK_PREPARE_REQUEST = new Codec<>() {
        @Override
        public void write(PackPrepare v, MessageWriter out) {
            out.writeBytes(v.header()).writeLong(v.minVersion());
        }

        @Override
        public PackPrepare read(MessageReader in) {
            return new PackPrepare(in.readBytes("header"), in.readLong("min version"));
        }
    };

    /** What the secure world found in a pack it opened. */
    public record PackOpened(String digest, String model, int chunks, long bytes) {
    }

    /** Build the model from the pack being restored: compute may start before the weights are all in. */
    public record PackModel(int contextLength, boolean waitForAll) {
    }

    /**
     * How far restoration has got, how long compute waited for it, and the up-front population of the model image
     * (wall nanoseconds on {@code populateThreads} threads; 0 when decryption populated as it wrote).
     */
    public record RestoreStatus(int restoredChunks, int totalChunks, long restoreNanos, long computeWaitNanos,
                                long populateNanos, int populateThreads) {
        /** CPU seconds restoration took: up-front population on its threads, plus the restoring thread. */
        public double cpuSeconds() {
            return (populateNanos * (double) populateThreads + Math.max(0, restoreNanos)) / 1e9;
        }
    }

    static final Codec<PackOpen> PACK_OPEN_REQUEST = new Codec<>() {
        @Override
        public void write(PackOpen v, MessageWriter out) {
            out.writeBytes(v.header()).writeByte(v.credentialKind()).writeBytes(v.credential()).writeLong(v.minVersion()).writeInt(v.slots())
                    .writeInt(v.slotBytes()).writeInt(v.populateThreads()).writeInt(v.streamedLayers()).writeInt(v.layerSlots());
        }

        @Override
        public PackOpen read(MessageReader in) {
            return new PackOpen(in.readBytes("header"), in.readByte("credential kind"), in.readBytes("credential"),
                    in.readLong("min version"),
                    in.readCount("slots", 1 << 16), in.readCount("slot bytes", Integer.MAX_VALUE),
                    in.readCount("populate threads", 1024), in.readCount("streamed layers", 1 << 16),
                    in.readCount("layer slots", 1 << 16));
        }
    };

    static final Codec<PackOpened> PACK_OPENED = new Codec<>() {
        @Override
        public void write(PackOpened v, MessageWriter out) {
            out.writeString(v.digest()).writeString(v.model()).writeInt(v.chunks()).writeLong(v.bytes());
        }

        @Override
        public PackOpened read(MessageReader in) {
            return new PackOpened(in.readString("digest"), in.readString("model"), in.readInt("chunks"), in.readLong("bytes"));
        }
    };

    static final Codec<PackModel> PACK_MODEL_REQUEST = new Codec<>() {
        @Override
        public void write(PackModel v, MessageWriter out) {
            out.writeInt(v.contextLength()).writeBoolean(v.waitForAll());
        }

        @Override
        public PackModel read(MessageReader in) {
            return new PackModel(in.readCount("context", Integer.MAX_VALUE), in.readBoolean("wait for all"));
        }
    };

    static final Codec<RestoreStatus> RESTORE_STATUS = new Codec<>() {
        @Override
        public void write(RestoreStatus v, MessageWriter out) {
            out.writeInt(v.restoredChunks()).writeInt(v.totalChunks()).writeLong(v.restoreNanos()).writeLong(v.computeWaitNanos())
                    .writeLong(v.populateNanos()).writeInt(v.populateThreads());
        }

        @Override
        public RestoreStatus read(MessageReader in) {
            return new RestoreStatus(in.readInt("restored"), in.readInt("total"), in.readLong("restore nanos"),
                    in.readLong("wait nanos"), in.readLong("populate nanos"), in.readInt("populate threads"));
        }
    };

    /** A plaintext model of {@code bytes} at the start of the staging buffer, served in place (benchmark baseline). */
    public record SharedModel(long bytes, int contextLength) {
    }

    static final Codec<SharedModel> SHARED_MODEL = new Codec<>() {
        @Override
        public void write(SharedModel v, MessageWriter out) {
            out.writeLong(v.bytes()).writeInt(v.contextLength());
        }

        @Override
        public SharedModel read(MessageReader in) {
            return new SharedModel(in.readLong("bytes"), in.readCount("context", Integer.MAX_VALUE));
        }
    };

    static final Codec<Chunk> CHUNK = new Codec<>() {
        @Override
        public void write(Chunk v, MessageWriter out) {
            out.writeLong(v.offset()).writeInt(v.length());
        }

        @Override
        public Chunk read(MessageReader in) {
            return new Chunk(in.readLong("offset"), in.readCount("length", Integer.MAX_VALUE));
        }
    };

    static final Codec<ModelSummary> SUMMARY = new Codec<>() {
        @Override
        public void write(ModelSummary v, MessageWriter out) {
            out.writeString(v.name()).writeString(v.architecture()).writeInt(v.contextLength())
                    .writeInt(v.vocabularySize()).writeLong(v.bytes());
        }

        @Override
        public ModelSummary read(MessageReader in) {
            return new ModelSummary(in.readString("name"), in.readString("architecture"), in.readInt("context"),
                    in.readInt("vocabulary"), in.readLong("bytes"));
        }
    };

    static final Codec<Start> START_REQUEST = new Codec<>() {
        @Override
        public void write(Start v, MessageWriter out) {
            SamplerConfig c = v.sampling();
            out.writeString(v.prompt()).writeInt(v.maxTokens()).writeBoolean(v.ignoreEos()).writeFloat(c.temperature())
                    .writeInt(c.topK()).writeFloat(c.topP()).writeFloat(c.minP()).writeFloat(c.repeatPenalty())
                    .writeInt(c.repeatLastN()).writeLong(c.seed());
        }

        @Override
        public Start read(MessageReader in) {
            String prompt = in.readString("prompt");
            int maxTokens = in.readCount("max tokens", Integer.MAX_VALUE);
            boolean ignoreEos = in.readBoolean("ignore eos");
            try {
                return new Start(prompt, maxTokens, ignoreEos, new SamplerConfig(in.readFloat("temperature"),
                        in.readInt("top-k"), in.readFloat("top-p"), in.readFloat("min-p"), in.readFloat("repeat penalty"),
                        in.readInt("repeat-last-n"), in.readLong("seed")));
            } catch (IllegalArgumentException e) {
                throw new MalformedMessageException("sampling: " + e.getMessage());
            }
        }
    };

    static final Codec<Tokens> TOKENS = new Codec<>() {
        @Override
        public void write(Tokens v, MessageWriter out) {
            out.writeInts(v.ids()).writeBytes(v.bytes()).writeBoolean(v.ended());
        }

        @Override
        public Tokens read(MessageReader in) {
            return new Tokens(in.readInts("ids", 1 << 16), in.readBytes("bytes"), in.readBoolean("ended"));
        }
    };

    static final Codec<Generator.Stats> STATS = new Codec<>() {
        @Override
        public void write(Generator.Stats v, MessageWriter out) {
            out.writeInt(v.promptTokens()).writeLong(v.prefillNanos()).writeInt(v.generatedTokens())
                    .writeInt(v.decodeSteps()).writeLong(v.decodeNanos()).writeBoolean(v.stoppedAtEos());
        }

        @Override
        public Generator.Stats read(MessageReader in) {
            return new Generator.Stats(in.readInt("prompt tokens"), in.readLong("prefill nanos"), in.readInt("generated"),
                    in.readInt("steps"), in.readLong("decode nanos"), in.readBoolean("eos"));
        }
    };

    /** Reserve secret memory for a model image of this many bytes (discarding any model loaded before). */
    public static final Ecall<Long, Void> LOAD_BEGIN = Ecall.of(200, "load-begin", Codec.LONG, Codec.NONE);
    /** Copy a chunk from the staging buffer into the model image. */
    public static final Ecall<Chunk, Void> LOAD_CHUNK = Ecall.of(201, "load-chunk", CHUNK, Codec.NONE);
    /** Parse the image (GGUF) and build the model with a session of this context length (0 = the model's). */
    public static final Ecall<Integer, ModelSummary> LOAD_END = Ecall.of(202, "load-end", Codec.INT, SUMMARY);
    /**
     * Serve a plaintext model in place from the first {@code bytes} of the staging buffer, whose weights then stay in
     * memory the host shares: the "plaintext mmap" baseline of the restoration benchmark, never a way to protect a
     * model.
     */
    public static final Ecall<SharedModel, ModelSummary> LOAD_SHARED = Ecall.of(206, "load-shared", SHARED_MODEL, SUMMARY);
    /**
     * Check a pack header (owner signature, minimum version) and claim its digest in evidence from now on, before
     * the pack's key is fetched: a key broker releases the key only to evidence that names the pack. Credential kind
     * 3 in {@link #PACK_OPEN} is then the broker's release, sealed to this secure world's enclave key.
     */
    public static final Ecall<PackPrepare, PackOpened> PACK_PREPARE = Ecall.of(209, "pack-prepare", PACK_PREPARE_REQUEST, PACK_OPENED);
    /** Open a pack and start restoring it from the staging ring (discarding any model loaded before). */
    public static final Ecall<PackOpen, PackOpened> PACK_OPEN = Ecall.of(203, "pack-open", PACK_OPEN_REQUEST, PACK_OPENED);
    /** Build the model over the pack being restored (optionally waiting for every chunk first: the strawman). */
    public static final Ecall<PackModel, ModelSummary> PACK_MODEL = Ecall.of(204, "pack-model", PACK_MODEL_REQUEST, SUMMARY);
    /** Restoration progress and the time compute spent waiting for it. */
    public static final Ecall<Void, RestoreStatus> RESTORE_STATUS_CALL = Ecall.of(205, "restore-status", Codec.NONE, RESTORE_STATUS);
    /**
     * Elastic release: drop the model, the session and the restoration, zeroizing and unmapping all of their secret
     * memory; returns the bytes of secret memory still in use afterwards (0). The next request loads again.
     */
    public static final Ecall<Void, Long> RELEASE = Ecall.of(207, "release", Codec.NONE, Codec.LONG);
    /**
     * Warm the JIT before any model arrives: run prefill and decode on tiny synthetic models of the common weight
     * types (random weights, ordinary memory: nothing secret) for this many rounds. Returns the milliseconds it took.
     * Without it the first request of a fresh secure world pays seconds of compilation, on the cores restoration needs.
     */
    public static final Ecall<Integer, Long> WARM_UP = Ecall.of(208, "warm-up", Codec.INT, Codec.LONG);
    /** Tokenize, prefill and sample the first token. */
    public static final Ecall<Start, Tokens> START = Ecall.of(210, "generate-start", START_REQUEST, TOKENS);
    /** Decode and sample up to this many more tokens. */
    public static final Ecall<Integer, Tokens> NEXT = Ecall.of(211, "generate-next", Codec.INT, TOKENS);
    /** Timings measured inside (nanoseconds). */
    public static final Ecall<Void, Generator.Stats> STATS_CALL = Ecall.of(212, "generate-stats", Codec.NONE, STATS);
}
