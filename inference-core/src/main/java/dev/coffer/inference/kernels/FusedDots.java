package dev.coffer.inference.kernels;

import static dev.coffer.inference.kernels.DotKernels.B128;
import static dev.coffer.inference.kernels.DotKernels.F256;
import static dev.coffer.inference.kernels.DotKernels.H;
import static dev.coffer.inference.kernels.DotKernels.LE;
import static dev.coffer.inference.kernels.DotKernels.S256;
import static dev.coffer.inference.kernels.DotKernels.half;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

/**
 * Decode (one token): each quantized weight block is unpacked in registers straight from the weight segment and
 * met by the activation row, which sits in heap arrays (as in {@link UnpackedDots}: C2 drops their range checks).
 * The arithmetic is exactly that of the reference kernels (same int lanes, scale products and reduction order;
 * see {@link DotKernels}).
 * Vector helpers are spelled out, and pair sums take the cheaper form where they fit in a short, as explained in
 * {@link UnpackedDots}.
 */
final class FusedDots {
    private FusedDots() {}

    /** Q8_0 weights (f16 d, 32 x int8) against activations in the grouped order (see {@code ReferenceDots.dotQ8_0}). */
    static float dotQ8_0(MemorySegment w, long wOff, short[] xq, int xo, float[] xs, int so, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 34L * b;
            ByteVector wq = ByteVector.fromMemorySegment(DotKernels.B256, w, wb + 2, LE).rearrange(DotKernels.GROUPED);
            int e = xo + 32 * b;
            IntVector p = ((ShortVector) wq.convertShape(B2S, S256, 0)).mul(ShortVector.fromArray(S256, xq, e))
                    .add(((ShortVector) wq.convertShape(B2S, S256, 1)).mul(ShortVector.fromArray(S256, xq, e + 16)))
                    .reinterpretAsInts();
            float scale = half(w, wb) * xs[so + b];
            acc = ((FloatVector) p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16)).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, scale), acc);
        }
        acc.intoArray(lanes, 0);
        return UnpackedDots.reduce8(lanes, 0);
    }

    /**
     * Q4_0 in llama.cpp's repacked order (see {@code ReferenceDots.dotQ4_0Sequential}): per block the exact sum
     * of its 32 products, then {@code acc = fma(isum, d * activation scale, acc)} in block order. The sum does not
     * depend on the order of the elements, so the nibbles are used in their natural order against activations in
     * natural order ({@code xn}), which saves the grouping shuffles.
     */
    static float dotQ4_0Sequential(MemorySegment w, long wOff, short[] xn, float[] xs, int n) {
        float acc = 0;
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 18L * b;
            ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 2, LE).convertShape(B2S, S256, 0);
            int e = 32 * b;
            // |w| <= 8, |x| <= 127: 32 products sum to at most 32512, exact in a short reduction
            int isum = packed.and((short) 0x0F).sub((short) 8).mul(ShortVector.fromArray(S256, xn, e))
                    .add(packed.lanewise(ASHR, 4).and((short) 0x0F).sub((short) 8)
                            .mul(ShortVector.fromArray(S256, xn, e + 16)))
                    .reduceLanes(ADD);
            acc = Math.fma((float) isum, Float.float16ToFloat(w.get(H, wb)) * xs[b], acc);
        }
        return acc;
    }

    /**
     * Q4_K as {@code ReferenceDots.dotQ4_K} (llama.cpp's AVX2 order): per super-block, sub-block int lanes times
     * their 6-bit scales summed exactly in int, one FMA with {@code activation scale * d}; the mins in four float
     * chains added after the reduction. Scales and mins are unpacked four at a time in the byte lanes of an int.
     */
    static float dotQ4_K(MemorySegment w, long wOff, short[] xq, float[] xs, int[] xm, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(F256);
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        for (int b = 0; b < n / 256; b++) {
            long wb = wOff + 144L * b;
            long lo8 = w.get(DotKernels.L, wb + 4);  // scale bytes 0..7
            int hi4 = w.get(DotKernels.I, wb + 12);  // scale bytes 8..11
            int lo = (int) lo8;
            int hi = (int) (lo8 >>> 32);
            int scA = lo & 0x3F3F3F3F;                                         // sub-blocks 0..3
            int mnA = hi & 0x3F3F3F3F;
            int scB = (hi4 & 0x0F0F0F0F) | ((lo >>> 2) & 0x30303030);          // sub-blocks 4..7
            int mnB = ((hi4 >>> 4) & 0x0F0F0F0F) | ((hi >>> 2) & 0x30303030);
            float yd = xs[b];
            float dm = -yd * Float.float16ToFloat(w.get(H, wb + 2));
            int m = 16 * b;
            m0 = Math.fma(dm, (float) ((mnA & 0xFF) * (xm[m] + xm[m + 1])
                    + ((mnA >>> 8) & 0xFF) * (xm[m + 2] + xm[m + 3])), m0);
            m1 = Math.fma(dm, (float) (((mnA >>> 16) & 0xFF) * (xm[m + 4] + xm[m + 5])
                    + (mnA >>> 24) * (xm[m + 6] + xm[m + 7])), m1);
            m2 = Math.fma(dm, (float) ((mnB & 0xFF) * (xm[m + 8] + xm[m + 9])
                    + ((mnB >>> 8) & 0xFF) * (xm[m + 10] + xm[m + 11])), m2);
            m3 = Math.fma(dm, (float) (((mnB >>> 16) & 0xFF) * (xm[m + 12] + xm[m + 13])
                    + (mnB >>> 24) * (xm[m + 14] + xm[m + 15])), m3);
            IntVector isum = IntVector.zero(DotKernels.I256);
            for (int c = 0; c < 4; c++) { // 32 bytes: low nibbles = sub-block 2c, high nibbles = sub-block 2c + 1
                int scales = c < 2 ? scA : scB;
                int scLo = (scales >>> (16 * (c & 1))) & 0xFF;
                int scHi = (scales >>> (16 * (c & 1) + 8)) & 0xFF;
                ByteVector raw = ByteVector.fromMemorySegment(DotKernels.B256, w, wb + 16 + 32L * c, LE)
                        .rearrange(DotKernels.GROUPED);
                ByteVector low = raw.and((byte) 0x0F);
                ByteVector high = raw.lanewise(LSHR, 4);
                int e = 256 * b + 64 * c;
                IntVector p = ((ShortVector) low.convertShape(B2S, S256, 0)).mul(ShortVector.fromArray(S256, xq, e))
                        .add(((ShortVector) low.convertShape(B2S, S256, 1)).mul(ShortVector.fromArray(S256, xq, e + 16)))
                        .reinterpretAsInts();
                isum = isum.add(p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(scLo));
                p = ((ShortVector) high.convertShape(B2S, S256, 0)).mul(ShortVector.fromArray(S256, xq, e + 32))
                        .add(((ShortVector) high.convertShape(B2S, S256, 1)).mul(ShortVector.fromArray(S256, xq, e + 48)))
                        .reinterpretAsInts();
                isum = isum.add(p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).mul(scHi));
            }
            acc = ((FloatVector) isum.convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, yd * Float.float16ToFloat(w.get(H, wb))), acc);
        }
        acc.intoArray(lanes, 0);
        return UnpackedDots.reduce8(lanes, 0) + ((m0 + m2) + (m1 + m3));
    }
}
