package dev.coffer.inference.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.quant.Dequantizers;
import dev.coffer.inference.quant.HalfFloats;
import dev.coffer.inference.quant.Quantizers;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kernel against a double-precision reference built from independent pieces: the weights as ggml's
 * dequantizer expands them, times the activations as ggml quantizes them for that weight type. A wrong block
 * layout, scale or nibble order shows up as a large error, not a rounding difference.
 */
class MatMulTest {
    private static final int ROWS = 7;
    private static final int COLS = 768;
    private static final int BATCH = 3;

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q5_0", "Q4_0", "Q4_K", "Q6_K"})
    void matchesTheDequantizedReference(GgmlType type) {
        Random rnd = new Random(type.ordinal());
        float[] w = new float[ROWS * COLS];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.05);
        float[] x = new float[BATCH * COLS];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        byte[] stored = type == GgmlType.F32 ? floatBytes(w) : Quantizers.quantize(type, w);
        try (Arena arena = Arena.ofShared(); Parallel pool = new Parallel(2)) {
            MemorySegment ws = arena.allocate(stored.length, 64);
            MemorySegment.copy(stored, 0, ws, ValueLayout.JAVA_BYTE, 0, stored.length);
            Tensor t = new Tensor("w", type, new long[] {COLS, ROWS}, ws);
            MemorySegment xs = arena.allocate(4L * x.length, 64);
            MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
            MemorySegment out = arena.allocate(4L * BATCH * ROWS, 64);
            new MatMul(pool, BufferAllocator.of(arena), BATCH, COLS).multiply(t, xs, BATCH, out);

            float[] wq = Dequantizers.dequantize(type, ws, 0, ROWS * COLS);
            for (int b = 0; b < BATCH; b++) {
                double[] xa = activationAsGgmlSeesIt(type, x, b * COLS);
                for (int r = 0; r < ROWS; r++) {
                    double expected = 0;
                    double magnitude = 0;
                    double exact = 0;
                    for (int i = 0; i < COLS; i++) {
                        expected += (double) wq[r * COLS + i] * xa[i];
                        magnitude += Math.abs((double) wq[r * COLS + i] * xa[i]);
                        exact += (double) w[r * COLS + i] * x[b * COLS + i];
                    }
                    float got = out.getAtIndex(ValueLayout.JAVA_FLOAT, (long) b * ROWS + r);
                    assertThat((double) got).as("%s row %d batch %d", type, r, b)
                            .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5 * magnitude + 1e-6));
                    // and quantization as a whole stays close to the float product
                    assertThat((double) got).isCloseTo(exact, org.assertj.core.data.Offset.offset(0.08 * magnitude));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_1", "Q5_1", "Q2_K", "I32"})
    void unsupportedTypesSayWhatToDo(GgmlType type) {
        try (Arena arena = Arena.ofShared(); Parallel pool = new Parallel(1)) {
            Tensor t = new Tensor("blk.0.attn_q.weight", type, new long[] {256, 1}, arena.allocate(type.byteSize(256)));
            MatMul mm = new MatMul(pool, BufferAllocator.of(arena), 1, 256);
            assertThatThrownBy(() -> mm.multiply(t, arena.allocate(1024), 1, arena.allocate(4)))
                    .isInstanceOf(UnsupportedTensorTypeException.class)
                    .hasMessageContaining("blk.0.attn_q.weight").hasMessageContaining("coffer quantize");
        }
    }

    /** The activation row after the conversion ggml applies for this weight type. */
    private static double[] activationAsGgmlSeesIt(GgmlType type, float[] x, int off) {
        double[] out = new double[COLS];
        switch (type) {
            case F32 -> { for (int i = 0; i < COLS; i++) out[i] = x[off + i]; }
            case F16 -> { for (int i = 0; i < COLS; i++) out[i] = HalfFloats.f16ToFloat(HalfFloats.floatToF16(x[off + i])); }
            case BF16 -> { for (int i = 0; i < COLS; i++) out[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x[off + i])); }
            case Q8_0, Q5_0, Q4_0 -> {
                for (int blk = 0; blk < COLS / 32; blk++) {
                    float amax = 0;
                    for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[off + blk * 32 + j]));
                    float d = HalfFloats.f16ToFloat(HalfFloats.floatToF16(amax / 127f));
                    for (int j = 0; j < 32; j++) out[blk * 32 + j] = d * Math.rint(x[off + blk * 32 + j] * (127f / amax));
                }
            }
            case Q4_K, Q6_K -> {
                for (int blk = 0; blk < COLS / 256; blk++) {
                    float amax = 0, max = 0;
                    for (int j = 0; j < 256; j++) {
                        float v = x[off + blk * 256 + j];
                        if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
                    }
                    float iscale = -127f / max;
                    for (int j = 0; j < 256; j++) {
                        out[blk * 256 + j] = (1f / iscale) * Math.min(127, Math.rint(iscale * x[off + blk * 256 + j]));
                    }
                }
            }
            default -> throw new AssertionError(type);
        }
        return out;
    }

    private static byte[] floatBytes(float[] w) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * w.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float f : w) b.putFloat(f);
        return b.array();
    }
}
