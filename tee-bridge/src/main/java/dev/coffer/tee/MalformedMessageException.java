package dev.coffer.tee;

/** A message crossing the boundary does not have the shape its call declares (too short, too long, bad value).
 *  Each side rejects such a message and goes on serving; nothing is trusted from a message that failed. */
public final class MalformedMessageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MalformedMessageException(String message) {
        super(message);
    }
}
