package dev.coffer.inference.gguf;

import java.util.Arrays;

/**
 * One tensor's description from the GGUF header. {@code shape[0]} is the innermost (contiguous) dimension, as in
 * ggml: a weight matrix of {@code rows x cols} has shape {@code [cols, rows]}.
 *
 * @param offset byte offset of the data relative to the start of the tensor data section
 */
public record GgufTensorInfo(String name, GgmlType type, long[] shape, long offset, long byteSize) {
    public GgufTensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int dims() { return shape.length; }

    public long dim(int i) { return i < shape.length ? shape[i] : 1; }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
