package dev.coffer.tee;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds one message in the layout {@link MessageReader} reads (little-endian, length-prefixed arrays). */
public final class MessageWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    public MessageWriter writeByte(int value) {
        out.write(value);
        return this;
    }

    public MessageWriter writeBoolean(boolean value) {
        return writeByte(value ? 1 : 0);
    }

    public MessageWriter writeInt(int value) {
        out.write(scratch.clear().putInt(value).array(), 0, 4);
        return this;
    }

    public MessageWriter writeLong(long value) {
        out.write(scratch.clear().putLong(value).array(), 0, 8);
        return this;
    }

    public MessageWriter writeFloat(float value) {
        return writeInt(Float.floatToRawIntBits(value));
    }

    public MessageWriter writeBytes(byte[] value) {
        writeInt(value.length);
        out.write(value, 0, value.length);
        return this;
    }

    public MessageWriter writeFixed(byte[] value) {
        out.write(value, 0, value.length);
        return this;
    }

    public MessageWriter writeInts(int[] values) {
        writeInt(values.length);
        for (int v : values) writeInt(v);
        return this;
    }

    public MessageWriter writeFloats(float[] values) {
        writeInt(values.length);
        for (float v : values) writeFloat(v);
        return this;
    }

    public MessageWriter writeString(String value) {
        return writeBytes(value.getBytes(StandardCharsets.UTF_8));
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }
}
