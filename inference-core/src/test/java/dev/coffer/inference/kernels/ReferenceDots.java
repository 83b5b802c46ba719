package dev.coffer.inference.kernels;

import static dev.coffer.inference.kernels.DotKernels.B128;
import static dev.coffer.inference.kernels.DotKernels.B256;
import static dev.coffer.inference.kernels.DotKernels.F;
import static dev.coffer.inference.kernels.DotKernels.F256;
import static dev.coffer.inference.kernels.DotKernels.GROUPED;
import static dev.coffer.inference.kernels.DotKernels.H;
import static dev.coffer.inference.kernels.DotKernels.I;
import static dev.coffer.inference.kernels.DotKernels.I256;
import static dev.coffer.inference.kernels.DotKernels.L;
import static dev.coffer.inference.kernels.DotKernels.LE;
import static dev.coffer.inference.kernels.DotKernels.S256;
import static dev.coffer.inference.kernels.DotKernels.half;
import static dev.coffer.inference.kernels.DotKernels.reduce8;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * The straightforward one-row-one-token kernels that define Coffer's output bits for quantized weights: each
 * follows llama.cpp's AVX2 kernel for its type (integer lanes, scale products, accumulation and reduction order).
 * They were the production kernels until the fast paths; MatMulBitsTest's digests come from them, and
 * {@link FusedDots} and {@link UnpackedDots} must reproduce them bit for bit (FastKernelsMatchReferenceTest).
 */
final class ReferenceDots {
    private ReferenceDots() {}

    /** Sums adjacent pairs of 16 short lanes into 8 int lanes (exact). */
    static IntVector pairSums(ShortVector v) {
        IntVector i = v.reinterpretAsInts();
        return i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                .add(i.lanewise(VectorOperators.ASHR, 16));
    }

