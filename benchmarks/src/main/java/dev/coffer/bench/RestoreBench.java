package dev.coffer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.host.tee.ElasticPack;
import dev.coffer.host.tee.EnclaveModelRunner;
import dev.coffer.host.tee.SecureWorldImages;
import dev.coffer.inference.sampling.SamplerConfig;
import dev.coffer.pack.AesGcm;
import dev.coffer.pack.ChunkCipher;
import dev.coffer.pack.Credential;
import dev.coffer.pack.DataKey;
import dev.coffer.pack.KeyFiles;
import dev.coffer.pack.OwnerSigningKey;
import dev.coffer.pack.PackFile;
import dev.coffer.pack.PackWriter;
import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.pack.RestorePlan;
import dev.coffer.secureworld.InferenceCalls;
import dev.coffer.tee.Backend;
import dev.coffer.tee.Enclave;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import dev.coffer.tee.channel.StagingRing;
import dev.coffer.tee.memory.MemoryPolicy;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code coffer bench restore}: cold time to first token, three ways on the same model, each in a fresh isolated
 * secure world holding no secret memory yet: {@code plain} (the plaintext model read in place from memory the host
 * shares: no restoration at all, TZ-LLM's plaintext-mmap baseline), {@code strawman} (restore the whole pack into
 * secret memory, then compute) and {@code pipelined} (compute starts as soon as the header is in and waits per
 * tensor). Two ways to share the cores: {@code dedicated} (compute on cores - 1 threads, restoration on its own) and
 * {@code shared} (compute on every core, restoration beside it). Also the parts of restoration's cost, each in
 * GiB/s: secret-memory population and AES-GCM.
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Cold time to first token for a pack: plaintext baseline, strawman (restore all, then compute)",
            "and pipelined restoration, per prompt length, with restoration on a dedicated core or sharing all cores."})
