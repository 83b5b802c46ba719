package dev.coffer.inference.kernels;

import static dev.coffer.inference.kernels.DotKernels.B128;
import static dev.coffer.inference.kernels.DotKernels.B256;
import static dev.coffer.inference.kernels.DotKernels.F;
import static dev.coffer.inference.kernels.DotKernels.F256;
import static dev.coffer.inference.kernels.DotKernels.GROUPED;
import static dev.coffer.inference.kernels.DotKernels.H;
import static dev.coffer.inference.kernels.DotKernels.I;
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
import jdk.incubator.vector.VectorOperators;

/**
 * The straightforward one-row-one-token kernels that define Coffer's output bits for quantized weights (they were
 * the production kernels before the fast paths; MatMulBitsTest's digests were recorded from them). Q8_0 follows
 * llama.cpp's AVX2 lane grouping; every kernel sums exact integer lanes, scales them per block in block order and
 * reduces the 8 float lanes with {@link DotKernels#reduce8}. {@link FusedDots} and {@link UnpackedDots} must
 * reproduce them bit for bit ({@code FastKernelsMatchReferenceTest}).
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

    /** Q4_0 weights (f16 d, 16 bytes: low nibbles = elements 0..15, high = 16..31, offset 8). */
    static float dotQ4_0(MemorySegment w, long wOff, MemorySegment q, long qOff, MemorySegment s, long sOff, int n) {
        FloatVector acc = FloatVector.zero(F256);
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 18L * b;
            long qb = qOff + 64L * b;
            // Widen first, then split nibbles with 16-bit shifts (x86 has no byte shift).
            ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 2, LE)
                    .convertShape(VectorOperators.B2S, S256, 0);
            ShortVector lo = packed.and((short) 0x0F).sub((short) 8);
            ShortVector hi = packed.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F).sub((short) 8);
            ShortVector x0 = ShortVector.fromMemorySegment(S256, q, qb, LE);
            ShortVector x1 = ShortVector.fromMemorySegment(S256, q, qb + 32, LE);
            // |w| <= 8, |x| <= 127: a lane of lo*x0 + hi*x1 is at most 2032, so the short sum is exact.
            IntVector isum = pairSums(lo.mul(x0).add(hi.mul(x1)));
            float scale = half(w, wb) * s.get(F, sOff + 4L * b);
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, scale), acc);
        }
        return reduce8(acc);
    }

    /** Q5_0 weights (f16 d, 32 high bits, 16 bytes of low nibbles, offset 16). */
    static float dotQ5_0(MemorySegment w, long wOff, MemorySegment q, long qOff, MemorySegment s, long sOff, int n) {
        float sum = 0;
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 22L * b;
            long qb = qOff + 64L * b;
            int qh = w.get(I, wb + 2);
            int isum = 0;
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, wb + 6 + j) & 0xff;
                int v0 = ((packed & 0x0F) | (((qh >>> j) << 4) & 0x10)) - 16;
                int v1 = ((packed >>> 4) | ((qh >>> (j + 12)) & 0x10)) - 16;
                isum += v0 * q.get(H, qb + 2L * j) + v1 * q.get(H, qb + 2L * (16 + j));
            }
            sum += isum * (half(w, wb) * s.get(F, sOff + 4L * b));
        }
        return sum;
    }

    // ---------------------------------------------------------------- 256-element super-blocks against Q8_K

    /**
     * Q4_K (f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles). One loop over 32-byte chunks
     * (two sub-blocks of 32: low nibbles, then high nibbles). The 6-bit scales and mins of a chunk's two
     * sub-blocks are unpacked from one long and one int read with plain integer operations, which run beside the
     * vector work; the mins meet the per-16 activation sums in a scalar term.
     */
    static float dotQ4_K(MemorySegment w, long wOff, MemorySegment q, long qOff, MemorySegment s, long sOff,
                         MemorySegment sums, long sumsOff, int n) {
        FloatVector acc = FloatVector.zero(F256);
        float minTerm = 0;
        for (int c = 0; c < n / 64; c++) {
            int b = c >> 2;
            long wb = wOff + 144L * b;
            float xd = s.get(F, sOff + 4L * b);
            long lo8 = w.get(L, wb + 4);                 // scale bytes 0..7
            long hi4 = w.get(I, wb + 12) & 0xffffffffL;  // scale bytes 8..11
            int j = 2 * (c & 3);
            int sc0, mn0, sc1, mn1;
            if (j < 4) {
                sc0 = (int) (lo8 >>> (8 * j)) & 63;
                mn0 = (int) (lo8 >>> (8 * j + 32)) & 63;
                sc1 = (int) (lo8 >>> (8 * j + 8)) & 63;
                mn1 = (int) (lo8 >>> (8 * j + 40)) & 63;
            } else {
                int a0 = (int) (hi4 >>> (8 * (j - 4))) & 0xff;
                int a1 = (int) (hi4 >>> (8 * (j - 3))) & 0xff;
                sc0 = (a0 & 0xF) | (((int) (lo8 >>> (8 * (j - 4))) & 0xc0) >>> 2);
                mn0 = (a0 >>> 4) | (((int) (lo8 >>> (8 * j)) & 0xc0) >>> 2);
                sc1 = (a1 & 0xF) | (((int) (lo8 >>> (8 * (j - 3))) & 0xc0) >>> 2);
                mn1 = (a1 >>> 4) | (((int) (lo8 >>> (8 * (j + 1))) & 0xc0) >>> 2);
            }
            long s0 = sums.get(L, sumsOff + 16L * c);     // the two per-16 sums of sub-block j
            long s1 = sums.get(L, sumsOff + 16L * c + 8); // and of sub-block j+1
            int mins = mn0 * ((int) s0 + (int) (s0 >>> 32)) + mn1 * ((int) s1 + (int) (s1 >>> 32));
            minTerm = Math.fma(half(w, wb + 2) * xd, (float) mins, minTerm);
            float d = half(w, wb) * xd;

            long wq = wb + 16 + 32L * (c & 3);
            long xq = qOff + 128L * c;
            ShortVector p0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wq, LE)
                    .convertShape(VectorOperators.B2S, S256, 0);
            ShortVector p1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wq + 16, LE)
                    .convertShape(VectorOperators.B2S, S256, 0);
            // nibble (<= 15) x activation (<= 127), two per lane: at most 3810, exact in a short
            IntVector lo = pairSums(p0.and((short) 0x0F).mul(ShortVector.fromMemorySegment(S256, q, xq, LE))
                    .add(p1.and((short) 0x0F).mul(ShortVector.fromMemorySegment(S256, q, xq + 32, LE))));
            IntVector hi = pairSums(p0.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F)
                    .mul(ShortVector.fromMemorySegment(S256, q, xq + 64, LE))
                    .add(p1.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F)
                            .mul(ShortVector.fromMemorySegment(S256, q, xq + 96, LE))));
            acc = ((FloatVector) lo.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, d * sc0), acc);
            acc = ((FloatVector) hi.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, d * sc1), acc);
        }
        return reduce8(acc) - minTerm;
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

    /**
     * Q6_K (128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 scales, f16 d). As for Q4_K, a scalar pass
     * makes one float scale per 16 elements, so the vector loop is uniform.
     */
    static float dotQ6_K(MemorySegment w, long wOff, MemorySegment q, long qOff, MemorySegment s, long sOff, int n,
                         float[] scales) {
        for (int b = 0; b < n / 256; b++) {
            long wb = wOff + 210L * b;
            float d = half(w, wb + 208) * s.get(F, sOff + 4L * b);
            long s0 = w.get(L, wb + 192);
            long s1 = w.get(L, wb + 200);
            for (int k = 0; k < 8; k++) {
                scales[16 * b + k] = d * (byte) (s0 >>> (8 * k));
                scales[16 * b + 8 + k] = d * (byte) (s1 >>> (8 * k));
            }
        }
        FloatVector acc = FloatVector.zero(F256);
        for (int k = 0; k < n / 64; k++) { // quarter k: half k/2 of super-block k/4, positions 16*(k%2) .. +15
            int b = k >> 2;
            int hf = (k >> 1) & 1;
            int c = k & 1;
            long wb = wOff + 210L * b;
            long ql = wb + 64L * hf + 16L * c;
            long qh = wb + 128 + 32L * hf + 16L * c;
            long xc = qOff + 512L * b + 256L * hf + 32L * c;
            int sc = 16 * b + 8 * hf + c;
            ShortVector l0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, ql, LE)
                    .convertShape(VectorOperators.B2S, S256, 0);
            ShortVector l1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, ql + 32, LE)
                    .convertShape(VectorOperators.B2S, S256, 0);
            ShortVector h = (ShortVector) ByteVector.fromMemorySegment(B128, w, qh, LE)
                    .convertShape(VectorOperators.B2S, S256, 0);
            ShortVector v1 = l0.and((short) 0x0F).or(h.and((short) 3).lanewise(VectorOperators.LSHL, 4));
            ShortVector v2 = l1.and((short) 0x0F)
                    .or(h.lanewise(VectorOperators.ASHR, 2).and((short) 3).lanewise(VectorOperators.LSHL, 4));
            ShortVector v3 = l0.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F)
                    .or(h.lanewise(VectorOperators.ASHR, 4).and((short) 3).lanewise(VectorOperators.LSHL, 4));
            ShortVector v4 = l1.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F)
                    .or(h.lanewise(VectorOperators.ASHR, 6).and((short) 3).lanewise(VectorOperators.LSHL, 4));
            // (v - 32) in -32..31 times |x| <= 127: at most 4064 per product, exact in a short
            IntVector p1 = pairSums(v1.sub((short) 32).mul(ShortVector.fromMemorySegment(S256, q, xc, LE)));
            IntVector p2 = pairSums(v2.sub((short) 32).mul(ShortVector.fromMemorySegment(S256, q, xc + 64, LE)));
            IntVector p3 = pairSums(v3.sub((short) 32).mul(ShortVector.fromMemorySegment(S256, q, xc + 128, LE)));
            IntVector p4 = pairSums(v4.sub((short) 32).mul(ShortVector.fromMemorySegment(S256, q, xc + 192, LE)));
            acc = ((FloatVector) p1.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, scales[sc]), acc);
            acc = ((FloatVector) p2.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, scales[sc + 2]), acc);
            acc = ((FloatVector) p3.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, scales[sc + 4]), acc);
            acc = ((FloatVector) p4.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F256, scales[sc + 6]), acc);
        }
        return reduce8(acc);
    }
}
