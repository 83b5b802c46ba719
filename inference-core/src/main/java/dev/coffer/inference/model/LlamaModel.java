package dev.coffer.inference.model;

import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.TensorSource;

/**
 * A Llama-family model: configuration plus where its weights come from. Holds no buffers; a {@link Session}
 * owns the KV cache and activations of one sequence.
 */
public final class LlamaModel {
    private final LlamaConfig config;
    private final TensorSource weights;
    private final boolean tiedOutput;

    private LlamaModel(LlamaConfig config, TensorSource weights, boolean tiedOutput) {
        this.config = config;
        this.weights = weights;
        this.tiedOutput = tiedOutput;
    }

    /**
     * Reads the configuration from {@code file} and checks that every tensor the graph needs is described there
     * with the right shape (without touching weight bytes, so a restoring source need not have them yet).
     */
    public static LlamaModel load(GgufFile file, TensorSource weights) {
        LlamaConfig c = LlamaConfig.from(file);
        check(file, "token_embd.weight", c.dim(), c.vocabSize());
        check(file, "output_norm.weight", c.dim());
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            check(file, p + "attn_norm.weight", c.dim());
            check(file, p + "attn_q.weight", c.dim(), c.dim());
            check(file, p + "attn_k.weight", c.dim(), c.kvDim());
            check(file, p + "attn_v.weight", c.dim(), c.kvDim());
            check(file, p + "attn_output.weight", c.dim(), c.dim());
            check(file, p + "ffn_norm.weight", c.dim());
            check(file, p + "ffn_gate.weight", c.dim(), c.ffnDim());
            check(file, p + "ffn_up.weight", c.dim(), c.ffnDim());
            check(file, p + "ffn_down.weight", c.ffnDim(), c.dim());
        }
        boolean tied = file.tensorInfo("output.weight").isEmpty();
        if (!tied) check(file, "output.weight", c.dim(), c.vocabSize());
        return new LlamaModel(c, weights, tied);
    }

    private static void check(GgufFile f, String name, long... shape) {
        GgufTensorInfo t = f.tensorInfo(name).orElseThrow(() -> new UnsupportedModelException(
                f.source() + ": tensor '" + name + "' is missing"));
        LlamaConfig.checkShape(t, shape);
    }

    public LlamaConfig config() { return config; }

    TensorSource weights() { return weights; }

    /** The output projection's name: {@code output.weight}, or the token embedding when they are tied. */
    String outputTensorName() { return tiedOutput ? "token_embd.weight" : "output.weight"; }

    /**
     * A new sequence with its own KV cache.
     *
     * @param allocator     where the KV cache and activations live
     * @param pool          worker threads (results do not depend on their number)
     * @param contextLength maximum tokens in this sequence, at most the model's training context
     */
    public Session newSession(BufferAllocator allocator, Parallel pool, int contextLength) {
        return new Session(this, allocator, pool, contextLength);
    }
}
