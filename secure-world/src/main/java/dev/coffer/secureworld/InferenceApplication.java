package dev.coffer.secureworld;

import dev.coffer.inference.Generation;
import dev.coffer.inference.chat.ChatTemplate;
import dev.coffer.inference.Generator;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.model.LlamaModel;
import dev.coffer.inference.model.Session;
import dev.coffer.inference.sampling.Sampler;
import dev.coffer.inference.tensor.GgufTensorSource;
import dev.coffer.inference.tokenizer.Tokenizer;
import dev.coffer.inference.tensor.TensorSource;
import dev.coffer.pack.AesGcm;
import dev.coffer.pack.ChunkCipher;
import dev.coffer.pack.Credential;
import dev.coffer.pack.DataKey;
import dev.coffer.pack.PackHeader;
import dev.coffer.pack.PackManifest;
import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.pack.RestorePlan;
import dev.coffer.attestation.EvidenceClaims;
import dev.coffer.secureworld.serving.ServingCalls;
import dev.coffer.secureworld.serving.ServingEngine;
import dev.coffer.attestation.Nonce;
import dev.coffer.attestation.TeeType;
import dev.coffer.inference.Engine;
import dev.coffer.tee.Digest;
import dev.coffer.secureworld.InferenceCalls.Chunk;
import dev.coffer.secureworld.InferenceCalls.PackModel;
import dev.coffer.secureworld.InferenceCalls.PackOpen;
import dev.coffer.secureworld.InferenceCalls.PackOpened;
import dev.coffer.secureworld.InferenceCalls.RestoreStatus;
import dev.coffer.secureworld.InferenceCalls.SharedModel;
import dev.coffer.tee.channel.StagingRing;
import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.synth.ModelShape;
import dev.coffer.inference.synth.SyntheticLlama;
import dev.coffer.inference.tensor.BufferAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;
import dev.coffer.secureworld.InferenceCalls.ModelSummary;
import dev.coffer.secureworld.InferenceCalls.Start;
import dev.coffer.secureworld.InferenceCalls.Tokens;
import dev.coffer.tee.MalformedMessageException;
import dev.coffer.tee.enclave.EcallTable;
import dev.coffer.tee.enclave.EnclaveApplication;
import dev.coffer.tee.enclave.EnclaveContext;
import dev.coffer.tee.memory.SecretRegion;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;

/**
 * The enclave application: holds the model image, the model, the KV cache and the current generation, all in
 * secret memory, and serves the data-plane calls of {@link InferenceCalls}. An encrypted pack streams in through the
 * staging ring and is restored while the model already runs ({@link PackRestoration}); a plaintext model image can
 * still be copied in through the staging buffer (the development path).
 */
public final class InferenceApplication implements EnclaveApplication {
    private EnclaveContext context;
    private Parallel pool;
    private SecretRegion image;
    private GgufFile gguf;
    private PackHeader pack;
    private PackRestoration restoration;
    private SecretRegion[] slots = new SecretRegion[0];
    private int populateThreads;
    private long populateNanos;
    private SecretBufferAllocator buffers;
    private Session session;
    private LlamaModel model;
    private int contextLength;
    private dev.coffer.secureworld.serving.ServingEngine serving;
    private Tokenizer tokenizer;
    private Generation generation;
    private BackwardPopulater populater;
    /** Made here at start and never exported: prompts and released pack keys are sealed to its public half. */
    private RecipientPrivateKey enclaveKey;
    /** The pack evidence claims as served: the one open now, kept over an elastic release (the next request restores
     *  it again); cleared by anything else that replaces the model. */
    private PackHeader claimedPack;
    /** A pack checked before its key is fetched from a key broker (claimed only while no model is loaded). */
    private PackHeader preparedPack;

    @Override
    public void initialize(EnclaveContext context) {
        this.context = context;
        this.pool = new Parallel(context.threads());
        // Load the AEAD provider now: Conscrypt extracts its native library to a file, which the allowlist forbids later.
        AesGcm.providerName();
        this.enclaveKey = RecipientPrivateKey.generate();
        claims(new byte[8], new byte[0]); // loads the JSON classes before the sandbox closes
        ServingEngine.warmUp(enclaveKey);
    }

