package dev.coffer.inference.model;

import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import java.util.Set;

/** Hyper-parameters of a Llama-family model, read from GGUF metadata ({@code <arch>.*} keys). */
public record LlamaConfig(String architecture, int dim, int ffnDim, int layers, int heads, int kvHeads, int headDim,
                          int ropeDims, float ropeBase, RopeType ropeType, float rmsEps, int contextLength,
                          int vocabSize) {
    /** Architectures that are the Llama graph (llama.cpp's LLM_ARCH_LLAMA family) with the given rope type. */
    private static final Set<String> NORMAL_ROPE = Set.of("llama", "mistral", "granite");
    private static final Set<String> NEOX_ROPE = Set.of("qwen2");

    public LlamaConfig {
        if (dim <= 0 || ffnDim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocabSize <= 0) {
            throw new UnsupportedModelException("non-positive hyper-parameter in " + this);
        }
        if (heads % kvHeads != 0) {
            throw new UnsupportedModelException("head_count " + heads + " is not a multiple of head_count_kv " + kvHeads);
        }
        if (headDim * heads != dim) {
            throw new UnsupportedModelException("embedding_length " + dim + " is not head_count x head_dim");
        }
        if (ropeDims <= 0 || ropeDims > headDim || ropeDims % 2 != 0) {
            throw new UnsupportedModelException("rope.dimension_count " + ropeDims + " must be even and <= head dim "
                    + headDim);
        }
    }

    public int kvDim() { return kvHeads * headDim; }

    public static LlamaConfig from(GgufFile f) {
        String arch = f.getString("general.architecture");
        RopeType rope;
        if (NORMAL_ROPE.contains(arch)) rope = RopeType.NORMAL;
        else if (NEOX_ROPE.contains(arch)) rope = RopeType.NEOX;
        else throw new UnsupportedModelException(f.source() + ": architecture '" + arch
                + "' is not supported (supported: llama, mistral, granite, qwen2)");
        int dim = f.getInt(arch + ".embedding_length");
        int heads = f.getInt(arch + ".attention.head_count");
        int kvHeads = f.findInt(arch + ".attention.head_count_kv").orElse(heads);
        int headDim = heads > 0 ? dim / heads : 0;
        int vocab = f.tensorInfo("token_embd.weight").map(t -> (int) t.dim(1))
                .orElseThrow(() -> new UnsupportedModelException(f.source() + ": tensor token_embd.weight is missing"));
        return new LlamaConfig(arch, dim, f.getInt(arch + ".feed_forward_length"), f.getInt(arch + ".block_count"),
                heads, kvHeads, headDim, f.findInt(arch + ".rope.dimension_count").orElse(headDim),
                f.findFloat(arch + ".rope.freq_base").orElse(10000f), rope,
                f.getFloat(arch + ".attention.layer_norm_rms_epsilon"),
                f.findInt(arch + ".context_length").orElse(2048), vocab);
    }

    /** Expected ggml shape of a tensor, for validation at load time. */
    static void checkShape(GgufTensorInfo t, long... shape) {
        for (int i = 0; i < shape.length; i++) {
            if (t.dim(i) != shape[i]) {
                throw new UnsupportedModelException("tensor " + t.name() + " has shape " + java.util.Arrays.toString(
                        t.shape()) + ", expected " + java.util.Arrays.toString(shape));
            }
        }
    }
}
