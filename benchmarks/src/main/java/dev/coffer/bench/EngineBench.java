package dev.coffer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code coffer bench engine}: prefill and decode speed of Coffer and of llama.cpp (node-llama-cpp) on the same
 * GGUFs, threads and token counts, warm, one after the other (never at the same time: they share the cores).
 */
@Command(name = "engine", mixinStandardHelpOptions = true,
        description = {"Prefill and decode tokens/s of Coffer and llama.cpp (node-llama-cpp) on the same models.",
            "Models: q8_0, q4_0, q4_k ... (synthetic TinyLlama-1.1B shape, made with `coffer synth` on first use),",
            "stories260K (../shared/models) or a path to a GGUF."})
final class EngineBench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--json", description = "one JSON object per line instead of a table")
    boolean json;

    @Option(names = "--threads", split = ",", paramLabel = "N[,N...]", description = "thread counts (default 1,2)")
    List<Integer> threads = List.of(1, 2);

    @Option(names = "--models", split = ",", paramLabel = "M[,M...]",
            description = "default: q8_0,q4_0,q4_k,stories260K")
    List<String> models = List.of("q8_0", "q4_0", "q4_k", "stories260K");

    @Option(names = "--prefill", paramLabel = "N", description = "prompt tokens (default ${DEFAULT-VALUE})")
    int prefill = 128;

    @Option(names = "--decode", paramLabel = "N", description = "generated tokens (default ${DEFAULT-VALUE})")
    int decode = 128;

    @Option(names = "--warmup", paramLabel = "N", description = "untimed runs before the timed one (default ${DEFAULT-VALUE})")
    int warmup = 1;

    @Option(names = "--no-peer", description = "measure Coffer only")
    boolean noPeer;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        NodeLlamaPeer peer = noPeer ? null : NodeLlamaPeer.installed();
        List<Map<String, Object>> ratios = new ArrayList<>();
        if (!json) out.printf("%-26s %-6s %-26s %7s %14s %14s%n", "model", "quant", "engine", "threads",
                "prefill tok/s", "decode tok/s");
        for (String spec : models) {
            BenchModel m = BenchModel.resolve(spec);
            for (int t : threads) {
                Row coffer = measureCoffer(m, t);
                print(out, coffer);
                if (peer == null) continue;
                NodeLlamaPeer.SpeedResult s = peer.speed(m.path(), t, prefill, decode, warmup);
                Row llama = new Row(NodeLlamaPeer.ENGINE_NAME, m, t, s.prefillTokS(), s.decodeTokS());
                print(out, llama);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("model", m.name());
                r.put("quant", m.quant());
                r.put("threads", t);
                r.put("prefill_ratio", round(coffer.prefill / llama.prefill));
                r.put("decode_ratio", round(coffer.decode / llama.decode));
                ratios.add(r);
            }
        }
        if (!ratios.isEmpty()) {
            if (json) {
                out.println(JSON.writeValueAsString(Map.of("summary", "coffer/llama.cpp", "ratios", ratios)));
            } else {
                out.println();
                out.println("coffer / llama.cpp (node-llama-cpp " + NodeLlamaPeer.VERSION + "), >1 means Coffer is faster:");
                for (Map<String, Object> r : ratios) {
                    out.printf(Locale.ROOT, "  %-26s %-6s %d threads: prefill %.2fx, decode %.2fx%n", r.get("model"),
                            r.get("quant"), (Integer) r.get("threads"), (Double) r.get("prefill_ratio"),
                            (Double) r.get("decode_ratio"));
                }
            }
        }
        return 0;
    }

    private Row measureCoffer(BenchModel m, int threads) throws Exception {
        int[] prompt = BenchPrompt.tokens(m.bos(), prefill);
        try (CofferEngine engine = CofferEngine.open(m.path(), threads, prefill + decode + 8)) {
            // Cold Vector API code runs far slower than warm: the timed run comes after full warm-up runs.
            for (int i = 0; i < warmup; i++) engine.time(prompt, decode);
            CofferEngine.Timing timing = engine.time(prompt, decode);
            return new Row(CofferEngine.ENGINE_NAME, m, threads, prefill / timing.prefillSeconds(),
                    decode / timing.decodeSeconds());
        }
    }

    private void print(PrintStream out, Row r) throws Exception {
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("engine", r.engine);
            o.put("model", r.model.name());
            o.put("quant", r.model.quant());
            o.put("threads", r.threads);
            o.put("prefill_tokens", prefill);
            o.put("decode_tokens", decode);
            o.put("prefill_tok_s", round(r.prefill));
            o.put("decode_tok_s", round(r.decode));
            out.println(JSON.writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "%-26s %-6s %-26s %7d %14.1f %14.1f%n", r.model.name(), r.model.quant(), r.engine,
                    r.threads, r.prefill, r.decode);
        }
        out.flush();
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private record Row(String engine, BenchModel model, int threads, double prefill, double decode) {}
}
