package dev.coffer.host.tee;

import dev.coffer.inference.Generator;
import dev.coffer.pack.Credential;
import dev.coffer.pack.PackFile;
import dev.coffer.pack.RestorePlan;
import dev.coffer.secureworld.InferenceCalls;
import dev.coffer.tee.Enclave;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A pack served with elastic secret memory (TZ-LLM's secure-memory scaling): restored on the first request, released
 * (zeroized and unmapped inside the secure world) after {@code idle} without requests, and restored again by the next
 * one, whose cold start is measured. The host decides when (memory policy is the control plane's); the secure world
 * only loads and releases. The credential is asked for again for every restoration (e.g. read from its file).
 */
public final class ElasticPack implements AutoCloseable {
    /** How the last request began: whether it had to restore first, and how long that took. */
    public record Load(boolean restored, double seconds) {}

    private final Enclave enclave;
    private final EnclaveModelRunner runner;
    private final PackFile pack;
    private final RestorePlan plan;
    private final Supplier<Credential> credentials;
    private final int contextLength;
    private final int window;
    private final int populateThreads;
    private final Duration idle;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "elastic-release");
        t.setDaemon(true);
        return t;
    });
    private EnclaveModelRunner.PackFeed feed;
    private ScheduledFuture<?> pendingRelease;
    private int releases;
    private Load lastLoad = new Load(false, 0);

    public ElasticPack(Enclave enclave, PackFile pack, RestorePlan plan, Supplier<Credential> credentials, int contextLength, int window,
                       int populateThreads, Duration idle) {
        this.enclave = enclave;
        this.runner = new EnclaveModelRunner(enclave);
        this.pack = pack;
        this.plan = plan;
        this.credentials = credentials;
        this.contextLength = contextLength;
        this.window = window;
        this.populateThreads = populateThreads;
        this.idle = idle;
    }

    /** Runs one generation, restoring the pack first if it is not in secret memory; then re-arms the idle timer. */
    public synchronized Generator.Stats generate(InferenceCalls.Start request, EnclaveModelRunner.TokenSink sink) {
        if (pendingRelease != null) pendingRelease.cancel(false);
        lastLoad = ensureLoaded();
        try {
            return runner.generate(request, sink);
        } finally {
            pendingRelease = timer.schedule(this::releaseIfIdle, idle.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** What the last {@link #generate} had to do before generating. */
    public synchronized Load lastLoad() { return lastLoad; }

    /** How often the secret memory was released so far. */
    public synchronized int releases() { return releases; }

    private Load ensureLoaded() {
        if (feed != null) return new Load(false, 0);
        long t0 = System.nanoTime();
        try (Credential credential = credentials.get()) {
            feed = runner.loadPack(pack, plan, credential, 0, contextLength, false, window, populateThreads, n -> { });
        }
        return new Load(true, (System.nanoTime() - t0) / 1e9);
    }

    private synchronized void releaseIfIdle() {
        if (feed == null) return;
        release();
    }

    /** Zeroizes and returns the secret memory now; the next request restores again. Returns the bytes still in use. */
    public synchronized long release() {
        if (feed != null) {
            feed.abort();
            feed = null;
        }
        releases++;
        return enclave.call(InferenceCalls.RELEASE, null);
    }

    @Override
    public synchronized void close() {
        timer.shutdownNow();
        if (feed != null) feed.abort();
    }
}
