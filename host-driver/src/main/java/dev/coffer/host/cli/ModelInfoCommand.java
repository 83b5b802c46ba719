package dev.coffer.host.cli;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code coffer model info X.gguf}: what a GGUF file holds, without loading its weights. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show a GGUF model's architecture, hyper-parameters, tokenizer and tensors.")
final class ModelInfoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "X.gguf", description = "model file")
    Path file;

    @Option(names = "--tensors", description = "list every tensor (name, type, shape, bytes)")
    boolean tensors;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile f = GgufFile.open(file)) {
            String arch = f.findString("general.architecture").orElse("(unknown)");
            out.printf("file:          %s (%s)%n", file, Outputs.size(Files.size(file)));
            out.printf("format:        GGUF v%d, %d metadata keys, alignment %d, tensor data at %d%n", f.version(),
                    f.metadata().size(), f.alignment(), f.dataOffset());
            out.printf("architecture:  %s%n", arch);
            f.findString("general.name").ifPresent(n -> out.printf("name:          %s%n", n));
            f.findInt("general.file_type").ifPresent(t -> out.printf("file type:     %d (%s)%n", t, fileType(t)));
            out.printf("hyper-params:  %s%n", hyperParameters(f, arch));
            out.printf("tokenizer:     %s%n", tokenizer(f));

            Map<GgmlType, long[]> byType = new TreeMap<>(); // count, bytes
            long params = 0;
            long bytes = 0;
            for (GgufTensorInfo t : f.tensors()) {
                long[] c = byType.computeIfAbsent(t.type(), k -> new long[2]);
                c[0]++;
                c[1] += t.byteSize();
                params += t.elementCount();
                bytes += t.byteSize();
            }
            out.printf(Locale.ROOT, "tensors:       %d, %s parameters, %s of weights (%.2f bits/weight)%n",
                    f.tensors().size(), count(params), Outputs.size(bytes), params == 0 ? 0.0 : 8.0 * bytes / params);
            out.printf("types:         %s%n", byType.entrySet().stream()
                    .map(e -> e.getKey() + " x" + e.getValue()[0] + " (" + Outputs.size(e.getValue()[1]) + ")")
                    .collect(Collectors.joining(", ")));
            if (tensors) {
                int w = f.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(4);
                out.printf("%n%-" + w + "s  %-5s  %-20s  %12s%n", "name", "type", "shape", "bytes");
                for (GgufTensorInfo t : f.tensors()) {
                    out.printf("%-" + w + "s  %-5s  %-20s  %12d%n", t.name(), t.type(), Arrays.toString(t.shape()),
                            t.byteSize());
                }
            }
        }
        return 0;
    }

    private static String hyperParameters(GgufFile f, String arch) {
        StringBuilder sb = new StringBuilder();
        appendInt(sb, f, arch + ".context_length", "context");
        appendInt(sb, f, arch + ".embedding_length", "embedding");
        appendInt(sb, f, arch + ".block_count", "layers");
        appendInt(sb, f, arch + ".attention.head_count", "heads");
        appendInt(sb, f, arch + ".attention.head_count_kv", "kv heads");
        appendInt(sb, f, arch + ".feed_forward_length", "ffn");
        appendInt(sb, f, arch + ".rope.dimension_count", "rope dims");
        f.findFloat(arch + ".rope.freq_base").ifPresent(v -> append(sb, "rope base " + fmt(v)));
        f.findFloat(arch + ".attention.layer_norm_rms_epsilon").ifPresent(v -> append(sb, "rms eps " + fmt(v)));
        appendInt(sb, f, arch + ".vocab_size", "vocab");
        return sb.isEmpty() ? "(none under '" + arch + ".')" : sb.toString();
    }

    private static void appendInt(StringBuilder sb, GgufFile f, String key, String label) {
        if (f.has(key) && f.metadata().get(key) instanceof Long v) append(sb, label + " " + v);
    }

    private static void append(StringBuilder sb, String s) {
        if (!sb.isEmpty()) sb.append(", ");
        sb.append(s);
    }

    private static String fmt(float v) {
        return v == Math.rint(v) && Math.abs(v) < 1e7 ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static String tokenizer(GgufFile f) {
        Optional<String> model = f.findString("tokenizer.ggml.model");
        if (model.isEmpty()) return "(none)";
        String kind = switch (model.get()) {
            case "llama" -> "llama (SentencePiece)";
            case "gpt2" -> "gpt2 (byte-level BPE)";
            default -> model.get();
        };
        StringBuilder sb = new StringBuilder(kind);
        if (f.has("tokenizer.ggml.tokens")) sb.append(", ").append(f.getArray("tokenizer.ggml.tokens").length())
                .append(" tokens");
        f.findString("tokenizer.ggml.pre").ifPresent(p -> sb.append(", pre ").append(p));
        for (String id : new String[] {"bos", "eos", "unknown", "padding"}) {
            String key = "tokenizer.ggml." + id + "_token_id";
            if (f.has(key) && f.metadata().get(key) instanceof Long v && v != 0xFFFF_FFFFL) {
                sb.append(", ").append(id.equals("unknown") ? "unk" : id).append(' ').append(v);
            }
        }
        return sb.toString();
    }

    private static String count(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2fB", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.1fM", n / 1e6);
        if (n >= 1_000L) return String.format(Locale.ROOT, "%.1fK", n / 1e3);
        return Long.toString(n);
    }

    /** llama.cpp's llama_ftype names. */
    static String fileType(int t) {
        return switch (t) {
            case 0 -> "ALL_F32";
            case 1 -> "MOSTLY_F16";
            case 2 -> "MOSTLY_Q4_0";
            case 3 -> "MOSTLY_Q4_1";
            case 7 -> "MOSTLY_Q8_0";
            case 8 -> "MOSTLY_Q5_0";
            case 9 -> "MOSTLY_Q5_1";
            case 10 -> "MOSTLY_Q2_K";
            case 11 -> "MOSTLY_Q3_K_S";
            case 12 -> "MOSTLY_Q3_K_M";
            case 13 -> "MOSTLY_Q3_K_L";
            case 14 -> "MOSTLY_Q4_K_S";
            case 15 -> "MOSTLY_Q4_K_M";
            case 16 -> "MOSTLY_Q5_K_S";
            case 17 -> "MOSTLY_Q5_K_M";
            case 18 -> "MOSTLY_Q6_K";
            case 32 -> "MOSTLY_BF16";
            case 36 -> "MOSTLY_TQ1_0";
            case 37 -> "MOSTLY_TQ2_0";
            default -> "other";
        };
    }
}
