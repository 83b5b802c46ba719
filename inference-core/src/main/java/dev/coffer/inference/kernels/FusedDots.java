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
}
