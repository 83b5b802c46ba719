package dev.coffer.inference.gguf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Writes GGUF v3 files (llama.cpp's {@code gguf.cpp} layout): header, metadata in insertion order, tensor infos,
 * then each tensor's data padded with zeros to the alignment (32 bytes unless {@code general.alignment} says
 * otherwise). Tensor sizes follow from type and shape, so the header is written first and the data is streamed
 * tensor by tensor in declaration order: a multi-gigabyte model never has to be in memory.
 *
 * <p>Metadata values use the reader's representation ({@link GgufFile#metadata()}): integers as {@link Long}
 * (range-checked against the declared type), {@link Float}, {@link Double}, {@link Boolean}, {@link String} (written
 * as UTF-8) and {@link GgufArray}. Strings that the reader could not decode as UTF-8 come back as Latin-1 text and
 * are re-encoded as UTF-8 here, so such (invalid) strings are not copied byte for byte.
 */
public final class GgufWriter {
    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final List<GgufTensorInfo> tensors = new ArrayList<>();
    private final Map<String, GgufTensorInfo> tensorsByName = new LinkedHashMap<>();
    private long nextOffset;

    private record Entry(GgufValueType type, Object value) {}

    /** Supplies the bytes of each tensor, called once per tensor in declaration order. */
    @FunctionalInterface
    public interface TensorData {
        /** Writes exactly {@code tensor.byteSize()} bytes of {@code tensor} to {@code out}. */
        void write(GgufTensorInfo tensor, OutputStream out) throws IOException;
    }

    // ---- metadata ----

