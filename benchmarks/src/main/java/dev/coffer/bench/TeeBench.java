package dev.coffer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.bench.TeeEngines.Engine;
import dev.coffer.bench.TeeEngines.Run;
import dev.coffer.host.tee.SecureWorldImages;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.tokenizer.Tokenizer;
import dev.coffer.secureworld.InferenceApplication;
import dev.coffer.tee.Backend;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code coffer bench tee}: what the secure world costs, measured in one run. The same greedy generation runs
 * in-process on plaintext memory, in the sim secure world and in the isolated one (see {@link TeeEngines}), one
 * engine after the other, each in a fresh JVM, with the same prompt, threads and token count, each warm. Then the
 * rate of faulting in secret memory against ordinary memory ({@link PopulationBench}).
 */
@Command(name = "tee", mixinStandardHelpOptions = true,
        description = {"Decode and prefill tokens/s in-process (plaintext) vs inside the secure world (--tee sim and",
            "isolated), crossings per token, model load into secret memory, secret-memory population rates.",
            "Models: stories260K (../shared/models), q4_0, q8_0 ... (synthetic TinyLlama-1.1B, made on first use)",
            "or a path to a GGUF."})
final class TeeBench implements Callable<Integer> {
    static final String PLAINTEXT = "coffer-plaintext";
    static final String SIM = "coffer-tee-sim";
    static final String ISOLATED = "coffer-tee-isolated";
    static final List<String> ENGINES = List.of(PLAINTEXT, SIM, ISOLATED);
    /** The goals for the isolated backend, against in-process plaintext. */
    static final double GOAL_DECODE_RATIO = 0.95;
    static final double GOAL_CROSSINGS_PER_TOKEN = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--json", description = "one JSON object per line instead of a table")
    boolean json;

    @Option(names = "--models", split = ",", paramLabel = "M[,M...]", description = "default: stories260K,q4_0")
    List<String> models = List.of("stories260K", "q4_0");

    @Option(names = "--threads", split = ",", paramLabel = "N[,N...]", description = "thread counts (default 2)")
    List<Integer> threads = List.of(2);

    @Option(names = "--tokens", paramLabel = "N", description = "generated tokens (default ${DEFAULT-VALUE})")
    int tokens = 128;

    @Option(names = "--prompt-tokens", paramLabel = "N", description = "prompt length in tokens, at most (default ${DEFAULT-VALUE})")
    int promptTokens = 128;

    @Option(names = "--warmup", paramLabel = "N", description = "untimed generations per engine first (default ${DEFAULT-VALUE})")
    int warmup = 1;

    @Option(names = "--warmup-seconds", paramLabel = "S",
            description = "and keep warming up for at least this long (default ${DEFAULT-VALUE})")
    double warmupSeconds = 3;

    @Option(names = "--runs", paramLabel = "N",
            description = "timed generations per engine; the median by host decode time is reported (default ${DEFAULT-VALUE})")
    int runs = 3;

    @Option(names = "--population-mib", paramLabel = "N",
            description = "memory faulted in per population measurement; 0 = skip (default ${DEFAULT-VALUE})")
    long populationMib = 1024;

    @Option(names = "--engine", hidden = true, description = "internal: measure this one engine here, print JSON")
    String engine;

    @Option(names = "--image", paramLabel = "JAR",
            description = "secure-world image jar (default: secure-world/target/coffer-secure-world.jar)")
    Path image;

    /** One engine's timed generation on one model and thread count. {@code denied} is -1 where nothing filters. */
    record Row(String engine, BenchModel model, int threads, Run run, double loadSeconds, long modelBytes,
               long denied) {
        int promptTokens() { return run.inside().promptTokens(); }

        int generated() { return run.inside().generatedTokens(); }

        double prefillTokS() { return run.inside().prefillTokensPerSecond(); }

        double decodeTokS() { return run.inside().decodeTokensPerSecond(); }

        double prefillTokSHost() { return rate(promptTokens(), run.hostPrefillNanos()); }

        double decodeTokSHost() { return rate(run.inside().decodeSteps(), run.hostDecodeNanos()); }

        /** Host wall time per decode step beyond what the generation measured inside: the crossing's cost. */
        double boundaryMicrosPerToken() {
            return (run.hostDecodeNanos() - run.inside().decodeNanos()) / 1e3 / Math.max(1, run.inside().decodeSteps());
        }

        double crossingsPerToken() { return run.crossings() / (double) Math.max(1, generated()); }

        /** GiB/s of the load into secret memory; 0 in-process, where the file is only mapped (pages come lazily). */
        double loadGibS() {
            return engine.equals(PLAINTEXT) ? 0 : modelBytes / (double) (1L << 30) / loadSeconds;
        }
    }

