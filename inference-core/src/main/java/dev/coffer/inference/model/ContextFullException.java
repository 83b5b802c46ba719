package dev.coffer.inference.model;

/** The sequence would grow past the session's context length. */
public final class ContextFullException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ContextFullException(int position, int adding, int contextLength) {
        super("context full: " + position + " tokens + " + adding + " new exceed the context length "
                + contextLength + " (start a new session or raise --ctx)");
    }
}
