package dev.coffer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.kernels.MatMul;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.quant.Quantizers;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.Tensor;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code coffer bench kernels}: throughput of {@link MatMul} per weight type, for one token (decode: the weights
 * are streamed once per token, so GB/s of weights against the machine's memory bandwidth is the figure of merit)
 * and for a batch (prefill). Random weights of a TinyLlama FFN shape by default, warm, timed for a fixed time.
 * The tool to check a kernel change (a new layout, activations read from secret memory instead of the heap) before
 * and after, on the same machine.
 */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = {"Matrix-vector (decode) and matrix-matrix (prefill) throughput of Coffer's kernels per weight",
            "type, in GB/s of weights read; random weights, warm, median of timed rounds."})
final class KernelBench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--json", description = "one JSON object per line instead of a table")
    boolean json;

    @Option(names = "--types", split = ",", paramLabel = "T[,T...]", description = "default: Q8_0,Q4_0,Q4_K,Q6_K,Q5_0,F16")
    List<String> types = List.of("Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q5_0", "F16");

    @Option(names = "--threads", split = ",", paramLabel = "N[,N...]", description = "thread counts (default 1,2)")
    List<Integer> threads = List.of(1, 2);

    @Option(names = "--rows", description = "output rows (default ${DEFAULT-VALUE})")
    int rows = 5632;

    @Option(names = "--cols", description = "input columns, a multiple of 256 (default ${DEFAULT-VALUE})")
    int cols = 2048;

    @Option(names = "--batch", description = "tokens for the prefill figure (default ${DEFAULT-VALUE})")
    int batch = 32;

    @Option(names = "--seconds", description = "timed seconds per figure, after as long a warm-up (default ${DEFAULT-VALUE})")
    double seconds = 1.5;

    @Override
    public Integer call() throws Exception {
        if (cols % 256 != 0) throw new IllegalArgumentException("--cols must be a multiple of 256 (K-quant blocks)");
        PrintStream out = System.out;
        if (!json) out.printf("%-6s %-8s %7s %12s %10s%n", "type", "kernel", "threads", "ms/matmul", "GB/s");
        SplittableRandom random = new SplittableRandom(42);
        float[] weights = new float[rows * cols];
        for (int i = 0; i < weights.length; i++) weights[i] = (float) (random.nextDouble(-1, 1) * 0.05);
        for (String name : types) {
            GgmlType type = GgmlType.valueOf(name.toUpperCase(Locale.ROOT));
            byte[] q = Quantizers.quantize(type, weights);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment data = arena.allocate(q.length, 64);
                MemorySegment.copy(q, 0, data, ValueLayout.JAVA_BYTE, 0, q.length);
                Tensor w = new Tensor("bench." + name, type, new long[] {cols, rows}, data);
                MemorySegment x = arena.allocate(4L * batch * cols, 64);
                for (long i = 0; i < (long) batch * cols; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
                MemorySegment y = arena.allocate(4L * batch * rows, 64);
                for (int t : threads) {
                    try (Parallel pool = new Parallel(t)) {
                        MatMul mm = new MatMul(pool, BufferAllocator.of(arena), batch, cols);
                        report(out, name, "decode", t, time(() -> mm.multiply(w, x, 1, y)), q.length, 1);
                        report(out, name, "prefill", t, time(() -> mm.multiply(w, x, batch, y)), q.length, batch);
                    }
                }
            }
        }
        return 0;
    }

    /** Median seconds per call over rounds of about 0.1 s, after a warm-up as long as the timed part. */
    private double time(Runnable call) {
        long warmEnd = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < warmEnd) call.run();
        List<Double> rounds = new java.util.ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            int n = 0;
            do {
                call.run();
                n++;
            } while (System.nanoTime() - t0 < 100_000_000L);
            rounds.add((System.nanoTime() - t0) / 1e9 / n);
        }
        rounds.sort(null);
        return rounds.get(rounds.size() / 2);
    }

    private void report(PrintStream out, String type, String kernel, int threads, double secondsPerCall, long weightBytes,
                        int tokens) throws Exception {
        double gbs = weightBytes / secondsPerCall / 1e9;
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", type);
            m.put("kernel", kernel);
            m.put("threads", threads);
            m.put("rows", rows);
            m.put("cols", cols);
            m.put("tokens", tokens);
            m.put("us_per_matmul", Math.round(secondsPerCall * 1e7) / 10.0);
            m.put("weight_gb_s", Double.parseDouble(String.format(Locale.ROOT, "%.4g", gbs)));
            out.println(JSON.writeValueAsString(m));
        } else {
            out.printf(Locale.ROOT, "%-6s %-8s %7d %12.3f %10.2f%n", type, kernel, threads, secondsPerCall * 1e3, gbs);
        }
    }
}
