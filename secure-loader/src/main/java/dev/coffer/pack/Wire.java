package dev.coffer.pack;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The pack's binary encoding: big-endian integers, strings and byte strings prefixed by their length. Hand-written
 * because the format is ours (docs/pack-format.md) and its reader must be strict: every length is bounded before
 * anything is allocated, and trailing bytes are an error, so two encodings never mean the same thing.
 */
final class Wire {
    private Wire() {}

    static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer u8(int v) { out.write(v); return this; }

        Writer u16(int v) { out.write(v >>> 8); out.write(v); return this; }

        Writer u32(long v) {
            for (int s = 24; s >= 0; s -= 8) out.write((int) (v >>> s));
            return this;
        }

        Writer u64(long v) {
            for (int s = 56; s >= 0; s -= 8) out.write((int) (v >>> s));
            return this;
        }

        Writer raw(byte[] b) { out.writeBytes(b); return this; }

        Writer bytes(byte[] b) { return u32(b.length).raw(b); }

        Writer string(String s) { return bytes(s.getBytes(StandardCharsets.UTF_8)); }

        int size() { return out.size(); }

        byte[] toByteArray() { return out.toByteArray(); }
    }

    static final class Reader {
        private final ByteBuffer in;
        private final String what;

        Reader(byte[] data, String what) {
            this.in = ByteBuffer.wrap(data);
            this.what = what;
        }

        int u8() { return get(1).get() & 0xFF; }

        int u16() { return get(2).getShort() & 0xFFFF; }

        long u32() { return get(4).getInt() & 0xFFFFFFFFL; }

        long u64() {
            long v = get(8).getLong();
            if (v < 0) throw new PackFormatException(what + ": a 64-bit field is out of range at byte " + (in.position() - 8));
            return v;
        }

        /** A count or length, at most {@code max}. */
        int length(long max, String field) {
            long v = u32();
            if (v > max) throw new PackFormatException(what + ": " + field + " is " + v + ", more than the limit " + max);
            return (int) v;
        }

        byte[] raw(int n) {
            byte[] b = new byte[n];
            get(n).get(b);
            return b;
        }

        byte[] bytes(int max, String field) { return raw(length(max, field)); }

        String string(int maxBytes, String field) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes(maxBytes, field))).toString();
            } catch (CharacterCodingException e) {
                throw new PackFormatException(what + ": " + field + " is not valid UTF-8");
            }
        }

        void end() {
            if (in.hasRemaining()) {
                throw new PackFormatException(what + ": " + in.remaining() + " unexpected bytes after the end");
            }
        }

        private ByteBuffer get(int n) {
            if (in.remaining() < n) {
                throw new PackFormatException(what + " is truncated: needs " + n + " more bytes at byte " + in.position()
                        + ", has " + in.remaining());
            }
            return in;
        }
    }
}
