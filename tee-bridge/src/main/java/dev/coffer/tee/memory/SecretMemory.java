package dev.coffer.tee.memory;

import dev.coffer.tee.natives.Native;
import dev.coffer.tee.natives.NativeCallException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The secure world's secret memory: mappings from {@code memfd_secret} (or, where the kernel lacks it and the
 * caller allows it, mlocked memory, reported as the weaker {@link MemoryMode#MLOCKED}) within a byte budget set by
 * the host's memory policy. Every region is zeroized ({@code explicit_bzero}) and unmapped when released, and all of
 * them when this closes. Thread-safe.
 */
public final class SecretMemory implements AutoCloseable {
    private static final long PAGE = 4096;

    private final long budget;
    private final MemoryPolicy policy;
    private final Map<SecretRegion, Boolean> live = new IdentityHashMap<>();
    private MemoryMode mode;
    private long used;
    private long peak;
    private long populateNanos;
    private long populatedBytes;
    private boolean closed;

    private SecretMemory(long budget, MemoryPolicy policy) {
        this.budget = budget;
        this.policy = policy;
    }

    /**
     * Prepares a budget of secret memory: checks (and raises, as far as the hard limit allows) RLIMIT_MEMLOCK,
     * which secret memory counts against unless the process has CAP_IPC_LOCK.
     *
     * @throws MemoryBudgetException when the lock limit is below the budget, naming the limit and the fix
     */
    public static SecretMemory withBudget(long budgetBytes, boolean allowFallback) {
        return withBudget(budgetBytes, MemoryPolicy.secretMemory(allowFallback));
    }

    /**
     * How much secret memory this process may have: unlimited with CAP_IPC_LOCK (root) or an unlimited
     * RLIMIT_MEMLOCK, else the hard limit (the soft one is raised to it when needed). For sizing a budget that fits.
     */
    public static long lockableBytes() {
        if (Native.hasIpcLockCapability()) return Long.MAX_VALUE;
        long hard = Native.memlockLimit()[1];
        return hard < 0 ? Long.MAX_VALUE : hard;
    }

    /** As {@link #withBudget(long, boolean)}, with the memory policy spelled out. */
    public static SecretMemory withBudget(long budgetBytes, MemoryPolicy policy) {
        if (budgetBytes <= 0) throw new IllegalArgumentException("secret memory budget must be > 0: " + budgetBytes);
        if (!Native.hasIpcLockCapability()) {
            long soft = Native.raiseMemlockLimit(budgetBytes);
            if (soft != -1 && soft < budgetBytes) {
                long[] limits = Native.memlockLimit();
                throw new MemoryBudgetException(String.format(Locale.ROOT,
                        "the secure-memory budget (%s) exceeds RLIMIT_MEMLOCK (soft %s, hard %s), which secret memory "
                                + "counts against: raise it with `ulimit -l %d` (or unlimited) in the shell that "
                                + "starts coffer, LimitMEMLOCK=infinity in a systemd unit, or --ulimit memlock=-1 for "
                                + "a container; or lower the budget (coffer: --secure-memory)",
                        bytes(budgetBytes), limit(limits[0]), limit(limits[1]), (budgetBytes + 1023) / 1024));
            }
        }
        return new SecretMemory(budgetBytes, policy);
    }

    /** A zero-filled region of at least {@code bytes}, 4096-byte aligned, unpopulated. */
    public SecretRegion allocate(long bytes, String purpose) {
        if (bytes <= 0) throw new IllegalArgumentException("secret region size must be > 0: " + bytes);
        long mapped = Math.multiplyExact((bytes + PAGE - 1) / PAGE, PAGE);
        synchronized (this) {
            if (closed) throw new IllegalStateException("secret memory is closed");
            if (used + mapped > budget) {
                throw new MemoryBudgetException(String.format(Locale.ROOT,
                        "secure-memory budget exhausted: %s for %s on top of %s in use exceeds the budget of %s; "
                                + "raise it (--secure-memory) or use a smaller model or context",
                        bytes(mapped), purpose, bytes(used), bytes(budget)));
            }
            long[] result;
            try {
                result = Native.secretMap(mapped, policy.code());
            } catch (NativeCallException e) {
                throw new MemoryBudgetException("cannot map " + bytes(mapped) + " of secret memory for " + purpose
                        + ": " + e.getMessage(), e);
            }
            MemoryMode got = result[1] == Native.MODE_MEMFD_SECRET ? MemoryMode.MEMFD_SECRET : MemoryMode.MLOCKED;
            // Report the weakest mode any region got: a mix must not claim memfd_secret.
            if (mode == null || got == MemoryMode.MLOCKED) mode = got;
            used += mapped;
            peak = Math.max(peak, used);
            SecretRegion region = new SecretRegion(this, result[0], mapped, bytes, purpose);
            live.put(region, Boolean.TRUE);
            return region;
        }
    }

    void populate(SecretRegion region, int threads) {
        long size = region.mappedBytes();
        int parts = (int) Math.max(1, Math.min(threads, size / (16 * PAGE)));
        if (parts == 1) {
            populateRange(region, 0, size);
            return;
        }
        long start = System.nanoTime();
        long pages = size / PAGE;
        List<Thread> workers = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            long from = pages * p / parts * PAGE;
            long to = pages * (p + 1) / parts * PAGE;
            workers.add(Thread.ofPlatform().name("secret-populate-" + p)
                    .start(() -> Native.populate(region.address() + from, to - from)));
        }
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while populating secret memory", e);
            }
        }
        countPopulated(size, start);
    }

    void populateRange(SecretRegion region, long offset, long length) {
        long start = System.nanoTime();
        Native.populate(region.address() + offset, length);
        countPopulated(length, start);
    }

    private synchronized void countPopulated(long bytes, long startNanos) {
        populateNanos += System.nanoTime() - startNanos;
        populatedBytes += bytes;
    }

    void release(SecretRegion region) {
        synchronized (this) {
            if (live.remove(region) == null) return;
            used -= region.mappedBytes();
        }
        Native.secretUnmap(region.address(), region.mappedBytes(), region.mappedBytes());
    }

    /** The weakest mode of any region mapped so far (memfd_secret until a fallback happens). */
    public synchronized MemoryMode mode() {
        return mode != null ? mode : policy == MemoryPolicy.MLOCK ? MemoryMode.MLOCKED : MemoryMode.MEMFD_SECRET;
    }

    public long budget() {
        return budget;
    }

    public synchronized long used() {
        return used;
    }

    public synchronized long peak() {
        return peak;
    }

    /** Bytes populated ahead of use and the time it took, for the population figures in the benchmarks. */
    public synchronized long populatedBytes() {
        return populatedBytes;
    }

    public synchronized long populateNanos() {
        return populateNanos;
    }

    /** Zeroizes and unmaps every region still held. */
    @Override
    public void close() {
        List<SecretRegion> regions;
        synchronized (this) {
            if (closed) return;
            closed = true;
            regions = new ArrayList<>(live.keySet());
        }
        for (SecretRegion r : regions) r.close();
    }

    static String bytes(long n) {
        if (n >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        if (n >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        return n + " bytes";
    }

    private static String limit(long n) {
        return n == -1 ? "unlimited" : bytes(n);
    }
}
