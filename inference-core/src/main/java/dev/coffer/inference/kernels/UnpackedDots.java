package dev.coffer.inference.kernels;

import static dev.coffer.inference.kernels.DotKernels.F;
import static dev.coffer.inference.kernels.DotKernels.F256;
import static dev.coffer.inference.kernels.DotKernels.L;
import static dev.coffer.inference.kernels.DotKernels.LE;
import static dev.coffer.inference.kernels.DotKernels.S256;
import static dev.coffer.inference.kernels.DotKernels.pairSums;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Dot products of an {@link UnpackedRow} with one activation row. Each method performs exactly the float
 * operations of its {@link DotKernels} counterpart (same exact integer lanes, same scale products, same
 * accumulation and reduction order), so a result does not depend on which path computed it.
 */
final class UnpackedDots {
    private UnpackedDots() {}

    /** Tokens per tile call. */
    static final int TILE = 4;

    /** {@link DotKernels#reduce8}'s order on 8 lanes stored in {@code t[o..o+8)}: the same float additions. */
    static float reduce8(float[] t, int o) {
        return ((t[o] + t[o + 4]) + (t[o + 2] + t[o + 6])) + ((t[o + 1] + t[o + 5]) + (t[o + 3] + t[o + 7]));
    }

    /*
     * The tile kernels below are written out by hand, without helper methods on vectors: C2 stops inlining
     * ordinary methods once a compilation has created ~18000 nodes (Vector API calls are force-inlined and exempt),
     * and a vector that crosses a call that was not inlined is boxed on the heap. pairSums is therefore spelled
     * out as shift/shift/shift/add, and the accumulators are reduced from an array in reduce8's order.
     */