final class RestoreBench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", paramLabel = "M", description = "model (default ${DEFAULT-VALUE}: synthetic TinyLlama-1.1B shape)")
    String model = "q4_0";

    @Option(names = "--prompts", split = ",", paramLabel = "N[,N...]", description = "prompt lengths in tokens (default 16,64,256,512)")
    List<Integer> prompts = List.of(16, 64, 256, 512);

    @Option(names = "--modes", split = ",", paramLabel = "M[,M...]", description = "dedicated, shared (default both)")
    List<String> modes = List.of("dedicated", "shared");

    @Option(names = "--memory", paramLabel = "memfd_secret|mlock",
            description = "secret memory for the secure worlds (default ${DEFAULT-VALUE}; mlock populates far faster)")
    String memory = "memfd_secret";

    @Option(names = "--warm-up", paramLabel = "N",
            description = "JIT warm-up rounds in each fresh secure world before the clock starts; 0 = cold JIT (default ${DEFAULT-VALUE})")
    int warmUp = 3;

    @Option(names = "--prefetch", paramLabel = "N", description = "staging slots ahead of restoration (default ${DEFAULT-VALUE})")
    int prefetch = 4;

    @Option(names = "--json", description = "one JSON object per line instead of a table")
    boolean json;

    @Option(names = "--budgets", split = ",", paramLabel = "P[,P...]",
            description = "weight budgets in percent for the decode figures (default 100,50,25; none to skip)")
    List<String> budgets = List.of("100", "50", "25");

    @Option(names = "--decode-tokens", paramLabel = "N", description = "tokens timed per decode figure (default ${DEFAULT-VALUE})")
    int decodeTokens = 32;

    @Option(names = "--no-overlap",
            description = "skip the variant that populates secret pages while decrypting, overlapping compute")
    boolean noOverlap;

    @Option(names = "--image", paramLabel = "JAR",
            description = "secure-world image jar (default: secure-world/target/coffer-secure-world.jar)")
    Path image;

    /** One cold start: seconds to the first token, and what the secure world says of its restoration. */
    record Cold(double ttftSeconds, int promptTokens, double restoreSeconds, double computeWaitSeconds, double cpuSeconds,
                double decryptSeconds) {}

    private long modelBytes;
    private double bestAeadBytesPerSecond;

    @Override
    public Integer call() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        if (cores < 2 && modes.contains("dedicated")) throw new IllegalArgumentException("'dedicated' needs 2+ cores");
        BenchModel m = BenchModel.resolve(model);
        Path keys = BenchHome.cache().resolve("bench-pack-keys");
        Path pack = packFor(m, keys);
        EnclaveImage img = SecureWorldImages.load(image != null ? image : SecureWorldImages.defaultJar(BenchHome.path()));
        PrintStream out = System.out;
        long bytes = Files.size(m.path());
        double aeadGibS = aeadGibPerSecond(pack, keys);
        modelBytes = bytes;
        try {
            bestAeadBytesPerSecond = AeadBench.bestBytesPerSecond(4 << 20, 1.0);
        } catch (Exception e) {
            throw new IllegalStateException("AES-GCM reference measurement failed: " + e.getMessage(), e);
        }
        var population = PopulationBench.measure(Math.min(bytes, 512L << 20));
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("bench", "restore-parts");
            o.put("model", m.name());
            o.put("aead_provider", AesGcm.providerName());
            o.put("aead_gib_s", round(aeadGibS));
            o.put("population_gib_s_serial", round(population.secret1()));
            o.put("population_gib_s_parallel", round(population.secret2()));
            out.println(JSON.writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "%s, %.0f MiB: AES-GCM (%s, 1 core) %.2f GiB/s, secret-memory population %.2f GiB/s (1 "
                            + "thread) %.2f GiB/s (%d threads)%n", m.name(), bytes / 1048576.0, AesGcm.providerName(), aeadGibS,
                    population.secret1(), population.secret2(), 2);
            out.printf("%-9s %-26s %6s | %9s %9s %9s | %8s %9s | %9s %8s%n", "mode", "variant", "prompt", "plain s", "strawman", "pipelined",
                    "hidden", "pipe/plain", "bound s", "restore s");
        }
        for (String mode : modes) {
            int computeThreads = mode.equals("dedicated") ? cores - 1 : cores;
            for (int p : prompts) {
                String prompt = TeeBench.prompt(m.path(), p);
                int context = p + 8;
                Cold plain = plain(img, m.path(), computeThreads, prompt, context);
                // Population first with the restoration's threads (dedicated: its one core; shared: all), then
                // decryption beside compute; strawman and pipelined populate the same way.
                int populate = mode.equals("dedicated") ? 1 : cores;
                Cold straw = packed(img, pack, keys, computeThreads, prompt, context, true, populate);
                Cold pipe = packed(img, pack, keys, computeThreads, prompt, context, false, populate);
                report(out, m, mode, "populate-first", plain, straw, pipe, cores);
                if (!noOverlap) {
                    // The other schedule: decryption faults the pages in itself, overlapping compute.
                    Cold strawOverlap = packed(img, pack, keys, computeThreads, prompt, context, true, 0);
                    Cold pipeOverlap = packed(img, pack, keys, computeThreads, prompt, context, false, 0);
                    report(out, m, mode, "populate-while-decrypting", plain, strawOverlap, pipeOverlap, cores);
                }
            }
        }
        decodeUnderBudgets(out, img, pack, keys, m, cores, aeadGibS);
        elastic(out, img, pack, keys, m, cores);
        return 0;
    }

    /**
     * Elastic release: one secure world serves a request (restoring the pack), releases all of its secret memory as
     * after an idle timeout, and serves the next request, which restores again. That second time to first token is
     * the cold start elasticity costs (JIT warm, secure world running, no secret memory).
     */
    private void elastic(PrintStream out, EnclaveImage img, Path pack, Path keys, BenchModel m, int cores) throws IOException {
        String prompt = TeeBench.prompt(m.path(), 16);
        try (PackFile p = PackFile.open(pack);
             Enclave enclave = Enclave.create(img, settings(cores, p.manifest().plaintextSize() + (1L << 30),
                     ringBytes(p)));
             ElasticPack elastic = new ElasticPack(enclave, p, RestorePlan.resident(p.manifest()),
                     () -> Credential.of(KeyFiles.readRecipientKey(keys.resolve("recipient.key"))), 64, prefetch, cores,
                     Duration.ofHours(1))) {
            InferenceCalls.Start one = new InferenceCalls.Start(prompt, 1, true, SamplerConfig.greedy());
            elastic.generate(one, b -> true);
            long t0 = System.nanoTime();
            elastic.generate(one, b -> true);
            double warm = (System.nanoTime() - t0) / 1e9;
            long left = elastic.release();
            t0 = System.nanoTime();
            elastic.generate(one, b -> true);
            double cold = (System.nanoTime() - t0) / 1e9;
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("bench", "restore-elastic");
                o.put("model", m.name());
                o.put("prompt_tokens", 16);
                o.put("ttft_resident_s", round(warm));
                o.put("ttft_after_release_s", round(cold));
                o.put("secret_bytes_after_release", left);
                out.println(JSON.writeValueAsString(o));
            } else {
                out.printf(Locale.ROOT, "%nelastic release: first token %.2f s with the model resident, %.2f s after a release "
                        + "(%d bytes of secret memory were left in use)%n", warm, cold, left);
            }
        }
    }

    /**
     * Decode speed with the weights under a budget (the last layers streamed: restored again every step), all cores
     * computing, next to the bound set by re-restoring the streamed bytes every step at the measured AES-GCM speed
     * on top of the all-resident compute: 1 / (1/resident + streamed/(aead x cores)).
     */
    private void decodeUnderBudgets(PrintStream out, EnclaveImage img, Path pack, Path keys, BenchModel m, int cores,
                                    double aeadGibS) throws IOException {
        if (budgets.isEmpty() || budgets.getFirst().equals("none")) return;
        String prompt = TeeBench.prompt(m.path(), 16);
        if (!json) out.printf("%n%-7s %8s %12s %12s %10s %10s%n", "budget", "streamed", "MiB/step", "decode tok/s",
                "bound", "of bound");
        double resident = 0;
        for (String b : budgets) {
            double pct = Double.parseDouble(b.replace("%", ""));
            try (PackFile p = PackFile.open(pack)) {
                RestorePlan plan = RestorePlan.forShare(p.manifest(), pct);
                double tokS = decode(img, p, plan, keys, cores, prompt);
                if (plan.streamedLayers() == 0) resident = tokS;
                double perStep = plan.streamedBytesPerStep() / (double) (1L << 30) / (aeadGibS * cores);
                double bound = resident > 0 ? 1 / (1 / resident + perStep) : Double.NaN;
                if (json) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("bench", "restore-decode");
                    o.put("model", m.name());
                    o.put("budget_pct", pct);
                    o.put("streamed_layers", plan.streamedLayers());
                    o.put("streamed_mib_per_step", round(plan.streamedBytesPerStep() / 1048576.0));
                    o.put("decode_tok_s", round(tokS));
                    o.put("decode_bound_tok_s", round(bound));
                    o.put("share_of_bound", round(tokS / bound));
                    out.println(JSON.writeValueAsString(o));
                } else {
                    out.printf(Locale.ROOT, "%6.0f%% %5d/%-2d %12.1f %12.2f %10.2f %9.0f%%%n", pct, plan.streamedLayers(),
                            plan.layers(), plan.streamedBytesPerStep() / 1048576.0, tokS, bound, 100 * tokS / bound);
                }
            }
        }
    }

    /** Decode tok/s in a fresh secure world under {@code plan}, after a warm-up generation. */
    private double decode(EnclaveImage img, PackFile p, RestorePlan plan, Path keys, int threads, String prompt)
            throws IOException {
        try (Enclave enclave = Enclave.create(img, settings(threads, plan.weightBytes() + (1L << 30),
                     ringBytes(p)));
             RecipientPrivateKey key = KeyFiles.readRecipientKey(keys.resolve("recipient.key"))) {
            EnclaveModelRunner runner = new EnclaveModelRunner(enclave);
            try (EnclaveModelRunner.PackFeed feed = runner.loadPack(p, plan, Credential.of(key), 0, 16 + 2 * decodeTokens + 16, false,
                    prefetch, threads, n -> { })) {
                InferenceCalls.Start warm = new InferenceCalls.Start(prompt, decodeTokens, true, SamplerConfig.greedy());
                runner.generate(warm, bytes -> true);
                return runner.generate(warm, bytes -> true).decodeTokensPerSecond();
            }
        }
    }

    private void report(PrintStream out, BenchModel m, String mode, String variant, Cold plain, Cold straw, Cold pipe, int cores)
            throws IOException {
        double hidden = (straw.ttftSeconds() - pipe.ttftSeconds()) / (straw.ttftSeconds() - plain.ttftSeconds());
        // Restoration's CPU time, measured alone in the strawman (population threads and the restoring thread).
        double bound = plain.ttftSeconds() + straw.cpuSeconds() / cores;
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("bench", "restore");
            o.put("model", m.name());
            o.put("mode", mode);
            o.put("variant", variant);
            o.put("memory", memory);
            o.put("prompt_tokens", pipe.promptTokens());
            o.put("ttft_plain_s", round(plain.ttftSeconds()));
            o.put("ttft_strawman_s", round(straw.ttftSeconds()));
            o.put("ttft_pipelined_s", round(pipe.ttftSeconds()));
            o.put("hidden_share", round(hidden));
            if (mode.equals("shared")) o.put("ttft_bound_s", round(bound));
            o.put("restore_s", round(straw.restoreSeconds()));
            // the strawman's pass over the chunks (ring, private copy, AES-GCM), against Conscrypt's best on 4 MiB
            double restoreBytesPerSecond = straw.decryptSeconds() > 0 ? modelBytes / straw.decryptSeconds() : 0;
            o.put("restoration_mb_s", round(restoreBytesPerSecond / 1e6));
            o.put("restoration_fraction_of_best_aead", round(restoreBytesPerSecond / bestAeadBytesPerSecond));
            o.put("restore_cpu_s", round(straw.cpuSeconds()));
            o.put("pipelined_restore_s", round(pipe.restoreSeconds()));
            o.put("pipelined_compute_wait_s", round(pipe.computeWaitSeconds()));
            out.println(JSON.writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "%-9s %-26s %6d | %9.2f %9.2f %9.2f | %7.0f%% %9.2fx | %9s %8.2f%n", mode, variant, pipe.promptTokens(),
                    plain.ttftSeconds(), straw.ttftSeconds(), pipe.ttftSeconds(), 100 * hidden,
                    pipe.ttftSeconds() / plain.ttftSeconds(), mode.equals("shared") ? String.format(Locale.ROOT, "%.2f", bound) : "-",
                    straw.restoreSeconds());
        }
    }

    private static double round(double v) { return Math.round(v * 1000) / 1000.0; }

    private EnclaveSettings settings(int threads, long secureMemory, long staging) throws IOException {
        // The bench must not touch the operator's platform key: a throwaway state directory per secure world.
        Path state = Files.createTempDirectory("coffer-bench-restore-");
        MemoryPolicy policy = switch (memory) {
            case "memfd_secret" -> MemoryPolicy.MEMFD_SECRET;
            case "mlock" -> MemoryPolicy.MLOCK;
            default -> throw new IllegalArgumentException("--memory must be memfd_secret or mlock: " + memory);
        };
        return EnclaveSettings.defaults(Backend.ISOLATED, state).withThreads(threads).withSecureMemory(secureMemory)
                .withStaging(Math.toIntExact(staging)).withMemoryPolicy(policy);
    }

    private Cold plain(EnclaveImage img, Path model, int threads, String prompt, int context) throws IOException {
        long bytes = Files.size(model);
        try (Enclave enclave = Enclave.create(img, settings(threads, 1L << 30, (bytes + 4095) & ~4095L))) {
            EnclaveModelRunner runner = new EnclaveModelRunner(enclave);
            runner.stageShared(model); // host-side copy, not timed: the baseline's weights are already in memory
            warm(enclave);
            long t0 = System.nanoTime();
            runner.serveShared(bytes, context);
            InferenceCalls.Tokens first = enclave.call(InferenceCalls.START, start(prompt));
            double ttft = (System.nanoTime() - t0) / 1e9;
            return new Cold(ttft, promptTokens(enclave), 0, 0, 0, 0);
        }
    }

    private Cold packed(EnclaveImage img, Path pack, Path keys, int threads, String prompt, int context, boolean strawman,
                        int populateThreads) throws IOException {
        try (PackFile p = PackFile.open(pack);
             Enclave enclave = Enclave.create(img, settings(threads, p.manifest().plaintextSize() + (1L << 30),
                     ringBytes(p)));
             RecipientPrivateKey key = KeyFiles.readRecipientKey(keys.resolve("recipient.key"))) {
            EnclaveModelRunner runner = new EnclaveModelRunner(enclave);
            warm(enclave);
            long t0 = System.nanoTime();
            try (EnclaveModelRunner.PackFeed feed = runner.loadPack(p, RestorePlan.resident(p.manifest()), Credential.of(key), 0, context, strawman,
                    prefetch, populateThreads, n -> { })) {
                enclave.call(InferenceCalls.START, start(prompt));
                double ttft = (System.nanoTime() - t0) / 1e9;
                feed.close();
                InferenceCalls.RestoreStatus s = runner.restoreStatus();
                while (s.restoreNanos() < 0) { // pipelined: the last layers may still be arriving after the first token
                    Thread.onSpinWait();
                    s = runner.restoreStatus();
                }
                return new Cold(ttft, promptTokens(enclave), (s.populateNanos() + s.restoreNanos()) / 1e9,
                        s.computeWaitNanos() / 1e9, s.cpuSeconds(), s.restoreNanos() / 1e9);
            }
        }
    }

    /** Staging for a ring of {@link #prefetch} slots of the pack's largest chunk. */
    private long ringBytes(PackFile p) {
        return StagingRing.bytesNeeded(prefetch, p.maxChunkBytes() + AesGcm.TAG_BYTES);
    }

    /** Compiles the kernels in the fresh secure world, untimed, so that TTFT measures restoration, not the JIT. */
    private void warm(Enclave enclave) {
        if (warmUp > 0) enclave.call(InferenceCalls.WARM_UP, warmUp);
    }

    private static InferenceCalls.Start start(String prompt) {
        return new InferenceCalls.Start(prompt, 1, true, SamplerConfig.greedy());
    }

    private static int promptTokens(Enclave enclave) {
        return enclave.call(InferenceCalls.STATS_CALL, null).promptTokens();
    }

    /** The bench's pack of {@code m}, made once (and again when the model is newer) with keys of its own. */
    private static Path packFor(BenchModel m, Path keys) throws IOException {
        if (!Files.exists(keys.resolve("recipient.key"))) {
            Files.createDirectories(keys);
            try (OwnerSigningKey owner = OwnerSigningKey.generate(); RecipientPrivateKey r = RecipientPrivateKey.generate()) {
                KeyFiles.writeOwnerKey(keys.resolve("owner.key"), owner);
                KeyFiles.writeRecipientKey(keys.resolve("recipient.key"), r);
                KeyFiles.writeRecipientPublicKey(keys.resolve("recipient.pub"), r.publicKey());
            }
        }
        Path pack = m.path().resolveSibling(m.path().getFileName().toString().replaceAll("\\.gguf$", "") + ".cpack");
        boolean stale = Files.exists(pack) && (Files.getLastModifiedTime(pack).compareTo(Files.getLastModifiedTime(m.path())) < 0
                || Files.getLastModifiedTime(pack).compareTo(Files.getLastModifiedTime(keys.resolve("recipient.key"))) < 0);
        if (stale) Files.delete(pack);
        if (!Files.exists(pack)) {
            System.err.println("coffer bench: encrypting " + m.path() + " into " + pack + " ...");
            try (OwnerSigningKey owner = KeyFiles.readOwnerKey(keys.resolve("owner.key"))) {
                PackWriter.encrypt(m.path(), pack, owner, PackWriter.Options.forRecipients(
                        List.of(KeyFiles.readRecipientPublicKey(keys.resolve("recipient.pub")))), n -> { });
            }
        }
        return pack;
    }

    /** AES-GCM over the pack's chunks on one core, as restoration runs it (direct buffers), warm. */
    private static double aeadGibPerSecond(Path pack, Path keys) throws IOException {
        try (PackFile p = PackFile.open(pack); Arena arena = Arena.ofConfined();
             DataKey key = p.header().unwrap(Credential.of(KeyFiles.readRecipientKey(keys.resolve("recipient.key"))));
             ChunkCipher cipher = new ChunkCipher(key, p.manifest())) {
            MemorySegment ct = arena.allocate(p.maxChunkBytes() + AesGcm.TAG_BYTES, 64);
            MemorySegment pt = arena.allocate(p.maxChunkBytes(), 64);
            long bytes = 0;
            long t0 = 0;
            for (int round = 0; round < 2; round++) { // the first round warms up
                if (round == 1) t0 = System.nanoTime();
                for (int i = 0; i < p.manifest().chunks().size(); i++) {
                    MemorySegment src = p.ciphertext(i);
                    MemorySegment.copy(src, 0, ct, 0, src.byteSize());
                    ByteBuffer in = ct.asSlice(0, src.byteSize()).asByteBuffer();
                    cipher.open(i, in, pt.asSlice(0, p.manifest().chunks().get(i).length()).asByteBuffer());
                    if (round == 1) bytes += p.manifest().chunks().get(i).length();
                }
            }
            return bytes / (double) (1L << 30) / ((System.nanoTime() - t0) / 1e9);
        }
    }
}
