package dev.coffer.tee.channel;

import dev.coffer.tee.natives.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Frames over a socket descriptor (one end of an inherited {@code socketpair}), read and written with plain
 * {@code read}/{@code write} through the JNI library: these are among the few calls the secure world's seccomp
 * filter allows. Payload limits bound what one frame can make the receiver allocate.
 */
public final class FdChannel implements Channel {
    private static final int SKIP_CHUNK = 64 * 1024;

    private final int fd;
    private final int maxPayload;
    private final byte[] header = new byte[Frame.HEADER_BYTES];
    private volatile boolean closed;

    public FdChannel(int fd, int maxPayload) {
        if (maxPayload <= 0) throw new IllegalArgumentException("maxPayload must be > 0");
        this.fd = fd;
        this.maxPayload = maxPayload;
    }

    public int fd() {
        return fd;
    }

    @Override
    public void send(Frame frame) {
        ByteBuffer h = ByteBuffer.wrap(new byte[Frame.HEADER_BYTES]).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(Frame.MAGIC).put((byte) frame.kind().code).put((byte) 0).put((byte) 0).put((byte) 0)
                .putInt(frame.id()).putInt(frame.payload().length);
        byte[] bytes = new byte[Frame.HEADER_BYTES + frame.payload().length];
        System.arraycopy(h.array(), 0, bytes, 0, Frame.HEADER_BYTES);
        System.arraycopy(frame.payload(), 0, bytes, Frame.HEADER_BYTES, frame.payload().length);
        try {
            sendRaw(bytes);
        } finally {
            java.util.Arrays.fill(bytes, (byte) 0); // the init frame carries sealing keys: leave no copy behind
        }
    }

    /** Writes bytes as they are (tests use it to send broken frames). */
    public void sendRaw(byte[] bytes) {
        if (closed) throw new ChannelClosedException("channel is closed");
        try {
            Native.writeFully(fd, bytes, 0, bytes.length);
        } catch (RuntimeException e) {
            throw new ChannelClosedException("the other side of the channel is gone (" + e.getMessage() + ")");
        }
    }

    @Override
    public Frame receive() {
        if (!readFully(header, header.length, true)) {
            throw new ChannelClosedException("the other side closed the channel");
        }
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        int magic = h.getInt();
        if (magic != Frame.MAGIC) {
            throw new BrokenFrameException(String.format("bad frame magic 0x%08x (expected 0x%08x)", magic, Frame.MAGIC));
        }
        FrameKind kind = FrameKind.of(h.get() & 0xff);
        if (kind == null || h.get() != 0 || h.get() != 0 || h.get() != 0) {
            throw new BrokenFrameException("bad frame kind or reserved bytes in header");
        }
        int id = h.getInt();
        int length = h.getInt();
        if (length < 0) {
            throw new BrokenFrameException("frame length " + Integer.toUnsignedString(length) + " is beyond any limit");
        }
        if (length > maxPayload) {
            skip(length);
            return new Frame(kind, id, new byte[0], length);
        }
        byte[] payload = new byte[length];
        if (!readFully(payload, length, false)) throw new AssertionError("unreachable");
        return new Frame(kind, id, payload, length);
    }

    /** Reads exactly n bytes; false if the stream ended before the first byte and that is allowed. */
    private boolean readFully(byte[] into, int n, boolean endAllowedAtStart) {
        int done = 0;
        while (done < n) {
            int r = read(into, done, n - done);
            if (r == 0) {
                if (done == 0 && endAllowedAtStart) return false;
                throw new ChannelClosedException("truncated frame: the stream ended after " + done + " of " + n
                        + " bytes");
            }
            done += r;
        }
        return true;
    }

    private void skip(long n) {
        byte[] sink = new byte[(int) Math.min(SKIP_CHUNK, Math.max(n, 1))];
        long left = n;
        while (left > 0) {
            int r = read(sink, 0, (int) Math.min(sink.length, left));
            if (r == 0) throw new ChannelClosedException("truncated oversized frame: the stream ended with "
                    + left + " bytes unread");
            left -= r;
        }
    }

    private int read(byte[] into, int offset, int length) {
        if (closed) throw new ChannelClosedException("channel is closed");
        try {
            return Native.read(fd, into, offset, length);
        } catch (RuntimeException e) {
            throw new ChannelClosedException("channel read failed (" + e.getMessage() + ")");
        }
    }

    /** Wakes a thread blocked in {@link #receive} on either side without closing the descriptor yet. */
    public void shutdown() {
        try {
            Native.shutdown(fd);
        } catch (RuntimeException ignored) {
            // already shut down or closed: nothing to wake
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        shutdown();
        Native.close(fd);
    }
}