    /** Isolated and sim against plaintext for one model and thread count; decode ratios use host wall time. */
    record Ratio(Row plaintext, Row sim, Row isolated) {
        double decodeIsolated() { return isolated.decodeTokSHost() / plaintext.decodeTokSHost(); }

        double decodeSim() { return sim.decodeTokSHost() / plaintext.decodeTokSHost(); }

        double prefillIsolated() { return isolated.prefillTokSHost() / plaintext.prefillTokSHost(); }

        /** A speed figure means little unless every engine computed the same thing. */
        boolean sameOutput() {
            return Arrays.equals(plaintext.run.output(), sim.run.output())
                    && Arrays.equals(plaintext.run.output(), isolated.run.output());
        }

        boolean goalMet() {
            return decodeIsolated() >= GOAL_DECODE_RATIO && isolated.crossingsPerToken() <= GOAL_CROSSINGS_PER_TOKEN;
        }
    }

    record Report(List<Row> rows, List<Ratio> ratios, PopulationBench.Result population) {}

    /** What one engine's measurement reports, from the fresh JVM that made it (as a JSON line). */
    record Measured(Run run, double loadSeconds, long denied) {}

    @Override
    public Integer call() throws Exception {
        if (engine != null) {
            // The child side of measureInFreshJvm: one engine, one model, one thread count.
            BenchModel m = BenchModel.resolve(models.getFirst());
            System.out.println(JSON.writeValueAsString(measure(engine, m, threads.getFirst(), image)));
            return 0;
        }
        run(System.out);
        return 0;
    }

    Report run(PrintStream out) throws Exception {
        if (tokens < 2 || promptTokens < 2 || runs < 1 || warmup < 0) {
            throw new IllegalArgumentException("need --tokens >= 2, --prompt-tokens >= 2, --runs >= 1, --warmup >= 0");
        }
        Path jar = image != null ? image : SecureWorldImages.defaultJar(BenchHome.path());
        SecureWorldImages.load(jar); // fails now, with the fix in its message, rather than after the first engines
        List<Row> rows = new ArrayList<>();
        List<Ratio> ratios = new ArrayList<>();
        if (!json) printHeader(out);
        for (String spec : models) {
            BenchModel m = BenchModel.resolve(spec);
            for (int t : threads) {
                Map<String, Row> byEngine = new LinkedHashMap<>();
                for (String e : ENGINES) {
                    Measured r = measureInFreshJvm(e, m, t, jar);
                    Row row = new Row(e, m, t, r.run(), r.loadSeconds(), Files.size(m.path()), r.denied());
                    byEngine.put(e, row);
                    rows.add(row);
                    print(out, row);
                }
                ratios.add(new Ratio(byEngine.get(PLAINTEXT), byEngine.get(SIM), byEngine.get(ISOLATED)));
            }
        }
        printRatios(out, ratios);
        PopulationBench.Result population = populationMib > 0 ? PopulationBench.measure(populationMib << 20) : null;
        if (population != null) printPopulation(out, population);
        return new Report(rows, ratios, population);
    }

