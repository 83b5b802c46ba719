package dev.coffer.inference.model;

/** How rotary embeddings pair the dimensions of a head (ggml's rope modes). */
public enum RopeType {
    /** Adjacent pairs (2i, 2i+1): llama.cpp's LLAMA_ROPE_TYPE_NORM, used by the llama architecture. */
    NORMAL,
    /** Halves (i, i + d/2): LLAMA_ROPE_TYPE_NEOX, used by Qwen2, Falcon, Phi and others. */
    NEOX
}
