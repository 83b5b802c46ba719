package dev.coffer.inference.gguf;

/** A GGUF file is truncated, malformed or uses something Coffer does not support. The message is one line. */
public final class GgufFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GgufFormatException(String message) {
        super(message);
    }
}
