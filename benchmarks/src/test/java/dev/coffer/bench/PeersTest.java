package dev.coffer.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.coffer.inference.testing.SharedAssets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The two llama.cpp peers on stories260K: known tokenization, known continuation, and agreement with each other. */
class PeersTest {
    private static final int[] ONCE_UPON_A_TIME = {1, 403, 407, 261, 378}; // llama-tokenize, ../shared/models/README.md

    private static JavaLlamaPeer javaLlama;

    @BeforeAll
    static void load() {
        javaLlama = JavaLlamaPeer.open(SharedAssets.require("models/stories260K.gguf"), 1, 256);
    }

    @AfterAll
    static void unload() {
        if (javaLlama != null) javaLlama.close();
    }

    @Test
    void completionPromptsGetBosPlusEncode() {
        assertThat(javaLlama.completionTokens("Once upon a time")).containsExactly(ONCE_UPON_A_TIME);
    }

    @Test
    void greedyContinuationIsLlamaCppsKnownStory() {
        PeerGeneration g = javaLlama.greedy(ONCE_UPON_A_TIME, 16);
        assertThat(g.tokens()).hasSize(16).doesNotContain(-1);
        assertThat(String.join("", g.pieces())).startsWith(", there was a little girl named Lily. She loved to");
    }

    @Test
    void nodeLlamaCppAgreesWithJavaLlamaCppAndGivesProbabilities() {
        assumeTrue(NodeLlamaPeer.toolsAvailable(), "node and npm are needed for the node-llama-cpp peer");
        Path model = SharedAssets.require("models/stories260K.gguf");
        NodeLlamaPeer node = NodeLlamaPeer.installed();
        try (NodeLlamaPeer.Server server = node.serve(model, 1, 256)) {
            PeerGeneration viaNode = server.generate(ONCE_UPON_A_TIME, 32);
            PeerGeneration viaJava = javaLlama.greedy(ONCE_UPON_A_TIME, 32);
            assertThat(viaNode.tokens()).containsExactly(viaJava.tokens());

            List<TokenProbability> top = server.topNext(ONCE_UPON_A_TIME, 10);
            assertThat(top).hasSize(10);
            assertThat(top.getFirst().token()).isEqualTo(viaNode.tokens()[0]);
            assertThat(top).isSortedAccordingTo((a, b) -> Double.compare(b.probability(), a.probability()));
            assertThat(top.stream().mapToDouble(TokenProbability::probability).sum()).isBetween(0.5, 1.0 + 1e-6);
        }
    }
}
