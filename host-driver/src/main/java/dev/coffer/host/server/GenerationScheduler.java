package dev.coffer.host.server;

import dev.coffer.host.net.HttpsServer;
import dev.coffer.host.net.HttpsServer.Answer;
import dev.coffer.secureworld.serving.ServingCalls;
import dev.coffer.tee.Enclave;
import dev.coffer.tee.EnclaveLostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The host's control plane for generation: a bounded queue, continuous batching and cancellation. One thread drives
 * the secure world: it admits queued requests while there are free slots (one crossing each: open, read, prefill,
 * first token), then advances every running request by one token in a single crossing, and hands each answer
 * message to its client as it comes. The host never reads a message: sealed ones are passed on as they are.
 * A full queue answers 429 with Retry-After; a client that goes away cancels its generation.
 */
public final class GenerationScheduler implements AutoCloseable {
    /** How the host answers sealed messages (docs/sealed-bodies.md). */
    public static final String SEALED_TYPE = "application/vnd.coffer.sealed";

    public record Limits(int maxBatch, int maxQueue) {
        public Limits {
            if (maxBatch < 1 || maxBatch > 256) throw new IllegalArgumentException("max batch must be 1..256: " + maxBatch);
            if (maxQueue < 0) throw new IllegalArgumentException("max queue must be >= 0: " + maxQueue);
        }
    }

    /** A request waiting for, or holding, a slot in the secure world. */
    private static final class Job {
        final ServingCalls.Admit admit;
        final HttpsServer.Responder responder;
        final long queuedNanos = System.nanoTime();
        volatile boolean clientGone;
        HttpsServer.EventStream events;
        int id;

        Job(ServingCalls.Admit admit, HttpsServer.Responder responder) {
            this.admit = admit;
            this.responder = responder;
        }
    }

    private final Enclave enclave;
    private final Limits limits;
    private final Consumer<String> log;
    private final ServingMetrics metrics;
    private final Deque<Job> queue = new ArrayDeque<>();
    private final Map<Integer, Job> running = new LinkedHashMap<>();
    private final Thread driver;
    private volatile boolean closed;
    private final String modelId;
    /** Requests accepted and not yet answered to the end (queued or running); guarded by this. */
    private int outstanding;

    public GenerationScheduler(Enclave enclave, Limits limits, ServingMetrics metrics, Consumer<String> log) {
        this.enclave = enclave;
        this.limits = limits;
        this.metrics = metrics;
        this.log = log;
        this.modelId = enclave.call(ServingCalls.SERVE_CONFIGURE, limits.maxBatch());
        this.driver = Thread.ofPlatform().name("generation-scheduler").daemon().start(this::drive);
    }

    /** The served model's id, as the secure world names it. */
    public String modelId() {
        return modelId;
    }

    /** Queues a request; answers 429 at once when the queue is full. */
    public void submit(ServingCalls.Admit admit, HttpsServer.Responder responder) {
        Job job = new Job(admit, responder);
        synchronized (this) {
            if (closed) {
                responder.send(Answer.json(503, HttpsServer.error(503, "the server is shutting down")));
                return;
            }
            if (outstanding >= limits.maxQueue() + limits.maxBatch()) {
                metrics.rejected();
                responder.send(Answer.json(429, HttpsServer.error(429, "the server is busy (" + outstanding
                        + " requests in progress or queued): retry after a second")).withHeader("Retry-After", "1"));
                return;
            }
            outstanding++;
            queue.addLast(job);
            metrics.queueDepth(queue.size());
            notifyAll();
        }
        responder.onClose(() -> job.clientGone = true);
    }

