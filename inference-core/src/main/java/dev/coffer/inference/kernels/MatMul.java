package dev.coffer.inference.kernels;

import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * {@code out[b][r] = W[r] . x[b]} for a batch of activation rows: the one operation that moves the weights.
 * Activations are first converted to the form the weight type multiplies (as ggml does), then rows are split
 * statically over the threads; each row meets every activation row of the batch while it is hot in cache, so
 * batched prefill reads each weight once per batch (matrix-matrix work), not once per token.
 *
 * <p>Scratch memory comes from the injected allocator, sized for the largest batch and row length.
 */
public final class MatMul {
    private final Parallel pool;
    private final int maxBatch;
    private final int maxCols;
    private final Activations act;

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
    }

    public Parallel pool() { return pool; }

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
        int rows = w.rows();
        if (batch < 1 || batch > maxBatch || cols > maxCols) {
            throw new IllegalArgumentException("matmul " + w.name() + ": batch " + batch + " x " + cols
                    + " exceeds scratch " + maxBatch + " x " + maxCols);
        }
        ActivationFormat format = formatFor(w);
        act.load(format, x, batch, cols);
        MemorySegment wd = w.data();
        long rowBytes = w.rowBytes();
        pool.forRange(rows, (start, end) -> {
            for (int r = start; r < end; r++) {
                long wo = r * rowBytes;
                for (int b = 0; b < batch; b++) {
                    out.set(DotKernels.F, 4L * ((long) b * rows + r), dot(format, w, wd, wo, b, cols));
                }
            }
        });
    }

    private float dot(ActivationFormat format, Tensor w, MemorySegment wd, long wo, int b, int cols) {
        long xo = (long) b * cols;
        return switch (w.type()) {
            case F32 -> DotKernels.dotF32(wd, wo, act.values, 4 * xo, cols);
            case F16 -> DotKernels.dotHalf(wd, wo, act.values, 4 * xo, cols, false);
            case BF16 -> DotKernels.dotHalf(wd, wo, act.values, 4 * xo, cols, true);
            case Q8_0 -> DotKernels.dotQ8_0(wd, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 32), cols);
            // llama.cpp repacks Q4_0 weights with a multiple of 8 rows on x86 and then sums blocks in order
            case Q4_0 -> w.rows() % 8 == 0
                    ? DotKernels.dotQ4_0Sequential(wd, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 32), cols)
                    : DotKernels.dotQ4_0(wd, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 32), cols);
            case Q5_0 -> DotKernels.dotQ5_0(wd, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 32), cols);
            case Q4_K -> DotKernels.dotQ4_K(wd, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 256), act.sums,
                    4 * (xo / 16), cols);
            case Q6_K -> DotKernels.dotQ6_K(wd, wo, act.quants, 2 * xo, act.scales, 4 * (xo / 256), cols);
            default -> throw new UnsupportedTensorTypeException("unreachable: " + format);
        };
    }
}
