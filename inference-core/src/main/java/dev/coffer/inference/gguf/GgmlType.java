package dev.coffer.inference.gguf;

import java.util.Optional;

/**
 * Tensor element types of ggml, with their on-disk block layout (elements per block, bytes per block).
 * Ids and sizes follow ggml.h / ggml.c. A type being listed here means the GGUF reader can size its tensors;
 * which types the kernels compute with is {@link #hasKernel()}.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, false),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, false),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, false),
    Q3_K(11, 256, 110, false),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, false),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    BF16(30, 1, 2, true);

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final boolean kernel;

    GgmlType(int id, int blockSize, int typeSize, boolean kernel) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.kernel = kernel;
    }

    /** The numeric id stored in GGUF tensor infos. */
    public int id() { return id; }

    /** Elements per quantization block (1 for plain float types). */
    public int blockSize() { return blockSize; }

    /** Bytes per block. */
    public int typeSize() { return typeSize; }

    /** Whether Coffer's kernels can multiply with weights of this type. */
    public boolean hasKernel() { return kernel; }

    /** Bytes taken by {@code elements} elements; the caller checks divisibility by {@link #blockSize()}. */
    public long byteSize(long elements) {
        return Math.multiplyExact(elements / blockSize, (long) typeSize);
    }

    public static Optional<GgmlType> byId(int id) {
        for (GgmlType t : values()) {
            if (t.id == id) return Optional.of(t);
        }
        return Optional.empty();
    }
}
