package dev.coffer.inference.kernels;

import static dev.coffer.inference.kernels.DotKernels.F;
import static dev.coffer.inference.kernels.DotKernels.F256;
import static dev.coffer.inference.kernels.DotKernels.L;
import static dev.coffer.inference.kernels.DotKernels.LE;
import static dev.coffer.inference.kernels.DotKernels.S256;
import static dev.coffer.inference.kernels.DotKernels.pairSums;
import static dev.coffer.inference.kernels.DotKernels.reduce8;

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

    /** Q8_0 and Q4_0: per block of 32, 8 exact int lanes times {@code d * activation scale}. */
    static float dot32(UnpackedRow w, MemorySegment q, long qOff, MemorySegment s, long sOff, int n) {
        MemorySegment v = w.values;
        float[] d = w.d;
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < n / 32; b++) {
            long wb = 64L * b;
            long qb = qOff + 64L * b;
            IntVector isum = pairSums(ShortVector.fromMemorySegment(S256, v, wb, LE)
                    .mul(ShortVector.fromMemorySegment(S256, q, qb, LE))
                    .add(ShortVector.fromMemorySegment(S256, v, wb + 32, LE)
                            .mul(ShortVector.fromMemorySegment(S256, q, qb + 32, LE))));
            float scale = d[b] * s.get(F, sOff + 4L * b);
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, scale), acc);
        }
        return reduce8(acc);
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
        return reduce8(acc) - minTerm;
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
        return reduce8(acc);
    }
}