    /**
     * Q8_0 weights (f16 d, 32 x int8) against activations in the grouped order. The weight bytes are shuffled into
     * the same order, so int lane i sums elements 4i..4i+3 and the lanes, block scales and final reduction follow
     * llama.cpp's AVX2 {@code ggml_vec_dot_q8_0_q8_0} and tinyBLAS exactly: the same float operations on the same
     * values, hence the same bits.
     */
    static float dotQ8_0(MemorySegment w, long wOff, MemorySegment q, long qOff, MemorySegment s, long sOff, int n) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 34L * b;
            long qb = qOff + 64L * b;
            ByteVector wq = ByteVector.fromMemorySegment(B256, w, wb + 2, LE).rearrange(GROUPED);
            ShortVector w0 = (ShortVector) wq.convertShape(VectorOperators.B2S, S256, 0);
            ShortVector w1 = (ShortVector) wq.convertShape(VectorOperators.B2S, S256, 1);
            ShortVector x0 = ShortVector.fromMemorySegment(S256, q, qb, LE);
            ShortVector x1 = ShortVector.fromMemorySegment(S256, q, qb + 32, LE);
            // |w| <= 128 and |x| <= 127, so a lane of w0*x0 + w1*x1 is at most 32512: the short sum is exact.
            IntVector isum = pairSums(w0.mul(x0).add(w1.mul(x1)));
            float scale = half(w, wb) * s.get(F, sOff + 4L * b);
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, scale), acc);
        }
        return reduce8(acc);
    }

    /** Byte i of the 16 packed bytes that holds grouped position p (element src(p) mod 16). */
    private static final VectorShuffle<Byte> NIBBLE_SOURCE = nibbleSource();
    /** Grouped positions whose element is a high nibble (elements 16..31). */
    private static final VectorMask<Byte> HIGH_NIBBLE = highNibble();

    private static VectorShuffle<Byte> nibbleSource() {
        int[] src = new int[32];
        for (int e = 0; e < 32; e++) src[Activations.groupedPosition(e)] = e & 15;
        return VectorShuffle.fromArray(B256, src, 0);
    }

    private static VectorMask<Byte> highNibble() {
        boolean[] hi = new boolean[32];
        for (int e = 16; e < 32; e++) hi[Activations.groupedPosition(e)] = true;
        return VectorMask.fromArray(B256, hi, 0);
    }

    /**
     * The 32 four-bit values of a Q4_0 / Q4_K chunk (low nibbles = elements 0..15, high = 16..31) as bytes in
     * grouped order.
     */
    private static ByteVector nibblesGrouped(MemorySegment w, long off) {
        ByteVector packed = (ByteVector) ByteVector.fromMemorySegment(B128, w, off, LE).castShape(B256, 0);
        ByteVector spread = packed.rearrange(NIBBLE_SOURCE);
        return spread.and((byte) 0x0F).blend(spread.lanewise(VectorOperators.LSHR, 4), HIGH_NIBBLE);
    }

    /**
     * Q4_0 weights (f16 d, 16 bytes: low nibbles = elements 0..15, high = 16..31, offset 8) against grouped
     * activations: llama.cpp's AVX2 {@code ggml_vec_dot_q4_0_q8_0} (and tinyBLAS) bit for bit.
     */
    static float dotQ4_0(MemorySegment w, long wOff, MemorySegment q, long qOff, MemorySegment s, long sOff, int n) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 18L * b;
            long qb = qOff + 64L * b;
            ByteVector v = nibblesGrouped(w, wb + 2).sub((byte) 8);
            ShortVector w0 = (ShortVector) v.convertShape(VectorOperators.B2S, S256, 0);
            ShortVector w1 = (ShortVector) v.convertShape(VectorOperators.B2S, S256, 1);
            ShortVector x0 = ShortVector.fromMemorySegment(S256, q, qb, LE);
            ShortVector x1 = ShortVector.fromMemorySegment(S256, q, qb + 32, LE);
            // |w| <= 8, |x| <= 127: a lane of w0*x0 + w1*x1 is at most 2032, so the short sum is exact.
            IntVector isum = pairSums(w0.mul(x0).add(w1.mul(x1)));
            float scale = half(w, wb) * s.get(F, sOff + 4L * b);
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, scale), acc);
        }
        return reduce8(acc);
    }

    /**
     * Q4_0 in the order of llama.cpp's repacked kernels ({@code ggml_gemv/gemm_q4_0_8x8_q8_0}), which llama.cpp
     * uses on x86 for every Q4_0 weight with a multiple of 8 rows: each output is one float accumulator over the
     * blocks in order, {@code acc = fma(isum, dw * dx, acc)} with the block's exact integer sum.
     */
    static float dotQ4_0Sequential(MemorySegment w, long wOff, MemorySegment q, long qOff, MemorySegment s, long sOff,
                                   int n) {
        float acc = 0;
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 18L * b;
            long qb = qOff + 64L * b;
            ByteVector v = nibblesGrouped(w, wb + 2).sub((byte) 8);
            ShortVector w0 = (ShortVector) v.convertShape(VectorOperators.B2S, S256, 0);
            ShortVector w1 = (ShortVector) v.convertShape(VectorOperators.B2S, S256, 1);
            // 32 products of |w| <= 8 and |x| <= 127 sum to at most 32512: exact in a short reduction.
            int isum = w0.mul(ShortVector.fromMemorySegment(S256, q, qb, LE))
                    .add(w1.mul(ShortVector.fromMemorySegment(S256, q, qb + 32, LE)))
                    .reduceLanes(VectorOperators.ADD);
            acc = Math.fma((float) isum, half(w, wb) * s.get(F, sOff + 4L * b), acc);
        }
        return acc;
    }

    /**
     * Q5_0 weights (f16 d, 32 high bits, 16 bytes of low nibbles, offset 16) against grouped activations, in
     * llama.cpp's AVX2 order. Scalar: Q5_0 appears only in small mixed models, where exactness matters more than
     * speed. Lane i of a block sums elements 4i..4i+3 exactly in int; the lanes then follow the same float steps
     * as the vector kernels.
     */
    static float dotQ5_0(MemorySegment w, long wOff, MemorySegment q, long qOff, MemorySegment s, long sOff, int n) {
        float[] acc = new float[8];
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 22L * b;
            long qb = qOff + 64L * b;
            int qh = w.get(I, wb + 2);
            long lo8 = w.get(L, wb + 6);
            long hi8 = w.get(L, wb + 14);
            float scale = half(w, wb) * s.get(F, sOff + 4L * b);
            for (int lane = 0; lane < 8; lane++) {
                int isum = 0;
                for (int e = 4 * lane; e < 4 * lane + 4; e++) {
                    int j = e & 15;
                    int packed = (int) ((j < 8 ? lo8 >>> (8 * j) : hi8 >>> (8 * (j - 8))) & 0xff);
                    int nib = e < 16 ? packed & 0x0F : packed >>> 4;
                    int value = (nib | (((qh >>> e) & 1) << 4)) - 16;
                    isum += value * q.get(H, qb + 2L * Activations.groupedPosition(e));
                }
                acc[lane] = Math.fma((float) isum, scale, acc[lane]);
            }
        }
        return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    }

    // ---------------------------------------------------------------- 256-element super-blocks against Q8_K

    /**
     * Q4_K (f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles) against Q8_K activations in
     * grouped order, as llama.cpp's AVX2 {@code ggml_vec_dot_q4_K_q8_K}: per super-block, the scaled sub-block
     * sums meet in 8 exact int lanes, one FMA with {@code d} adds them to the float lanes; the mins form a
     * separate 4-lane float term (pairs of 32-sums times pairs of mins), added after both reductions.
     */
    static float dotQ4_K(MemorySegment w, long wOff, MemorySegment q, long qOff, MemorySegment s, long sOff,
                         MemorySegment sums, long sumsOff, int n) {
        FloatVector acc = FloatVector.zero(F256);
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        for (int b = 0; b < n / 256; b++) {
            long wb = wOff + 144L * b;
            long qb = qOff + 512L * b;
            float yd = s.get(F, sOff + 4L * b);
            float d = yd * half(w, wb);
            float dmin = -yd * half(w, wb + 2);
            long lo8 = w.get(L, wb + 4);                 // scale bytes 0..7
            long hi4 = w.get(I, wb + 12) & 0xffffffffL;  // scale bytes 8..11
            int sc0 = (int) lo8 & 63, sc1 = (int) (lo8 >>> 8) & 63, sc2 = (int) (lo8 >>> 16) & 63;
            int sc3 = (int) (lo8 >>> 24) & 63;
            int mn0 = (int) (lo8 >>> 32) & 63, mn1 = (int) (lo8 >>> 40) & 63, mn2 = (int) (lo8 >>> 48) & 63;
            int mn3 = (int) (lo8 >>> 56) & 63;
            int sc4 = ((int) hi4 & 0xF) | (((int) lo8 & 0xc0) >>> 2);
            int sc5 = ((int) (hi4 >>> 8) & 0xF) | (((int) (lo8 >>> 8) & 0xc0) >>> 2);
            int sc6 = ((int) (hi4 >>> 16) & 0xF) | (((int) (lo8 >>> 16) & 0xc0) >>> 2);
            int sc7 = ((int) (hi4 >>> 24) & 0xF) | (((int) (lo8 >>> 24) & 0xc0) >>> 2);
            int mn4 = ((int) (hi4 >>> 4) & 0xF) | (((int) (lo8 >>> 32) & 0xc0) >>> 2);
            int mn5 = ((int) (hi4 >>> 12) & 0xF) | (((int) (lo8 >>> 40) & 0xc0) >>> 2);
            int mn6 = ((int) (hi4 >>> 20) & 0xF) | (((int) (lo8 >>> 48) & 0xc0) >>> 2);
            int mn7 = ((int) (hi4 >>> 28) & 0xF) | (((int) (lo8 >>> 56) & 0xc0) >>> 2);
            long sb = sumsOff + 64L * b;
            m0 = Math.fma(dmin, (float) (mn0 * sum32(sums, sb) + mn1 * sum32(sums, sb + 8)), m0);
            m1 = Math.fma(dmin, (float) (mn2 * sum32(sums, sb + 16) + mn3 * sum32(sums, sb + 24)), m1);
            m2 = Math.fma(dmin, (float) (mn4 * sum32(sums, sb + 32) + mn5 * sum32(sums, sb + 40)), m2);
            m3 = Math.fma(dmin, (float) (mn6 * sum32(sums, sb + 48) + mn7 * sum32(sums, sb + 56)), m3);

            IntVector isum = subBlock4(w, wb + 16, q, qb, false).mul(sc0)
                    .add(subBlock4(w, wb + 16, q, qb + 64, true).mul(sc1))
                    .add(subBlock4(w, wb + 48, q, qb + 128, false).mul(sc2))
                    .add(subBlock4(w, wb + 48, q, qb + 192, true).mul(sc3))
                    .add(subBlock4(w, wb + 80, q, qb + 256, false).mul(sc4))
                    .add(subBlock4(w, wb + 80, q, qb + 320, true).mul(sc5))
                    .add(subBlock4(w, wb + 112, q, qb + 384, false).mul(sc6))
                    .add(subBlock4(w, wb + 112, q, qb + 448, true).mul(sc7));
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, d), acc);
        }
        return reduce8(acc) + ((m0 + m2) + (m1 + m3));
    }

    /** The two per-16 activation sums of a sub-block of 32 (one long read). */
    private static int sum32(MemorySegment sums, long off) {
        long pair = sums.get(L, off);
        return (int) pair + (int) (pair >>> 32);
    }

    /**
     * Exact int lanes of one 32-element sub-block of Q4_K nibbles ({@code high}: the high nibbles of the 32
     * bytes at {@code wq}) against 32 grouped activations: lane i = elements 4i..4i+3.
     */
    private static IntVector subBlock4(MemorySegment w, long wq, MemorySegment q, long xq, boolean high) {
        ByteVector bytes = ByteVector.fromMemorySegment(B256, w, wq, LE).rearrange(GROUPED);
        ByteVector v = high ? bytes.lanewise(VectorOperators.LSHR, 4) : bytes.and((byte) 0x0F);
        if (high) v = v.and((byte) 0x0F);
        ShortVector w0 = (ShortVector) v.convertShape(VectorOperators.B2S, S256, 0);
        ShortVector w1 = (ShortVector) v.convertShape(VectorOperators.B2S, S256, 1);
        // nibble (<= 15) x activation (<= 127), two per lane: at most 3810, exact in a short
        return pairSums(w0.mul(ShortVector.fromMemorySegment(S256, q, xq, LE))
                .add(w1.mul(ShortVector.fromMemorySegment(S256, q, xq + 32, LE))));
    }

    /** ggml's get_scale_min_k4 for all 8 sub-blocks (no allocation: it runs once per super-block). */
    static void unpackScalesMinsK4(MemorySegment w, long off, int[] sc, int[] mn) {
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                sc[j] = w.get(ValueLayout.JAVA_BYTE, off + j) & 63;
                mn[j] = w.get(ValueLayout.JAVA_BYTE, off + j + 4) & 63;
            } else {
                int qj4 = w.get(ValueLayout.JAVA_BYTE, off + j + 4) & 0xff;
                sc[j] = (qj4 & 0xF) | (((w.get(ValueLayout.JAVA_BYTE, off + j - 4) & 0xff) >>> 6) << 4);
                mn[j] = (qj4 >>> 4) | (((w.get(ValueLayout.JAVA_BYTE, off + j) & 0xff) >>> 6) << 4);
            }
        }
    }

    private static final VectorMask<Integer> UPPER_HALF =
            VectorMask.fromArray(I256, new boolean[] {false, false, false, false, true, true, true, true}, 0);

    /**
     * Q6_K (128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 scales, f16 d) against grouped Q8_K activations,
     * as llama.cpp's AVX2 {@code ggml_vec_dot_q6_K_q8_K}: per 32-element group, exact int lanes (elements
     * 4i..4i+3) times the scale of their 16-element half, summed in int over the super-block, one FMA with d.
     */
    static float dotQ6_K(MemorySegment w, long wOff, MemorySegment q, long qOff, MemorySegment s, long sOff, int n) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < n / 256; b++) {
            long wb = wOff + 210L * b;
            long qb = qOff + 512L * b;
            long s0 = w.get(L, wb + 192);
            long s1 = w.get(L, wb + 200);
            IntVector isum = IntVector.zero(I256);
            for (int hf = 0; hf < 2; hf++) {
                long ql = wb + 64L * hf;
                long qh = wb + 128 + 32L * hf;
                long scales = hf == 0 ? s0 : s1;
                ByteVector l0 = ByteVector.fromMemorySegment(B256, w, ql, LE);
                ByteVector l1 = ByteVector.fromMemorySegment(B256, w, ql + 32, LE);
                ByteVector h = ByteVector.fromMemorySegment(B256, w, qh, LE);
                for (int k = 0; k < 4; k++) {
                    ByteVector low = switch (k) {
                        case 0 -> l0.and((byte) 0x0F);
                        case 1 -> l1.and((byte) 0x0F);
                        case 2 -> l0.lanewise(VectorOperators.LSHR, 4);
                        default -> l1.lanewise(VectorOperators.LSHR, 4);
                    };
                    ByteVector high = h.lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
                    ByteVector v = low.or(high).sub((byte) 32).rearrange(GROUPED);
                    ShortVector w0 = (ShortVector) v.convertShape(VectorOperators.B2S, S256, 0);
                    ShortVector w1 = (ShortVector) v.convertShape(VectorOperators.B2S, S256, 1);
                    long xq = qb + 256L * hf + 64L * k;
                    // (v - 32) in -32..31 times |x| <= 127, two per lane: at most 8128, exact in a short
                    IntVector lanes = pairSums(w0.mul(ShortVector.fromMemorySegment(S256, q, xq, LE))
                            .add(w1.mul(ShortVector.fromMemorySegment(S256, q, xq + 32, LE))));
                    int scA = (byte) (scales >>> (16 * k));      // scale of elements 0..15 of this group
                    int scB = (byte) (scales >>> (16 * k + 8));  // and of elements 16..31
                    isum = isum.add(lanes.mul(IntVector.broadcast(I256, scA).blend(scB, UPPER_HALF)));
                }
            }
            float d = s.get(F, sOff + 4L * b) * half(w, wb + 208);
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, d), acc);
        }
        return reduce8(acc);
    }
}
