package dev.coffer.inference.synth;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The hyper-parameters of a Llama-architecture model, enough to lay out its tensors. {@code vocabSize} 0 means
 * "as many tokens as the tokenizer has".
 */
public record ModelShape(String name, int dim, int ffnDim, int layers, int heads, int kvHeads, int contextLength,
                         float ropeTheta, float rmsEps, int vocabSize) {
    public ModelShape {
        if (dim % heads != 0) throw new IllegalArgumentException(name + ": dim " + dim + " not divisible by heads");
        if (heads % kvHeads != 0) throw new IllegalArgumentException(name + ": heads not divisible by kv heads");
    }

    /** TinyLlama-1.1B (Chat v1.0): Llama-2 tokenizer, grouped-query attention with 4 KV heads. */
    public static final ModelShape TINYLLAMA_1_1B =
            new ModelShape("tinyllama-1.1b", 2048, 5632, 22, 32, 4, 2048, 10000f, 1e-5f, 0);

    /** Karpathy's llama2.c stories15M (TinyStories): Llama-2 tokenizer, 256-token context. */
    public static final ModelShape STORIES_15M =
            new ModelShape("stories15m", 288, 768, 6, 6, 6, 256, 10000f, 1e-5f, 0);

    /** Coffer's small built-in model: GQA (2 KV heads), with the embedded demo vocabulary. */
    public static final ModelShape DEMO = new ModelShape("demo", 128, 384, 4, 4, 2, 512, 10000f, 1e-5f, 0);

    public static List<ModelShape> known() { return List.of(TINYLLAMA_1_1B, STORIES_15M, DEMO); }

    public static Optional<ModelShape> byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return known().stream().filter(s -> s.name.equals(n)).findFirst();
    }

    public int headDim() { return dim / heads; }

    public int kvDim() { return kvHeads * headDim(); }
}
