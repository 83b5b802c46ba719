package dev.coffer.host.cli;

import dev.coffer.host.tee.EnclaveModelRunner;
import dev.coffer.inference.Generator;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.model.LlamaModel;
import dev.coffer.inference.model.Session;
import dev.coffer.inference.sampling.Sampler;
import dev.coffer.inference.sampling.SamplerConfig;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.GgufTensorSource;
import dev.coffer.inference.tokenizer.Tokenizer;
import dev.coffer.pack.PackFile;
import dev.coffer.pack.PackManifest;
import dev.coffer.pack.Credential;
import dev.coffer.pack.RestorePlan;
import dev.coffer.secureworld.InferenceCalls;
import dev.coffer.tee.Backend;
import dev.coffer.tee.BoundaryStats;
import dev.coffer.tee.Enclave;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code coffer run}: generate text from a prompt with a local GGUF model or, inside a secure world, an encrypted pack. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {
            "Generate a continuation of a prompt and stream it to stdout; timings go to stderr.",
            "Without --model it runs the built-in demo model (random weights, made on first use): its text is",
            "meaningless and only shows the engine working. Pass a real GGUF file with --model PATH.",
            "With the same options and seed, two runs print byte-identical output."
        })
final class RunCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "X.gguf",
            description = "GGUF model file (default: the built-in demo model, created on first use)")
    Path model;

    @Option(names = {"-p", "--prompt"}, defaultValue = "Once upon a time", description = "prompt text (default: ${DEFAULT-VALUE})")
    String prompt;

    @Option(names = {"-n", "--tokens"}, defaultValue = "64", description = "tokens to generate at most (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--temp", defaultValue = "0.8", description = "temperature; 0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", description = "keep the k most likely tokens; 0 = off (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "nucleus sampling; 1 = off (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.05", description = "drop tokens below this share of the best; 0 = off (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", description = "penalise recent tokens; 1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = {"-s", "--seed"}, defaultValue = "1", description = "random seed, for reproducible runs (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = {"-t", "--threads"}, description = "worker threads (default: the number of processors)")
    Integer threads;

    @Option(names = {"-c", "--ctx"}, defaultValue = "2048", description = "context length, capped at the model's (default: ${DEFAULT-VALUE})")
    int contextLength;

    @Option(names = "--ignore-eos", description = "keep generating past end-of-sequence (for benchmarks)")
    boolean ignoreEos;

    @Option(names = "--pack", paramLabel = "P.cpack",
            description = {"an encrypted model pack (see 'coffer pack'): restored inside the secure world, in compute",
                "order, while generation already runs; needs --key"})
    Path pack;

    @Option(names = "--strawman",
            description = "restore the whole pack before computing (for comparison with the pipelined default)")
    boolean strawman;

    @Option(names = "--weights-budget", paramLabel = "SIZE|P%",
            description = {"secret memory for a pack's weights, e.g. 300M or 50%%; below the model's size the last layers",
                "are streamed: restored again for every step through two slots (default: 100%%, all resident)"})
    String weightsBudget;

    @CommandLine.Mixin
    PackKeyOptions packKey;

    @CommandLine.Mixin
    SecureWorldOptions secureWorld;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintStream err = System.err;
        if (tokens < 0) throw new CommandLine.ParameterException(spec.commandLine(), "-n must be >= 0");
        int nThreads = threads != null ? threads : Parallel.defaultThreads();
        SamplerConfig sampling = new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, 64, seed);
        if (pack != null || packKey.localCredentials() > 0) {
            if (pack == null || packKey.localCredentials() != 1) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--pack goes with one of --key or --passphrase-file");
            }
            if (model != null) throw new CommandLine.ParameterException(spec.commandLine(), "give --model or --pack, not both");
            if (packKey.prefetch < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--prefetch must be >= 1");
            if (!Files.isRegularFile(pack)) throw new CommandLine.ParameterException(spec.commandLine(), "pack not found: " + pack);
            return runInSecureWorld(null, nThreads, sampling);
        }
        Path file = model;
        if (file == null) {
            file = CofferHome.demoModel();
            if (!Files.exists(file)) {
                err.println("coffer: creating the built-in demo model at " + file + " ...");
                int rc = CofferCli.commandLine().execute("synth", "--shape", "demo", "-o", file.toString());
                if (rc != 0) return rc;
            }
            err.println("note: the built-in demo model has random weights, so its text is meaningless; it shows the"
                    + " engine working. Run a real model with: ./coffer run --model PATH.gguf");
        }
        if (!Files.isRegularFile(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "model file not found: " + file);
        }
        if (secureWorld.requested()) return runInSecureWorld(file, nThreads, sampling);
        try (GgufFile gguf = GgufFile.open(file); Arena arena = Arena.ofShared(); Parallel pool = new Parallel(nThreads)) {
            LlamaModel llama = LlamaModel.load(gguf, new GgufTensorSource(gguf));
            Tokenizer tokenizer = Tokenizer.fromGguf(gguf);
            int ctx = Math.min(contextLength, llama.config().contextLength());
            Session session = llama.newSession(BufferAllocator.of(arena), pool, ctx);
            Generator generator = new Generator(tokenizer, session, new Sampler(sampling));
            PrintStream out = System.out;
            Generator.Stats stats = generator.generate(prompt, tokens, ignoreEos, (id, bytes) -> {
                out.write(bytes, 0, bytes.length);
                out.flush();
                return true;
            });
            out.println();
            out.flush();
            printSpeed(err, stats, nThreads);
        }
        return 0;
    }

    private static void printSpeed(PrintStream err, Generator.Stats stats, int nThreads) {
        err.printf(Locale.ROOT, "%nprefill: %d tokens, %.1f tok/s | decode: %d tokens, %.1f tok/s | %d threads%s%n",
                stats.promptTokens(), stats.prefillTokensPerSecond(), stats.generatedTokens(),
                stats.decodeTokensPerSecond(), nThreads, stats.stoppedAtEos() ? " | stopped at end of sequence" : "");
    }

    /** Runs in a secure world, from a plaintext {@code file} or (when it is null) from the encrypted {@link #pack}. */
    private int runInSecureWorld(Path file, int nThreads, SamplerConfig sampling) throws Exception {
        Backend backend = secureWorld.backend(spec, "isolated");
        try (PackFile packFile = file == null ? PackFile.open(pack) : null) {
            RestorePlan plan = packFile == null ? null : restorePlan(packFile.manifest());
            long modelBytes = packFile != null ? plan.weightBytes() : Files.size(file);
            EnclaveImage enclaveImage = secureWorld.image(backend);
            EnclaveSettings settings = secureWorld.settings(backend, modelBytes, nThreads, spec);
            if (packFile != null) {
                try {
                    settings = EnclaveModelRunner.withRingFor(settings, packFile, packKey.prefetch);
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
                }
            }
            PrintStream err = System.err;
            try (Enclave enclave = Enclave.create(enclaveImage, settings)) {
                err.printf(Locale.ROOT, "secure world: %s%s, measurement %s%n", backend.teeType(),
                        enclave.info().pid().isPresent() ? " (pid " + enclave.info().pid().getAsLong() + ")" : " (in-process, debug)",
                        enclave.info().identity().measurement().hex().substring(0, 16) + "...");
                EnclaveModelRunner runner = new EnclaveModelRunner(enclave);
                if (packFile != null) return generateFromPack(enclave, runner, packFile, plan, nThreads, sampling);
                long loadStart = System.nanoTime();
                try (ByteProgress progress = ByteProgress.start("copy into secret memory", modelBytes, modelBytes > (64L << 20))) {
                    runner.loadPlaintext(file, contextLength, progress);
                }
                double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
                err.printf(Locale.ROOT, "model: %.1f MiB copied into secret memory in %.2f s (%.0f MiB/s)%n",
                        modelBytes / (double) (1 << 20), loadSeconds, modelBytes / (double) (1 << 20) / loadSeconds);
                generate(enclave, runner, nThreads, sampling);
            }
        }
        return 0;
    }

    /** The host's memory policy for the pack's weights: all resident, or the last layers streamed within the budget. */
    private RestorePlan restorePlan(PackManifest m) {
        if (weightsBudget == null) return RestorePlan.resident(m);
        String b = weightsBudget.trim();
        try {
            RestorePlan plan = b.endsWith("%") ? RestorePlan.forShare(m, percent(b))
                    : RestorePlan.forBudget(m, ByteSizes.parse(b, spec));
            if (plan.streamedLayers() > 0 && strawman) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--strawman restores everything before computing: it needs the whole model in the budget");
            }
            return plan;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private double percent(String share) {
        try {
            return Double.parseDouble(share.substring(0, share.length() - 1));
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--weights-budget: not a percentage: " + share);
        }
    }

    private int generateFromPack(Enclave enclave, EnclaveModelRunner runner, PackFile packFile, RestorePlan plan,
                                 int nThreads, SamplerConfig sampling) {
        PrintStream err = System.err;
        PackManifest m = packFile.manifest();
        err.printf(Locale.ROOT, "pack: %s version %d, owner %s, %d chunks, digest %s...%n", m.model().name(), m.version(),
                m.owner().id().shortHex(), m.chunks().size(), packFile.header().digest().hex().substring(0, 16));
        if (plan.streamedLayers() > 0) {
            err.printf(Locale.ROOT, "weights: %.1f MiB resident, the last %d of %d layers streamed through %d slot%s of "
                            + "%.1f MiB (%.1f MiB restored per step)%n", plan.residentBytes() / 1048576.0,
                    plan.streamedLayers(), plan.layers(), plan.slots(), plan.slots() == 1 ? "" : "s",
                    plan.slotBytes() / 1048576.0,
                    plan.streamedBytesPerStep() / 1048576.0);
        }
        long start = System.nanoTime();
        EnclaveModelRunner.PackFeed feed;
        try (Credential credential = packKey.credentialOrNull();
             ByteProgress progress = ByteProgress.start("restore", m.plaintextSize(), strawman && m.plaintextSize() > (64L << 20))) {
            // Secret pages first, with every thread, then decryption beside compute: populating memfd_secret pages
            // slows compute on the other cores by about 40% and is itself halved (docs/benchmarks.md).
            if (plan.weightBytes() > (64L << 20)) {
                err.printf(Locale.ROOT, "preparing %.0f MiB of secret memory for the weights (the kernel hands out "
                        + "memfd_secret pages slowly: several seconds per GiB) ...%n", plan.weightBytes() / 1048576.0);
            }
            feed = runner.loadPack(packFile, plan, credential, packKey.minVersion, contextLength, strawman, packKey.prefetch,
                    nThreads, progress);
        }
        try {
            double ready = (System.nanoTime() - start) / 1e9;
            generate(enclave, runner, nThreads, sampling);
            // Under a budget the initial pass ends only as compute uses the streamed layers: a run that computed no
            // forward pass (e.g. -n 0) would wait for ever, and this run needs nothing more from the feeder.
            if (plan.streamedLayers() > 0) feed.abort();
            else feed.close();
            InferenceCalls.RestoreStatus status = runner.restoreStatus();
            double total = (System.nanoTime() - start) / 1e9;
            double restoreSeconds = status.restoreNanos() / 1e9;
            String restored = status.restoreNanos() < 0
                    ? String.format(Locale.ROOT, "%d of %d chunks restored when the run ended", status.restoredChunks(),
                            status.totalChunks())
                    : String.format(Locale.ROOT, "%.1f MiB: secret pages populated in %.2f s (%d threads), chunks "
                                    + "authenticated and decrypted in %.2f s", m.plaintextSize() / 1048576.0,
                            status.populateNanos() / 1e9, status.populateThreads(), restoreSeconds);
            err.printf(Locale.ROOT, "restore: %s, %s; model ready after %.2f s, compute waited %.2f s for weights | run "
                            + "total %.2f s%n", strawman ? "strawman (all first)" : "pipelined", restored, ready,
                    status.computeWaitNanos() / 1e9, total);
        } catch (RuntimeException e) {
            feed.abort();
            throw e;
        }
        return 0;
    }

    private void generate(Enclave enclave, EnclaveModelRunner runner, int nThreads, SamplerConfig sampling) {
        PrintStream err = System.err;
        BoundaryStats before = enclave.stats();
        PrintStream out = System.out;
        Generator.Stats stats = runner.generate(new InferenceCalls.Start(prompt, tokens, ignoreEos, sampling), bytes -> {
            out.write(bytes, 0, bytes.length);
            out.flush();
            return true;
        });
        BoundaryStats total = enclave.stats();
        BoundaryStats run = total.since(before);
        out.println();
        out.flush();
        var memory = enclave.memory();
        printSpeed(err, stats, nThreads);
        err.printf(Locale.ROOT, "boundary: %d crossings for %d tokens (%.2f per token), %d ocalls, "
                        + "denied syscalls: %s%s | secret memory: %s, %.1f MiB peak%n",
                run.ecalls(), stats.generatedTokens(), run.ecalls() / (double) Math.max(1, stats.generatedTokens()),
                run.ocalls(), run.filterEnforced() ? Long.toString(total.deniedTotal()) : "n/a (sim)",
                total.deniedTotal() > 0 ? " " + total.deniedByName() : "",
                memory.mode(), memory.peak() / (double) (1 << 20));
    }
}
