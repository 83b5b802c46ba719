package dev.coffer.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.synth.ModelShape;
import dev.coffer.inference.synth.SyntheticLlama;
import dev.coffer.inference.testing.SharedAssets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Coffer against llama.cpp (node-llama-cpp: exact ids) on random-weight models of the stories15M shape in each
 * weight type. Random weights give flat next-token distributions with near ties, where the last bit of a dot
 * product decides the argmax, so this reports how often greedy tokens agree rather than demanding all of them.
 * The goal is 95% identical tokens; it is asserted for the types that reach it today (F16) and the quantized types
 * are held to a floor that only a broken kernel misses (measured 70-81% on the first run of this test).
 */
class SyntheticModelsTest {
    private static final int TOKENS = 64;
    private static final int CONTEXT = 256;
    private static final double GOAL = 0.95;
    private static final double FLOOR = 0.5;
    private static final int PROMPTS = 10; // of StoryPrompts.ALL: keeps the five models within about a minute

    @TempDir
    static Path dir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = GgmlType.class, names = {"F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void greedyTokensMostlyAgreeWithLlamaCpp(GgmlType type) throws Exception {
        assumeTrue(NodeLlamaPeer.toolsAvailable(), "node and npm are needed for the node-llama-cpp peer");
        Path model = synth(type);
        int identical = 0;
        int total = 0;
        List<Integer> firstDivergences = new ArrayList<>();
        ProbabilityGap gap = ProbabilityGap.NONE;
        try (NodeLlamaPeer.Server peer = NodeLlamaPeer.installed().serve(model, 1, CONTEXT);
             CofferEngine coffer = CofferEngine.open(model, 1, CONTEXT)) {
            for (String prompt : StoryPrompts.ALL.subList(0, PROMPTS)) {
                int[] ids = coffer.tokenizer().encode(prompt, true, false);
                TokenComparison c = TokenComparison.of(peer.generate(ids, TOKENS).tokens(),
                        coffer.greedy(ids, TOKENS, false));
                identical += c.identical();
                total += c.length();
                firstDivergences.add(c.firstDivergence());
                gap = gap.max(ProbabilityGap.of(prompt, peer.topNext(ids, 10), coffer.nextProbabilities(ids)));
            }
        }
        double share = (double) identical / total;
        System.out.printf(Locale.ROOT, "[peer-compare] synthetic stories15m %-5s vs node-llama-cpp: %.1f%% identical "
                + "tokens (%d/%d, goal %.0f%% %s), first divergence per prompt %s, top-10 first-step max |diff| %.3g%n",
                type, 100 * share, identical, total, 100 * GOAL, share >= GOAL ? "reached" : "NOT reached",
                firstDivergences, gap.diff());
        double required = type == GgmlType.F16 ? GOAL : FLOOR;
        assertThat(share).as("share of greedy tokens identical to llama.cpp's (goal %.0f%%)", 100 * GOAL)
                .isGreaterThanOrEqualTo(required);
    }

    private static Path synth(GgmlType type) throws Exception {
        Path out = dir.resolve("stories15m-" + type.name().toLowerCase(Locale.ROOT) + ".gguf");
        try (GgufFile vocab = GgufFile.open(SharedAssets.require("models/llama-2-tiny-random.gguf"))) {
            SyntheticLlama.write(new SyntheticLlama.Spec(ModelShape.STORIES_15M, type, 42, Optional.of(vocab)), out, 1,
                    bytes -> { });
        }
        return out;
    }
}
