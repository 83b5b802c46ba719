package dev.coffer.inference.tokenizer;

import dev.coffer.inference.gguf.GgufFile;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes a metadata-only GGUF v3 image in memory, for vocabularies made up by a test. */
final class TinyGguf {
    private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
    private int count;

    TinyGguf string(String key, String value) {
        key(key, 8);
        str(value);
        return this;
    }

    TinyGguf bool(String key, boolean value) {
        key(key, 7);
        kv.write(value ? 1 : 0);
        return this;
    }

    TinyGguf uint32(String key, long value) {
        key(key, 4);
        i32((int) value);
        return this;
    }

    TinyGguf strings(String key, String... values) {
        key(key, 9);
        i32(8);
        i64(values.length);
        for (String v : values) str(v);
        return this;
    }

    TinyGguf floats(String key, float... values) {
        key(key, 9);
        i32(6);
        i64(values.length);
        for (float v : values) i32(Float.floatToIntBits(v));
        return this;
    }

    TinyGguf int32s(String key, int... values) {
        key(key, 9);
        i32(5);
        i64(values.length);
        for (int v : values) i32(v);
        return this;
    }

    GgufFile parse() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(count);
        out.writeBytes(h.array());
        out.writeBytes(kv.toByteArray());
        return GgufFile.parse("tiny.gguf", MemorySegment.ofArray(out.toByteArray()));
    }

    private void key(String key, int type) {
        count++;
        str(key);
        i32(type);
    }

    private void str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i64(b.length);
        kv.writeBytes(b);
    }

    private void i32(int v) {
        kv.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    private void i64(long v) {
        kv.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }
}
