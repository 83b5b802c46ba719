package dev.coffer.host.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What {@code GET /metrics} shows, in Prometheus's text format (Micrometer): queue depth, batch sizes, answer
 * messages (about one per token when streaming), time to first token as a histogram, refusals, cancellations, and
 * the secure world's crossings and restoration progress. Counts only: nothing about any request's content.
 */
public final class ServingMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger queueDepth = new AtomicInteger();
    private final DistributionSummary batch;
    private final Counter messages;
    private final Timer firstToken;
    private final Counter rejected;
    private final Counter cancelled;
    private final Counter refusedBySecureWorld;

    public ServingMetrics(Supplier<Number> crossings, Supplier<Number> restoredChunks, Supplier<Number> totalChunks) {
        Gauge.builder("coffer_queue_depth", queueDepth, AtomicInteger::get).description("requests waiting for a slot")
                .register(registry);
        batch = DistributionSummary.builder("coffer_batch_size").description("requests advanced per secure-world step")
                .register(registry);
        messages = Counter.builder("coffer_answer_messages").description("answer messages passed on (one per token when streaming)")
                .register(registry);
        firstToken = Timer.builder("coffer_time_to_first_token").description("from arrival to the first token")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(5))
                .maximumExpectedValue(Duration.ofSeconds(120)).register(registry);
        rejected = Counter.builder("coffer_rejected_busy").description("requests answered 429 (queue full)").register(registry);
        cancelled = Counter.builder("coffer_cancelled").description("generations stopped because their client left")
                .register(registry);
        refusedBySecureWorld = Counter.builder("coffer_refused").description("requests the secure world refused (4xx)")
                .register(registry);
        // strong references: Micrometer holds gauge state weakly, and these suppliers have no other owner
        Gauge.builder("coffer_crossings", crossings, s -> s.get().doubleValue()).strongReference(true)
                .description("host to secure-world calls so far").register(registry);
        Gauge.builder("coffer_restored_chunks", restoredChunks, s -> s.get().doubleValue()).strongReference(true)
                .register(registry);
        Gauge.builder("coffer_total_chunks", totalChunks, s -> s.get().doubleValue()).strongReference(true)
                .register(registry);
    }

    void queueDepth(int n) {
        queueDepth.set(n);
    }

    void batch(int n) {
        batch.record(n);
    }

    void tokens(int n) {
        messages.increment(n);
    }

    void firstToken(double seconds, int status) {
        if (status == 200) firstToken.record(Duration.ofNanos((long) (seconds * 1e9)));
        else refusedBySecureWorld.increment();
    }

    void rejected() {
        rejected.increment();
    }

    void cancelled() {
        cancelled.increment();
    }

    /** The text format Prometheus scrapes. */
    public String scrape() {
        return registry.scrape();
    }
}
