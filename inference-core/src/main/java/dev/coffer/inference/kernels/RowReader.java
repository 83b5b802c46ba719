package dev.coffer.inference.kernels;

import dev.coffer.inference.quant.Dequantizers;
import dev.coffer.inference.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Reads one row of a weight tensor as floats: ggml's {@code get_rows}, the token embedding lookup. Values are
 * those of ggml's {@code dequantize_row_*} (see {@link Dequantizers}).
 */
public final class RowReader {
    private RowReader() {}

    public static void read(Tensor t, int row, MemorySegment dst, long dstOff) {
        if (!Dequantizers.supports(t.type())) {
            throw new UnsupportedTensorTypeException("cannot read rows of " + t.name() + " (" + t.type() + ")");
        }
        float[] values = Dequantizers.dequantize(t.type(), t.data(), row * t.rowBytes(), t.cols());
        MemorySegment.copy(values, 0, dst, DotKernels.F, dstOff, values.length);
    }
}
