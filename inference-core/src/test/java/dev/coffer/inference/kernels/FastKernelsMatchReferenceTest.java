package dev.coffer.inference.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fast paths of {@link MatMul} (fused one-token kernels, unpacked rows with 4-token tiles) against the
 * reference kernels that define the bits, on weights made of random bytes: every nibble, high bit, 6-bit scale
 * and min pattern and the int8 extreme -128 occur, which the quantizer's output (MatMulBitsTest) does not reach.
 */
class FastKernelsMatchReferenceTest {
    /** 11 rows and 16 rows: Q4_0 sums its blocks in llama.cpp's repacked order when the row count is a multiple of 8. */
    private static final int[] ROW_COUNTS = {11, 16};
    private static final int COLS = 1024;
    private static final int[] BATCHES = {1, 2, 4, 7, 17};

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q5_0", "Q4_0", "Q4_K", "Q6_K"})
    void everyRowAndTokenHasTheReferenceBits(GgmlType type) {
        for (int rows : ROW_COUNTS) check(type, rows);
    }

    private static void check(GgmlType type, int rows) {
        Random rnd = new Random(7 + type.ordinal() + rows);
        int maxBatch = BATCHES[BATCHES.length - 1];
        try (Arena arena = Arena.ofShared(); Parallel pool = new Parallel(2)) {
            long bytes = type.byteSize((long) rows * COLS);
            MemorySegment ws = arena.allocate(bytes, 64);
            for (long i = 0; i < bytes; i++) ws.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
            setFiniteScales(type, ws, bytes, rnd);
            Tensor t = new Tensor("w", type, new long[] {COLS, rows}, ws);
            MemorySegment xs = arena.allocate(4L * maxBatch * COLS, 64);
            for (int i = 0; i < maxBatch * COLS; i++) {
                float v = (float) (rnd.nextGaussian() * (1 + i / COLS));
                xs.setAtIndex(ValueLayout.JAVA_FLOAT, i, i / COLS == 3 && i % 97 == 0 ? 40 * v : v);
            }
            MatMul mm = new MatMul(pool, BufferAllocator.of(arena), maxBatch, COLS);
            MemorySegment out = arena.allocate(4L * maxBatch * rows, 64);
            long n = (long) maxBatch * COLS;
            Activations act = new Activations(arena.allocate(4 * n), arena.allocate(2 * n),
                    arena.allocate((n / 32 + 1) * 4), arena.allocate((n / 16 + 1) * 4));
            for (int batch : BATCHES) {
                mm.multiply(t, xs, batch, out);
                act.load(MatMul.formatFor(t), xs, batch, COLS);
                for (int b = 0; b < batch; b++) {
                    for (int r = 0; r < rows; r++) {
                        float expected = reference(type, rows, ws, r * t.rowBytes(), act, b);
                        assertThat(Float.floatToRawIntBits(out.getAtIndex(ValueLayout.JAVA_FLOAT, (long) b * rows + r)))
                                .as("%s %d rows, batch %d token %d row %d", type, rows, batch, b, r)
                                .isEqualTo(Float.floatToRawIntBits(expected));
                    }
                }
            }
        }
    }

    private static float reference(GgmlType type, int rows, MemorySegment w, long wo, Activations act, int b) {
        long xo = (long) b * COLS;
        return switch (type) {
            case Q8_0 -> ReferenceDots.dotQ8_0(w, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 32), COLS);
            case Q4_0 -> rows % 8 == 0
                    ? ReferenceDots.dotQ4_0Sequential(w, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 32), COLS)
                    : ReferenceDots.dotQ4_0(w, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 32), COLS);
            case Q5_0 -> ReferenceDots.dotQ5_0(w, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 32), COLS);
            case Q4_K -> ReferenceDots.dotQ4_K(w, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 256), act.sums,
                    4 * (xo / 16), COLS);
            case Q6_K -> ReferenceDots.dotQ6_K(w, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 256), COLS);
            default -> throw new AssertionError(type);
        };
    }

    /** Random bytes would make some f16 block scales infinite or NaN; give every block a finite d (and dmin). */
    private static void setFiniteScales(GgmlType type, MemorySegment w, long bytes, Random rnd) {
        int size = (int) type.typeSize();
        int[] offsets = switch (type) {
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new AssertionError(type);
        };
        for (long blk = 0; blk < bytes / size; blk++) {
            for (int o : offsets) {
                float d = (float) ((rnd.nextDouble() * 0.1 + 1e-4) * (rnd.nextBoolean() ? 1 : -1));
                w.set(ValueLayout.JAVA_SHORT_UNALIGNED, blk * size + o, Float.floatToFloat16(d));
            }
        }
    }
}
