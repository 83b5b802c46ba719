package dev.coffer.inference.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.synth.ModelShape;
import dev.coffer.inference.synth.SyntheticLlama;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.GgufTensorSource;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long prompt goes through the model layer by layer (all micro-batches through layer 0, then layer 1, ...), so
 * that a restoring weight source can overlap all of it; the classic order takes each micro-batch through every layer.
 * Both must give the same bits: here the classic order is forced by feeding the prompt one micro-batch per call.
 */
class LayerMajorPrefillTest {
    @TempDir
    Path dir;

    @Test
    void layerByLayerEqualsMicroBatchByMicroBatchBitForBit() throws Exception {
        Path file = dir.resolve("demo.gguf");
        SyntheticLlama.write(new SyntheticLlama.Spec(ModelShape.DEMO, GgmlType.Q4_0, 3, Optional.empty()), file, 2, n -> {});
        int[] prompt = new int[3 * Session.MICRO_BATCH + 7];
        for (int i = 0; i < prompt.length; i++) prompt[i] = 1 + (i * 37) % 200;
        try (GgufFile gguf = GgufFile.open(file); Arena arena = Arena.ofShared(); Parallel pool = new Parallel(2)) {
            LlamaModel model = LlamaModel.load(gguf, new GgufTensorSource(gguf));
            Session layerMajor = model.newSession(BufferAllocator.of(arena), pool, 256);
            float[] a = layerMajor.prefill(prompt);
            Session microBatchMajor = model.newSession(BufferAllocator.of(arena), pool, 256);
            float[] b = null;
            for (int s = 0; s < prompt.length; s += Session.MICRO_BATCH) {
                // one call per micro-batch: each goes through all layers before the next starts
                b = microBatchMajor.prefill(Arrays.copyOfRange(prompt, s, Math.min(prompt.length, s + Session.MICRO_BATCH)));
            }
            assertThat(layerMajor.position()).isEqualTo(microBatchMajor.position()).isEqualTo(prompt.length);
            assertThat(a).containsExactly(b);
            // and the caches agree: the next token's logits are the same too
            assertThat(layerMajor.decode(5)).containsExactly(microBatchMajor.decode(5));
        }
    }
}
