package dev.coffer.inference.kernels;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * {@code out[b][r] = W[r] . x[b]} for a batch of activation rows: the one operation that moves the weights.
 * Activations are first converted to the form the weight type multiplies (as ggml does), then rows are split
 * statically over the threads; each row meets every activation row of the batch while it is hot in cache, so
 * batched prefill reads each weight once per batch (matrix-matrix work), not once per token.
 *
 * <p>Quantized weights take one of two paths with the reference kernels' arithmetic (see {@link DotKernels}):
 * one token (decode) of Q8_0, Q4_K or Q4_0 (repacked order) unpacks each weight block in registers as it
 * streams by ({@link FusedDots});
 * otherwise each weight row is expanded once and {@link UnpackedDots#TILE} tokens at a time meet it
 * ({@link UnpackedRow}, {@link UnpackedDots}). Either way the quantized activations are read from heap arrays, whose range checks C2
 * hoists out of the loops.
 *
 * <p>Scratch memory comes from the injected allocator, sized for the largest batch and row length; the heap copies
 * of the quantized activations and the per-worker unpacked rows are Java arrays of the same bounds.
 */
public final class MatMul {
    private final Parallel pool;
    private final int maxBatch;
    private final int maxCols;
    private final Activations act;
    private final UnpackedRow[] unpacked; // per worker: the current weight row expanded, and small scratch
    private final short[] xq; // heap copies of the quantized activations: int16 values,
    private final float[] xs; // block scales,
    private final int[] xm;   // and Q8_K per-16 sums
    private final short[] xn; // one token's int16 values in natural order (Q4_0 decode)
    private final short[] xt; // Q4_0 (repacked order): the int16 values transposed per group of 16 blocks

    public MatMul(Parallel pool, BufferAllocator allocator, int maxBatch, int maxCols) {
        this.pool = pool;
        this.maxBatch = maxBatch;
        this.maxCols = maxCols;
        long n = (long) maxBatch * maxCols;
        this.act = new Activations(
                allocator.allocate(n * 4, "activations-f32"),
                allocator.allocate(2 * n, "activations-q8"),
                allocator.allocate((n / 32 + 1) * 4, "activations-scales"),
                allocator.allocate((n / 16 + 1) * 4, "activations-sums"));
        this.unpacked = new UnpackedRow[pool.threads()];
        for (int i = 0; i < unpacked.length; i++) unpacked[i] = new UnpackedRow(maxCols, maxBatch);
        this.xq = new short[(int) n];
        this.xs = new float[(int) (n / 32 + 1)];
        this.xm = new int[(int) (n / 16 + 1)];
        this.xn = new short[maxCols];
        this.xt = new short[maxBatch * UnpackedRow.transposedLength(maxCols)];
    }

    public Parallel pool() { return pool; }

    /** Batches up to this size run row by row when a single-token kernel exists for the weight type. */
    static final int SMALL_BATCH = 4;

    private static boolean hasSingleTokenKernel(Tensor w) {
        return w.type() == GgmlType.Q8_0 || w.type() == GgmlType.Q4_K || (w.type() == GgmlType.Q4_0 && w.rows() % 8 == 0);
    }

    static ActivationFormat formatFor(Tensor w) {
        return switch (w.type()) {
            case F32 -> ActivationFormat.F32;
            case F16 -> ActivationFormat.F16;
            case BF16 -> ActivationFormat.BF16;
            case Q8_0, Q4_0, Q5_0 -> ActivationFormat.Q8_0_GROUPED;
            case Q4_K, Q6_K -> ActivationFormat.Q8_K_GROUPED;
            default -> throw new UnsupportedTensorTypeException("tensor " + w.name() + " has type " + w.type()
                    + ", which Coffer's kernels do not support (supported: F32, F16, BF16, Q8_0, Q5_0, Q4_0, "
                    + "Q4_K, Q6_K); re-quantize the model, e.g. with 'coffer quantize --type Q8_0'");
        };
    }

    /**
     * @param w   weight matrix, {@code rows x cols} (ggml shape {@code [cols, rows]})
     * @param x   {@code batch x cols} floats, row-major
     * @param out {@code batch x rows} floats, row-major
     */
    public void multiply(Tensor w, MemorySegment x, int batch, MemorySegment out) {
        int cols = w.cols();
        if (batch > 1 && batch <= SMALL_BATCH && hasSingleTokenKernel(w)) {
            // A few rows (a decode batch of concurrent requests, a short prompt) go through the single-token kernel
            // one by one: these kernels are compute-bound here, and the unpacked path only pays for itself at
            // prefill-sized batches (`coffer bench kernels --batch 2|4`: Q4_0 2.8|4.3 ms against 1.05 ms a row).
            // Both paths give bit-identical rows, so results do not depend on the choice.
            long rows = w.rows();
            for (int b = 0; b < batch; b++) {
                multiply(w, x.asSlice(4L * b * cols, 4L * cols), 1, out.asSlice(4L * b * rows, 4L * rows));
            }
            return;
        }
        if (batch < 1 || batch > maxBatch || cols > maxCols) {
            throw new IllegalArgumentException("matmul " + w.name() + ": batch " + batch + " x " + cols
                    + " exceeds scratch " + maxBatch + " x " + maxCols);
        }
        ActivationFormat format = formatFor(w);
        act.load(format, x, batch, cols);
        switch (format) {
            case F32, F16, BF16 -> multiplyFloat(w, format, batch, out);
            case Q8_0_GROUPED, Q8_K_GROUPED -> {
                int blocks = format == ActivationFormat.Q8_K_GROUPED ? cols / 256 : cols / 32;
                MemorySegment.copy(act.quants, Activations.S, 0, xq, 0, batch * cols);
                MemorySegment.copy(act.scales, DotKernels.F, 0, xs, 0, batch * blocks);
                if (format == ActivationFormat.Q8_K_GROUPED) {
                    MemorySegment.copy(act.sums, Activations.I, 0, xm, 0, batch * (cols / 16));
                }
                if (batch == 1 && (w.type() == GgmlType.Q8_0 || w.type() == GgmlType.Q4_K)) {
                    multiplyFused(w, blocks, out);
                } else if (batch == 1 && w.type() == GgmlType.Q4_0 && w.rows() % 8 == 0) {
                    multiplyQ4_0Sequential(w, out);
                } else {
                    multiplyUnpacked(w, batch, blocks, out);
                }
            }
        }
    }

    private void multiplyFloat(Tensor w, ActivationFormat format, int batch, MemorySegment out) {
        int cols = w.cols();
        int rows = w.rows();
        MemorySegment wd = w.data();
        long rowBytes = w.rowBytes();
        pool.forParts(rows, (part, start, end) -> {
            for (int r = start; r < end; r++) {
                long wo = r * rowBytes;
                for (int b = 0; b < batch; b++) {
                    long xo = 4L * b * cols;
                    float v = switch (format) {
                        case F32 -> DotKernels.dotF32(wd, wo, act.values, xo, cols);
                        case F16 -> DotKernels.dotHalf(wd, wo, act.values, xo, cols, false);
                        default -> DotKernels.dotHalf(wd, wo, act.values, xo, cols, true);
                    };
                    out.set(DotKernels.F, 4L * ((long) b * rows + r), v);
                }
            }
        });
    }

    /** One token of Q8_0 or Q4_K: each weight block is unpacked in registers as it streams from memory. */
    private void multiplyFused(Tensor w, int blocks, MemorySegment out) {
        GgmlType type = w.type();
        int cols = w.cols();
        MemorySegment wd = w.data();
        long rowBytes = w.rowBytes();
        pool.forParts(w.rows(), (part, start, end) -> {
            float[] lanes = unpacked[part].lanes;
            for (int r = start; r < end; r++) {
                long wo = r * rowBytes;
                float v = switch (type) {
                    case Q8_0 -> FusedDots.dotQ8_0(wd, wo, xq, 0, xs, 0, cols, lanes);
                    case Q4_K -> FusedDots.dotQ4_K(wd, wo, xq, xs, xm, cols, lanes);
                    default -> throw new UnsupportedTensorTypeException("unreachable: " + type);
                };
                out.set(DotKernels.F, 4L * r, v);
            }
        });
    }

    /** One token of Q4_0 in the repacked order: activations back in natural order, then fused block sums. */
    private void multiplyQ4_0Sequential(Tensor w, MemorySegment out) {
        int cols = w.cols();
        for (int e = 0; e < cols; e++) xn[e] = xq[(e & ~31) + Activations.groupedPosition(e & 31)];
        MemorySegment wd = w.data();
        long rowBytes = w.rowBytes();
        pool.forRange(w.rows(), (start, end) -> {
            for (int r = start; r < end; r++) {
                out.set(DotKernels.F, 4L * r, FusedDots.dotQ4_0Sequential(wd, r * rowBytes, xn, xs, cols));
            }
        });
    }

    /**
     * Each weight row is expanded once ({@link UnpackedRow}) and then meets the batch's tokens,
     * {@link UnpackedDots#TILE} at a time.
     */
    private void multiplyUnpacked(Tensor w, int batch, int blocks, MemorySegment out) {
        GgmlType type = w.type();
        int cols = w.cols();
        int rows = w.rows();
        // llama.cpp repacks Q4_0 weights with a multiple of 8 rows on x86 and then sums blocks in order
        boolean sequential = type == GgmlType.Q4_0 && w.rows() % 8 == 0;
        // transposing costs about three unpackings per row: worth it only when many tokens share the row
        boolean transposed = sequential && batch >= 16;
        int tLen = UnpackedRow.transposedLength(cols);
        if (transposed) {
            for (int b = 0; b < batch; b++) UnpackedRow.transposeBlocks(xq, b * cols, xt, b * tLen, cols);
        }
        MemorySegment wd = w.data();
        long rowBytes = w.rowBytes();
        pool.forParts(rows, (part, start, end) -> {
            UnpackedRow u = unpacked[part];
            float[] results = u.results;
            for (int r = start; r < end; r++) {
                long wo = r * rowBytes;
                switch (type) {
                    case Q8_0 -> u.unpackQ8_0(wd, wo, cols);
                    case Q4_0 -> u.unpackQ4_0(wd, wo, cols);
                    case Q5_0 -> u.unpackQ5_0(wd, wo, cols);
                    case Q4_K -> u.unpackQ4_K(wd, wo, cols);
                    case Q6_K -> u.unpackQ6_K(wd, wo, cols);
                    default -> throw new UnsupportedTensorTypeException("unreachable: " + type);
                }
                if (transposed) UnpackedRow.transposeBlocks(u.values, 0, u.transposed, 0, cols);
                int b = 0;
                for (; b + UnpackedDots.TILE <= batch; b += UnpackedDots.TILE) {
                    int xo = b * cols;
                    int so = b * blocks;
                    switch (type) {
                        case Q8_0 -> UnpackedDots.dot32x4(u, xq, xo, cols, xs, so, blocks, cols, results, b, 1);
                        case Q4_0, Q5_0 -> {
                            if (transposed) {
                                UnpackedDots.dotQ4_0SequentialTransposedX4(u, xt, b * tLen, tLen, xs, so, blocks,
                                        cols, results, b, 1);
                            } else if (sequential) {
                                UnpackedDots.dotQ4_0SequentialX4(u, xq, xo, cols, xs, so, blocks, cols, results, b, 1);
                            } else {
                                UnpackedDots.dot32NarrowX4(u, xq, xo, cols, xs, so, blocks, cols, results, b, 1);
                            }
                        }
                        case Q4_K -> UnpackedDots.dotQ4_Kx4(u, xq, xo, cols, xs, so, blocks, xm, b * (cols / 16),
                                cols / 16, cols, results, b, 1);
                        case Q6_K -> UnpackedDots.dotQ6_Kx4(u, xq, xo, cols, xs, so, blocks, cols, results, b, 1);
                        default -> throw new UnsupportedTensorTypeException("unreachable: " + type);
                    }
                }
                for (; b < batch; b++) {
                    int xo = b * cols;
                    int so = b * blocks;
                    results[b] = switch (type) {
                        case Q8_0, Q4_0, Q5_0 -> sequential ? UnpackedDots.dotQ4_0Sequential(u, xq, xo, xs, so, cols)
                                : UnpackedDots.dot32(u, xq, xo, xs, so, cols);
                        case Q4_K -> UnpackedDots.dotQ4_K(u, xq, xo, xs, so, xm, b * (cols / 16), cols);
                        case Q6_K -> UnpackedDots.dotQ6_K(u, xq, xo, xs, so, cols);
                        default -> throw new UnsupportedTensorTypeException("unreachable: " + type);
                    };
                }
                for (b = 0; b < batch; b++) out.set(DotKernels.F, 4L * ((long) b * rows + r), results[b]);
            }
        });
    }
}
