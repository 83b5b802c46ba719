package dev.coffer.tee.channel;

/** A bidirectional, ordered stream of frames between the host and the secure world. Not thread-safe: one
 *  conversation (a call and its ocalls) at a time. */
public interface Channel extends AutoCloseable {
    void send(Frame frame);

    /**
     * The next frame. Payloads longer than the limit come back {@link Frame#oversized() oversized} and empty.
     *
     * @throws ChannelClosedException at end of stream (also mid-frame: a truncated frame)
     * @throws BrokenFrameException   when the bytes are not a frame
     */
    Frame receive();

    @Override
    void close();
}
