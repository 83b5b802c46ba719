package dev.coffer.inference.kernels;

import static dev.coffer.inference.kernels.DotKernels.B128;
import static dev.coffer.inference.kernels.DotKernels.I;
import static dev.coffer.inference.kernels.DotKernels.L;
import static dev.coffer.inference.kernels.DotKernels.LE;
import static dev.coffer.inference.kernels.DotKernels.S256;
import static dev.coffer.inference.kernels.DotKernels.half;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One quantized weight row expanded once into int16 values plus float block scales, so that a batch of tokens
 * (prefill) reuses the unpacking instead of redoing it per token. The values are stored in the same positions as
 * the activation values they multiply (for Q8_0 that is the grouped order), so {@link UnpackedDots} only loads,
 * multiplies and accumulates, in exactly the lane grouping and scale order of {@link DotKernels}.
 *
 * <p>Unpacking and dots are separate methods on purpose: C2 stops inlining once a compilation unit has grown past
 * a node budget, and every Vector API call costs hundreds of parse nodes; a vector helper that is not inlined
 * boxes its vectors on the heap. Small methods that exchange only memory and scalars stay fully intrinsified.
 *
 * <p>One instance per worker thread; not thread-safe.
 */
final class UnpackedRow {
    private static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;

    /** int16 weight values, one per column, in activation order (a heap array: C2 removes its range checks). */
    final short[] values;
    /** Per block: the weight block scale d (blocks of 32 for Q8_0/Q4_0/Q5_0, super-blocks of 256 for K-quants). */
    final float[] d;
    /** Q4_K: per super-block dmin. */
    final float[] dmin;
    /** Q4_K: per 32 sub-block 6-bit scale; Q6_K: per 16 group int8 scale. */
    final int[] sc;
    /** Q4_K: per 32 sub-block 6-bit min. */
    final int[] mn;

    /** Accumulator lanes of up to four tokens, reduced in scalar code (no vector crosses a method call). */
    final float[] lanes = new float[32];

    /** This row's result for each token of the batch. */
    final float[] results;

    UnpackedRow(int maxCols, int maxBatch) {
        this.results = new float[maxBatch];
        this.values = new short[maxCols];
        this.d = new float[maxCols / 32 + 1];
        this.dmin = new float[maxCols / 256 + 1];
        this.sc = new int[maxCols / 16 + 1];
        this.mn = new int[maxCols / 32 + 1];
    }

