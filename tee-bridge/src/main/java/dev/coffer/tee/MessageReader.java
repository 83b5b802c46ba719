package dev.coffer.tee;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads the fields of one message, checking every length against what is left: a short or lying message gives
 * {@link MalformedMessageException}, never an out-of-bounds read or a huge allocation. Little-endian throughout.
 */
public final class MessageReader {
    private final ByteBuffer buffer;

    public MessageReader(byte[] message) {
        this.buffer = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
    }

    public int remaining() {
        return buffer.remaining();
    }

    private void need(int bytes, String field) {
        if (bytes < 0 || buffer.remaining() < bytes) {
            throw new MalformedMessageException("message too short: " + field + " needs " + bytes + " bytes at offset "
                    + buffer.position() + ", " + buffer.remaining() + " left");
        }
    }

    public byte readByte(String field) {
        need(1, field);
        return buffer.get();
    }

    public boolean readBoolean(String field) {
        byte b = readByte(field);
        if (b != 0 && b != 1) throw new MalformedMessageException(field + ": expected 0 or 1, found " + b);
        return b == 1;
    }

    public int readInt(String field) {
        need(4, field);
        return buffer.getInt();
    }

    public long readLong(String field) {
        need(8, field);
        return buffer.getLong();
    }

    public float readFloat(String field) {
        need(4, field);
        return buffer.getFloat();
    }

    /** A non-negative int no larger than {@code max}. */
    public int readCount(String field, int max) {
        int n = readInt(field);
        if (n < 0 || n > max) throw new MalformedMessageException(field + ": " + n + " is outside 0.." + max);
        return n;
    }

    /** Bytes with a 4-byte length prefix; the length is checked against what the message holds. */
    public byte[] readBytes(String field) {
        int n = readInt(field);
        need(n, field);
        byte[] out = new byte[n];
        buffer.get(out);
        return out;
    }

    public byte[] readFixed(String field, int length) {
        need(length, field);
        byte[] out = new byte[length];
        buffer.get(out);
        return out;
    }

    public int[] readInts(String field, int max) {
        int n = readCount(field, max);
        need(Math.multiplyExact(n, 4), field);
        int[] out = new int[n];
        buffer.asIntBuffer().get(out);
        buffer.position(buffer.position() + n * 4);
        return out;
    }

    public float[] readFloats(String field, int max) {
        int n = readCount(field, max);
        need(Math.multiplyExact(n, 4), field);
        float[] out = new float[n];
        buffer.asFloatBuffer().get(out);
        buffer.position(buffer.position() + n * 4);
        return out;
    }

    /** UTF-8 text with a length prefix; malformed UTF-8 is rejected rather than replaced. */
    public String readString(String field) {
        byte[] bytes = readBytes(field);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedMessageException(field + ": not valid UTF-8");
        }
    }

    /** Asserts the message has been read completely: trailing bytes mean sender and receiver disagree. */
    public void end() {
        if (buffer.hasRemaining()) {
            throw new MalformedMessageException(buffer.remaining() + " unexpected trailing bytes at offset "
                    + buffer.position());
        }
    }
}
