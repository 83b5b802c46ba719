package dev.coffer.inference.kernels;

import static dev.coffer.inference.kernels.DotKernels.B128;
import static dev.coffer.inference.kernels.DotKernels.F256;
import static dev.coffer.inference.kernels.DotKernels.H;
import static dev.coffer.inference.kernels.DotKernels.I;
import static dev.coffer.inference.kernels.DotKernels.L;
import static dev.coffer.inference.kernels.DotKernels.LE;
import static dev.coffer.inference.kernels.DotKernels.S256;
import static dev.coffer.inference.kernels.DotKernels.half;
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

    /** Q4_0 weights (f16 d, 16 bytes: low nibbles = elements 0..15, high = 16..31, offset 8). */
    static float dotQ4_0(MemorySegment w, long wOff, short[] xq, int xo, float[] xs, int so, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 18L * b;
            ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 2, LE).convertShape(B2S, S256, 0);
            int e = xo + 32 * b;
            IntVector p = packed.and((short) 0x0F).sub((short) 8).mul(ShortVector.fromArray(S256, xq, e))
                    .add(packed.lanewise(ASHR, 4).and((short) 0x0F).sub((short) 8)
                            .mul(ShortVector.fromArray(S256, xq, e + 16))).reinterpretAsInts();
            float scale = half(w, wb) * xs[so + b];
            acc = ((FloatVector) p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, scale), acc);
        }
        acc.intoArray(lanes, 0);
        return UnpackedDots.reduce8(lanes, 0);
    }

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
     * Q4_K (f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles; see {@code ReferenceDots.dotQ4_K}).
     * The scales and mins of a super-block are unpacked four at a time from one long and one int (SWAR: byte
     * lanes of an int), and its four 64-element chunks are written out, so every index is linear in the loop
     * variable and C2 hoists the range and bounds checks out of the loop.
     */
    static float dotQ4_K(MemorySegment w, long wOff, short[] xq, int xo, float[] xs, int so, int[] xm, int mo, int n,
                         float[] lanes) {
        FloatVector acc = FloatVector.zero(F256);
        float minTerm = 0;
        for (int b = 0; b < n / 256; b++) {
            long wb = wOff + 144L * b;
            long lo8 = w.get(L, wb + 4);  // scale bytes 0..7
            int hi4 = w.get(I, wb + 12);  // scale bytes 8..11
            int lo = (int) lo8;
            int hi = (int) (lo8 >>> 32);
            int scA = lo & 0x3F3F3F3F;                                         // scales of sub-blocks 0..3
            int mnA = hi & 0x3F3F3F3F;                                         // mins of sub-blocks 0..3
            int scB = (hi4 & 0x0F0F0F0F) | ((lo >>> 2) & 0x30303030);          // scales of sub-blocks 4..7
            int mnB = ((hi4 >>> 4) & 0x0F0F0F0F) | ((hi >>> 2) & 0x30303030);  // mins of sub-blocks 4..7
            float xd = xs[so + b];
            float dm = Float.float16ToFloat(w.get(H, wb + 2)) * xd;
            float d = Float.float16ToFloat(w.get(H, wb)) * xd;
            int m = mo + 16 * b;
            int e = xo + 256 * b;
            ShortVector p0, p1;
            IntVector v;
            // chunk 0: sub-blocks 0 (low nibbles) and 1 (high nibbles)
            minTerm = Math.fma(dm, (float) ((mnA & 0xFF) * (xm[m + 0] + xm[m + 1])
                    + ((mnA >>> 8) & 0xFF) * (xm[m + 2] + xm[m + 3])), minTerm);
            p0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 16, LE).convertShape(B2S, S256, 0);
            p1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 32, LE).convertShape(B2S, S256, 0);
            v = p0.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 0))
                    .add(p1.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 16))).reinterpretAsInts();
            acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d * (scA & 0xFF)), acc);
            v = p0.lanewise(ASHR, 4).and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 32))
                    .add(p1.lanewise(ASHR, 4).and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 48)))
                    .reinterpretAsInts();
            acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d * ((scA >>> 8) & 0xFF)), acc);
            // chunk 1: sub-blocks 2 (low nibbles) and 3 (high nibbles)
            minTerm = Math.fma(dm, (float) (((mnA >>> 16) & 0xFF) * (xm[m + 4] + xm[m + 5])
                    + ((mnA >>> 24) & 0xFF) * (xm[m + 6] + xm[m + 7])), minTerm);
            p0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 48, LE).convertShape(B2S, S256, 0);
            p1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 64, LE).convertShape(B2S, S256, 0);
            v = p0.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 64))
                    .add(p1.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 80))).reinterpretAsInts();
            acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d * ((scA >>> 16) & 0xFF)), acc);
            v = p0.lanewise(ASHR, 4).and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 96))
                    .add(p1.lanewise(ASHR, 4).and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 112)))
                    .reinterpretAsInts();
            acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d * ((scA >>> 24) & 0xFF)), acc);
            // chunk 2: sub-blocks 4 (low nibbles) and 5 (high nibbles)
            minTerm = Math.fma(dm, (float) ((mnB & 0xFF) * (xm[m + 8] + xm[m + 9])
                    + ((mnB >>> 8) & 0xFF) * (xm[m + 10] + xm[m + 11])), minTerm);
            p0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 80, LE).convertShape(B2S, S256, 0);
            p1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 96, LE).convertShape(B2S, S256, 0);
            v = p0.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 128))
                    .add(p1.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 144))).reinterpretAsInts();
            acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d * (scB & 0xFF)), acc);
            v = p0.lanewise(ASHR, 4).and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 160))
                    .add(p1.lanewise(ASHR, 4).and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 176)))
                    .reinterpretAsInts();
            acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d * ((scB >>> 8) & 0xFF)), acc);
            // chunk 3: sub-blocks 6 (low nibbles) and 7 (high nibbles)
            minTerm = Math.fma(dm, (float) (((mnB >>> 16) & 0xFF) * (xm[m + 12] + xm[m + 13])
                    + ((mnB >>> 24) & 0xFF) * (xm[m + 14] + xm[m + 15])), minTerm);
            p0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 112, LE).convertShape(B2S, S256, 0);
            p1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 128, LE).convertShape(B2S, S256, 0);
            v = p0.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 192))
                    .add(p1.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 208))).reinterpretAsInts();
            acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d * ((scB >>> 16) & 0xFF)), acc);
            v = p0.lanewise(ASHR, 4).and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 224))
                    .add(p1.lanewise(ASHR, 4).and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, e + 240)))
                    .reinterpretAsInts();
            acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                    .fma(FloatVector.broadcast(F256, d * ((scB >>> 24) & 0xFF)), acc);
        }
        acc.intoArray(lanes, 0);
        return UnpackedDots.reduce8(lanes, 0) - minTerm;
    }

    /**
     * Q6_K (128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 scales, f16 d; see {@code ReferenceDots.dotQ6_K}):
     * groups of 16 in the same order (per quarter of a super-block: element offsets 0, 32, 64, 96). The int8
     * scales come from two longs; the quarter loop stays a loop because a fully written-out super-block is too
     * large for C1, and code that C1 cannot compile never gets profiled into C2.
     */
    static float dotQ6_K(MemorySegment w, long wOff, short[] xq, int xo, float[] xs, int so, int n, float[] lanes) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < n / 256; b++) {
            long wb = wOff + 210L * b;
            float d = Float.float16ToFloat(w.get(H, wb + 208)) * xs[so + b];
            long s0 = w.get(L, wb + 192); // scales 0..7 (first half)
            long s1 = w.get(L, wb + 200); // scales 8..15 (second half)
            for (int q = 0; q < 4; q++) { // quarter: half q / 2, positions 16 * (q % 2) .. +15 of each 32
                int hf = q >> 1;
                int c = q & 1;
                long sc = (hf == 0 ? s0 : s1) >>> (8 * c);
                long ql = wb + 64L * hf + 16L * c;
                int e = xo + 256 * b + 128 * hf + 16 * c;
                ShortVector l0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, ql, LE).convertShape(B2S, S256, 0);
                ShortVector l1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, ql + 32, LE).convertShape(B2S, S256, 0);
                ShortVector h = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 128 + 32L * hf + 16L * c, LE)
                        .convertShape(B2S, S256, 0);
                IntVector v = l0.and((short) 0x0F).or(h.lanewise(LSHL, 4).and((short) 0x30)).sub((short) 32)
                        .mul(ShortVector.fromArray(S256, xq, e)).reinterpretAsInts();
                acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F256, d * (byte) sc), acc);
                v = l1.and((short) 0x0F).or(h.lanewise(LSHL, 2).and((short) 0x30)).sub((short) 32)
                        .mul(ShortVector.fromArray(S256, xq, e + 32)).reinterpretAsInts();
                acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F256, d * (byte) (sc >>> 16)), acc);
                v = l0.lanewise(ASHR, 4).and((short) 0x0F).or(h.and((short) 0x30)).sub((short) 32)
                        .mul(ShortVector.fromArray(S256, xq, e + 64)).reinterpretAsInts();
                acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F256, d * (byte) (sc >>> 32)), acc);
                v = l1.lanewise(ASHR, 4).and((short) 0x0F).or(h.lanewise(ASHR, 2).and((short) 0x30)).sub((short) 32)
                        .mul(ShortVector.fromArray(S256, xq, e + 96)).reinterpretAsInts();
                acc = ((FloatVector) v.add(v.lanewise(LSHL, 16)).lanewise(ASHR, 16).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F256, d * (byte) (sc >>> 48)), acc);
            }
        }
        acc.intoArray(lanes, 0);
        return UnpackedDots.reduce8(lanes, 0);
    }
}
