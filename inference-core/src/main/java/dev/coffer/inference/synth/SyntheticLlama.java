package dev.coffer.inference.synth;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import dev.coffer.inference.gguf.GgufWriter;
import dev.coffer.inference.quant.ParallelRowWriter;
import dev.coffer.inference.quant.QuantizationException;
import dev.coffer.inference.quant.TensorTypeRule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * A Llama-architecture GGUF with deterministic random weights in the exact layout llama.cpp's {@code llama}
 * architecture loads: the real model's shapes and metadata without its (large, licensed) weights, for loader,
 * kernel, memory and throughput tests.
 *
 * <p>Weights are "normal-ish" N(0, 0.02) (an Irwin-Hall sum of four uniforms, cheap and bounded at 3.5 sigma), norms
 * are 1, so activations and logits stay in a sane range. Each value is a pure function of (seed, tensor name, index):
 * a counter-based generator (SplitMix64's finaliser over the element counter), so chunks can be generated in
 * parallel in any order and the file is byte-identical for the same seed, whatever the thread count.
 *
 * <p>llama.cpp stores attn_q/attn_k rows permuted for its non-NeoX ("normal") RoPE, relative to Hugging Face
 * checkpoints. Random weights have no orientation, so nothing is permuted here; a converter from HF weights would
 * have to.
 */
public final class SyntheticLlama {
    private SyntheticLlama() {}

    public static final float WEIGHT_STD = 0.02f;

    /** What to generate. {@code tokenizer} empty means the embedded {@link DemoVocabulary}. */
    public record Spec(ModelShape shape, GgmlType target, long seed, Optional<GgufFile> tokenizer) {
        public Spec {
            if (!TensorTypeRule.isTarget(target)) {
                throw new QuantizationException("synthetic models can be " + "F32, F16, BF16, Q8_0, Q5_0, Q4_0, Q4_K "
                        + "or Q6_K, not " + target);
            }
        }
    }

    /** Lays out metadata and tensors (no data yet): what {@link #write} will produce. */
    public static GgufWriter layout(Spec spec) {
        ModelShape s = spec.shape();
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.putString("general.name", "coffer synth " + s.name() + " (random weights, seed " + spec.seed() + ")");
        w.putUInt32("general.file_type", TensorTypeRule.llamaFileType(spec.target()));
        w.putUInt32("general.quantization_version", 2);
        int vocab = spec.tokenizer().map(SyntheticLlama::vocabSize).orElseGet(() -> DemoVocabulary.build().size());
        if (s.vocabSize() != 0 && s.vocabSize() != vocab) {
            throw new QuantizationException(s.name() + " needs a " + s.vocabSize() + "-token vocabulary, the tokenizer"
                    + " has " + vocab);
        }
        w.putUInt32("llama.vocab_size", vocab);
        w.putUInt32("llama.context_length", s.contextLength());
        w.putUInt32("llama.embedding_length", s.dim());
        w.putUInt32("llama.block_count", s.layers());
        w.putUInt32("llama.feed_forward_length", s.ffnDim());
        w.putUInt32("llama.rope.dimension_count", s.headDim());
        w.putUInt32("llama.attention.head_count", s.heads());
        w.putUInt32("llama.attention.head_count_kv", s.kvHeads());
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", s.rmsEps());
        w.putFloat32("llama.rope.freq_base", s.ropeTheta());
        if (spec.tokenizer().isPresent()) {
            w.copyMetadata(spec.tokenizer().get(), k -> k.startsWith("tokenizer."));
        } else {
            DemoVocabulary.Vocab v = DemoVocabulary.build();
            w.putString("tokenizer.ggml.model", "llama");
            w.putStrings("tokenizer.ggml.tokens", v.tokens().toArray(String[]::new));
            w.putFloats("tokenizer.ggml.scores", v.scores());
            w.putInt32s("tokenizer.ggml.token_type", v.types());
            w.putUInt32("tokenizer.ggml.bos_token_id", 1);
            w.putUInt32("tokenizer.ggml.eos_token_id", 2);
            w.putUInt32("tokenizer.ggml.unknown_token_id", 0);
            w.putBool("tokenizer.ggml.add_bos_token", true);
            w.putBool("tokenizer.ggml.add_eos_token", false);
        }

        // Compute order (what pipelined restoration wants): embeddings, then layer by layer, then the head.
        GgmlType t = spec.target();
        add(w, t, "token_embd.weight", s.dim(), vocab);
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            add(w, t, p + "attn_norm.weight", s.dim());
            add(w, t, p + "attn_q.weight", s.dim(), s.dim());
            add(w, t, p + "attn_k.weight", s.dim(), s.kvDim());
            add(w, t, p + "attn_v.weight", s.dim(), s.kvDim());
            add(w, t, p + "attn_output.weight", s.dim(), s.dim());
            add(w, t, p + "ffn_norm.weight", s.dim());
            add(w, t, p + "ffn_gate.weight", s.dim(), s.ffnDim());
            add(w, t, p + "ffn_up.weight", s.dim(), s.ffnDim());
            add(w, t, p + "ffn_down.weight", s.ffnDim(), s.dim());
        }
        add(w, t, "output_norm.weight", s.dim());
        add(w, t, "output.weight", s.dim(), vocab);
        return w;
    }

    private static int vocabSize(GgufFile f) {
        if (!f.has("tokenizer.ggml.tokens")) {
            throw new QuantizationException(f.source() + " has no tokenizer (tokenizer.ggml.tokens is missing)");
        }
        return f.getArray("tokenizer.ggml.tokens").length();
    }

    private static void add(GgufWriter w, GgmlType target, String name, long... shape) {
        w.addTensor(name, TensorTypeRule.typeFor(target, shape), shape);
    }

    /**
     * Generates and writes the model to {@code out} using {@code threads} workers; {@code progress} receives bytes
     * of tensor data as they are written.
     */
    public static void write(Spec spec, Path out, int threads, LongConsumer progress) throws IOException {
        GgufWriter w = layout(spec);
        try (ParallelRowWriter rows = new ParallelRowWriter(threads)) {
            w.write(out, (t, os) -> rows.write(t, source(spec.seed(), t), os, progress));
        }
    }

    /** The same model as {@link #write}, in memory (small shapes only: it is one array). */
    public static byte[] toBytes(Spec spec, int threads) throws IOException {
        GgufWriter w = layout(spec);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(Math.toIntExact(w.fileSize()));
        try (ParallelRowWriter rows = new ParallelRowWriter(threads)) {
            w.writeTo(out, (t, os) -> rows.write(t, source(spec.seed(), t), os, n -> { }));
        }
        return out.toByteArray();
    }

    /** The float rows of a tensor: ones for 1-D (norm) tensors, the seeded random stream otherwise. */
    static ParallelRowWriter.RowSource source(long seed, GgufTensorInfo t) {
        if (t.dims() == 1) return (start, end, dst) -> java.util.Arrays.fill(dst, 1.0f);
        long tensorSeed = mix(seed ^ mix(0x436f66666572L + t.name().hashCode()));
        long rowLength = t.dim(0);
        return (start, end, dst) -> {
            long base = start * rowLength;
            for (int i = 0; i < dst.length; i++) dst[i] = normalish(tensorSeed, base + i);
        };
    }

    private static final float IRWIN_HALL_SCALE = WEIGHT_STD * 1.7320508f / 65536f; // sqrt(3) / 2^16

    /** Element {@code index} of the stream {@code tensorSeed}: sum of four 16-bit uniforms, centred and scaled. */
    static float normalish(long tensorSeed, long index) {
        long r = mix(tensorSeed + index * 0x9E3779B97F4A7C15L);
        int sum = (int) (r & 0xFFFF) + (int) ((r >>> 16) & 0xFFFF) + (int) ((r >>> 32) & 0xFFFF) + (int) (r >>> 48);
        return (sum + 2 - 131072) * IRWIN_HALL_SCALE;
    }

    /** SplitMix64's output function (Steele, Lea, Flood 2014). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Where the CLI keeps the demo model: {@code <coffer.home>/models/demo.gguf}. */
    public static Path defaultDemoPath(Path cofferHome) {
        return cofferHome.resolve("models").resolve("demo.gguf");
    }
}