    /** Q8_0: the 32 int8 values of each block in the grouped order (see {@link Activations#groupedPosition}). */
    void unpackQ8_0(MemorySegment w, long wOff, int n) {
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 34L * b;
            ByteVector wq = ByteVector.fromMemorySegment(B256, w, wb + 2, LE).rearrange(DotKernels.GROUPED);
            ((ShortVector) wq.convertShape(VectorOperators.B2S, S256, 0)).intoArray(values, 32 * b);
            ((ShortVector) wq.convertShape(VectorOperators.B2S, S256, 1)).intoArray(values, 32 * b + 16);
            d[b] = half(w, wb);
        }
    }

    /** Q4_0: nibble - 8; low nibbles are elements 0..15 of a block, high nibbles 16..31. */
    void unpackQ4_0(MemorySegment w, long wOff, int n) {
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 18L * b;
            ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 2, LE)
                    .convertShape(VectorOperators.B2S, S256, 0);
            packed.and((short) 0x0F).sub((short) 8).intoArray(values, 32 * b);
            packed.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F).sub((short) 8)
                    .intoArray(values, 32 * b + 16);
            d[b] = half(w, wb);
        }
    }

    /** Lane j holds bit j: selects element j's high bit from 16 bits of Q5_0's qh. */
    private static final ShortVector BIT_OF_LANE = ShortVector.fromArray(S256,
            new short[] {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, (short) 32768}, 0);

    /** Q5_0: (nibble | high bit << 4) - 16, element order as Q4_0; bit j of qh belongs to element j. */
    void unpackQ5_0(MemorySegment w, long wOff, int n) {
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 22L * b;
            int qh = w.get(I, wb + 2);
            ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(B128, w, wb + 6, LE)
                    .convertShape(VectorOperators.B2S, S256, 0);
            VectorMask<Short> high0 = ShortVector.broadcast(S256, (short) qh).and(BIT_OF_LANE)
                    .compare(VectorOperators.NE, (short) 0);
            VectorMask<Short> high1 = ShortVector.broadcast(S256, (short) (qh >>> 16)).and(BIT_OF_LANE)
                    .compare(VectorOperators.NE, (short) 0);
            packed.and((short) 0x0F).lanewise(VectorOperators.OR, (short) 0x10, high0).sub((short) 16)
                    .intoArray(values, 32 * b);
            packed.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F).lanewise(VectorOperators.OR, (short) 0x10, high1)
                    .sub((short) 16).intoArray(values, 32 * b + 16);
            d[b] = half(w, wb);
        }
    }

    /** Q4_K: per super-block d and dmin, per sub-block 6-bit scale and min (ggml's get_scale_min_k4). */
    void unpackScalesQ4_K(MemorySegment w, long wOff, int n) {
        for (int b = 0; b < n / 256; b++) {
            long wb = wOff + 144L * b;
            d[b] = half(w, wb);
            dmin[b] = half(w, wb + 2);
            long lo8 = w.get(L, wb + 4);                 // scale bytes 0..7
            long hi4 = w.get(I, wb + 12) & 0xffffffffL;  // scale bytes 8..11
            for (int j = 0; j < 4; j++) {
                sc[8 * b + j] = (int) (lo8 >>> (8 * j)) & 63;
                mn[8 * b + j] = (int) (lo8 >>> (8 * j + 32)) & 63;
                int a = (int) (hi4 >>> (8 * j)) & 0xff;
                sc[8 * b + 4 + j] = (a & 0xF) | (((int) (lo8 >>> (8 * j)) & 0xc0) >>> 2);
                mn[8 * b + 4 + j] = (a >>> 4) | (((int) (lo8 >>> (8 * j + 32)) & 0xc0) >>> 2);
            }
        }
    }

    /** Q4_K: nibbles (0..15) in element order; per super-block d and dmin; per sub-block scale and min. */
    void unpackQ4_K(MemorySegment w, long wOff, int n) {
        unpackScalesQ4_K(w, wOff, n);
        for (int b = 0; b < n / 256; b++) {
            long wb = wOff + 144L * b;
            for (int c = 0; c < 4; c++) {
                long wq = wb + 16 + 32L * c;
                int e = 256 * b + 64 * c;
                ShortVector p0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wq, LE)
                        .convertShape(VectorOperators.B2S, S256, 0);
                ShortVector p1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, wq + 16, LE)
                        .convertShape(VectorOperators.B2S, S256, 0);
                p0.and((short) 0x0F).intoArray(values, e);
                p1.and((short) 0x0F).intoArray(values, e + 16);
                p0.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F).intoArray(values, e + 32);
                p1.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F).intoArray(values, e + 48);
            }
        }
    }

    /** Q6_K: 6-bit value - 32 in element order; per super-block d; per 16-group int8 scale. */
    void unpackQ6_K(MemorySegment w, long wOff, int n) {
        for (int b = 0; b < n / 256; b++) {
            long wb = wOff + 210L * b;
            d[b] = half(w, wb + 208);
            long s0 = w.get(L, wb + 192);
            long s1 = w.get(L, wb + 200);
            for (int k = 0; k < 8; k++) {
                sc[16 * b + k] = (byte) (s0 >>> (8 * k));
                sc[16 * b + 8 + k] = (byte) (s1 >>> (8 * k));
            }
            for (int q = 0; q < 4; q++) { // quarter: half q/2, positions 16*(q%2) .. +15 of each 32
                int hf = q >> 1;
                int c = q & 1;
                long ql = wb + 64L * hf + 16L * c;
                long qh = wb + 128 + 32L * hf + 16L * c;
                int e = 256 * b + 128 * hf + 16 * c;
                ShortVector l0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, ql, LE)
                        .convertShape(VectorOperators.B2S, S256, 0);
                ShortVector l1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, ql + 32, LE)
                        .convertShape(VectorOperators.B2S, S256, 0);
                ShortVector h = (ShortVector) ByteVector.fromMemorySegment(B128, w, qh, LE)
                        .convertShape(VectorOperators.B2S, S256, 0);
                l0.and((short) 0x0F).or(h.and((short) 3).lanewise(VectorOperators.LSHL, 4)).sub((short) 32)
                        .intoArray(values, e);
                l1.and((short) 0x0F).or(h.lanewise(VectorOperators.LSHL, 2).and((short) 0x30)).sub((short) 32)
                        .intoArray(values, e + 32);
                l0.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F).or(h.and((short) 0x30)).sub((short) 32)
                        .intoArray(values, e + 64);
                l1.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F)
                        .or(h.lanewise(VectorOperators.ASHR, 2).and((short) 0x30)).sub((short) 32)
                        .intoArray(values, e + 96);
            }
        }
    }
}