    @Override
    public EcallTable ecalls() {
        return EcallTable.builder()
                .on(InferenceCalls.LOAD_BEGIN, this::loadBegin)
                .on(InferenceCalls.LOAD_CHUNK, this::loadChunk)
                .on(InferenceCalls.LOAD_END, this::loadEnd)
                .on(InferenceCalls.LOAD_SHARED, this::loadShared)
                .on(InferenceCalls.PACK_PREPARE, this::packPrepare)
                .on(InferenceCalls.PACK_OPEN, this::packOpen)
                .on(InferenceCalls.PACK_MODEL, this::packModel)
                .on(InferenceCalls.RESTORE_STATUS_CALL, v -> restoreStatus())
                .on(InferenceCalls.RELEASE, v -> release())
                .on(InferenceCalls.WARM_UP, this::warmUp)
                .on(InferenceCalls.START, this::start)
                .on(InferenceCalls.NEXT, this::next)
                .on(InferenceCalls.STATS_CALL, v -> stats())
                .on(ServingCalls.SERVE_CONFIGURE, this::serveConfigure)
                .on(ServingCalls.SERVE_ADMIT, a -> serving().admit(a))
                .on(ServingCalls.SERVE_STEP, ids -> serving().step(ids))
                .on(ServingCalls.SERVE_CANCEL, id -> {
                    serving().cancel(id);
                    return null;
                })
                .build();
    }

    private Void loadBegin(long bytes) {
        unload();
        if (bytes <= 0) throw new MalformedMessageException("model size must be > 0: " + bytes);
        image = context.secretMemory().allocate(bytes, "model image");
        populater = new BackwardPopulater(image);
        return null;
    }

    private Void loadChunk(Chunk chunk) {
        // Only into a plaintext image being loaded: never over a restored pack's weights.
        if (image == null || pack != null || populater == null) throw new IllegalStateException("load-chunk before load-begin");
        MemorySegment target = image.segment();
        MemorySegment staging = context.staging();
        if (chunk.length() > staging.byteSize() || chunk.offset() < 0
                || chunk.offset() > target.byteSize() - chunk.length()) {
            throw new MalformedMessageException("chunk [" + chunk.offset() + ", +" + chunk.length()
                    + ") is outside the model image or the staging buffer");
        }
        MemorySegment.copy(staging, 0, target, chunk.offset(), chunk.length());
        if (populater != null) populater.copiedUpTo(chunk.offset() + chunk.length());
        return null;
    }

    private ModelSummary loadEnd(int contextLength) {
        if (image == null || pack != null || populater == null) throw new IllegalStateException("load-end before load-begin");
        populater.stop();
        gguf = GgufFile.parse("model", image.segment());
        return build(new GgufTensorSource(gguf), contextLength, gguf.segment().byteSize());
    }

    /** The benchmark's plaintext baseline: weights read in place from staging (chunk offset 0, length = model bytes). */
    private ModelSummary loadShared(SharedModel model) {
        unload();
        MemorySegment staging = context.staging();
        if (model.bytes() <= 0 || model.bytes() > staging.byteSize()) {
            throw new MalformedMessageException("a shared model of " + model.bytes() + " bytes does not fit the staging buffer");
        }
        gguf = GgufFile.parse("model", staging.asSlice(0, model.bytes()));
        return build(new GgufTensorSource(gguf), model.contextLength(), model.bytes());
    }

    /**
     * The evidence claims (docs/attestation.md): this secure world's identity as its platform set it up, the pack it
     * serves (or is about to open), its enclave key, the TLS key hash the host asked to bind (32 bytes, or none),
     * and the engine. The clock is the host kernel's: verifiers allow for skew and judge age themselves.
     */
    @Override
    public byte[] claims(byte[] nonce, byte[] hostData) {
        if (hostData.length != 0 && hostData.length != Digest.BYTES) {
            throw new MalformedMessageException("host data is a 32-byte TLS key hash or nothing, not " + hostData.length + " bytes");
        }
        java.time.Instant now = java.time.Instant.now();
        PackHeader claimed = claimedPack != null ? claimedPack : preparedPack;
        Optional<EvidenceClaims.PackClaim> packClaim = claimed == null ? Optional.empty() : Optional.of(
                new EvidenceClaims.PackClaim(claimed.digest(), claimed.manifest().owner().id(), claimed.manifest().version()));
        TeeType tee = TeeType.find(context.teeType()).orElseThrow(() ->
                new IllegalStateException("unknown TEE type " + context.teeType()));
        return new EvidenceClaims(Nonce.of(nonce), now, now.plusSeconds(EvidenceClaims.LIFETIME_SECONDS), tee,
                context.debug(), context.identity().measurement(), context.identity().securityVersion(),
                context.secretMemory().mode().claim(), packClaim, Optional.of(enclaveKey.publicKey()),
                hostData.length == 0 ? Optional.empty() : Optional.of(Digest.of(hostData)),
                new EvidenceClaims.Engine(Engine.NAME, Engine.version(), Engine.NUMERICS)).toJson();
    }

    private PackOpened packPrepare(InferenceCalls.PackPrepare request) {
        if (model != null || pack != null) {
            throw new IllegalStateException("a model is loaded: pack-prepare comes before pack-open, not while serving");
        }
        PackHeader header = PackHeader.parse(request.header()).requireVersion(request.minVersion());
        preparedPack = header;
        PackManifest m = header.manifest();
        return new PackOpened(header.digest().hex(), m.model().name(), m.chunks().size(), m.plaintextSize());
    }

