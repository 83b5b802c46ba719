package dev.coffer.inference.kernels;

import static dev.coffer.inference.kernels.DotKernels.F256;
import static dev.coffer.inference.kernels.DotKernels.I256;
import static dev.coffer.inference.kernels.DotKernels.S256;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * Dot products of an {@link UnpackedRow} with activation rows held in heap arrays ({@code xq}: int16 values,
 * {@code xs}: block scales, {@code xm}: Q8_K per-16 sums; a token's row starts at {@code xo}, {@code so},
 * {@code mo}). Each method performs exactly the float operations of its reference kernel (same
 * exact integer lanes, same scale products, same accumulation and reduction order), so a result does not depend
 * on which path computed it, nor on how many tokens were computed together.
 *
 * <p>Written out by hand, without helper methods on vectors: C2 stops inlining ordinary methods once a
 * compilation has created ~18000 nodes (Vector API calls are force-inlined and exempt), and a vector that crosses
 * a call that was not inlined is boxed on the heap. So the reference kernels' {@code pairSums} is spelled out:
 * as shift/shift/shift/add for Q8_0, and as {@code (p + (p << 16)) >> 16} (the high half then holds the sum of
 * both halves) where the pair sum fits in a short (Q4_0 <= 4064, Q4_K <= 7620, Q6_K <= 8128), one shift less on
 * the ports that limit these loops. Accumulators are reduced from an array in {@link DotKernels#reduce8}'s order. Heap arrays with int indices
 * (rather than memory segments) let C2 drop the range checks from the loops; with segments, the per-access bounds
 * checks and their spilled offsets cost more than the arithmetic.
 */
final class UnpackedDots {
    private UnpackedDots() {}

    /** Tokens per tile call: four independent accumulator chains hide the FMA latency of one. */
    static final int TILE = 4;

    /** {@link DotKernels#reduce8}'s order on 8 lanes stored in {@code t[o..o+8)}: the same float additions. */
    static float reduce8(float[] t, int o) {
        return ((t[o] + t[o + 4]) + (t[o + 2] + t[o + 6])) + ((t[o + 1] + t[o + 5]) + (t[o + 3] + t[o + 7]));
    }

    /** Q8_0 and Q4_0: per block of 32, 8 exact int lanes times {@code d * activation scale}. */
    static float dot32(UnpackedRow w, short[] xq, int xo, float[] xs, int so, int n) {
        short[] v = w.values;
        float[] d = w.d;
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < n / 32; b++) {
            int e = 32 * b;
            IntVector p = ShortVector.fromArray(S256, v, e).mul(ShortVector.fromArray(S256, xq, xo + e))
                    .add(ShortVector.fromArray(S256, v, e + 16).mul(ShortVector.fromArray(S256, xq, xo + e + 16)))
                    .reinterpretAsInts();
            IntVector isum = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F256, d[b] * xs[so + b]), acc);
        }
        acc.intoArray(w.lanes, 0);
        return reduce8(w.lanes, 0);
    }

    /**
     * {@link #dot32} for {@link #TILE} tokens whose rows are {@code xStride} values and {@code sStride} scales
     * apart; each weight chunk is loaded once. Results go to {@code out[o + t * oStride]}.
     */
    static void dot32x4(UnpackedRow w, short[] xq, int xo, int xStride, float[] xs, int so, int sStride, int n,
                        float[] out, int o, int oStride) {
        short[] v = w.values;
        float[] d = w.d;
        int x1 = xo + xStride, x2 = xo + 2 * xStride, x3 = xo + 3 * xStride;
        int s1 = so + sStride, s2 = so + 2 * sStride, s3 = so + 3 * sStride;
        FloatVector a0 = FloatVector.zero(F256), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n / 32; b++) {
            int e = 32 * b;
            ShortVector w0 = ShortVector.fromArray(S256, v, e);
            ShortVector w1 = ShortVector.fromArray(S256, v, e + 16);
            float db = d[b];
            IntVector p0 = w0.mul(ShortVector.fromArray(S256, xq, xo + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, xo + e + 16))).reinterpretAsInts();
            IntVector p1 = w0.mul(ShortVector.fromArray(S256, xq, x1 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x1 + e + 16))).reinterpretAsInts();
            IntVector p2 = w0.mul(ShortVector.fromArray(S256, xq, x2 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x2 + e + 16))).reinterpretAsInts();
            IntVector p3 = w0.mul(ShortVector.fromArray(S256, xq, x3 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x3 + e + 16))).reinterpretAsInts();
            a0 = ((FloatVector) p0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p0.lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[so + b]), a0);
            a1 = ((FloatVector) p1.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p1.lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[s1 + b]), a1);
            a2 = ((FloatVector) p2.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p2.lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[s2 + b]), a2);
            a3 = ((FloatVector) p3.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p3.lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[s3 + b]), a3);
        }
        float[] lanes = w.lanes;
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 8);
        a2.intoArray(lanes, 16);
        a3.intoArray(lanes, 24);
        out[o] = reduce8(lanes, 0);
        out[o + oStride] = reduce8(lanes, 8);
        out[o + 2 * oStride] = reduce8(lanes, 16);
        out[o + 3 * oStride] = reduce8(lanes, 24);
    }

    /** {@link #dot32x4} for Q4_0, whose small weights (|w| <= 8) allow the cheaper pair sum (see above). */
    static void dotQ4_0x4(UnpackedRow w, short[] xq, int xo, int xStride, float[] xs, int so, int sStride, int n,
                        float[] out, int o, int oStride) {
        short[] v = w.values;
        float[] d = w.d;
        int x1 = xo + xStride, x2 = xo + 2 * xStride, x3 = xo + 3 * xStride;
        int s1 = so + sStride, s2 = so + 2 * sStride, s3 = so + 3 * sStride;
        FloatVector a0 = FloatVector.zero(F256), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n / 32; b++) {
            int e = 32 * b;
            ShortVector w0 = ShortVector.fromArray(S256, v, e);
            ShortVector w1 = ShortVector.fromArray(S256, v, e + 16);
            float db = d[b];
            IntVector p0 = w0.mul(ShortVector.fromArray(S256, xq, xo + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, xo + e + 16))).reinterpretAsInts();
            IntVector p1 = w0.mul(ShortVector.fromArray(S256, xq, x1 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x1 + e + 16))).reinterpretAsInts();
            IntVector p2 = w0.mul(ShortVector.fromArray(S256, xq, x2 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x2 + e + 16))).reinterpretAsInts();
            IntVector p3 = w0.mul(ShortVector.fromArray(S256, xq, x3 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x3 + e + 16))).reinterpretAsInts();
            a0 = ((FloatVector) p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[so + b]), a0);
            a1 = ((FloatVector) p1.add(p1.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[s1 + b]), a1);
            a2 = ((FloatVector) p2.add(p2.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[s2 + b]), a2);
            a3 = ((FloatVector) p3.add(p3.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[s3 + b]), a3);
        }
        float[] lanes = w.lanes;
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 8);
        a2.intoArray(lanes, 16);
        a3.intoArray(lanes, 24);
        out[o] = reduce8(lanes, 0);
        out[o + oStride] = reduce8(lanes, 8);
        out[o + 2 * oStride] = reduce8(lanes, 16);
        out[o + 3 * oStride] = reduce8(lanes, 24);
    }

    /** {@link #dot32x4} for Q4_0 (grouped) and Q5_0, whose small weights allow the cheaper pair sum (see above). */
    static void dot32NarrowX4(UnpackedRow w, short[] xq, int xo, int xStride, float[] xs, int so, int sStride, int n,
                        float[] out, int o, int oStride) {
        short[] v = w.values;
        float[] d = w.d;
        int x1 = xo + xStride, x2 = xo + 2 * xStride, x3 = xo + 3 * xStride;
        int s1 = so + sStride, s2 = so + 2 * sStride, s3 = so + 3 * sStride;
        FloatVector a0 = FloatVector.zero(F256), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n / 32; b++) {
            int e = 32 * b;
            ShortVector w0 = ShortVector.fromArray(S256, v, e);
            ShortVector w1 = ShortVector.fromArray(S256, v, e + 16);
            float db = d[b];
            IntVector p0 = w0.mul(ShortVector.fromArray(S256, xq, xo + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, xo + e + 16))).reinterpretAsInts();
            IntVector p1 = w0.mul(ShortVector.fromArray(S256, xq, x1 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x1 + e + 16))).reinterpretAsInts();
            IntVector p2 = w0.mul(ShortVector.fromArray(S256, xq, x2 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x2 + e + 16))).reinterpretAsInts();
            IntVector p3 = w0.mul(ShortVector.fromArray(S256, xq, x3 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x3 + e + 16))).reinterpretAsInts();
            a0 = ((FloatVector) p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[so + b]), a0);
            a1 = ((FloatVector) p1.add(p1.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[s1 + b]), a1);
            a2 = ((FloatVector) p2.add(p2.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[s2 + b]), a2);
            a3 = ((FloatVector) p3.add(p3.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * xs[s3 + b]), a3);
        }
        float[] lanes = w.lanes;
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 8);
        a2.intoArray(lanes, 16);
        a3.intoArray(lanes, 24);
        out[o] = reduce8(lanes, 0);
        out[o + oStride] = reduce8(lanes, 8);
        out[o + 2 * oStride] = reduce8(lanes, 16);
        out[o + 3 * oStride] = reduce8(lanes, 24);
    }

    /**
     * Q4_0 in llama.cpp's repacked order (row counts that are multiples of 8): per block the exact integer sum of
     * its 32 products (at most 32512: exact in a short reduction), then one scalar accumulator,
     * {@code acc = fma(isum, d * activation scale, acc)}, over the blocks in order.
     */
    static float dotQ4_0Sequential(UnpackedRow w, short[] xq, int xo, float[] xs, int so, int n) {
        short[] v = w.values;
        float[] d = w.d;
        float acc = 0;
        for (int b = 0; b < n / 32; b++) {
            int e = 32 * b;
            int isum = ShortVector.fromArray(S256, v, e).mul(ShortVector.fromArray(S256, xq, xo + e))
                    .add(ShortVector.fromArray(S256, v, e + 16).mul(ShortVector.fromArray(S256, xq, xo + e + 16)))
                    .reduceLanes(ADD);
            acc = Math.fma((float) isum, d[b] * xs[so + b], acc);
        }
        return acc;
    }

    /** {@link #dotQ4_0Sequential} for {@link #TILE} tokens (see {@link #dot32x4}). */
    static void dotQ4_0SequentialX4(UnpackedRow w, short[] xq, int xo, int xStride, float[] xs, int so, int sStride,
                                    int n, float[] out, int o, int oStride) {
        short[] v = w.values;
        float[] d = w.d;
        int x1 = xo + xStride, x2 = xo + 2 * xStride, x3 = xo + 3 * xStride;
        int s1 = so + sStride, s2 = so + 2 * sStride, s3 = so + 3 * sStride;
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int b = 0; b < n / 32; b++) {
            int e = 32 * b;
            ShortVector w0 = ShortVector.fromArray(S256, v, e);
            ShortVector w1 = ShortVector.fromArray(S256, v, e + 16);
            float db = d[b];
            int i0 = w0.mul(ShortVector.fromArray(S256, xq, xo + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, xo + e + 16))).reduceLanes(ADD);
            int i1 = w0.mul(ShortVector.fromArray(S256, xq, x1 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x1 + e + 16))).reduceLanes(ADD);
            int i2 = w0.mul(ShortVector.fromArray(S256, xq, x2 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x2 + e + 16))).reduceLanes(ADD);
            int i3 = w0.mul(ShortVector.fromArray(S256, xq, x3 + e))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x3 + e + 16))).reduceLanes(ADD);
            a0 = Math.fma((float) i0, db * xs[so + b], a0);
            a1 = Math.fma((float) i1, db * xs[s1 + b], a1);
            a2 = Math.fma((float) i2, db * xs[s2 + b], a2);
            a3 = Math.fma((float) i3, db * xs[s3 + b], a3);
        }
        out[o] = a0;
        out[o + oStride] = a1;
        out[o + 2 * oStride] = a2;
        out[o + 3 * oStride] = a3;
    }

    /**
     * Q4_K as llama.cpp's AVX2 kernel: per super-block the 8 sub-blocks' int lanes times their 6-bit scales sum
     * exactly in int (at most 8 * 63 * 7620), one FMA with {@code activation scale * d} adds them to the float
     * lanes; the mins form four float chains ({@code -activation scale * dmin} times pairs of sub-block sums),
     * added after the lane reduction as {@code (m0 + m2) + (m1 + m3)}.
     */
    static float dotQ4_K(UnpackedRow w, short[] xq, int xo, float[] xs, int so, int[] xm, int mo, int n) {
        short[] v = w.values;
        float[] d = w.d;
        float[] dmin = w.dmin;
        int[] sc = w.sc;
        int[] mn = w.mn;
        FloatVector acc = FloatVector.zero(F256);
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        for (int b = 0; b < n / 256; b++) {
            float yd = xs[so + b];
            float dm = -yd * dmin[b];
            int s = 8 * b;
            int m = mo + 16 * b;
            m0 = Math.fma(dm, (float) (mn[s] * (xm[m] + xm[m + 1]) + mn[s + 1] * (xm[m + 2] + xm[m + 3])), m0);
            m1 = Math.fma(dm, (float) (mn[s + 2] * (xm[m + 4] + xm[m + 5]) + mn[s + 3] * (xm[m + 6] + xm[m + 7])), m1);
            m2 = Math.fma(dm, (float) (mn[s + 4] * (xm[m + 8] + xm[m + 9]) + mn[s + 5] * (xm[m + 10] + xm[m + 11])), m2);
            m3 = Math.fma(dm, (float) (mn[s + 6] * (xm[m + 12] + xm[m + 13]) + mn[s + 7] * (xm[m + 14] + xm[m + 15])), m3);
            IntVector isum = IntVector.zero(I256);
            for (int j = 0; j < 8; j++) {
                int e = 256 * b + 32 * j;
                IntVector p = ShortVector.fromArray(S256, v, e).mul(ShortVector.fromArray(S256, xq, xo + e))
                        .add(ShortVector.fromArray(S256, v, e + 16).mul(ShortVector.fromArray(S256, xq, xo + e + 16)))
                        .reinterpretAsInts();
                isum = isum.add(p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(sc[s + j]));
            }
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F256, yd * d[b]), acc);
        }
        acc.intoArray(w.lanes, 0);
        return reduce8(w.lanes, 0) + ((m0 + m2) + (m1 + m3));
    }

    /** {@link #dotQ4_K} for {@link #TILE} tokens (see {@link #dot32x4}); {@code mStride} apart in {@code xm}. */
    static void dotQ4_Kx4(UnpackedRow w, short[] xq, int xo, int xStride, float[] xs, int so, int sStride,
                          int[] xm, int mo, int mStride, int n, float[] out, int o, int oStride) {
        short[] v = w.values;
        float[] d = w.d;
        float[] dmin = w.dmin;
        int[] sc = w.sc;
        int[] mn = w.mn;
        int x1 = xo + xStride, x2 = xo + 2 * xStride, x3 = xo + 3 * xStride;
        FloatVector a0 = FloatVector.zero(F256), a1 = a0, a2 = a0, a3 = a0;
        float[] mins = w.mins;
        java.util.Arrays.fill(mins, 0, 16, 0f);
        for (int b = 0; b < n / 256; b++) {
            int s = 8 * b;
            float dw = d[b];
            float dmw = dmin[b];
            for (int t = 0; t < 4; t++) {
                float dm = -xs[so + t * sStride + b] * dmw;
                int m = mo + t * mStride + 16 * b;
                for (int k = 0; k < 4; k++) {
                    mins[4 * t + k] = Math.fma(dm, (float) (mn[s + 2 * k] * (xm[m + 4 * k] + xm[m + 4 * k + 1])
                            + mn[s + 2 * k + 1] * (xm[m + 4 * k + 2] + xm[m + 4 * k + 3])), mins[4 * t + k]);
                }
            }
            IntVector i0 = IntVector.zero(I256), i1 = i0, i2 = i0, i3 = i0;
            for (int j = 0; j < 8; j++) {
                int e = 256 * b + 32 * j;
                int scale = sc[s + j];
                ShortVector w0 = ShortVector.fromArray(S256, v, e);
                ShortVector w1 = ShortVector.fromArray(S256, v, e + 16);
                IntVector p0 = w0.mul(ShortVector.fromArray(S256, xq, xo + e))
                        .add(w1.mul(ShortVector.fromArray(S256, xq, xo + e + 16))).reinterpretAsInts();
                IntVector p1 = w0.mul(ShortVector.fromArray(S256, xq, x1 + e))
                        .add(w1.mul(ShortVector.fromArray(S256, xq, x1 + e + 16))).reinterpretAsInts();
                IntVector p2 = w0.mul(ShortVector.fromArray(S256, xq, x2 + e))
                        .add(w1.mul(ShortVector.fromArray(S256, xq, x2 + e + 16))).reinterpretAsInts();
                IntVector p3 = w0.mul(ShortVector.fromArray(S256, xq, x3 + e))
                        .add(w1.mul(ShortVector.fromArray(S256, xq, x3 + e + 16))).reinterpretAsInts();
                i0 = i0.add(p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(scale));
                i1 = i1.add(p1.add(p1.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(scale));
                i2 = i2.add(p2.add(p2.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(scale));
                i3 = i3.add(p3.add(p3.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(scale));
            }
            a0 = ((FloatVector) i0.convert(I2F, 0)).fma(FloatVector.broadcast(F256, xs[so + b] * dw), a0);
            a1 = ((FloatVector) i1.convert(I2F, 0)).fma(FloatVector.broadcast(F256, xs[so + sStride + b] * dw), a1);
            a2 = ((FloatVector) i2.convert(I2F, 0)).fma(FloatVector.broadcast(F256, xs[so + 2 * sStride + b] * dw), a2);
            a3 = ((FloatVector) i3.convert(I2F, 0)).fma(FloatVector.broadcast(F256, xs[so + 3 * sStride + b] * dw), a3);
        }
        float[] lanes = w.lanes;
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 8);
        a2.intoArray(lanes, 16);
        a3.intoArray(lanes, 24);
        for (int t = 0; t < 4; t++) {
            out[o + t * oStride] = reduce8(lanes, 8 * t)
                    + ((mins[4 * t] + mins[4 * t + 2]) + (mins[4 * t + 1] + mins[4 * t + 3]));
        }
    }

    /**
     * Q6_K as llama.cpp's AVX2 kernel: per group of 32, int lanes times the int8 scales of their 16-element half,
     * summed exactly in int over the super-block (at most 16 * 128 * 16256); one FMA with
     * {@code activation scale * d} per super-block.
     */
    static float dotQ6_K(UnpackedRow w, short[] xq, int xo, float[] xs, int so, int n) {
        short[] v = w.values;
        float[] d = w.d;
        int[] ls = w.laneScales;
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < n / 256; b++) {
            IntVector isum = IntVector.zero(I256);
            for (int j = 0; j < 8; j++) {
                int e = 256 * b + 32 * j;
                IntVector p = ShortVector.fromArray(S256, v, e).mul(ShortVector.fromArray(S256, xq, xo + e))
                        .add(ShortVector.fromArray(S256, v, e + 16).mul(ShortVector.fromArray(S256, xq, xo + e + 16)))
                        .reinterpretAsInts();
                isum = isum.add(p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(IntVector.fromArray(I256, ls, e / 4)));
            }
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F256, xs[so + b] * d[b]), acc);
        }
        acc.intoArray(w.lanes, 0);
        return reduce8(w.lanes, 0);
    }

    /** {@link #dotQ6_K} for {@link #TILE} tokens (see {@link #dot32x4}). */
    static void dotQ6_Kx4(UnpackedRow w, short[] xq, int xo, int xStride, float[] xs, int so, int sStride, int n,
                          float[] out, int o, int oStride) {
        short[] v = w.values;
        float[] d = w.d;
        int[] ls = w.laneScales;
        int x1 = xo + xStride, x2 = xo + 2 * xStride, x3 = xo + 3 * xStride;
        FloatVector a0 = FloatVector.zero(F256), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n / 256; b++) {
            IntVector i0 = IntVector.zero(I256), i1 = i0, i2 = i0, i3 = i0;
            for (int j = 0; j < 8; j++) {
                int e = 256 * b + 32 * j;
                IntVector scale = IntVector.fromArray(I256, ls, e / 4);
                ShortVector w0 = ShortVector.fromArray(S256, v, e);
                ShortVector w1 = ShortVector.fromArray(S256, v, e + 16);
                IntVector p0 = w0.mul(ShortVector.fromArray(S256, xq, xo + e))
                        .add(w1.mul(ShortVector.fromArray(S256, xq, xo + e + 16))).reinterpretAsInts();
                IntVector p1 = w0.mul(ShortVector.fromArray(S256, xq, x1 + e))
                        .add(w1.mul(ShortVector.fromArray(S256, xq, x1 + e + 16))).reinterpretAsInts();
                IntVector p2 = w0.mul(ShortVector.fromArray(S256, xq, x2 + e))
                        .add(w1.mul(ShortVector.fromArray(S256, xq, x2 + e + 16))).reinterpretAsInts();
                IntVector p3 = w0.mul(ShortVector.fromArray(S256, xq, x3 + e))
                        .add(w1.mul(ShortVector.fromArray(S256, xq, x3 + e + 16))).reinterpretAsInts();
                i0 = i0.add(p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(scale));
                i1 = i1.add(p1.add(p1.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(scale));
                i2 = i2.add(p2.add(p2.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(scale));
                i3 = i3.add(p3.add(p3.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(scale));
            }
            float db = d[b];
            a0 = ((FloatVector) i0.convert(I2F, 0)).fma(FloatVector.broadcast(F256, xs[so + b] * db), a0);
            a1 = ((FloatVector) i1.convert(I2F, 0)).fma(FloatVector.broadcast(F256, xs[so + sStride + b] * db), a1);
            a2 = ((FloatVector) i2.convert(I2F, 0)).fma(FloatVector.broadcast(F256, xs[so + 2 * sStride + b] * db), a2);
            a3 = ((FloatVector) i3.convert(I2F, 0)).fma(FloatVector.broadcast(F256, xs[so + 3 * sStride + b] * db), a3);
        }
        float[] lanes = w.lanes;
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 8);
        a2.intoArray(lanes, 16);
        a3.intoArray(lanes, 24);
        out[o] = reduce8(lanes, 0);
        out[o + oStride] = reduce8(lanes, 8);
        out[o + 2 * oStride] = reduce8(lanes, 16);
        out[o + 3 * oStride] = reduce8(lanes, 24);
    }

    /**
     * {@link #dotQ4_0Sequential} for {@link #TILE} tokens on the transposed layout ({@link
     * UnpackedRow#transposeBlocks}; {@code xt} holds each token's activations transposed alike, {@code xtStride}
     * apart): per group of 16 blocks, 32 multiply-adds give all 16 exact block sums (each at most 32512, exact in
     * a short), then each token's scalar accumulator takes them in block order.
     */
    static void dotQ4_0SequentialTransposedX4(UnpackedRow w, short[] xt, int xo, int xtStride, float[] xs, int so,
                                              int sStride, int n, float[] out, int o, int oStride) {
        short[] v = w.transposed;
        short[] sums = w.blockSums;
        float[] d = w.d;
        int blocks = n / 32;
        int x1 = xo + xtStride, x2 = xo + 2 * xtStride, x3 = xo + 3 * xtStride;
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int g = 0; g < (blocks + 15) / 16; g++) {
            ShortVector s0 = ShortVector.zero(S256), s1 = s0, s2 = s0, s3 = s0;
            int base = 512 * g;
            for (int j = 0; j < 32; j++) {
                int e = base + 16 * j;
                ShortVector wv = ShortVector.fromArray(S256, v, e);
                s0 = s0.add(wv.mul(ShortVector.fromArray(S256, xt, xo + e)));
                s1 = s1.add(wv.mul(ShortVector.fromArray(S256, xt, x1 + e)));
                s2 = s2.add(wv.mul(ShortVector.fromArray(S256, xt, x2 + e)));
                s3 = s3.add(wv.mul(ShortVector.fromArray(S256, xt, x3 + e)));
            }
            s0.intoArray(sums, 0);
            s1.intoArray(sums, 16);
            s2.intoArray(sums, 32);
            s3.intoArray(sums, 48);
            int end = Math.min(16, blocks - 16 * g);
            for (int k = 0; k < end; k++) {
                int b = 16 * g + k;
                float db = d[b];
                a0 = Math.fma((float) sums[k], db * xs[so + b], a0);
                a1 = Math.fma((float) sums[16 + k], db * xs[so + sStride + b], a1);
                a2 = Math.fma((float) sums[32 + k], db * xs[so + 2 * sStride + b], a2);
                a3 = Math.fma((float) sums[48 + k], db * xs[so + 3 * sStride + b], a3);
            }
        }
        out[o] = a0;
        out[o + oStride] = a1;
        out[o + 2 * oStride] = a2;
        out[o + 3 * oStride] = a3;
    }
}
