package dev.coffer.host.cli;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufWriter;
import dev.coffer.inference.synth.ModelShape;
import dev.coffer.inference.synth.SyntheticLlama;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code coffer synth}: a real model's shape with deterministic random weights. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {
            "Write a model with a real model's shape and deterministic random weights.",
            "A Llama-architecture GGUF with N(0, 0.02) weights and norms 1, for loading, memory and speed tests.",
            "Same seed, same bytes.",
            "Shapes: tinyllama-1.1b (2048 wide, 22 layers, GQA 32/4), stories15m (288 wide, 6 layers),",
            "demo (128 wide, 4 layers, GQA 4/2, Coffer's own embedded tokenizer: needs no downloads).",
            "The tokenizer of non-demo shapes is copied from --tokenizer-from (default: the Llama-2 vocabulary in",
            "../shared/models/llama-2-tiny-random.gguf)."
        })
final class SynthCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--shape", required = true, paramLabel = "SHAPE",
            description = "tinyllama-1.1b, stories15m or demo")
    String shape;

    @Option(names = "--type", paramLabel = "TYPE", description = "F16, Q8_0, Q4_0, Q4_K (also Q6_K, Q5_0, BF16, "
            + "F32); default ${DEFAULT-VALUE}")
    String type = "Q8_0";

    @Option(names = "--tokenizer-from", paramLabel = "X.gguf", description = "copy tokenizer.* metadata from this GGUF")
    Path tokenizerFrom;

    @Option(names = "--seed", paramLabel = "N", description = "random seed (default ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = {"-o", "--output"}, paramLabel = "X.gguf",
            description = "output file (default: <coffer home>/models/demo.gguf for the Q8_0 demo, "
                    + "<coffer home>/models/<shape>-<type>.gguf otherwise)")
    Path output;

    @Option(names = "--force", description = "overwrite the output if it exists")
    boolean force;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all processors)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        ModelShape s = ModelShape.byName(shape).orElseThrow(() -> new CommandFailedException("unknown --shape '"
                + shape + "': use " + ModelShape.known().stream().map(ModelShape::name).collect(Collectors.joining(", "))));
        GgmlType target = QuantizeCommand.parseTarget(type, "F16, Q8_0, Q4_0, Q4_K, Q6_K, Q5_0, BF16 or F32");
        Path out = output != null ? output : defaultOutput(s, target);
        Outputs.refuseToOverwrite(out, force);
        Optional<Path> tokenizer = Optional.ofNullable(tokenizerFrom);
        if (tokenizer.isEmpty() && s != ModelShape.DEMO) {
            Path def = CofferHome.shared("models/llama-2-tiny-random.gguf");
            if (!Files.isRegularFile(def)) {
                throw new CommandFailedException(s.name() + " needs a tokenizer: " + def + " is missing; pass "
                        + "--tokenizer-from X.gguf (any llama GGUF), or use --shape demo");
            }
            tokenizer = Optional.of(def);
        }
        PrintWriter err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        GgufFile tok = tokenizer.isPresent() ? GgufFile.open(tokenizer.get()) : null;
        try {
            SyntheticLlama.Spec synth = new SyntheticLlama.Spec(s, target, seed, Optional.ofNullable(tok));
            GgufWriter layout = SyntheticLlama.layout(synth);
            long dataBytes = layout.tensors().stream().mapToLong(t -> t.byteSize()).sum();
            long params = layout.tensors().stream().mapToLong(t -> t.elementCount()).sum();
            try (ByteProgress progress = ByteProgress.start("synth " + s.name(), dataBytes, !noProgress)) {
                SyntheticLlama.write(synth, out, Math.max(1, threads), progress);
            }
            err.printf(Locale.ROOT, "wrote %s: %s %s, %.1fM parameters, %s (%s)%n", out, s.name(), target,
                    params / 1e6, Outputs.size(layout.fileSize()), Outputs.rate(dataBytes, System.nanoTime() - t0));
        } finally {
            if (tok != null) tok.close();
        }
        return 0;
    }

    static Path defaultOutput(ModelShape s, GgmlType target) {
        if (s == ModelShape.DEMO && target == GgmlType.Q8_0) return SyntheticLlama.defaultDemoPath(CofferHome.path());
        return CofferHome.models().resolve(s.name() + "-" + target.name().toLowerCase(Locale.ROOT) + ".gguf");
    }
}
