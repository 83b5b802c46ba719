package dev.coffer.inference.kernels;

import dev.coffer.inference.quant.HalfFloats;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A batch of activation rows converted to the form a weight type multiplies ({@link ActivationFormat}), in
 * caller-provided memory. Quantization follows ggml's x86 code paths, because that is what llama.cpp runs here:
 * Q8_0 uses {@code id = 127 / amax} and round-half-even, the scale rounded to F16; Q8_K uses ggml's reference
 * ({@code iscale = -127 / max}, nearest-even) with per-16 sums.
 */
final class Activations {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final MemorySegment values;  // F32 / rounded F16 / rounded BF16 values: [batch][cols] float
    final MemorySegment quants;  // Q8_0 / Q8_K: [batch][cols] int8 values widened to int16 (kernels skip a conversion)
    final MemorySegment scales;  // Q8_0: [batch][cols/32] float, Q8_K: [batch][cols/256] float
    final MemorySegment sums;    // Q8_K: [batch][cols/16] int
    ActivationFormat format;
    int cols;

    Activations(MemorySegment values, MemorySegment quants, MemorySegment scales, MemorySegment sums) {
        this.values = values;
        this.quants = quants;
        this.scales = scales;
        this.sums = sums;
    }

    void load(ActivationFormat format, MemorySegment x, int batch, int cols) {
        this.format = format;
        this.cols = cols;
        for (int b = 0; b < batch; b++) {
            long xo = (long) b * cols * 4;
            switch (format) {
                case F32 -> MemorySegment.copy(x, xo, values, xo, (long) cols * 4);
                case F16 -> {
                    for (int i = 0; i < cols; i++) {
                        values.set(F, xo + 4L * i, HalfFloats.f16ToFloat(HalfFloats.floatToF16(x.get(F, xo + 4L * i))));
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < cols; i++) {
                        values.set(F, xo + 4L * i, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x.get(F, xo + 4L * i))));
                    }
                }
                case Q8_0_GROUPED -> quantizeQ8_0(x, xo, b);
                case Q8_K_GROUPED -> quantizeQ8_K(x, xo, b);
            }
        }
    }

    /**
     * Where element {@code e} of a 32-block is stored in the grouped order: the first 16 positions hold elements
     * 0,1,4,5,8,9,..,28,29 and the last 16 hold 2,3,6,7,..,30,31, so that adding adjacent pairs of both halves gives
     * int lane i = elements 4i..4i+3, the grouping of llama.cpp's AVX2 {@code mul_sum_i8_pairs_float}.
     */
    static int groupedPosition(int e) {
        int g = e >> 2;
        int r = e & 3;
        return r < 2 ? 2 * g + r : 16 + 2 * g + (r - 2);
    }

    private void quantizeQ8_0(MemorySegment x, long xo, int b) {
        int blocks = cols / 32;
        long qo = (long) b * cols;
        long so = (long) b * blocks * 4;
        for (int blk = 0; blk < blocks; blk++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x.get(F, xo + 4L * (blk * 32 + j))));
            float d = amax / 127f;
            float id = amax != 0 ? 127f / amax : 0f;
            scales.set(F, so + 4L * blk, HalfFloats.f16ToFloat(HalfFloats.floatToF16(d)));
            for (int j = 0; j < 32; j++) {
                float v = x.get(F, xo + 4L * (blk * 32 + j)) * id;
                quants.set(S, 2 * (qo + blk * 32 + groupedPosition(j)), (short) Math.rint(v));
            }
        }
    }

    private void quantizeQ8_K(MemorySegment x, long xo, int b) {
        int blocks = cols / 256;
        long qo = (long) b * cols;
        for (int blk = 0; blk < blocks; blk++) {
            float amax = 0;
            float max = 0;
            for (int j = 0; j < 256; j++) {
                float v = x.get(F, xo + 4L * (blk * 256 + j));
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            long sbase = ((long) b * (cols / 16) + blk * 16L) * 4;
            if (amax == 0) {
                scales.set(F, ((long) b * blocks + blk) * 4, 0f);
                for (int j = 0; j < 256; j++) quants.set(S, 2 * (qo + blk * 256 + j), (short) 0);
                for (int j = 0; j < 16; j++) sums.set(I, sbase + 4L * j, 0);
                continue;
            }
            float iscale = -127f / max;
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int j = g * 16; j < g * 16 + 16; j++) {
                    int q = Math.min(127, (int) Math.rint(iscale * x.get(F, xo + 4L * (blk * 256 + j))));
                    quants.set(S, 2 * (qo + blk * 256 + (j & ~31) + groupedPosition(j & 31)), (short) q);
                    sum += q;
                }
                sums.set(I, sbase + 4L * g, sum);
            }
            scales.set(F, ((long) b * blocks + blk) * 4, 1f / iscale);
        }
    }
}
