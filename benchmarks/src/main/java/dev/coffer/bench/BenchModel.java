package dev.coffer.bench;

import dev.coffer.host.cli.CofferCli;
import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * A model named on the bench command line: {@code q8_0}, {@code q4_0}, {@code q4_k} ... (a synthetic
 * TinyLlama-1.1B-shaped model, written by {@code coffer synth} into {@code <coffer home>/models/} on first use),
 * {@code stories260K} (from ../shared/models), or a path to any GGUF.
 *
 * @param name  short name for reports
 * @param path  the GGUF
 * @param quant the weight type holding most of the bytes
 * @param bos   the BOS id
 */
public record BenchModel(String name, Path path, String quant, int bos) {
    public static final String SYNTH_SHAPE = "tinyllama-1.1b";

    public static BenchModel resolve(String spec) throws IOException {
        Path path;
        String name;
        if (spec.endsWith(".gguf") || spec.contains("/")) {
            path = Path.of(spec);
            name = path.getFileName().toString().replaceFirst("\\.gguf$", "");
        } else if (spec.toLowerCase(Locale.ROOT).startsWith("stories")) {
            path = BenchHome.sharedModels().resolve(spec.endsWith(".gguf") ? spec : spec + ".gguf");
            name = spec;
        } else {
            String type = spec.toLowerCase(Locale.ROOT);
            name = SYNTH_SHAPE + "-" + type;
            path = BenchHome.models().resolve(name + ".gguf");
            if (!Files.isRegularFile(path)) synthesize(type, path);
        }
        if (!Files.isRegularFile(path)) throw new PeerException("model " + path + " does not exist");
        try (GgufFile f = GgufFile.open(path)) {
            return new BenchModel(name, path, dominantType(f), f.findInt("tokenizer.ggml.bos_token_id").orElse(1));
        }
    }

    private static void synthesize(String type, Path out) throws IOException {
        Files.createDirectories(out.getParent());
        System.err.printf("bench: writing %s with coffer synth (first use) ...%n", out);
        int rc = CofferCli.commandLine().execute("synth", "--shape", SYNTH_SHAPE, "--type", type.toUpperCase(Locale.ROOT),
                "--output", out.toString(), "--no-progress");
        if (rc != 0) throw new PeerException("coffer synth --shape " + SYNTH_SHAPE + " --type " + type + " failed");
    }

    private static String dominantType(GgufFile f) {
        Map<GgmlType, Long> bytes = new EnumMap<>(GgmlType.class);
        for (GgufTensorInfo t : f.tensors()) bytes.merge(t.type(), t.byteSize(), Long::sum);
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue(Comparator.naturalOrder()))
                .map(e -> e.getKey().name()).orElse("?");
    }
}
