package dev.coffer.host.cli;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import dev.coffer.inference.gguf.GgufWriter;
import dev.coffer.inference.quant.Dequantizers;
import dev.coffer.inference.quant.ParallelRowWriter;
import dev.coffer.inference.quant.TensorTypeRule;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code coffer quantize IN OUT --type T}: llama-quantize without an importance matrix, in pure mode. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {
            "Quantize the weight matrices of a GGUF model.",
            "Input weights are F32/F16/BF16; the blocks are bit-exact with llama-quantize's reference quantizers",
            "(no imatrix). 1-D tensors (norms) stay as they are; matrices whose",
            "rows do not fill whole blocks fall back like llama.cpp: Q4_K -> Q5_0, Q6_K -> Q8_0, else F16.",
            "Metadata is copied; general.file_type and general.quantization_version are set; tensors are written",
            "in llama-quantize's order, so the output is byte-identical to llama-quantize --pure."
        })
final class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN.gguf", description = "input model")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT.gguf", description = "output model")
    Path output;

    @Option(names = "--type", required = true, paramLabel = "TYPE",
            description = "Q8_0, Q6_K, Q5_0, Q4_K, Q4_0, F16 or BF16")
    String type;

    @Option(names = "--force", description = "overwrite OUT if it exists")
    boolean force;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all processors)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        GgmlType target = parseTarget(type, "Q8_0, Q6_K, Q5_0, Q4_K, Q4_0, F16 or BF16");
        if (target == GgmlType.F32) throw new CommandFailedException("--type F32 is not a quantization");
        if (Outputs.sameFile(input, output)) throw new CommandFailedException("IN and OUT are the same file");
        Outputs.refuseToOverwrite(output, force);
        PrintWriter err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        try (GgufFile in = GgufFile.open(input)) {
            GgufWriter w = new GgufWriter().copyMetadata(in, k -> true);
            w.putUInt32("general.quantization_version", 2);
            w.putUInt32("general.file_type", TensorTypeRule.llamaFileType(target));
            Map<GgmlType, Integer> histogram = new TreeMap<>();
            for (GgufTensorInfo t : llamaQuantizeOrder(in.tensors())) {
                GgmlType to = quantizes(t) ? TensorTypeRule.typeFor(target, t.shape()) : t.type();
                if (to != t.type() && !isFloat(t.type())) {
                    throw new CommandFailedException("tensor '" + t.name() + "' is " + t.type() + "; coffer quantize "
                            + "needs F32, F16 or BF16 weights (re-quantizing compounds the error)");
                }
                w.addTensor(t.name(), to, t.shape());
                histogram.merge(to, 1, Integer::sum);
            }
            long total = w.tensors().stream().mapToLong(GgufTensorInfo::byteSize).sum();
            try (ParallelRowWriter rows = new ParallelRowWriter(Math.max(1, threads));
                 ByteProgress progress = ByteProgress.start("quantize", total, !noProgress)) {
                w.write(output, (t, out) -> {
                    GgufTensorInfo src = in.tensorInfo(t.name()).orElseThrow();
                    MemorySegment data = in.tensorData(src);
                    if (t.type() == src.type()) {
                        copy(data, out, progress);
                    } else {
                        long rowBytes = src.type().byteSize(src.dim(0));
                        int rowLength = Math.toIntExact(src.dim(0));
                        rows.write(t, (start, end, dst) -> Dequantizers.dequantize(src.type(), data,
                                start * rowBytes, dst, 0, (end - start) * rowLength), out, progress);
                    }
                });
            }
            err.printf("wrote %s: %d tensors %s, %s (%s)%n", output, in.tensors().size(), histogram,
                    Outputs.size(w.fileSize()), Outputs.rate(total, System.nanoTime() - t0));
        }
        return 0;
    }

    private static void copy(MemorySegment data, java.io.OutputStream out, java.util.function.LongConsumer progress)
            throws java.io.IOException {
        byte[] buf = new byte[1 << 20];
        for (long at = 0; at < data.byteSize(); at += buf.length) {
            int n = (int) Math.min(buf.length, data.byteSize() - at);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at, buf, 0, n);
            out.write(buf, 0, n);
            progress.accept(n);
        }
    }

    /**
     * llama-quantize writes tensors in its loader's map order: tensors outside blocks first, then block by block
     * (numerically), by name within each group. Following it makes our output byte-identical to llama-quantize's.
     */
    static java.util.List<GgufTensorInfo> llamaQuantizeOrder(java.util.List<GgufTensorInfo> tensors) {
        return tensors.stream().sorted(java.util.Comparator.comparingInt((GgufTensorInfo t) -> layerOf(t.name()))
                .thenComparing(GgufTensorInfo::name)).toList();
    }

    private static int layerOf(String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^blk\\.(\\d+)\\.").matcher(name);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** llama-quantize quantizes tensors named *weight with at least 2 dimensions. */
    private static boolean quantizes(GgufTensorInfo t) {
        return t.dims() >= 2 && t.name().endsWith("weight");
    }

    private static boolean isFloat(GgmlType t) {
        return t == GgmlType.F32 || t == GgmlType.F16 || t == GgmlType.BF16;
    }

    static GgmlType parseTarget(String name, String allowed) {
        try {
            GgmlType t = GgmlType.valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
            if (TensorTypeRule.isTarget(t)) return t;
        } catch (IllegalArgumentException e) {
            // fall through to the message below
        }
        throw new CommandFailedException("unknown or unsupported --type '" + name + "': use " + allowed);
    }
}
