package dev.coffer.inference.synth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import dev.coffer.inference.quant.Dequantizers;
import dev.coffer.inference.testing.SharedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticLlamaTest {
    private static final SyntheticLlama.Spec DEMO_Q8 =
            new SyntheticLlama.Spec(ModelShape.DEMO, GgmlType.Q8_0, 42, Optional.empty());

    private static String sha256(Path p) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    @Test
    void demoModelHasLlamaLayoutShapesTypesAndMetadata(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("demo.gguf");
        SyntheticLlama.write(DEMO_Q8, out, 2, n -> { });
        try (GgufFile f = GgufFile.open(out)) {
            int vocab = DemoVocabulary.build().size();
            assertThat(f.getString("general.architecture")).isEqualTo("llama");
            assertThat(f.getString("general.name")).contains("demo", "seed 42");
            assertThat(f.getInt("general.file_type")).isEqualTo(7);
            assertThat(f.getInt("llama.embedding_length")).isEqualTo(128);
            assertThat(f.getInt("llama.feed_forward_length")).isEqualTo(384);
            assertThat(f.getInt("llama.block_count")).isEqualTo(4);
            assertThat(f.getInt("llama.attention.head_count")).isEqualTo(4);
            assertThat(f.getInt("llama.attention.head_count_kv")).isEqualTo(2);
            assertThat(f.getInt("llama.rope.dimension_count")).isEqualTo(32);
            assertThat(f.getInt("llama.context_length")).isEqualTo(512);
            assertThat(f.getFloat("llama.attention.layer_norm_rms_epsilon")).isEqualTo(1e-5f);
            assertThat(f.getFloat("llama.rope.freq_base")).isEqualTo(10000f);
            assertThat(f.getInt("llama.vocab_size")).isEqualTo(vocab);
            assertThat(f.getString("tokenizer.ggml.model")).isEqualTo("llama");
            assertThat(f.getStringArray("tokenizer.ggml.tokens")).hasSize(vocab);
            assertThat(f.getFloatArray("tokenizer.ggml.scores")).hasSize(vocab);
            assertThat(f.getIntArray("tokenizer.ggml.token_type")).hasSize(vocab);
            assertThat(f.getInt("tokenizer.ggml.bos_token_id")).isEqualTo(1);
            assertThat(f.getInt("tokenizer.ggml.eos_token_id")).isEqualTo(2);

            assertThat(f.tensors()).hasSize(2 + 4 * 9 + 1);
            assertThat(f.tensors().getFirst().name()).isEqualTo("token_embd.weight");
            assertThat(f.tensors().getLast().name()).isEqualTo("output.weight");
            assertShape(f, "token_embd.weight", GgmlType.Q8_0, 128, vocab);
            assertShape(f, "blk.0.attn_norm.weight", GgmlType.F32, 128);
            assertShape(f, "blk.3.attn_q.weight", GgmlType.Q8_0, 128, 128);
            assertShape(f, "blk.3.attn_k.weight", GgmlType.Q8_0, 128, 64);
            assertShape(f, "blk.3.attn_v.weight", GgmlType.Q8_0, 128, 64);
            assertShape(f, "blk.3.attn_output.weight", GgmlType.Q8_0, 128, 128);
            assertShape(f, "blk.3.ffn_norm.weight", GgmlType.F32, 128);
            assertShape(f, "blk.3.ffn_gate.weight", GgmlType.Q8_0, 128, 384);
            assertShape(f, "blk.3.ffn_up.weight", GgmlType.Q8_0, 128, 384);
            assertShape(f, "blk.3.ffn_down.weight", GgmlType.Q8_0, 384, 128);
            assertShape(f, "output_norm.weight", GgmlType.F32, 128);
            assertShape(f, "output.weight", GgmlType.Q8_0, 128, vocab);

            GgufTensorInfo norm = f.tensorInfo("output_norm.weight").orElseThrow();
            assertThat(Dequantizers.dequantize(GgmlType.F32, f.tensorData(norm), 0, 128)).containsOnly(1.0f);
            GgufTensorInfo q = f.tensorInfo("blk.1.ffn_up.weight").orElseThrow();
            float[] w = Dequantizers.dequantize(q.type(), f.tensorData(q), 0, (int) q.elementCount());
            double sum = 0;
            double sq = 0;
            for (float v : w) {
                sum += v;
                sq += v * (double) v;
            }
            double mean = sum / w.length;
            double std = Math.sqrt(sq / w.length - mean * mean);
            assertThat(mean).isBetween(-0.001, 0.001);
            assertThat(std).isBetween(0.019, 0.021);
        }
    }

    private static void assertShape(GgufFile f, String name, GgmlType type, long... shape) {
        GgufTensorInfo t = f.tensorInfo(name).orElseThrow();
        assertThat(t.type()).as(name).isEqualTo(type);
        assertThat(t.shape()).as(name).containsExactly(shape);
    }

    @Test
    void sameSeedGivesTheSameBytesWhateverTheThreadCount(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        SyntheticLlama.write(DEMO_Q8, a, 1, n -> { });
        SyntheticLlama.write(DEMO_Q8, b, 3, n -> { });
        SyntheticLlama.write(new SyntheticLlama.Spec(ModelShape.DEMO, GgmlType.Q8_0, 43, Optional.empty()), c, 2,
                n -> { });
        assertThat(sha256(a)).isEqualTo(sha256(b)).isNotEqualTo(sha256(c));
    }

    @Test
    void kQuantTargetsFallBackForShortRows(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("demo-q4k.gguf");
        SyntheticLlama.write(new SyntheticLlama.Spec(ModelShape.DEMO, GgmlType.Q4_K, 1, Optional.empty()), out, 2,
                n -> { });
        try (GgufFile f = GgufFile.open(out)) {
            // rows of 128 and 384 are not multiples of 256: Q4_K falls back to Q5_0, as llama-quantize does
            assertThat(f.tensorInfo("blk.0.attn_q.weight").orElseThrow().type()).isEqualTo(GgmlType.Q5_0);
            assertThat(f.tensorInfo("blk.0.ffn_down.weight").orElseThrow().type()).isEqualTo(GgmlType.Q5_0);
            assertThat(f.getInt("general.file_type")).isEqualTo(14);
        }
    }

    @Test
    void tokenizerCanBeCopiedFromAnotherModel(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("s15.gguf");
        try (GgufFile tok = GgufFile.open(SharedAssets.require("models/llama-2-tiny-random.gguf"))) {
            var spec = new SyntheticLlama.Spec(ModelShape.STORIES_15M, GgmlType.F16, 7, Optional.of(tok));
            var layout = SyntheticLlama.layout(spec);
            assertThat(layout.fileSize()).isGreaterThan(15_000_000L * 2);
            SyntheticLlama.write(spec, out, 2, n -> { });
            try (GgufFile f = GgufFile.open(out)) {
                assertThat(f.getInt("llama.vocab_size")).isEqualTo(32000);
                assertThat(f.getStringArray("tokenizer.ggml.tokens"))
                        .isEqualTo(tok.getStringArray("tokenizer.ggml.tokens"));
                assertThat(f.getFloatArray("tokenizer.ggml.scores"))
                        .isEqualTo(tok.getFloatArray("tokenizer.ggml.scores"));
                assertThat(f.tensorInfo("token_embd.weight").orElseThrow().shape()).containsExactly(288, 32000);
                assertThat(f.tensorInfo("blk.5.attn_k.weight").orElseThrow().type()).isEqualTo(GgmlType.F16);
                assertThat(Files.size(out)).isEqualTo(layout.fileSize());
            }
        }
    }

    @Test
    void demoVocabularyIsAnSpmVocabWithBytesAndPrefixClosedPieces() {
        DemoVocabulary.Vocab v = DemoVocabulary.build();
        List<String> t = v.tokens();
        assertThat(t.subList(0, 3)).containsExactly("<unk>", "<s>", "</s>");
        assertThat(t.get(3)).isEqualTo("<0x00>");
        assertThat(t.get(3 + 255)).isEqualTo("<0xFF>");
        for (int i = 3; i < 259; i++) assertThat(v.types()[i]).isEqualTo(DemoVocabulary.BYTE);
        assertThat(t).contains("\u2581", "a", "~", "\u2581the", "\u2581The", "ing");
        assertThat(t).doesNotContain(" ").doesNotHaveDuplicates();
        assertThat(v.size()).isBetween(600, 2000);
        for (String piece : t.subList(259, t.size())) {
            if (piece.length() > 1) assertThat(t).as("prefix of " + piece).contains(piece.substring(0, piece.length() - 1));
        }
    }
}
