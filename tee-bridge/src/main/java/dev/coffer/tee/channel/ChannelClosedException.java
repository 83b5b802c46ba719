package dev.coffer.tee.channel;

/** The other side of the channel has gone: end of stream at a frame boundary, or in the middle of a frame. */
public final class ChannelClosedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ChannelClosedException(String message) {
        super(message);
    }
}