    private void drive() {
        try {
            while (!closed) {
                admitWhileRoom();
                cancelGone();
                if (running.isEmpty()) {
                    synchronized (this) {
                        if (queue.isEmpty() && !closed) wait(1000);
                    }
                    continue;
                }
                int[] ids = running.keySet().stream().mapToInt(Integer::intValue).toArray();
                metrics.batch(ids.length);
                for (ServingCalls.Messages m : enclave.call(ServingCalls.SERVE_STEP, ids)) {
                    Job job = running.get(m.id());
                    if (job == null) continue;
                    deliver(job, m);
                    if (m.finished()) done(running.remove(m.id()));
                }
            }
            failAll(503, "the server is shutting down");
        } catch (EnclaveLostException e) {
            failAll(503, "the secure world was lost (" + e.getMessage() + "); requests in flight failed");
        } catch (InterruptedException e) {
            failAll(503, "the server is shutting down");
        } catch (RuntimeException e) {
            log.accept("the scheduler stopped: " + e);
            failAll(500, "internal error; the server's log has the cause");
        }
    }

    private void admitWhileRoom() {
        while (running.size() < limits.maxBatch()) {
            Job job;
            synchronized (this) {
                job = queue.pollFirst();
                metrics.queueDepth(queue.size());
            }
            if (job == null) return;
            if (job.clientGone) {
                done(job);
                continue;
            }
            ServingCalls.Messages m;
            try {
                m = enclave.call(ServingCalls.SERVE_ADMIT, job.admit);
            } catch (dev.coffer.tee.EcallFailedException e) {
                // The secure world refused or failed this one request (it keeps running): answer it, serve the rest.
                log.accept("a request failed in the secure world: " + e.getMessage());
                job.responder.send(Answer.json(500, HttpsServer.error(500, "the secure world could not serve this request")));
                done(job);
                continue;
            }
            metrics.firstToken((System.nanoTime() - job.queuedNanos) / 1e9, m.status());
            job.id = m.id();
            deliver(job, m);
            if (!m.finished()) running.put(m.id(), job);
            else done(job);
        }
    }

    private synchronized void done(Job job) {
        if (job != null) outstanding--;
    }

    private void cancelGone() {
        List<Integer> gone = new ArrayList<>();
        for (Map.Entry<Integer, Job> e : running.entrySet()) if (e.getValue().clientGone) gone.add(e.getKey());
        for (int id : gone) {
            enclave.call(ServingCalls.SERVE_CANCEL, id);
            done(running.remove(id));
            metrics.cancelled();
        }
    }

    /** Passes the secure world's messages to the client: one whole answer, or server-sent events. */
    private void deliver(Job job, ServingCalls.Messages m) {
        metrics.tokens(m.messages().size());
        if (m.stream() && m.status() == 200) {
            if (job.events == null) job.events = job.responder.startEvents(200);
            for (byte[] message : m.messages()) {
                job.events.event(m.sealed() ? Base64.getUrlEncoder().withoutPadding().encodeToString(message)
                        : new String(message, StandardCharsets.UTF_8));
            }
            if (m.finished()) job.events.end();
            return;
        }
        if (m.finished() && !m.messages().isEmpty()) {
            byte[] body = m.messages().getLast();
            job.responder.send(m.sealed() ? new Answer(m.status(), SEALED_TYPE, body)
                    : new Answer(m.status(), "application/json", body));
        } else if (m.finished()) {
            // finished without an answer (the secure world no longer knew the request): never leave a client waiting
            String error = HttpsServer.error(500, "the request ended without an answer in the secure world");
            if (job.events != null) {
                job.events.event(error);
                job.events.end();
            } else {
                job.responder.send(Answer.json(500, error));
            }
        }
    }

    private void failAll(int status, String message) {
        List<Job> jobs = new ArrayList<>(running.values());
        synchronized (this) {
            jobs.addAll(queue);
            queue.clear();
            closed = true;
            outstanding = 0;
        }
        running.clear();
        for (Job job : jobs) {
            try {
                if (job.events != null) {
                    // mid-stream: an error event the client can read, then the end (a sealed stream without its last
                    // message is also visibly cut short)
                    job.events.event(HttpsServer.error(status, message));
                    job.events.end();
                } else {
                    job.responder.send(Answer.json(status, HttpsServer.error(status, message)));
                }
            } catch (IllegalStateException alreadyAnswered) {
                // nothing more to tell this client
            }
        }
        log.accept(message);
    }

    /** False once the secure world was lost or the scheduler closed: the server must start a new one. */
    public boolean alive() {
        return !closed && driver.isAlive();
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        driver.interrupt();
        try {
            driver.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
