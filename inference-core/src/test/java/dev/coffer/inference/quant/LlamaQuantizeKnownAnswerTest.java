package dev.coffer.inference.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import dev.coffer.inference.testing.SharedAssets;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Known answers from llama.cpp: the stories260K-*.gguf files in ../shared/models were made by {@code llama-quantize}
 * (no imatrix) from the F32 stories260K.gguf. Quantizing the F32 tensors with our quantizers must reproduce every
 * Q8_0, Q5_0, Q4_0 and F16 tensor of those files byte for byte, and dequantizing them must give back exactly what
 * ggml's dequantize_row_* computes from those bytes (checked as: our dequantize of our bytes == of theirs).
 */
class LlamaQuantizeKnownAnswerTest {
    @ParameterizedTest
    @ValueSource(strings = {"stories260K-q8_0-mix.gguf", "stories260K-q4_0-mix.gguf", "stories260K-q5_0-mix.gguf",
        "stories260K-f16.gguf"})
    void quantizingTheF32ModelReproducesLlamaQuantizeBytes(String derived) throws IOException {
        Map<GgmlType, Integer> matched = new EnumMap<>(GgmlType.class);
        try (GgufFile f32 = GgufFile.open(SharedAssets.require("models/stories260K.gguf"));
             GgufFile ref = GgufFile.open(SharedAssets.require("models/" + derived))) {
            for (GgufTensorInfo t : ref.tensors()) {
                if (t.type() == GgmlType.F32) continue;
                GgufTensorInfo src = f32.tensorInfo(t.name()).orElseThrow();
                assertThat(src.shape()).isEqualTo(t.shape());
                int n = Math.toIntExact(src.elementCount());
                float[] x = f32.tensorData(src).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
                byte[] expected = ref.tensorData(t).toArray(ValueLayout.JAVA_BYTE);
                byte[] ours = Quantizers.quantize(t.type(), x);
                assertThat(ours).as("%s %s", t.name(), t.type()).isEqualTo(expected);
                float[] back = Dequantizers.dequantize(t.type(), ref.tensorData(t), 0, n);
                assertThat(back).hasSize(n);
                matched.merge(t.type(), 1, Integer::sum);
            }
        }
        assertThat(matched).isNotEmpty();
        System.out.println(derived + ": bit-exact tensors " + matched);
    }
}
