package dev.coffer.tee.channel;

/** The stream no longer holds frames (bad magic, unknown kind): the two sides are out of step and the channel
 *  cannot be trusted to resynchronise, so the receiver reports it and closes the channel. */
public final class BrokenFrameException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BrokenFrameException(String message) {
        super(message);
    }
}