    /** Sets a metadata value (replacing an existing key in place, as gguf_set_* does). */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        if (key.isEmpty()) throw new IllegalArgumentException("metadata key must not be empty");
        if (type == GgufValueType.ARRAY) {
            if (!(value instanceof GgufArray a)) throw badValue(key, type, value);
            checkArray(key, a, 0);
        } else {
            checkScalar(key, type, value);
        }
        if (key.equals("general.alignment")) {
            long a = ((Number) value).longValue();
            if (a <= 0 || a > (1 << 20) || Long.bitCount(a) != 1) {
                throw new IllegalArgumentException("general.alignment must be a power of two <= 1 MiB: " + a);
            }
            if (!tensors.isEmpty()) throw new IllegalStateException("set general.alignment before adding tensors");
        }
        metadata.put(key, new Entry(type, value));
        return this;
    }

    public GgufWriter putString(String key, String value) { return put(key, GgufValueType.STRING, value); }

    public GgufWriter putUInt32(String key, long value) { return put(key, GgufValueType.UINT32, value); }

    public GgufWriter putInt32(String key, long value) { return put(key, GgufValueType.INT32, value); }

    public GgufWriter putUInt64(String key, long value) { return put(key, GgufValueType.UINT64, value); }

    public GgufWriter putFloat32(String key, float value) { return put(key, GgufValueType.FLOAT32, value); }

    public GgufWriter putBool(String key, boolean value) { return put(key, GgufValueType.BOOL, value); }

    public GgufWriter putArray(String key, GgufArray value) { return put(key, GgufValueType.ARRAY, value); }

    public GgufWriter putStrings(String key, String... values) {
        return putArray(key, new GgufArray(GgufValueType.STRING, values.clone()));
    }

    public GgufWriter putFloats(String key, float... values) {
        return putArray(key, new GgufArray(GgufValueType.FLOAT32, values.clone()));
    }

    /** An array of INT32 values (as llama.cpp stores tokenizer.ggml.token_type). */
    public GgufWriter putInt32s(String key, int... values) {
        long[] v = new long[values.length];
        for (int i = 0; i < v.length; i++) v[i] = values[i];
        return putArray(key, new GgufArray(GgufValueType.INT32, v));
    }

    /** Copies the metadata of {@code from} whose keys pass {@code keep}, with their original types, in file order. */
    public GgufWriter copyMetadata(GgufFile from, Predicate<String> keep) {
        for (Map.Entry<String, Object> e : from.metadata().entrySet()) {
            if (keep.test(e.getKey())) put(e.getKey(), from.typeOf(e.getKey()).orElseThrow(), e.getValue());
        }
        return this;
    }

    public boolean has(String key) { return metadata.containsKey(key); }

    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    // ---- tensors ----

    /** Declares the next tensor; its data offset follows from the tensors declared before it. */
    public GgufTensorInfo addTensor(String name, GgmlType type, long... shape) {
        if (name.isEmpty()) throw new IllegalArgumentException("tensor name must not be empty");
        if (tensorsByName.containsKey(name)) throw new IllegalArgumentException("duplicate tensor '" + name + "'");
        if (shape.length < 1 || shape.length > 4) {
            throw new IllegalArgumentException("tensor '" + name + "': 1 to 4 dimensions, got " + shape.length);
        }
        long elements = 1;
        for (long d : shape) {
            if (d <= 0) throw new IllegalArgumentException("tensor '" + name + "': dimension " + d + " must be > 0");
            elements = Math.multiplyExact(elements, d);
        }
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': row length " + shape[0]
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        long size = type.byteSize(elements);
        GgufTensorInfo info = new GgufTensorInfo(name, type, shape, nextOffset, size);
        nextOffset = pad(nextOffset + size, alignment());
        tensors.add(info);
        tensorsByName.put(name, info);
        return info;
    }

    public List<GgufTensorInfo> tensors() { return Collections.unmodifiableList(tensors); }

    public long alignment() {
        Entry a = metadata.get("general.alignment");
        return a == null ? GgufFile.DEFAULT_ALIGNMENT : ((Number) a.value()).longValue();
    }

    /** Size of the whole file: header, padding and all tensor data. */
    public long fileSize() {
        return pad(headerSize(), alignment()) + nextOffset;
    }

    // ---- output ----

    /**
     * Writes the file to {@code path} through a temporary file in the same directory that is moved into place only
     * when complete, so a failure never leaves a truncated GGUF behind. Overwrites an existing {@code path}.
     */
    public void write(Path path, TensorData data) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".part");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20)) {
                writeTo(out, data);
                out.flush();
                ch.force(false);
            }
            try {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes the whole file to {@code out} (not closed). */
    public void writeTo(OutputStream out, TensorData data) throws IOException {
        long align = alignment();
        Sink sink = new Sink(out);
        sink.i32(GgufFile.MAGIC);
        sink.i32(3);
        sink.i64(tensors.size());
        sink.i64(metadata.size());
        for (Map.Entry<String, Entry> e : metadata.entrySet()) {
            sink.string(e.getKey());
            sink.i32(e.getValue().type().ordinal());
            sink.value(e.getValue().type(), e.getValue().value());
        }
        for (GgufTensorInfo t : tensors) {
            sink.string(t.name());
            sink.i32(t.dims());
            for (long d : t.shape()) sink.i64(d);
            sink.i32(t.type().id());
            sink.i64(t.offset());
        }
        sink.zeros(pad(sink.count, align) - sink.count);
        long dataStart = sink.count;
        for (GgufTensorInfo t : tensors) {
            long before = sink.count;
            data.write(t, sink);
            long written = sink.count - before;
            if (written != t.byteSize()) {
                throw new IllegalStateException("tensor '" + t.name() + "': wrote " + written + " bytes, expected "
                        + t.byteSize() + " for " + t.type() + " " + java.util.Arrays.toString(t.shape()));
            }
            sink.zeros(pad(sink.count, align) - sink.count);
            assert sink.count - dataStart == pad(t.offset() + t.byteSize(), align);
        }
    }

    private long headerSize() {
        CountingSize c = new CountingSize();
        try {
            Sink s = new Sink(c);
            s.i32(0);
            s.i32(0);
            s.i64(0);
            s.i64(0);
            for (Map.Entry<String, Entry> e : metadata.entrySet()) {
                s.string(e.getKey());
                s.i32(0);
                s.value(e.getValue().type(), e.getValue().value());
            }
            for (GgufTensorInfo t : tensors) {
                s.string(t.name());
                s.i32(0);
                for (int i = 0; i < t.dims(); i++) s.i64(0);
                s.i32(0);
                s.i64(0);
            }
            return s.count;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long pad(long n, long align) {
        return (n + align - 1) / align * align;
    }

    // ---- validation ----

    private static void checkScalar(String key, GgufValueType type, Object value) {
        boolean ok = switch (type) {
            case UINT8 -> value instanceof Long l && l >= 0 && l <= 0xFF;
            case INT8 -> value instanceof Long l && l >= Byte.MIN_VALUE && l <= Byte.MAX_VALUE;
            case UINT16 -> value instanceof Long l && l >= 0 && l <= 0xFFFF;
            case INT16 -> value instanceof Long l && l >= Short.MIN_VALUE && l <= Short.MAX_VALUE;
            case UINT32 -> value instanceof Long l && l >= 0 && l <= 0xFFFF_FFFFL;
            case INT32 -> value instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE;
            case UINT64, INT64 -> value instanceof Long; // UINT64 above 2^63 arrives as a negative long
            case FLOAT32 -> value instanceof Float;
            case FLOAT64 -> value instanceof Double;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String;
            case ARRAY -> false;
        };
        if (!ok) throw badValue(key, type, value);
    }

    private static void checkArray(String key, GgufArray a, int depth) {
        if (depth >= 4) throw new IllegalArgumentException("metadata '" + key + "': arrays nested too deeply");
        Object v = a.values();
        boolean shapeOk = switch (a.elementType()) {
            case FLOAT32 -> v instanceof float[];
            case FLOAT64 -> v instanceof double[];
            case BOOL -> v instanceof boolean[];
            case STRING -> v instanceof String[];
            case ARRAY -> v instanceof GgufArray[];
            default -> v instanceof long[];
        };
        if (!shapeOk) throw badValue(key, a.elementType(), v);
        switch (v) {
            case long[] longs -> { for (long l : longs) checkScalar(key, a.elementType(), l); }
            case String[] strings -> { for (String s : strings) if (s == null) throw badValue(key, a.elementType(), s); }
            case GgufArray[] nested -> { for (GgufArray n : nested) checkArray(key, n, depth + 1); }
            default -> { }
        }
    }

    private static IllegalArgumentException badValue(String key, GgufValueType type, Object value) {
        return new IllegalArgumentException("metadata '" + key + "': " + (value == null ? "null" : value.getClass()
                .getSimpleName() + " " + value) + " is not a valid " + type + " value");
    }

    // ---- byte output ----

    private static final class CountingSize extends OutputStream {
        @Override public void write(int b) { }
        @Override public void write(byte[] b, int off, int len) { }
    }

    /** Little-endian primitive writer that counts bytes; tensor data goes through it too. */
    private static final class Sink extends OutputStream {
        private final OutputStream out;
        private final byte[] scratch = new byte[8];
        long count;

        Sink(OutputStream out) { this.out = out; }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        void le(long v, int bytes) throws IOException {
            for (int i = 0; i < bytes; i++) scratch[i] = (byte) (v >>> (8 * i));
            write(scratch, 0, bytes);
        }

        void i32(int v) throws IOException { le(v, 4); }

        void i64(long v) throws IOException { le(v, 8); }

        void zeros(long n) throws IOException {
            for (long i = 0; i < n; i++) write(0);
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            write(b, 0, b.length);
        }

        void value(GgufValueType type, Object value) throws IOException {
            switch (type) {
                case UINT8, INT8, BOOL -> write(value instanceof Boolean b ? (b ? 1 : 0) : (int) (long) (Long) value);
                case UINT16, INT16 -> le((Long) value, 2);
                case UINT32, INT32 -> le((Long) value, 4);
                case UINT64, INT64 -> le((Long) value, 8);
                case FLOAT32 -> i32(Float.floatToRawIntBits((Float) value));
                case FLOAT64 -> i64(Double.doubleToRawLongBits((Double) value));
                case STRING -> string((String) value);
                case ARRAY -> array((GgufArray) value);
            }
        }

        private void array(GgufArray a) throws IOException {
            i32(a.elementType().ordinal());
            i64(a.length());
            GgufValueType et = a.elementType();
            switch (a.values()) {
                case float[] f -> {
                    byte[] buf = new byte[4 * f.length];
                    for (int i = 0; i < f.length; i++) {
                        int bits = Float.floatToRawIntBits(f[i]);
                        buf[4 * i] = (byte) bits;
                        buf[4 * i + 1] = (byte) (bits >>> 8);
                        buf[4 * i + 2] = (byte) (bits >>> 16);
                        buf[4 * i + 3] = (byte) (bits >>> 24);
                    }
                    write(buf, 0, buf.length);
                }
                case double[] d -> { for (double v : d) i64(Double.doubleToRawLongBits(v)); }
                case boolean[] b -> { for (boolean v : b) write(v ? 1 : 0); }
                case String[] s -> { for (String v : s) string(v); }
                case GgufArray[] nested -> { for (GgufArray n : nested) array(n); }
                case long[] l -> { for (long v : l) value(et, v); }
                default -> throw new IllegalStateException("unexpected array values " + a.values().getClass());
            }
        }
    }
}
