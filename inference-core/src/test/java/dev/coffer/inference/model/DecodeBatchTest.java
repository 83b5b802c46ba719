package dev.coffer.inference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.synth.ModelShape;
import dev.coffer.inference.synth.SyntheticLlama;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.GgufTensorSource;
import dev.coffer.inference.testing.SharedAssets;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batched decode (continuous batching) gives every session exactly the logits it would get decoding alone: the
 * server may batch requests without changing any answer (or any platform fingerprint).
 */
class DecodeBatchTest {
    @TempDir
    static Path dir;

    private static void compare(Path file, int threads) throws Exception {
        try (GgufFile f = GgufFile.open(file); Arena arena = Arena.ofShared(); Parallel pool = new Parallel(threads)) {
            LlamaModel m = LlamaModel.load(f, new GgufTensorSource(f));
            int vocab = m.config().vocabSize();
            int n = 3;
            List<Session> batched = new ArrayList<>();
            List<Session> alone = new ArrayList<>();
            int[] next = new int[n];
            for (int i = 0; i < n; i++) {
                // prompts of different lengths: the sessions sit at different positions
                int[] prompt = new int[5 + 7 * i];
                for (int j = 0; j < prompt.length; j++) prompt[j] = (j * 31 + i * 7 + 1) % vocab;
                Session b = m.newSession(BufferAllocator.of(arena), pool, 64);
                Session a = m.newSession(BufferAllocator.of(arena), pool, 64);
                float[] lb = b.prefill(prompt);
                float[] la = a.prefill(prompt);
                assertThat(lb).containsExactly(la);
                batched.add(b);
                alone.add(a);
                next[i] = argmax(la);
            }
            for (int step = 0; step < 6; step++) {
                List<float[]> together = Session.decodeBatch(batched, next.clone());
                for (int i = 0; i < n; i++) {
                    float[] single = alone.get(i).decode(next[i]);
                    float[] inBatch = together.get(i);
                    for (int t = 0; t < vocab; t++) {
                        assertThat(Float.floatToRawIntBits(inBatch[t])).as("%s session %d step %d logit %d", file.getFileName(),
                                i, step, t).isEqualTo(Float.floatToRawIntBits(single[t]));
                    }
                    next[i] = argmax(single);
                    assertThat(batched.get(i).position()).isEqualTo(alone.get(i).position());
                }
            }
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K.gguf", "stories260K-f16.gguf", "stories260K-q8_0-mix.gguf",
        "stories260K-q5_0-mix.gguf", "stories260K-q4_0-mix.gguf"})
    void batchedLogitsAreBitIdenticalToDecodingAlone(String file) throws Exception {
        compare(SharedAssets.require("models/" + file), 2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_K"})
    void theSameHoldsForTheFastQuantizedKernels(String type) throws Exception {
        Path model = dir.resolve("demo-" + type + ".gguf");
        SyntheticLlama.write(new SyntheticLlama.Spec(ModelShape.DEMO, GgmlType.valueOf(type), 3, Optional.empty()), model, 2, x -> { });
        compare(model, 2);
        compare(model, 1);
    }

    @Test
    void aBatchRefusesMistakes() throws Exception {
        try (GgufFile f = GgufFile.open(SharedAssets.require("models/stories260K.gguf")); Arena arena = Arena.ofShared();
             Parallel pool = new Parallel(1)) {
            LlamaModel m = LlamaModel.load(f, new GgufTensorSource(f));
            Session s = m.newSession(BufferAllocator.of(arena), pool, 8);
            Session t = m.newSession(BufferAllocator.of(arena), pool, 8);
            s.prefill(new int[] {1});
            t.prefill(new int[] {1});
            assertThatThrownBy(() -> Session.decodeBatch(List.of(s, s), new int[] {1, 2})).hasMessageContaining("twice");
            assertThatThrownBy(() -> Session.decodeBatch(List.of(s, t), new int[] {1})).hasMessageContaining("2 sessions but 1");
            assertThatThrownBy(() -> Session.decodeBatch(List.of(s, t), new int[] {1, -1})).hasMessageContaining("outside the vocabulary");
        }
    }
}
