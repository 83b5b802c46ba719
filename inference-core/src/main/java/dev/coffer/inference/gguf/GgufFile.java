package dev.coffer.inference.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF v2/v3 file mapped read-only. Parsing is strict: every count and size is checked against the bytes that
 * remain before anything is allocated, so a hostile header can neither exhaust memory nor cause a negative size.
 * Errors name the offset, the field and what was expected. Tensor data stays in the mapping (no copy).
 *
 * <p>Hand-written rather than taken from a library because no maintained Java GGUF reader does bounded,
 * zero-copy parsing over {@link MemorySegment}; the format is llama.cpp's {@code gguf.cpp}.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4; // GGML_MAX_DIMS

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String source;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> metadataTypes;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final long alignment;
    private final long dataOffset;

    private GgufFile(String source, Arena arena, MemorySegment file) {
        this(source, arena, file, file.byteSize());
    }

    /** {@code file} holds at least the header; {@code fileSize} is the whole file's, against which tensors are checked. */
    private GgufFile(String source, Arena arena, MemorySegment file, long fileSize) {
        this.source = source;
        this.arena = arena;
        this.file = file;
        Parser p = new Parser(file);
        int magic = p.i32("magic");
        if (magic != MAGIC) {
            throw p.error(0, "magic", "expected \"GGUF\" (0x46554747), found 0x" + Integer.toHexString(magic)
                    + " - not a GGUF file");
        }
        version = p.i32("version");
        if (version != 2 && version != 3) {
            throw p.error(4, "version", "expected 2 or 3, found " + Integer.toUnsignedString(version)
                    + (version == 1 ? " (GGUF v1 is obsolete: re-convert the model with a current llama.cpp)" : ""));
        }
        long tensorCount = p.count("tensor_count", 8 + 4 + 8); // name len + n_dims + type + offset, at least
        long kvCount = p.count("metadata_kv_count", 8 + 4 + 1);
        Map<String, Object> md = new LinkedHashMap<>();
        Map<String, GgufValueType> mdTypes = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = p.pos;
            String key = p.string("metadata key #" + i);
            GgufValueType type = p.valueType("type of metadata '" + key + "'");
            Object value = p.value(type, key, 0);
            if (md.putIfAbsent(key, value) != null) {
                throw p.error(at, "metadata key", "duplicate key '" + key + "'");
            }
            mdTypes.put(key, type);
        }
        metadata = Collections.unmodifiableMap(md);
        metadataTypes = Collections.unmodifiableMap(mdTypes);

        long align = DEFAULT_ALIGNMENT;
        if (md.containsKey("general.alignment")) {
            Object a = md.get("general.alignment");
            if (!(a instanceof Long l) || l <= 0 || l > (1 << 20) || Long.bitCount(l) != 1) {
                throw new GgufFormatException(source + ": metadata 'general.alignment': expected a power of two "
                        + "<= 1 MiB, found " + a);
            }
            align = l;
        }
        alignment = align;

        List<GgufTensorInfo> infos = new ArrayList<>();
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            long at = p.pos;
            String name = p.string("name of tensor #" + i);
            int nDims = p.i32("n_dims of tensor '" + name + "'");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw p.error(at, "n_dims of tensor '" + name + "'", "expected 1.." + MAX_DIMS + ", found " + nDims);
            }
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long dimAt = p.pos;
                shape[d] = p.i64("ne[" + d + "] of tensor '" + name + "'");
                if (shape[d] <= 0 || shape[d] > (1L << 40)) {
                    throw p.error(dimAt, "ne[" + d + "] of tensor '" + name + "'",
                            "expected 1..2^40, found " + Long.toUnsignedString(shape[d]));
                }
                elements = multiplyOrFail(p, dimAt, elements, shape[d], name);
            }
            long typeAt = p.pos;
            int typeId = p.i32("type of tensor '" + name + "'");
            GgmlType type = GgmlType.byId(typeId).orElseThrow(() -> p.error(typeAt, "type of tensor '" + name + "'",
                    "unknown or unsupported ggml type id " + Integer.toUnsignedString(typeId)));
            if (shape[0] % type.blockSize() != 0) {
                throw p.error(typeAt, "tensor '" + name + "'", "row length " + shape[0]
                        + " is not a multiple of the " + type + " block size " + type.blockSize());
            }
            long offAt = p.pos;
            long offset = p.i64("offset of tensor '" + name + "'");
            if (offset < 0 || offset % align != 0) {
                throw p.error(offAt, "offset of tensor '" + name + "'", "expected a non-negative multiple of "
                        + align + ", found " + Long.toUnsignedString(offset));
            }
            long size = type.byteSize(elements);
            GgufTensorInfo info = new GgufTensorInfo(name, type, shape, offset, size);
            if (byName.putIfAbsent(name, info) != null) {
                throw p.error(at, "tensor name", "duplicate tensor '" + name + "'");
            }
            infos.add(info);
        }
        long data = (p.pos + align - 1) / align * align;
        if (!infos.isEmpty() && data > fileSize) {
            throw p.error(p.pos, "tensor data", "file ends at " + fileSize + " before tensor data at " + data
                    + " - the file is truncated");
        }
        for (GgufTensorInfo t : infos) {
            long end = data + t.offset() + t.byteSize();
            if (t.offset() > fileSize || end > fileSize || end < 0) {
                throw new GgufFormatException(source + ": tensor '" + t.name() + "' data [" + (data + t.offset())
                        + ", " + end + ") lies beyond the end of the file (" + fileSize
                        + " bytes) - the file is truncated");
            }
        }
        dataOffset = data;
        tensors = List.copyOf(infos);
        tensorsByName = Collections.unmodifiableMap(byName);
    }

    private static long multiplyOrFail(Parser p, long at, long a, long b, String name) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw p.error(at, "shape of tensor '" + name + "'", "element count overflows 64 bits");
        }
    }

    /** Maps {@code path} read-only and parses its header. The mapping lives until {@link #close()}. */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path.toString(), arena, seg);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses a GGUF image held in memory (tests, or a file restored elsewhere). The segment must stay alive. */
    public static GgufFile parse(String name, MemorySegment image) {
        return new GgufFile(name, null, image);
    }

    /**
     * Parses only the header of a GGUF file of {@code fileSize} bytes from {@code prefix}, which holds at least its
     * metadata and tensor table: for weights that live elsewhere (a restoring source places each tensor itself).
     * {@link #tensorData} then serves only tensors inside the prefix.
     */
    public static GgufFile parseHeader(String name, MemorySegment prefix, long fileSize) {
        if (fileSize < prefix.byteSize()) throw new IllegalArgumentException("file size below the prefix's");
        return new GgufFile(name, null, prefix, fileSize);
    }

    public String source() { return source; }
    public int version() { return version; }
    public long alignment() { return alignment; }
    /** Absolute file offset of the tensor data section. */
    public long dataOffset() { return dataOffset; }
    public MemorySegment segment() { return file; }
    public List<GgufTensorInfo> tensors() { return tensors; }
    public Map<String, Object> metadata() { return metadata; }

    public Optional<GgufTensorInfo> tensorInfo(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /** The bytes of a tensor, a slice of the read-only mapping. */
    public MemorySegment tensorData(GgufTensorInfo t) {
        return file.asSlice(dataOffset + t.offset(), t.byteSize());
    }

    public boolean has(String key) { return metadata.containsKey(key); }

    public Optional<GgufValueType> typeOf(String key) { return Optional.ofNullable(metadataTypes.get(key)); }

    public String getString(String key) { return get(key, String.class, "a string"); }

    public Optional<String> findString(String key) { return has(key) ? Optional.of(getString(key)) : Optional.empty(); }

    public long getLong(String key) { return get(key, Long.class, "an integer"); }

    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new GgufFormatException(source + ": metadata '" + key + "': expected a 32-bit integer, found " + v);
        }
        return (int) v;
    }

    public Optional<Integer> findInt(String key) { return has(key) ? Optional.of(getInt(key)) : Optional.empty(); }

    public float getFloat(String key) {
        Object v = metadata.get(key);
        if (v instanceof Float f) return f;
        if (v instanceof Double d) return d.floatValue();
        return get(key, Float.class, "a float");
    }

    public Optional<Float> findFloat(String key) { return has(key) ? Optional.of(getFloat(key)) : Optional.empty(); }

    public boolean getBoolean(String key) { return get(key, Boolean.class, "a bool"); }

    public Optional<Boolean> findBoolean(String key) {
        return has(key) ? Optional.of(getBoolean(key)) : Optional.empty();
    }

    public GgufArray getArray(String key) { return get(key, GgufArray.class, "an array"); }

    public String[] getStringArray(String key) { return (String[]) arrayOf(key, String[].class, "strings"); }

    public float[] getFloatArray(String key) { return (float[]) arrayOf(key, float[].class, "float32 values"); }

    /** An integer array narrowed to int; values outside the int range are an error. */
    public int[] getIntArray(String key) {
        long[] v = (long[]) arrayOf(key, long[].class, "integers");
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < Integer.MIN_VALUE || v[i] > Integer.MAX_VALUE) {
                throw new GgufFormatException(source + ": metadata '" + key + "'[" + i + "] = " + v[i]
                        + " does not fit a 32-bit integer");
            }
            out[i] = (int) v[i];
        }
        return out;
    }

    private Object arrayOf(String key, Class<?> arrayClass, String what) {
        GgufArray a = getArray(key);
        if (!arrayClass.isInstance(a.values())) {
            throw new GgufFormatException(source + ": metadata '" + key + "': expected an array of " + what
                    + ", found an array of " + a.elementType());
        }
        return a.values();
    }

    private <T> T get(String key, Class<T> type, String what) {
        Object v = metadata.get(key);
        if (v == null) {
            throw new GgufFormatException(source + ": metadata key '" + key + "' is missing");
        }
        if (!type.isInstance(v)) {
            throw new GgufFormatException(source + ": metadata '" + key + "': expected " + what + ", found "
                    + metadataTypes.get(key));
        }
        return type.cast(v);
    }

    @Override
    public void close() {
        if (arena != null) arena.close();
    }

    /** A bounds-checked little-endian cursor over the header. */
    private final class Parser {
        private static final int MAX_NESTING = 4;
        private final MemorySegment seg;
        private final long size;
        long pos;

        Parser(MemorySegment seg) {
            this.seg = seg;
            this.size = seg.byteSize();
        }

        GgufFormatException error(long at, String field, String problem) {
            return new GgufFormatException(source + ": offset " + at + ", " + field + ": " + problem);
        }

        private void need(long n, String field) {
            if (n < 0 || n > size - pos) {
                throw error(pos, field, "needs " + n + " bytes but only " + (size - pos)
                        + " remain - the file is truncated");
            }
        }

        int i32(String field) {
            need(4, field);
            int v = seg.get(I32, pos);
            pos += 4;
            return v;
        }

        long i64(String field) {
            need(8, field);
            long v = seg.get(I64, pos);
            pos += 8;
            return v;
        }

        /** A count whose elements take at least {@code minBytesEach}: bounded by the bytes that remain. */
        long count(String field, long minBytesEach) {
            long at = pos;
            long n = i64(field);
            if (n < 0 || n > (size - pos) / Math.max(1, minBytesEach)) {
                throw error(at, field, "count " + Long.toUnsignedString(n) + " cannot fit in the " + (size - pos)
                        + " bytes that remain (corrupt or hostile header)");
            }
            return n;
        }

        String string(String field) {
            long at = pos;
            long len = i64(field + " length");
            if (len < 0 || len > size - pos) {
                throw error(at, field, "string length " + Long.toUnsignedString(len) + " exceeds the "
                        + (size - pos) + " bytes that remain");
            }
            if (len > Integer.MAX_VALUE - 16) {
                throw error(at, field, "string length " + len + " is too large");
            }
            byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                // Vocabularies may hold byte tokens that are not valid UTF-8 on their own; keep them lossless.
                return new String(bytes, StandardCharsets.ISO_8859_1);
            }
        }

        GgufValueType valueType(String field) {
            long at = pos;
            int id = i32(field);
            GgufValueType t = GgufValueType.byId(id);
            if (t == null) {
                throw error(at, field, "unknown metadata value type " + Integer.toUnsignedString(id)
                        + " (expected 0..12)");
            }
            return t;
        }

        Object value(GgufValueType type, String key, int depth) {
            String field = "value of '" + key + "'";
            return switch (type) {
                case UINT8 -> { need(1, field); yield (long) (seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xff); }
                case INT8 -> { need(1, field); yield (long) seg.get(ValueLayout.JAVA_BYTE, pos++); }
                case UINT16 -> { need(2, field); long v = seg.get(I16, pos) & 0xffff; pos += 2; yield v; }
                case INT16 -> { need(2, field); long v = seg.get(I16, pos); pos += 2; yield v; }
                case UINT32 -> Integer.toUnsignedLong(i32(field));
                case INT32 -> (long) i32(field);
                case UINT64, INT64 -> i64(field);
                case FLOAT32 -> { need(4, field); float v = seg.get(F32, pos); pos += 4; yield v; }
                case FLOAT64 -> { need(8, field); double v = seg.get(F64, pos); pos += 8; yield v; }
                case BOOL -> {
                    need(1, field);
                    long at = pos;
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
                    if (b != 0 && b != 1) throw error(at, field, "expected a bool (0 or 1), found " + b);
                    yield b == 1;
                }
                case STRING -> string(field);
                case ARRAY -> array(key, depth);
            };
        }

        private Object array(String key, int depth) {
            long at = pos;
            if (depth >= MAX_NESTING) throw error(at, "value of '" + key + "'", "arrays nested too deeply");
            GgufValueType et = valueType("element type of array '" + key + "'");
            long n = count("length of array '" + key + "'", et.minBytes);
            if (n > Integer.MAX_VALUE - 16) throw error(at, "array '" + key + "'", "too many elements: " + n);
            int len = (int) n;
            Object values = switch (et) {
                case FLOAT32 -> {
                    float[] a = new float[len];
                    MemorySegment.copy(seg, F32, pos, a, 0, len);
                    pos += 4L * len;
                    yield a;
                }
                case FLOAT64 -> {
                    double[] a = new double[len];
                    for (int i = 0; i < len; i++) a[i] = (Double) value(et, key, depth + 1);
                    yield a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[len];
                    for (int i = 0; i < len; i++) a[i] = (Boolean) value(et, key, depth + 1);
                    yield a;
                }
                case STRING -> {
                    String[] a = new String[len];
                    for (int i = 0; i < len; i++) a[i] = string("element " + i + " of array '" + key + "'");
                    yield a;
                }
                case ARRAY -> {
                    GgufArray[] a = new GgufArray[len];
                    for (int i = 0; i < len; i++) a[i] = (GgufArray) array(key, depth + 1);
                    yield a;
                }
                default -> {
                    long[] a = new long[len];
                    for (int i = 0; i < len; i++) a[i] = (Long) value(et, key, depth + 1);
                    yield a;
                }
            };
            return new GgufArray(et, values);
        }
    }
}