    /** Q8_0 and Q4_0: per block of 32, 8 exact int lanes times {@code d * activation scale}. */
    static float dot32(UnpackedRow w, MemorySegment q, long qOff, MemorySegment s, long sOff, int n) {
        MemorySegment v = w.values;
        float[] d = w.d;
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < n / 32; b++) {
            long wb = 64L * b;
            long qb = qOff + 64L * b;
            IntVector p = ShortVector.fromMemorySegment(S256, v, wb, LE)
                    .mul(ShortVector.fromMemorySegment(S256, q, qb, LE))
                    .add(ShortVector.fromMemorySegment(S256, v, wb + 32, LE)
                            .mul(ShortVector.fromMemorySegment(S256, q, qb + 32, LE))).reinterpretAsInts();
            IntVector isum = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            float scale = d[b] * s.get(F, sOff + 4L * b);
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F256, scale), acc);
        }
        acc.intoArray(w.lanes, 0);
        return reduce8(w.lanes, 0);
    }

    /**
     * {@link #dot32} for {@link #TILE} tokens at once: each weight chunk is loaded once, and the four independent
     * accumulator chains hide the FMA latency that bounds a single token's chain.
     *
     * @param qStride bytes between the tokens' activation rows; {@code sStride} likewise for their block scales
     * @param oStride bytes between the tokens' results in {@code out}
     */
    static void dot32x4(UnpackedRow w, MemorySegment q, long qOff, long qStride, MemorySegment s, long sOff,
                        long sStride, int n, MemorySegment out, long o, long oStride) {
        MemorySegment v = w.values;
        float[] d = w.d;
        FloatVector a0 = FloatVector.zero(F256), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < n / 32; b++) {
            long wb = 64L * b;
            ShortVector w0 = ShortVector.fromMemorySegment(S256, v, wb, LE);
            ShortVector w1 = ShortVector.fromMemorySegment(S256, v, wb + 32, LE);
            float db = d[b];
            long qb = qOff + 64L * b;
            long sb = sOff + 4L * b;
            IntVector p0 = w0.mul(ShortVector.fromMemorySegment(S256, q, qb, LE))
                    .add(w1.mul(ShortVector.fromMemorySegment(S256, q, qb + 32, LE))).reinterpretAsInts();
            IntVector p1 = w0.mul(ShortVector.fromMemorySegment(S256, q, qb + qStride, LE))
                    .add(w1.mul(ShortVector.fromMemorySegment(S256, q, qb + qStride + 32, LE))).reinterpretAsInts();
            IntVector p2 = w0.mul(ShortVector.fromMemorySegment(S256, q, qb + 2 * qStride, LE))
                    .add(w1.mul(ShortVector.fromMemorySegment(S256, q, qb + 2 * qStride + 32, LE))).reinterpretAsInts();
            IntVector p3 = w0.mul(ShortVector.fromMemorySegment(S256, q, qb + 3 * qStride, LE))
                    .add(w1.mul(ShortVector.fromMemorySegment(S256, q, qb + 3 * qStride + 32, LE))).reinterpretAsInts();
            a0 = ((FloatVector) p0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p0.lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * s.get(F, sb)), a0);
            a1 = ((FloatVector) p1.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p1.lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * s.get(F, sb + sStride)), a1);
            a2 = ((FloatVector) p2.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p2.lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * s.get(F, sb + 2 * sStride)), a2);
            a3 = ((FloatVector) p3.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p3.lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, db * s.get(F, sb + 3 * sStride)), a3);
        }
        float[] lanes = w.lanes;
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, 8);
        a2.intoArray(lanes, 16);
        a3.intoArray(lanes, 24);
        out.set(F, o, reduce8(lanes, 0));
        out.set(F, o + oStride, reduce8(lanes, 8));
        out.set(F, o + 2 * oStride, reduce8(lanes, 16));
        out.set(F, o + 3 * oStride, reduce8(lanes, 24));
    }

    /** Q5_0: the exact integer block sum times {@code d * activation scale}, accumulated in scalar block order. */
    static float dotQ5_0(UnpackedRow w, MemorySegment q, long qOff, MemorySegment s, long sOff, int n) {
        MemorySegment v = w.values;
        float[] d = w.d;
        float sum = 0;
        for (int b = 0; b < n / 32; b++) {
            long wb = 64L * b;
            long qb = qOff + 64L * b;
            int isum = pairSums(ShortVector.fromMemorySegment(S256, v, wb, LE)
                    .mul(ShortVector.fromMemorySegment(S256, q, qb, LE))
                    .add(ShortVector.fromMemorySegment(S256, v, wb + 32, LE)
                            .mul(ShortVector.fromMemorySegment(S256, q, qb + 32, LE))))
                    .reduceLanes(VectorOperators.ADD);
            sum += isum * (d[b] * s.get(F, sOff + 4L * b));
        }
        return sum;
    }

    /** Q4_K: as {@link DotKernels#dotQ4_K}: sub-block lanes times {@code (d * xd) * scale}, minus the min term. */
    static float dotQ4_K(UnpackedRow w, MemorySegment q, long qOff, MemorySegment s, long sOff,
                         MemorySegment sums, long sumsOff, int n) {
        MemorySegment v = w.values;
        float[] d = w.d;
        float[] dmin = w.dmin;
        int[] sc = w.sc;
        int[] mn = w.mn;
        FloatVector acc = FloatVector.zero(F256);
        float minTerm = 0;
        for (int c = 0; c < n / 64; c++) {
            int b = c >> 2;
            float xd = s.get(F, sOff + 4L * b);
            long s0 = sums.get(L, sumsOff + 16L * c);
            long s1 = sums.get(L, sumsOff + 16L * c + 8);
            int mins = mn[2 * c] * ((int) s0 + (int) (s0 >>> 32)) + mn[2 * c + 1] * ((int) s1 + (int) (s1 >>> 32));
            minTerm = Math.fma(dmin[b] * xd, (float) mins, minTerm);
            float db = d[b] * xd;
            long wc = 128L * c;
            long xc = qOff + 128L * c;
            IntVector lo = pairSums(ShortVector.fromMemorySegment(S256, v, wc, LE)
                    .mul(ShortVector.fromMemorySegment(S256, q, xc, LE))
                    .add(ShortVector.fromMemorySegment(S256, v, wc + 32, LE)
                            .mul(ShortVector.fromMemorySegment(S256, q, xc + 32, LE))));
            acc = ((FloatVector) lo.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, db * sc[2 * c]), acc);
            IntVector hi = pairSums(ShortVector.fromMemorySegment(S256, v, wc + 64, LE)
                    .mul(ShortVector.fromMemorySegment(S256, q, xc + 64, LE))
                    .add(ShortVector.fromMemorySegment(S256, v, wc + 96, LE)
                            .mul(ShortVector.fromMemorySegment(S256, q, xc + 96, LE))));
            acc = ((FloatVector) hi.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, db * sc[2 * c + 1]), acc);
        }
        acc.intoArray(w.lanes, 0);
        return reduce8(w.lanes, 0) - minTerm;
    }

    /**
     * Q6_K: per group of 16, 8 exact int lanes times {@code (d * xd) * scale}, groups in the order of
     * {@link DotKernels#dotQ6_K} (per quarter: groups at element offsets 0, 32, 64, 96).
     */
    static float dotQ6_K(UnpackedRow w, MemorySegment q, long qOff, MemorySegment s, long sOff, int n) {
        MemorySegment v = w.values;
        float[] d = w.d;
        int[] sc = w.sc;
        FloatVector acc = FloatVector.zero(F256);
        for (int k = 0; k < n / 64; k++) {
            int b = k >> 2;
            int hf = (k >> 1) & 1;
            int c = k & 1;
            float db = d[b] * s.get(F, sOff + 4L * b);
            int g = 16 * b + 8 * hf + c;
            long e = 2L * (256L * b + 128L * hf + 16L * c);
            for (int j = 0; j < 4; j++) {
                IntVector p = pairSums(ShortVector.fromMemorySegment(S256, v, e + 64L * j, LE)
                        .mul(ShortVector.fromMemorySegment(S256, q, qOff + e + 64L * j, LE)));
                acc = ((FloatVector) p.convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.broadcast(F256, db * sc[g + 2 * j]), acc);
            }
        }
        acc.intoArray(w.lanes, 0);
        return reduce8(w.lanes, 0);
    }
}