    /**
     * Runs {@link #measure} in a new JVM with this one's flags and class path. Every engine gets a fresh JVM, as the
     * isolated secure world always does: measured one after another in a single JVM, an engine ran 25-40% slower
     * or faster depending on what had run before it (the JIT's profiles carry over, e.g. of mapped against native
     * memory segments in the kernels), which swamped the boundary's cost.
     */
    private Measured measureInFreshJvm(String engine, BenchModel m, int threads, Path jar)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchMain.class.getName(), "tee",
                "--engine", engine, "--models", m.path().toString(), "--threads", Integer.toString(threads),
                "--tokens", Integer.toString(tokens), "--prompt-tokens", Integer.toString(promptTokens),
                "--warmup", Integer.toString(warmup), "--warmup-seconds", Double.toString(warmupSeconds),
                "--runs", Integer.toString(runs), "--image", jar.toString()));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        String last = stdout.strip().lines().reduce((a, b) -> b).orElse("");
        if (rc != 0 || last.isEmpty()) {
            throw new IllegalStateException("measuring " + engine + " on " + m.name() + " failed (exit " + rc
                    + "); its messages are above");
        }
        return JSON.readValue(last, Measured.class);
    }

    /** One engine, in this JVM: load, warm up, then the median of the timed runs. */
    private Measured measure(String engine, BenchModel m, int threads, Path jar) throws IOException {
        String prompt = prompt(m.path(), promptTokens);
        int context = promptTokens + tokens + 8;
        // The bench must not touch the operator's platform key: its platform lives and dies with this measurement.
        Path state = Files.createTempDirectory("coffer-bench-tee-");
        try (Engine e = switch (engine) {
            case PLAINTEXT -> new TeeEngines.InProcess(m.path(), threads, context);
            // sim runs the application from this class path: the same code, no image jar needed.
            case SIM -> new TeeEngines.InSecureWorld(EnclaveImage.inProcess(InferenceApplication.class.getName()),
                    EnclaveSettings.defaults(Backend.SIM, state).withThreads(threads), m.path(), context);
            case ISOLATED -> new TeeEngines.InSecureWorld(SecureWorldImages.load(jar),
                    EnclaveSettings.defaults(Backend.ISOLATED, state).withThreads(threads), m.path(), context);
            default -> throw new IllegalArgumentException("unknown engine " + engine);
        }) {
            // Cold Vector API code runs far slower than warm, and each JVM here starts cold; on a tiny model one
            // generation is over long before the JIT is done, so warm-up also has a floor in time.
            long warmUntil = System.nanoTime() + (long) (warmupSeconds * 1e9);
            for (int i = 0; i < warmup || System.nanoTime() < warmUntil; i++) e.generate(prompt, tokens);
            // Single runs of a small model vary by tens of percent (JIT, scheduling): report the median run.
            List<Run> timed = new ArrayList<>();
            for (int i = 0; i < runs; i++) timed.add(e.generate(prompt, tokens));
            timed.sort(Comparator.comparingLong(Run::hostDecodeNanos));
            return new Measured(timed.get(timed.size() / 2), e.loadSeconds(), e.deniedSyscalls());
        } finally {
            deleteRecursively(state);
        }
    }

    /**
     * A fixed text of at most {@code maxTokens} tokens for this model's tokenizer: the story openings, whole words,
     * as long as they fit. Text rather than ids, because the secure world takes a prompt as text.
     */
    static String prompt(Path model, int maxTokens) throws IOException {
        try (GgufFile f = GgufFile.open(model)) {
            Tokenizer tokenizer = Tokenizer.fromGguf(f);
            String[] words = String.join(". ", StoryPrompts.ALL).split(" ");
            String text = words[0];
            for (int i = 1; i < 16 * maxTokens; i++) {
                String longer = text + " " + words[i % words.length];
                if (tokenizer.encode(longer, true, false).length > maxTokens) break;
                text = longer;
            }
            return text;
        }
    }

    private void printHeader(PrintStream out) {
        out.printf("%-22s %-5s %-20s %3s %6s | %9s %9s | %8s %8s | %6s %7s %6s | %7s %6s%n", "model", "quant",
                "engine", "thr", "tokens", "prefill", "(host)", "decode", "(host)", "x/tok", "us/tok", "denied", "load s",
                "GiB/s");
    }

    private void print(PrintStream out, Row r) throws IOException {
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("engine", r.engine());
            o.put("model", r.model().name());
            o.put("quant", r.model().quant());
            o.put("threads", r.threads());
            o.put("prompt_tokens", r.promptTokens());
            o.put("decode_tokens", r.generated());
            o.put("prefill_tok_s", round(r.prefillTokS()));
            o.put("prefill_tok_s_host", round(r.prefillTokSHost()));
            o.put("decode_tok_s", round(r.decodeTokS()));
            o.put("decode_tok_s_host", round(r.decodeTokSHost()));
            o.put("crossings_per_token", Math.round(r.crossingsPerToken() * 1000) / 1000.0);
            o.put("boundary_us_per_token", Math.round(r.boundaryMicrosPerToken() * 10) / 10.0);
            o.put("denied_syscalls", r.denied() < 0 ? null : r.denied());
            o.put("load_s", Math.round(r.loadSeconds() * 1000) / 1000.0);
            o.put("load_gib_s", r.engine().equals(PLAINTEXT) ? null : round(r.loadGibS()));
            out.println(JSON.writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "%-22s %-5s %-20s %3d %2d+%-3d | %9.1f %9.1f | %8.1f %8.1f | %6.3f %7.1f %6s | %7.3f %6s%n",
                    r.model().name(), r.model().quant(), r.engine(), r.threads(), r.promptTokens(), r.generated(),
                    r.prefillTokS(), r.prefillTokSHost(), r.decodeTokS(), r.decodeTokSHost(), r.crossingsPerToken(),
                    r.boundaryMicrosPerToken(), r.denied() < 0 ? "n/a" : Long.toString(r.denied()), r.loadSeconds(),
                    r.engine().equals(PLAINTEXT) ? "(mmap)" : String.format(Locale.ROOT, "%.2f", r.loadGibS()));
        }
        out.flush();
    }

    private void printRatios(PrintStream out, List<Ratio> ratios) throws IOException {
        if (json) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (Ratio q : ratios) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("model", q.plaintext().model().name());
                r.put("quant", q.plaintext().model().quant());
                r.put("threads", q.plaintext().threads());
                r.put("decode_ratio_isolated", round(q.decodeIsolated()));
                r.put("decode_ratio_sim", round(q.decodeSim()));
                r.put("prefill_ratio_isolated", round(q.prefillIsolated()));
                r.put("crossings_per_token_isolated", Math.round(q.isolated().crossingsPerToken() * 1000) / 1000.0);
                r.put("same_output", q.sameOutput());
                r.put("goal_met", q.goalMet());
                list.add(r);
            }
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("summary", "tee/plaintext");
            summary.put("ratios", list);
            out.println(JSON.writeValueAsString(summary));
            return;
        }
        out.println();
        out.printf(Locale.ROOT, "tee / plaintext, host wall time (goals: isolated decode >= %.2fx, <= %.0f crossings "
                + "per token):%n", GOAL_DECODE_RATIO, GOAL_CROSSINGS_PER_TOKEN);
        for (Ratio q : ratios) {
            out.printf(Locale.ROOT, "  %-22s %-5s %d threads: isolated decode %.2fx, prefill %.2fx, %.3f crossings/token;"
                            + " sim decode %.2fx; %s; goal %s%n", q.plaintext().model().name(),
                    q.plaintext().model().quant(), q.plaintext().threads(), q.decodeIsolated(), q.prefillIsolated(),
                    q.isolated().crossingsPerToken(), q.decodeSim(),
                    q.sameOutput() ? "same output" : "OUTPUTS DIFFER", q.goalMet() ? "met" : "NOT met");
        }
    }

    private void printPopulation(PrintStream out, PopulationBench.Result p) throws IOException {
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("bytes", p.bytes());
            o.put("secret_mode", p.mode());
            o.put("secret_gib_s_1_thread", round(p.secret1()));
            o.put("secret_gib_s_2_threads", round(p.secret2()));
            o.put("anonymous_gib_s_1_thread", round(p.anonymous1()));
            o.put("anonymous_gib_s_2_threads", round(p.anonymous2()));
            out.println(JSON.writeValueAsString(Map.of("population", o)));
        } else {
            out.println();
            out.printf(Locale.ROOT, "population of %d MiB, GiB/s: secret (%s) %.2f on 1 thread, %.2f on 2; "
                            + "anonymous %.2f on 1 thread, %.2f on 2%n", p.bytes() >> 20, p.mode(), p.secret1(),
                    p.secret2(), p.anonymous1(), p.anonymous2());
        }
        out.flush();
    }

    private static double rate(int n, long nanos) {
        return nanos <= 0 ? 0 : n * 1e9 / nanos;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
