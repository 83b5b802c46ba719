package dev.coffer.inference.tensor;

import dev.coffer.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * A weight tensor ready for the kernels: its ggml type, its shape (innermost dimension first, as in ggml) and its
 * bytes. The bytes may be a plaintext file mapping or a restored secure arena; kernels do not care which.
 */
public record Tensor(String name, GgmlType type, long[] shape, MemorySegment data) {
    public Tensor {
        shape = shape.clone();
        long elements = 1;
        for (long d : shape) elements = Math.multiplyExact(elements, d);
        long expected = type.byteSize(elements);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes, expected "
                    + expected + " for " + type + " " + java.util.Arrays.toString(shape));
        }
    }

    @Override
    public long[] shape() { return shape.clone(); }

    /** Length of one row (the innermost dimension). */
    public int cols() { return Math.toIntExact(shape[0]); }

    /** Number of rows: the product of all outer dimensions. */
    public int rows() {
        long r = 1;
        for (int i = 1; i < shape.length; i++) r *= shape[i];
        return Math.toIntExact(r);
    }

    /** Bytes of one row. */
    public long rowBytes() { return type.byteSize(shape[0]); }

    @Override
    public String toString() {
        return name + " " + type + " " + java.util.Arrays.toString(shape);
    }
}