    /** A recipient key or passphrase from the host, or (kind 3) a key broker's release to this enclave key. */
    private Credential credential(PackOpen open) {
        return open.credentialKind() == 3 ? Credential.released(open.credential(), enclaveKey)
                : Credential.importSecret(open.credentialKind(), open.credential());
    }

    /**
     * Checks the pack header (signature, version), unwraps the data key with the recipient key, reserves secret memory
     * for the weights as the restore plan says (resident chunks, and slots for streamed layers), and starts restoring
     * from the staging ring. The key's bytes are wiped as soon as the data key is out.
     */
    private PackOpened packOpen(PackOpen open) {
        unload();
        PackHeader header = PackHeader.parse(open.header()).requireVersion(open.minVersion());
        PackManifest m = header.manifest();
        RestorePlan plan;
        try {
            plan = new RestorePlan(m, open.streamedLayers(), open.layerSlots());
        } catch (IllegalArgumentException e) {
            throw new MalformedMessageException(e.getMessage());
        }
        if (open.slotBytes() < m.maxChunkBytes() + AesGcm.TAG_BYTES) {
            throw new MalformedMessageException("staging slots of " + open.slotBytes() + " bytes cannot hold the largest chunk");
        }
        ChunkCipher cipher;
        try (Credential credential = credential(open);
             DataKey dataKey = header.unwrap(credential)) {
            cipher = new ChunkCipher(dataKey, m);
        }
        try {
            image = context.secretMemory().allocate(plan.residentBytes(), "model weights");
            slots = new SecretRegion[plan.slots()];
            for (int i = 0; i < slots.length; i++) slots[i] = context.secretMemory().allocate(plan.slotBytes(), "layer slot");
        } catch (RuntimeException e) {
            cipher.close();
            unload();
            throw e;
        }
        populateThreads = Math.min(open.populateThreads(), context.threads());
        long t0 = System.nanoTime();
        if (populateThreads > 0) {
            image.populate(populateThreads);
            for (SecretRegion slot : slots) slot.populate(populateThreads);
        }
        populateNanos = System.nanoTime() - t0;
        pack = header;
        claimedPack = header;
        try {
            restoration = new PackRestoration(plan, cipher, image, slots,
                    new StagingRing(context.staging(), open.slots(), open.slotBytes()));
        } catch (RuntimeException e) {
            cipher.close();
            unload();
            throw e;
        }
        return new PackOpened(header.digest().hex(), m.model().name(), m.chunks().size(), m.plaintextSize());
    }

    /** Parses the GGUF header as soon as its chunks are in, and builds the model over the restoring weights. */
    private ModelSummary packModel(PackModel request) {
        if (restoration == null) throw new IllegalStateException("pack-model before pack-open");
        PackManifest m = pack.manifest();
        restoration.awaitChunk(m.headerChunks() - 1);
        if (request.waitForAll()) {
            if (restoration.plan().streamedLayers() > 0) {
                throw new MalformedMessageException("the strawman (restore everything first) needs every layer resident");
            }
            restoration.awaitAll();
        }
        gguf = GgufFile.parseHeader("model", image.segment().asSlice(0, m.headerBytes()), m.plaintextSize());
        return build(new RestoringTensorSource(gguf, restoration), request.contextLength(), m.plaintextSize());
    }

