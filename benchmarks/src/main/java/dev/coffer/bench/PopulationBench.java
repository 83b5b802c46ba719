package dev.coffer.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.coffer.tee.memory.SecretMemory;
import dev.coffer.tee.memory.SecretRegion;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * How fast memory can be faulted in: secret memory (tee-bridge's {@link SecretRegion#populate}, a write per page)
 * against ordinary anonymous memory touched the same way. Measured in this JVM: population is a kernel cost per
 * page, the same wherever the calling process runs, and the isolated image offers no call to measure it inside.
 */
final class PopulationBench {
    private static final long PAGE = 4096;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;

    private PopulationBench() {}

    /** GiB/s of faulting in {@code bytes}; {@code mode} is the secret memory's protection (memfd_secret or mlock). */
    record Result(long bytes, String mode, double secret1, double secret2, double anonymous1, double anonymous2) {}

    static Result measure(long bytes) {
        double s1;
        double s2;
        String mode;
        // One region at a time, so the budget is one region; the fallback (mlock) is allowed and reported as such.
        try (SecretMemory memory = SecretMemory.withBudget(bytes, true)) {
            s1 = secret(memory, bytes, 1);
            s2 = secret(memory, bytes, 2);
            mode = memory.mode().claim();
        }
        return new Result(bytes, mode, s1, s2, anonymous(bytes, 1), anonymous(bytes, 2));
    }

    private static double secret(SecretMemory memory, long bytes, int threads) {
        try (SecretRegion region = memory.allocate(bytes, "population benchmark")) {
            long before = memory.populateNanos();
            region.populate(threads);
            return gibPerSecond(bytes, memory.populateNanos() - before);
        }
    }

    /**
     * A fresh private anonymous mapping from mmap, one byte written per page. Not {@code Arena.allocate}: it zeroes
     * what it returns, so its pages would be faulted in (and every byte written) before the timed touch.
     */
    private static double anonymous(long bytes, int threads) {
        MemorySegment m = Libc.mmap(bytes);
        try {
            long t0 = System.nanoTime();
            inParallel(threads, bytes / PAGE, (from, to) -> {
                for (long p = from; p < to; p++) m.set(JAVA_BYTE, p * PAGE, (byte) 1);
            });
            return gibPerSecond(bytes, System.nanoTime() - t0);
        } finally {
            Libc.munmap(m);
        }
    }

    private interface PageRange {
        void touch(long fromPage, long toPage);
    }

    /** Splits pages as SecretMemory.populate does: the calling thread alone for one, new threads otherwise. */
    private static void inParallel(int threads, long pages, PageRange body) {
        if (threads == 1) {
            body.touch(0, pages);
            return;
        }
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long from = pages * t / threads;
            long to = pages * (t + 1) / threads;
            workers.add(Thread.ofPlatform().start(() -> body.touch(from, to)));
        }
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while touching memory", e);
            }
        }
    }

    private static double gibPerSecond(long bytes, long nanos) {
        return bytes / (double) (1L << 30) / (nanos / 1e9);
    }

    /** mmap and munmap through the FFM linker (Linux x86_64 constants). Restricted methods on purpose: the launcher
     *  enables native access for the whole class path. */
    @SuppressWarnings("restricted")
    private static final class Libc {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final MethodHandle MMAP = LINKER.downcallHandle(
                LINKER.defaultLookup().find("mmap").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
        private static final MethodHandle MUNMAP = LINKER.downcallHandle(
                LINKER.defaultLookup().find("munmap").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));

        static MemorySegment mmap(long bytes) {
            try {
                MemorySegment m = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes, PROT_READ_WRITE,
                        MAP_PRIVATE_ANONYMOUS, -1, 0L);
                if (m.address() == -1L) throw new IllegalStateException("mmap of " + bytes + " bytes failed");
                return m.reinterpret(bytes);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        static void munmap(MemorySegment m) {
            try {
                int rc = (int) MUNMAP.invokeExact(m, m.byteSize());
                if (rc != 0) throw new IllegalStateException("munmap failed");
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }
}
