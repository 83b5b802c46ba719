package dev.coffer.inference.tokenizer;

/** The GGUF file asks for a tokenizer (model or pre-tokenizer) that Coffer does not implement. One-line message. */
public final class UnsupportedTokenizerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnsupportedTokenizerException(String message) {
        super(message);
    }
}