    /** The kernels' hot loops compiled before the first request (see {@link InferenceCalls#WARM_UP}). */
    private Long warmUp(int rounds) {
        if (rounds < 1 || rounds > 100) throw new MalformedMessageException("warm-up rounds must be 1..100: " + rounds);
        long t0 = System.nanoTime();
        int[] prompt = new int[48];
        for (int i = 0; i < prompt.length; i++) prompt[i] = 1 + (i * 37) % 250;
        for (GgmlType type : List.of(GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16)) {
            try (Arena arena = Arena.ofShared()) { // the pool's workers read it too
                byte[] bytes = SyntheticLlama.toBytes(new SyntheticLlama.Spec(ModelShape.DEMO, type, 1, Optional.empty()), 1);
                MemorySegment image = arena.allocate(bytes.length, 64);
                MemorySegment.copy(bytes, 0, image, ValueLayout.JAVA_BYTE, 0, bytes.length);
                GgufFile g = GgufFile.parse("warm-up", image);
                Session s = LlamaModel.load(g, new GgufTensorSource(g)).newSession(BufferAllocator.of(arena), pool, 128);
                for (int r = 0; r < rounds; r++) {
                    s.reset();
                    s.prefill(prompt);
                    for (int t = 0; t < 16; t++) s.decode(1 + t);
                }
            } catch (java.io.IOException e) {
                throw new IllegalStateException("warm-up model: " + e.getMessage(), e);
            }
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private Long release() {
        PackHeader served = claimedPack;
        unload();
        claimedPack = served; // the idle secure world still serves this pack: the next request restores it again
        return context.secretMemory().used();
    }

    private RestoreStatus restoreStatus() {
        if (restoration == null) throw new IllegalStateException("no pack is open");
        return new RestoreStatus(restoration.restoredChunks(), pack.manifest().chunks().size(), restoration.restoreNanos(),
                restoration.computeWaitNanos(), populateThreads > 0 ? populateNanos : 0, populateThreads);
    }

    private ModelSummary build(TensorSource weights, int contextLength, long modelBytes) {
        if (contextLength < 0) throw new MalformedMessageException("context length must be >= 0");
        model = LlamaModel.load(gguf, weights);
        tokenizer = Tokenizer.fromGguf(gguf);
        int ctx = contextLength == 0 ? model.config().contextLength() : Math.min(contextLength, model.config().contextLength());
        this.contextLength = ctx;
        buffers = new SecretBufferAllocator(context.secretMemory());
        session = model.newSession(buffers, pool, ctx);
        buffers.populate(context.threads());
        return new ModelSummary(gguf.findString("general.name").orElse("model"),
                gguf.findString("general.architecture").orElse("?"), ctx, tokenizer.vocabSize(), modelBytes);
    }

    private Tokens start(Start s) {
        if (session == null) throw new IllegalStateException("no model is loaded");
        session.reset();
        generation = new Generator(tokenizer, session, new Sampler(s.sampling())).start(s.prompt(), s.maxTokens(), s.ignoreEos());
        return next(1);
    }

    private Tokens next(int max) {
        if (generation == null) throw new IllegalStateException("no generation was started");
        if (max <= 0 || max > 4096) throw new MalformedMessageException("tokens per call must be 1..4096: " + max);
        int[] ids = new int[max];
        int n = 0;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        while (n < max) {
            int token = generation.next();
            if (token == Generation.END) break;
            ids[n++] = token;
            bytes.writeBytes(generation.bytesOf(token));
        }
        return new Tokens(java.util.Arrays.copyOf(ids, n), bytes.toByteArray(), generation.ended());
    }

    private Generator.Stats stats() {
        if (generation == null) throw new IllegalStateException("no generation was started");
        return generation.stats();
    }

    /**
     * Faults in the model image's secret pages from the end backwards while the host's chunks are copied in from the
     * front: populating secret memory costs seconds of kernel time per GiB (no MAP_POPULATE for memfd_secret), and
     * this puts the second core on it. The two meet in the middle without touching the same pages.
     */
    private static final class BackwardPopulater {
        private static final long STEP = 8L << 20;
        private final SecretRegion region;
        private final Thread thread;
        private volatile boolean stopped;
        private volatile long copied;

        BackwardPopulater(SecretRegion region) {
            this.region = region;
            this.thread = Thread.ofPlatform().daemon().name("populate-model-image").start(this::run);
        }

        private void run() {
            long size = region.segment().byteSize();
            // Stop where the copy has got to: from there on it faults its own pages.
            for (long end = size; !stopped && end > copied + STEP; end -= STEP) {
                long start = Math.max(copied, end - STEP);
                region.populate(start, end - start);
            }
        }

        void copiedUpTo(long offset) {
            copied = offset;
        }

        void stop() {
            stopped = true;
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Serving slots over the loaded model; each gets its own session (KV cache in secret memory) on first use. */
    private String serveConfigure(int slots) {
        if (model == null) throw new IllegalStateException("no model is loaded");
        String name = gguf.findString("general.name").orElse("model");
        ChatTemplate template = ChatTemplate.detect(gguf.findString("tokenizer.chat_template"));
        serving = new ServingEngine(tokenizer, () -> model.newSession(buffers, pool, contextLength),
                messages -> template.render(messages, true), name, enclaveKey, slots);
        return name;
    }

    private ServingEngine serving() {
        if (serving == null) throw new IllegalStateException("serving is not configured (serve-configure after a model is loaded)");
        return serving;
    }

    private void unload() {
        if (populater != null) populater.stop();
        populater = null;
        claimedPack = null;
        preparedPack = null;
        if (restoration != null) restoration.close();
        restoration = null;
        pack = null;
        generation = null;
        serving = null;
        model = null;
        session = null;
        tokenizer = null;
        if (buffers != null) buffers.close();
        buffers = null;
        gguf = null;
        if (image != null) image.close();
        image = null;
        for (SecretRegion slot : slots) if (slot != null) slot.close();
        slots = new SecretRegion[0];
    }

    @Override
    public void terminate() {
        unload();
        pool.close();
        if (enclaveKey != null) enclaveKey.close();
    }
}
