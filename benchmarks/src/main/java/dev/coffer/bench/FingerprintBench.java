package dev.coffer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code coffer bench fingerprint}: HSPI's experiment on the stacks this machine can run. Classes are (engine,
 * quantization): Coffer and llama.cpp (node-llama-cpp, a peer that never enters the product) on the stories260K
 * files (F32, F16, Q8_0, Q5_0, Q4_0 mixes). A measurement is one run of a stack at some thread count: its top-k
 * next-token probabilities for fixed probes (white-box) and its greedy first token for border inputs (black-box).
 * Each class's reference is its 1-thread run; the other runs are classified by the nearest reference (white-box:
 * L1 distance of the top-k distributions; black-box: Hamming distance of the greedy answers to border inputs, the
 * prompts found by a seeded search to have different greedy answers between stacks). Prints the confusion table;
 * the last line (with --json) has {@code white_box_accuracy} and {@code black_box_accuracy}.
 */
@Command(name = "fingerprint", mixinStandardHelpOptions = true,
        description = {"Platform fingerprints: confusion table and white-box/black-box accuracy over the (engine, "
                + "quantization) stacks runnable here."})
final class FingerprintBench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FILES = List.of("stories260K.gguf", "stories260K-f16.gguf",
            "stories260K-q8_0-mix.gguf", "stories260K-q5_0-mix.gguf", "stories260K-q4_0-mix.gguf");
    private static final int CONTEXT = 256;

    @Option(names = "--json", description = "one JSON object per line")
    boolean json;

    @Option(names = "--top", defaultValue = "10", description = "top-k probabilities per white-box probe (default: ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--candidates", defaultValue = "150", description = "prompts tried in the border-input search (default: ${DEFAULT-VALUE})")
    int candidates;

    @Option(names = "--seed", defaultValue = "7", description = "seed of the border-input search (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--no-llama", description = "Coffer's stacks only (no node-llama-cpp)")
    boolean noLlama;

    /** One run: white-box distributions per probe, greedy first tokens per candidate prompt. */
    private record Measurement(String stack, int threads, List<List<TokenProbability>> whiteBox, int[] firstTokens) {
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        List<String> present = FILES.stream().filter(f -> Files.exists(BenchHome.sharedModels().resolve(f))).toList();
        if (present.isEmpty()) {
            out.println("fingerprint: no stories260K files under " + BenchHome.sharedModels() + "; nothing to measure");
            return 1;
        }
        boolean llama = !noLlama && NodeLlamaPeer.toolsAvailable();
        List<String> candidatePrompts = dev.coffer.attestation.fingerprint.BorderInputs.candidates(seed, candidates);
        List<Measurement> runs = new ArrayList<>();
        for (String file : present) {
            Path model = BenchHome.sharedModels().resolve(file);
            String quant = file.replace("stories260K", "").replace(".gguf", "").replace("-", "").replace("_mix", "").replace("mix", "");
            quant = quant.isEmpty() ? "f32" : quant;
            for (int threads : new int[] {1, 2, 3}) runs.add(coffer(model, "coffer/" + quant, threads, candidatePrompts));
            // Vector width must not matter either: the same stack in a JVM limited to 128-bit vectors.
            runs.add(cofferIn128BitJvm(model, "coffer/" + quant));
            if (llama) for (int threads : new int[] {1, 2}) runs.add(llamaCpp(model, "llama.cpp/" + quant, threads, candidatePrompts));
        }
        Map<String, Measurement> refs = new LinkedHashMap<>();
        for (Measurement m : runs) if (m.threads() == 1) refs.putIfAbsent(m.stack(), m);
        List<Measurement> tests = runs.stream().filter(m -> m.threads() != 1).toList();

        // Border inputs: candidates whose greedy first token is not the same for every reference stack.
        List<Integer> border = new ArrayList<>();
        for (int c = 0; c < candidatePrompts.size(); c++) {
            int first = -1;
            boolean differs = false;
            for (Measurement r : refs.values()) {
                if (first < 0) first = r.firstTokens()[c];
                else if (r.firstTokens()[c] != first) differs = true;
            }
            if (differs) border.add(c);
        }
        Map<String, Map<String, Integer>> whiteConfusion = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> blackConfusion = new LinkedHashMap<>();
        int whiteOk = 0;
        int blackOk = 0;
        boolean cofferInvariant = true;
        for (Measurement m : tests) {
            String w = nearestWhite(m, refs);
            String b = nearestBlack(m, refs, border);
            whiteConfusion.computeIfAbsent(m.stack(), k -> new LinkedHashMap<>()).merge(w, 1, Integer::sum);
            blackConfusion.computeIfAbsent(m.stack(), k -> new LinkedHashMap<>()).merge(b, 1, Integer::sum);
            if (w.equals(m.stack())) whiteOk++;
            if (b.equals(m.stack())) blackOk++;
            if (m.stack().startsWith("coffer/") && whiteDistance(m, refs.get(m.stack())) != 0) cofferInvariant = false;
        }
        double white = tests.isEmpty() ? Double.NaN : whiteOk / (double) tests.size();
        double black = tests.isEmpty() ? Double.NaN : blackOk / (double) tests.size();
        if (!json) {
            out.printf(Locale.ROOT, "stacks: %s%n", String.join(", ", refs.keySet()));
            out.printf(Locale.ROOT, "border inputs: %d of %d seeded candidates (seed %d) answer differently between stacks%n",
                    border.size(), candidatePrompts.size(), seed);
            out.println("white-box (top-" + top + " probabilities of " + StoryPrompts.ALL.size() + " probes), classified as:");
            whiteConfusion.forEach((k, v) -> out.printf(Locale.ROOT, "  %-22s -> %s%n", k, v));
            out.println("black-box (greedy answers to the border inputs), classified as:");
            blackConfusion.forEach((k, v) -> out.printf(Locale.ROOT, "  %-22s -> %s%n", k, v));
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("bench", "fingerprint");
        row.put("stacks", new ArrayList<>(refs.keySet()));
        row.put("measurements", tests.size());
        row.put("border_inputs", border.size());
        row.put("candidates", candidatePrompts.size());
        row.put("seed", seed);
        row.put("coffer_thread_and_vector_width_invariant", cofferInvariant);
        row.put("white_box_confusion", whiteConfusion);
        row.put("black_box_confusion", blackConfusion);
        row.put("white_box_accuracy", white);
        row.put("black_box_accuracy", black);
        out.println(json ? JSON.writeValueAsString(row) : String.format(Locale.ROOT,
                "white_box_accuracy %.3f, black_box_accuracy %.3f, Coffer identical across 1-3 threads and 128-bit vectors: %s",
                white, black,
                cofferInvariant));
        return 0;
    }

    private Measurement coffer(Path model, String stack, int threads, List<String> candidatePrompts) throws Exception {
        try (CofferEngine e = CofferEngine.open(model, threads, CONTEXT)) {
            List<List<TokenProbability>> white = new ArrayList<>();
            for (String p : StoryPrompts.ALL) white.add(e.topNext(e.tokenizer().encode(p, true, false), top));
            int[] first = new int[candidatePrompts.size()];
            for (int i = 0; i < first.length; i++) first[i] = e.topNext(e.tokenizer().encode(candidatePrompts.get(i), true, false), 1).getFirst().token();
            return new Measurement(stack, threads, white, first);
        }
    }

    /** A Coffer measurement made in a child JVM with {@code -XX:MaxVectorSize=16} (128-bit vectors), 2 threads. */
    private Measurement cofferIn128BitJvm(Path model, String stack) throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(javaBin.toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-XX:MaxVectorSize=16", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), model.toString(), Integer.toString(top), Integer.toString(candidates), Long.toString(seed)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException("the 128-bit child JVM failed: " + out);
        var tree = JSON.readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        List<List<TokenProbability>> white = new ArrayList<>();
        for (var probe : tree.get("white")) {
            List<TokenProbability> top = new ArrayList<>();
            for (var pair : probe) top.add(new TokenProbability(pair.get(0).asInt(), pair.get(1).asDouble()));
            white.add(top);
        }
        int[] first = new int[tree.get("first").size()];
        for (int i = 0; i < first.length; i++) first[i] = tree.get("first").get(i).asInt();
        return new Measurement(stack, 128, white, first);
    }

    /** The child JVM's side: one Coffer measurement, printed as JSON. */
    static final class Child {
        public static void main(String[] args) throws Exception {
            FingerprintBench b = new FingerprintBench();
            b.top = Integer.parseInt(args[1]);
            b.candidates = Integer.parseInt(args[2]);
            b.seed = Long.parseLong(args[3]);
            Measurement m = b.coffer(Path.of(args[0]), "child", 2, dev.coffer.attestation.fingerprint.BorderInputs
                    .candidates(b.seed, b.candidates));
            List<Object> white = new ArrayList<>();
            for (List<TokenProbability> probe : m.whiteBox()) {
                white.add(probe.stream().map(t -> List.of(t.token(), t.probability())).toList());
            }
            System.out.println(JSON.writeValueAsString(Map.of("white", white, "first", m.firstTokens())));
        }
    }

    private Measurement llamaCpp(Path model, String stack, int threads, List<String> candidatePrompts) throws Exception {
        try (CofferEngine tok = CofferEngine.open(model, 1, CONTEXT);
             NodeLlamaPeer.Server peer = NodeLlamaPeer.installed().serve(model, threads, CONTEXT)) {
            List<List<TokenProbability>> white = new ArrayList<>();
            for (String p : StoryPrompts.ALL) white.add(peer.topNext(tok.tokenizer().encode(p, true, false), top));
            int[] first = new int[candidatePrompts.size()];
            for (int i = 0; i < first.length; i++) first[i] = peer.topNext(tok.tokenizer().encode(candidatePrompts.get(i), true, false), 1).getFirst().token();
            return new Measurement(stack, threads, white, first);
        }
    }

    private static double whiteDistance(Measurement a, Measurement b) {
        double d = 0;
        for (int p = 0; p < a.whiteBox().size(); p++) {
            Map<Integer, Double> pa = new HashMap<>();
            for (TokenProbability t : a.whiteBox().get(p)) pa.put(t.token(), t.probability());
            Map<Integer, Double> pb = new HashMap<>();
            for (TokenProbability t : b.whiteBox().get(p)) pb.put(t.token(), t.probability());
            java.util.Set<Integer> all = new java.util.HashSet<>(pa.keySet());
            all.addAll(pb.keySet());
            for (int t : all) d += Math.abs(pa.getOrDefault(t, 0.0) - pb.getOrDefault(t, 0.0));
        }
        return d;
    }

    private static String nearestWhite(Measurement m, Map<String, Measurement> refs) {
        String best = null;
        double bestD = Double.MAX_VALUE;
        for (Map.Entry<String, Measurement> e : refs.entrySet()) {
            double d = whiteDistance(m, e.getValue());
            if (d < bestD) {
                bestD = d;
                best = e.getKey();
            }
        }
        return best;
    }

    /** Nearest by Hamming distance of greedy answers to the border inputs; ties go to the first stack listed. */
    private static String nearestBlack(Measurement m, Map<String, Measurement> refs, List<Integer> border) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (Map.Entry<String, Measurement> e : refs.entrySet()) {
            int d = 0;
            for (int c : border) if (m.firstTokens()[c] != e.getValue().firstTokens()[c]) d++;
            if (d < bestD) {
                bestD = d;
                best = e.getKey();
            }
        }
        return best;
    }
}
