package dev.coffer.inference.quant;

import dev.coffer.inference.gguf.GgufTensorInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;

/**
 * Converts a tensor to its stored type in row chunks on worker threads and writes the chunks in order: float rows
 * come from a {@link RowSource} (a random generator, or the dequantized input tensor), are quantized with
 * {@link Quantizers} and streamed out while the next chunks are still being computed. Output bytes do not depend on
 * the number of threads, because each chunk is a pure function of its row range.
 */
public final class ParallelRowWriter implements AutoCloseable {
    /** Fills {@code dst} with the float values of rows {@code [start, end)} (row-major, {@code rowLength} each). */
    @FunctionalInterface
    public interface RowSource {
        void rows(int start, int end, float[] dst);
    }

    private static final int CHUNK_ELEMENTS = 1 << 20;

    private final int threads;
    private final ExecutorService pool;

    public ParallelRowWriter(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1: " + threads);
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads, r -> Thread.ofPlatform().daemon().name("coffer-quant")
                .unstarted(r));
    }

    /**
     * Writes tensor {@code t} (type and shape from its info) to {@code out}; {@code progress} receives the number of
     * bytes of each chunk once it is written.
     */
    public void write(GgufTensorInfo t, RowSource source, OutputStream out, LongConsumer progress) throws IOException {
        int rowLength = Math.toIntExact(t.dim(0));
        int rows = Math.toIntExact(t.elementCount() / rowLength);
        int rowsPerChunk = Math.max(1, CHUNK_ELEMENTS / rowLength);
        ArrayDeque<Future<byte[]>> inFlight = new ArrayDeque<>();
        try {
            for (int start = 0; start < rows; start += rowsPerChunk) {
                int s = start;
                int e = Math.min(rows, start + rowsPerChunk);
                inFlight.add(pool.submit(() -> {
                    float[] x = new float[(e - s) * rowLength];
                    source.rows(s, e, x);
                    try {
                        return Quantizers.quantize(t.type(), x);
                    } catch (QuantizationException q) {
                        throw new QuantizationException("tensor '" + t.name() + "' rows [" + s + ", " + e + "): "
                                + q.getMessage());
                    }
                }));
                if (inFlight.size() >= 2 * threads) drainOne(inFlight, out, progress);
            }
            while (!inFlight.isEmpty()) drainOne(inFlight, out, progress);
        } finally {
            for (Future<byte[]> f : inFlight) f.cancel(true);
        }
    }

    private static void drainOne(ArrayDeque<Future<byte[]>> inFlight, OutputStream out, LongConsumer progress)
            throws IOException {
        byte[] chunk;
        try {
            chunk = inFlight.removeFirst().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while converting tensor data", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IOException(e.getCause());
        }
        out.write(chunk);
        progress.accept(chunk.length);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
