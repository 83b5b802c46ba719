package dev.coffer.inference.kernels;

import static dev.coffer.inference.kernels.DotKernels.B128;
import static dev.coffer.inference.kernels.DotKernels.B256;
import static dev.coffer.inference.kernels.DotKernels.GROUPED;
import static dev.coffer.inference.kernels.DotKernels.I;
import static dev.coffer.inference.kernels.DotKernels.L;
import static dev.coffer.inference.kernels.DotKernels.LE;
import static dev.coffer.inference.kernels.DotKernels.S256;
import static dev.coffer.inference.kernels.DotKernels.half;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.OR;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * One quantized weight row expanded once into int16 values plus its scales, so that a batch of tokens (prefill)
 * reuses the unpacking instead of redoing it per token. Values are stored in the grouped order of the activations
 * they multiply (within each 32, see {@link Activations#groupedPosition}), so {@link UnpackedDots} only loads,
 * multiplies and accumulates, forming the same integer lanes as the reference kernels.
 *
 * <p>Unpacking and dots are separate methods on purpose: C2 stops inlining ordinary methods once a compilation
 * has grown past a node budget, and a vector that crosses a call that was not inlined is boxed on the heap.
 * Methods that exchange only arrays, memory and scalars stay fully intrinsified.
 *
 * <p>One instance per worker thread; not thread-safe.
 */
final class UnpackedRow {
    /** Lane e takes packed byte e mod 16: the byte holding element e's nibble (low for e < 16, high above). */
    private static final VectorShuffle<Byte> NIBBLE_BYTE = VectorShuffle.fromOp(B256, e -> e & 15);
    /** Lanes 16..31: elements whose nibble is the high one. */
    private static final VectorMask<Byte> HIGH_HALF = VectorMask.fromLong(B256, 0xFFFF0000L);

    /** int16 weight values, one per column, grouped within each 32 (a heap array: C2 removes its range checks). */
    final short[] values;
    /** Per block of 32 (Q8_0, Q4_0, Q5_0) or super-block (Q4_K, Q6_K): the weight scale d. */
    final float[] d;
    /** Q4_K: per super-block dmin. */
    final float[] dmin;
    /** Q4_K: per sub-block of 32, the 6-bit scale. */
    final int[] sc;
    /** Q4_K: per sub-block of 32, the 6-bit min. */
    final int[] mn;
    /** Q6_K: per group of 32, its 8 int lanes' scales (lanes 0..3: first 16 elements, lanes 4..7: last 16). */
    final int[] laneScales;

    /**
     * Q4_0 (repacked order) for a batch: the values transposed so that lane k of a 16-lane vector belongs to block
     * k of a group of 16 blocks ({@link #transposeBlocks}); with the activations laid out alike, one multiply-add
     * per element position yields 16 block sums at once, instead of a horizontal reduction per block.
     */
    final short[] transposed;
    /** Per-token block sums of one group of 16 blocks (four tokens). */
    final short[] blockSums = new short[64];

    /** Q4_K min chains of four tokens (four each). */
    final float[] mins = new float[16];

    /** Accumulator lanes of up to four tokens, reduced in scalar code (no vector crosses a method call). */
    final float[] lanes = new float[32];

    /** This row's result for each token of the batch. */
    final float[] results;

    UnpackedRow(int maxCols, int maxBatch) {
        this.values = new short[maxCols];
        this.d = new float[maxCols / 32 + 1];
        this.dmin = new float[maxCols / 256 + 1];
        this.sc = new int[maxCols / 32 + 1];
        this.mn = new int[maxCols / 32 + 1];
        this.laneScales = new int[maxCols / 4 + 8];
        this.transposed = new short[transposedLength(maxCols)];
        this.results = new float[maxBatch];
    }

    /** Q8_0: the 32 int8 values of each block. */
    void unpackQ8_0(MemorySegment w, long wOff, int n) {
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 34L * b;
            ByteVector v = ByteVector.fromMemorySegment(B256, w, wb + 2, LE).rearrange(GROUPED);
            ((ShortVector) v.convertShape(B2S, S256, 0)).intoArray(values, 32 * b);
            ((ShortVector) v.convertShape(B2S, S256, 1)).intoArray(values, 32 * b + 16);
            d[b] = half(w, wb);
        }
    }

    /** Q4_0: nibble - 8; low nibbles are elements 0..15 of a block, high nibbles 16..31. */
    void unpackQ4_0(MemorySegment w, long wOff, int n) {
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 18L * b;
            ByteVector spread = ((ByteVector) ByteVector.fromMemorySegment(B128, w, wb + 2, LE).castShape(B256, 0))
                    .rearrange(NIBBLE_BYTE);
            ByteVector v = spread.and((byte) 0x0F).blend(spread.lanewise(LSHR, 4), HIGH_HALF).sub((byte) 8)
                    .rearrange(GROUPED);
            ((ShortVector) v.convertShape(B2S, S256, 0)).intoArray(values, 32 * b);
            ((ShortVector) v.convertShape(B2S, S256, 1)).intoArray(values, 32 * b + 16);
            d[b] = half(w, wb);
        }
    }

    /** Q5_0: (nibble | high bit << 4) - 16, elements as Q4_0; bit e of qh belongs to element e. */
    void unpackQ5_0(MemorySegment w, long wOff, int n) {
        for (int b = 0; b < n / 32; b++) {
            long wb = wOff + 22L * b;
            VectorMask<Byte> high = VectorMask.fromLong(B256, w.get(I, wb + 2) & 0xFFFFFFFFL);
            ByteVector spread = ((ByteVector) ByteVector.fromMemorySegment(B128, w, wb + 6, LE).castShape(B256, 0))
                    .rearrange(NIBBLE_BYTE);
            ByteVector v = spread.and((byte) 0x0F).blend(spread.lanewise(LSHR, 4), HIGH_HALF)
                    .lanewise(OR, (byte) 0x10, high).sub((byte) 16).rearrange(GROUPED);
            ((ShortVector) v.convertShape(B2S, S256, 0)).intoArray(values, 32 * b);
            ((ShortVector) v.convertShape(B2S, S256, 1)).intoArray(values, 32 * b + 16);
            d[b] = half(w, wb);
        }
    }

    /**
     * Q4_K: nibbles (0..15); per super-block d and dmin; per sub-block of 32 scale and min (ggml's
     * get_scale_min_k4, four at a time in the byte lanes of an int).
     */
    void unpackQ4_K(MemorySegment w, long wOff, int n) {
        for (int b = 0; b < n / 256; b++) {
            long wb = wOff + 144L * b;
            d[b] = half(w, wb);
            dmin[b] = half(w, wb + 2);
            long lo8 = w.get(L, wb + 4);  // scale bytes 0..7
            int hi4 = w.get(I, wb + 12);  // scale bytes 8..11
            int lo = (int) lo8;
            int hi = (int) (lo8 >>> 32);
            int scA = lo & 0x3F3F3F3F;                                         // sub-blocks 0..3
            int mnA = hi & 0x3F3F3F3F;
            int scB = (hi4 & 0x0F0F0F0F) | ((lo >>> 2) & 0x30303030);          // sub-blocks 4..7
            int mnB = ((hi4 >>> 4) & 0x0F0F0F0F) | ((hi >>> 2) & 0x30303030);
            for (int j = 0; j < 4; j++) {
                sc[8 * b + j] = (scA >>> (8 * j)) & 0xFF;
                mn[8 * b + j] = (mnA >>> (8 * j)) & 0xFF;
                sc[8 * b + 4 + j] = (scB >>> (8 * j)) & 0xFF;
                mn[8 * b + 4 + j] = (mnB >>> (8 * j)) & 0xFF;
            }
            for (int c = 0; c < 4; c++) { // 32 bytes: low nibbles = sub-block 2c, high nibbles = sub-block 2c + 1
                ByteVector raw = ByteVector.fromMemorySegment(B256, w, wb + 16 + 32L * c, LE).rearrange(GROUPED);
                ByteVector low = raw.and((byte) 0x0F);
                ByteVector high = raw.lanewise(LSHR, 4);
                int e = 256 * b + 64 * c;
                ((ShortVector) low.convertShape(B2S, S256, 0)).intoArray(values, e);
                ((ShortVector) low.convertShape(B2S, S256, 1)).intoArray(values, e + 16);
                ((ShortVector) high.convertShape(B2S, S256, 0)).intoArray(values, e + 32);
                ((ShortVector) high.convertShape(B2S, S256, 1)).intoArray(values, e + 48);
            }
        }
    }

    /** Q6_K: 6-bit value - 32; per super-block d; per group of 32 the int8 scales of its two halves as lanes. */
    void unpackQ6_K(MemorySegment w, long wOff, int n) {
        for (int b = 0; b < n / 256; b++) {
            long wb = wOff + 210L * b;
            d[b] = half(w, wb + 208);
            for (int hf = 0; hf < 2; hf++) {
                long scales = w.get(L, wb + 192 + 8L * hf);
                ByteVector l0 = ByteVector.fromMemorySegment(B256, w, wb + 64L * hf, LE);
                ByteVector l1 = ByteVector.fromMemorySegment(B256, w, wb + 64L * hf + 32, LE);
                ByteVector h = ByteVector.fromMemorySegment(B256, w, wb + 128 + 32L * hf, LE);
                for (int k = 0; k < 4; k++) { // group k of this half: elements 128 hf + 32 k .. + 31
                    ByteVector low = switch (k) {
                        case 0 -> l0.and((byte) 0x0F);
                        case 1 -> l1.and((byte) 0x0F);
                        case 2 -> l0.lanewise(LSHR, 4);
                        default -> l1.lanewise(LSHR, 4);
                    };
                    ByteVector v = low.or(h.lanewise(LSHR, 2 * k).and((byte) 3).lanewise(
                            jdk.incubator.vector.VectorOperators.LSHL, 4)).sub((byte) 32).rearrange(GROUPED);
                    int e = 256 * b + 128 * hf + 32 * k;
                    ((ShortVector) v.convertShape(B2S, S256, 0)).intoArray(values, e);
                    ((ShortVector) v.convertShape(B2S, S256, 1)).intoArray(values, e + 16);
                    int scA = (byte) (scales >>> (16 * k));
                    int scB = (byte) (scales >>> (16 * k + 8));
                    int g = e / 4;
                    for (int i = 0; i < 4; i++) {
                        laneScales[g + i] = scA;
                        laneScales[g + 4 + i] = scB;
                    }
                }
            }
        }
    }

    /** Length of a row of {@code cols} values in the transposed layout: whole groups of 16 blocks of 32. */
    static int transposedLength(int cols) {
        return (cols / 32 + 15) / 16 * 512;
    }

    /**
     * {@code dst[base + 512 G + 16 j + k] = src[srcOff + 32 (16 G + k) + j]}: element j of block 16 G + k, for the
     * {@code n / 32} blocks of a row; lanes of a last, partial group are zero.
     */
    static void transposeBlocks(short[] src, int srcOff, short[] dst, int base, int n) {
        int blocks = n / 32;
        int len = transposedLength(n);
        if (blocks % 16 != 0) java.util.Arrays.fill(dst, base + len - 512, base + len, (short) 0);
        for (int b = 0; b < blocks; b++) {
            int to = base + 512 * (b >> 4) + (b & 15);
            int from = srcOff + 32 * b;
            for (int j = 0; j < 32; j++) dst[to + 16 * j] = src[from + j];
        }
    }
}
