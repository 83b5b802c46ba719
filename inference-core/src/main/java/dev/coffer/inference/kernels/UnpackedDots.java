package dev.coffer.inference.kernels;

import static dev.coffer.inference.kernels.DotKernels.F256;
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

    /** Q5_0: the exact integer block sum times {@code d * activation scale}, accumulated in scalar block order. */
    static float dotQ5_0(UnpackedRow w, short[] xq, int xo, float[] xs, int so, int n) {
        short[] v = w.values;
        float[] d = w.d;
        float sum = 0;
        for (int b = 0; b < n / 32; b++) {
            int e = 32 * b;
            IntVector p = ShortVector.fromArray(S256, v, e).mul(ShortVector.fromArray(S256, xq, xo + e))
                    .add(ShortVector.fromArray(S256, v, e + 16).mul(ShortVector.fromArray(S256, xq, xo + e + 16)))
                    .reinterpretAsInts();
            int isum = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16)).reduceLanes(ADD);
            sum += isum * (d[b] * xs[so + b]);
        }
        return sum;
    }

    /** Q4_K: as {@code ReferenceDots.dotQ4_K}: sub-block lanes times {@code (d * xd) * scale}, minus the min term. */
    static float dotQ4_K(UnpackedRow w, short[] xq, int xo, float[] xs, int so, int[] xm, int mo, int n) {
        short[] v = w.values;
        float[] d = w.d;
        float[] dmin = w.dmin;
        int[] sc = w.sc;
        int[] mn = w.mn;
        FloatVector acc = FloatVector.zero(F256);
        float minTerm = 0;
        for (int c = 0; c < n / 64; c++) {
            int b = c >> 2;
            float xd = xs[so + b];
            int m = mo + 4 * c;
            int mins = mn[2 * c] * (xm[m] + xm[m + 1]) + mn[2 * c + 1] * (xm[m + 2] + xm[m + 3]);
            minTerm = Math.fma(dmin[b] * xd, (float) mins, minTerm);
            float db = d[b] * xd;
            int e = 64 * c;
            IntVector lo = ShortVector.fromArray(S256, v, e).mul(ShortVector.fromArray(S256, xq, xo + e))
                    .add(ShortVector.fromArray(S256, v, e + 16).mul(ShortVector.fromArray(S256, xq, xo + e + 16)))
                    .reinterpretAsInts();
            acc = ((FloatVector) lo.add(lo.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * sc[2 * c]), acc);
            IntVector hi = ShortVector.fromArray(S256, v, e + 32).mul(ShortVector.fromArray(S256, xq, xo + e + 32))
                    .add(ShortVector.fromArray(S256, v, e + 48).mul(ShortVector.fromArray(S256, xq, xo + e + 48)))
                    .reinterpretAsInts();
            acc = ((FloatVector) hi.add(hi.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * sc[2 * c + 1]), acc);
        }
        acc.intoArray(w.lanes, 0);
        return reduce8(w.lanes, 0) - minTerm;
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
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        for (int c = 0; c < n / 64; c++) {
            int b = c >> 2;
            int mnLo = mn[2 * c];
            int mnHi = mn[2 * c + 1];
            float scLo = sc[2 * c];
            float scHi = sc[2 * c + 1];
            float db = d[b];
            float dm = dmin[b];
            float xd0 = xs[so + b], xd1 = xs[so + sStride + b], xd2 = xs[so + 2 * sStride + b];
            float xd3 = xs[so + 3 * sStride + b];
            int m = mo + 4 * c;
            m0 = Math.fma(dm * xd0, (float) (mnLo * (xm[m] + xm[m + 1]) + mnHi * (xm[m + 2] + xm[m + 3])), m0);
            m += mStride;
            m1 = Math.fma(dm * xd1, (float) (mnLo * (xm[m] + xm[m + 1]) + mnHi * (xm[m + 2] + xm[m + 3])), m1);
            m += mStride;
            m2 = Math.fma(dm * xd2, (float) (mnLo * (xm[m] + xm[m + 1]) + mnHi * (xm[m + 2] + xm[m + 3])), m2);
            m += mStride;
            m3 = Math.fma(dm * xd3, (float) (mnLo * (xm[m] + xm[m + 1]) + mnHi * (xm[m + 2] + xm[m + 3])), m3);
            float d0 = db * xd0, d1 = db * xd1, d2 = db * xd2, d3 = db * xd3;
            int e = 64 * c;
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
            a0 = ((FloatVector) p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d0 * scLo), a0);
            a1 = ((FloatVector) p1.add(p1.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d1 * scLo), a1);
            a2 = ((FloatVector) p2.add(p2.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d2 * scLo), a2);
            a3 = ((FloatVector) p3.add(p3.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d3 * scLo), a3);
            w0 = ShortVector.fromArray(S256, v, e + 32);
            w1 = ShortVector.fromArray(S256, v, e + 48);
            p0 = w0.mul(ShortVector.fromArray(S256, xq, xo + e + 32))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, xo + e + 48))).reinterpretAsInts();
            p1 = w0.mul(ShortVector.fromArray(S256, xq, x1 + e + 32))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x1 + e + 48))).reinterpretAsInts();
            p2 = w0.mul(ShortVector.fromArray(S256, xq, x2 + e + 32))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x2 + e + 48))).reinterpretAsInts();
            p3 = w0.mul(ShortVector.fromArray(S256, xq, x3 + e + 32))
                    .add(w1.mul(ShortVector.fromArray(S256, xq, x3 + e + 48))).reinterpretAsInts();
            a0 = ((FloatVector) p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d0 * scHi), a0);
            a1 = ((FloatVector) p1.add(p1.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d1 * scHi), a1);
            a2 = ((FloatVector) p2.add(p2.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d2 * scHi), a2);
            a3 = ((FloatVector) p3.add(p3.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d3 * scHi), a3);
        }
        float[] lanes = w.lanes;
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 8);
        a2.intoArray(lanes, 16);
        a3.intoArray(lanes, 24);
        out[o] = reduce8(lanes, 0) - m0;
        out[o + oStride] = reduce8(lanes, 8) - m1;
        out[o + 2 * oStride] = reduce8(lanes, 16) - m2;
        out[o + 3 * oStride] = reduce8(lanes, 24) - m3;
    }

    /**
     * Q6_K: per group of 16, 8 exact int lanes times {@code (d * xd) * scale}, groups in the order of
     * {@code ReferenceDots.dotQ6_K} (per quarter: groups at element offsets 0, 32, 64, 96).
     */
    static float dotQ6_K(UnpackedRow w, short[] xq, int xo, float[] xs, int so, int n) {
        short[] v = w.values;
        float[] d = w.d;
        int[] sc = w.sc;
        FloatVector acc = FloatVector.zero(F256);
        for (int k = 0; k < n / 64; k++) {
            int b = k >> 2;
            int hf = (k >> 1) & 1;
            int c = k & 1;
            float db = d[b] * xs[so + b];
            int g = 16 * b + 8 * hf + c;
            int e = 256 * b + 128 * hf + 16 * c;
            for (int j = 0; j < 4; j++) {
                IntVector p = ShortVector.fromArray(S256, v, e + 32 * j)
                        .mul(ShortVector.fromArray(S256, xq, xo + e + 32 * j)).reinterpretAsInts();
                acc = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F256, db * sc[g + 2 * j]), acc);
            }
        }
        acc.intoArray(w.lanes, 0);
        return reduce8(w.lanes, 0);
    }

    /** {@link #dotQ6_K} for {@link #TILE} tokens (see {@link #dot32x4}). */
    static void dotQ6_Kx4(UnpackedRow w, short[] xq, int xo, int xStride, float[] xs, int so, int sStride, int n,
                          float[] out, int o, int oStride) {
        short[] v = w.values;
        float[] d = w.d;
        int[] sc = w.sc;
        int x1 = xo + xStride, x2 = xo + 2 * xStride, x3 = xo + 3 * xStride;
        FloatVector a0 = FloatVector.zero(F256), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < n / 64; k++) {
            int b = k >> 2;
            int hf = (k >> 1) & 1;
            int c = k & 1;
            float db = d[b];
            float d0 = db * xs[so + b], d1 = db * xs[so + sStride + b];
            float d2 = db * xs[so + 2 * sStride + b], d3 = db * xs[so + 3 * sStride + b];
            int g = 16 * b + 8 * hf + c;
            int e = 256 * b + 128 * hf + 16 * c;
            for (int j = 0; j < 4; j++) {
                int ej = e + 32 * j;
                float scale = sc[g + 2 * j];
                ShortVector wv = ShortVector.fromArray(S256, v, ej);
                IntVector p0 = wv.mul(ShortVector.fromArray(S256, xq, xo + ej)).reinterpretAsInts();
                IntVector p1 = wv.mul(ShortVector.fromArray(S256, xq, x1 + ej)).reinterpretAsInts();
                IntVector p2 = wv.mul(ShortVector.fromArray(S256, xq, x2 + ej)).reinterpretAsInts();
                IntVector p3 = wv.mul(ShortVector.fromArray(S256, xq, x3 + ej)).reinterpretAsInts();
                a0 = ((FloatVector) p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F256, d0 * scale), a0);
                a1 = ((FloatVector) p1.add(p1.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F256, d1 * scale), a1);
                a2 = ((FloatVector) p2.add(p2.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F256, d2 * scale), a2);
                a3 = ((FloatVector) p3.add(p3.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F256, d3 * scale), a3);
            }
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
}
