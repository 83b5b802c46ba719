package dev.coffer.tee;

/** A sealed blob could not be opened: it was sealed to another identity or platform, or it was modified. */
public final class UnsealException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnsealException(String message) {
        super(message);
    }
}
