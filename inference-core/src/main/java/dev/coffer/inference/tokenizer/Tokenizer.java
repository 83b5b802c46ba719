package dev.coffer.inference.tokenizer;

import dev.coffer.inference.gguf.GgufFile;

/**
 * Text to token ids and back, built from a GGUF file's {@code tokenizer.ggml.*} metadata and matching
 * llama.cpp's {@code llama-vocab.cpp} token for token. Two models are supported: SentencePiece-style
 * ({@code tokenizer.ggml.model = llama}) and GPT-2 byte-level BPE ({@code gpt2}) with the pre-tokenizers named
 * by {@code tokenizer.ggml.pre} (default, gpt-2, starcoder, falcon, deepseek-llm, deepseek-coder, llama-bpe,
 * qwen2 and their aliases). Instances are immutable and thread-safe.
 */
public interface Tokenizer {

    /**
     * Builds the tokenizer a GGUF file describes.
     *
     * @throws UnsupportedTokenizerException if the file asks for a tokenizer model or pre-tokenizer we lack
     * @throws dev.coffer.inference.gguf.GgufFormatException if the vocabulary metadata is missing or malformed
     */
    static Tokenizer fromGguf(GgufFile f) {
        Vocabulary vocab = Vocabulary.fromGguf(f);
        return switch (vocab.model) {
            case SPM -> new SpmTokenizer(vocab);
            case BPE -> new BpeTokenizer(vocab, PreTokenizer.forName(vocab.pre));
        };
    }

    /**
     * Token ids of {@code text}.
     *
     * @param addSpecial add BOS (and EOS) if the vocabulary asks for them ({@code tokenizer.ggml.add_bos_token},
     *        default true for SentencePiece and Llama 3, false otherwise)
     * @param parseSpecial recognise the text of control tokens (e.g. {@code <s>}, {@code <|im_end|>}) in
     *        {@code text} as those tokens; user-defined tokens are always recognised, as in llama.cpp
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * The bytes one token contributes to output text, for streaming: possibly an incomplete UTF-8 sequence
     * (byte tokens), empty for control and unknown tokens. SentencePiece's U+2581 is a space here.
     */
    byte[] tokenBytes(int id);

    /**
     * The text of a sequence of tokens: their {@link #tokenBytes} joined and read as UTF-8 (invalid sequences
     * become U+FFFD). For SentencePiece vocabularies that add a space prefix, the space that prefix put before
     * the first word is removed, so {@code decode(encode(s, true, false))} gives back {@code s}.
     */
    String decode(int[] ids);

    int vocabSize();

    /** The beginning-of-sequence token, or -1 if the vocabulary has none. */
    int bos();

    /** The end-of-sequence token, or -1 if the vocabulary has none. */
    int eos();

    /** Whether generation should stop at this token (EOS, end-of-turn and similar tokens, as llama.cpp's EOG set). */
    boolean isEndOfGeneration(int id);

    /** The token's text as stored in the vocabulary (e.g. {@code ▁Hello}, {@code ĠHello}, {@code <s>}). */
    String tokenText(int id);
}
