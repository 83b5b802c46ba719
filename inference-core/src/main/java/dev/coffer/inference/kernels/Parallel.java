package dev.coffer.inference.kernels;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that split index ranges statically. Determinism comes from the kernels, not from
 * here: every output element is computed by exactly one task with a fixed internal order, so results do not
 * depend on how many threads there are or which one runs a range. This class only guarantees that
 * {@link #forRange} covers {@code [0, n)} exactly once and returns after all of it is done.
 */
public final class Parallel implements AutoCloseable {
    /** Body of a parallel loop over {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private final int threads;
    private final Thread[] workers;
    private volatile Job job;
    private volatile boolean closed;

    /** Body of a parallel loop that also learns which part (0 .. threads-1) it runs, to pick scratch memory. */
    @FunctionalInterface
    public interface PartBody {
        void run(int part, int start, int end);
    }

    private record Job(int n, int parts, PartBody body, CountDownLatch done, AtomicReference<Throwable> failure,
                       long generation) {}

    private long generation;

    public Parallel(int threads) {
        if (threads < 1 || threads > 1024) throw new IllegalArgumentException("threads must be 1..1024: " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            final int part = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("coffer-worker-" + part).unstarted(() -> workerLoop(part));
            workers[i].start();
        }
    }

    public int threads() { return threads; }

    /** Default thread count: the available processors. */
    public static int defaultThreads() { return Runtime.getRuntime().availableProcessors(); }

    /**
     * Runs {@code body} over {@code [0, n)} in at most {@link #threads()} contiguous ranges; the calling thread
     * takes the first range. Not reentrant: call it from one thread at a time.
     */
    public void forRange(int n, RangeBody body) {
        forParts(n, (part, start, end) -> body.run(start, end));
    }

    /** Like {@link #forRange} but tells each range its part index, which is below {@link #threads()}. */
    public void forParts(int n, PartBody body) {
        if (n <= 0) return;
        int parts = Math.min(threads, n);
        if (parts == 1) {
            body.run(0, 0, n);
            return;
        }
        CountDownLatch done = new CountDownLatch(parts - 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Job j = new Job(n, parts, body, done, failure, ++generation);
        job = j;
        for (int i = 0; i < parts - 1; i++) LockSupport.unpark(workers[i]);
        runPart(j, 0);
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for workers", e);
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error er) throw er;
        if (t != null) throw new IllegalStateException(t);
    }

    private static void runPart(Job j, int part) {
        int start = (int) ((long) j.n * part / j.parts);
        int end = (int) ((long) j.n * (part + 1) / j.parts);
        if (start < end) j.body.run(part, start, end);
    }

    private void workerLoop(int part) {
        long seen = 0;
        while (!closed) {
            Job j = job;
            if (j == null || j.generation == seen) {
                // Spin briefly (decode steps are short), then park.
                for (int spin = 0; spin < 20_000 && (j = job) != null && j.generation == seen && !closed; spin++) {
                    Thread.onSpinWait();
                }
                if (j == null || j.generation == seen) {
                    LockSupport.parkNanos(1_000_000);
                    continue;
                }
            }
            seen = j.generation;
            if (part < j.parts) {
                try {
                    runPart(j, part);
                } catch (Throwable t) {
                    j.failure.compareAndSet(null, t);
                }
                j.done.countDown();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
