package dev.coffer.host.server;

import dev.coffer.attestation.Attester;
import dev.coffer.attestation.EnclaveAttester;
import dev.coffer.host.net.HttpsClient;
import dev.coffer.host.net.TlsIdentity;
import dev.coffer.host.net.TlsTrust;
import dev.coffer.host.tee.BrokeredKey;
import dev.coffer.host.tee.EnclaveModelRunner;
import dev.coffer.host.tee.PackUnlock;
import dev.coffer.pack.Credential;
import dev.coffer.pack.PackFile;
import dev.coffer.pack.RestorePlan;
import dev.coffer.secureworld.InferenceCalls;
import dev.coffer.tee.Enclave;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code coffer serve} without its command line: open the pack, start the secure world, obtain the pack's key
 * (from a local credential, or from a key broker that appraises the secure world first), restore the pack in the
 * secure world, and serve HTTPS in front of it. When the secure world is lost (killed, crashed), the requests in
 * flight fail with a clear error and a new secure world is started, which restores the pack again (with a new
 * enclave key: clients verify it again). Closing stops the server, the feeder and the secure world.
 */
public final class PackServing implements AutoCloseable {
    /** Where the pack's owner-signed manifest is published (its references, e.g. fingerprints, for clients). */
    public static final String MANIFEST_PATH = "/v1/pack/manifest";

    /** {@code {"manifest": base64url, "signature": base64url}}: public, and checked by clients with the owner's key. */
    private static dev.coffer.host.net.HttpsServer.Answer manifestAnswer(PackFile pack) {
        var signed = pack.header().signedManifest();
        var enc = java.util.Base64.getUrlEncoder().withoutPadding();
        return dev.coffer.host.net.HttpsServer.Answer.json(200, com.nimbusds.jose.util.JSONObjectUtils.toJSONString(
                Map.of("manifest", enc.encodeToString(signed.manifest()), "signature", enc.encodeToString(signed.signature()))));
    }

    /** Where the pack's key comes from. */
    public sealed interface KeySource {
        /** A recipient key or passphrase the operator holds (the host sees the key); asked again on each restart. */
        record Local(Supplier<Credential> credential) implements KeySource {
        }

        /** A key broker that releases the key only to an attested secure world, sealed to its enclave key. */
        record Broker(URI url, TlsTrust trust) implements KeySource {
        }
    }

    public record Config(Path pack, KeySource key, long minVersion, EnclaveImage image, EnclaveSettings settings,
                         int prefetch, int threads, int contextLength, String host, int port, TlsIdentity tls,
                         GenerationScheduler.Limits limits, boolean allowPlaintext) {
        public Config {
            Objects.requireNonNull(pack, "pack");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(tls, "tls");
            Objects.requireNonNull(limits, "limits");
        }
    }

    /** One secure world serving the pack, and what the host keeps for it. */
    private record SecureWorld(Enclave enclave, EnclaveModelRunner runner, EnclaveModelRunner.PackFeed feed,
                               GenerationScheduler scheduler, Attester attester) implements AutoCloseable {
        boolean alive() {
            return scheduler.alive() && enclave.info().pid().stream()
                    .allMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        }

        @Override
        public void close() {
            try {
                scheduler.close();
                feed.abort();
            } finally {
                enclave.close();
            }
        }
    }

    private final Config config;
    private final PackFile pack;
    private final ServingMetrics metrics;
    private final Consumer<String> log;
    private volatile SecureWorld current;
    private CofferServer server;
    private Thread supervisor;
    private volatile boolean closing;
    private volatile int restarts;

    private PackServing(Config config, PackFile pack, Consumer<String> log) {
        this.config = config;
        this.pack = pack;
        this.log = log;
        this.metrics = new ServingMetrics(() -> current.enclave().stats().ecalls(),
                () -> restoreStatus().restoredChunks(), () -> pack.manifest().chunks().size());
    }

    public static PackServing start(Config c, Consumer<String> log) throws IOException, InterruptedException {
        PackServing s = new PackServing(c, PackFile.open(c.pack()), log);
        try {
            s.current = s.startSecureWorld();
            Attester attester = (nonce, hostData) -> s.current.attester().attest(nonce, hostData);
            Map<String, dev.coffer.host.net.HttpsServer.Handler> routes = new java.util.HashMap<>(OpenAiRoutes.routes(
                    () -> s.current.scheduler(), s.metrics, s.current.scheduler().modelId(), c.allowPlaintext()));
            routes.put("GET " + MANIFEST_PATH, call -> manifestAnswer(s.pack));
            s.server = CofferServer.start(c.host(), c.port(), c.tls(), attester, s::health, routes, log);
            s.supervisor = Thread.ofPlatform().daemon().name("secure-world-supervisor").start(s::supervise);
            return s;
        } catch (IOException | InterruptedException | RuntimeException ex) {
            s.close();
            throw ex;
        }
    }

    private SecureWorld startSecureWorld() throws IOException {
        Config c = config;
        Enclave enclave = Enclave.create(c.image(), EnclaveModelRunner.withRingFor(c.settings(), pack, c.prefetch()));
        EnclaveModelRunner.PackFeed feed = null;
        try {
            EnclaveModelRunner runner = new EnclaveModelRunner(enclave);
            PackUnlock unlock;
            Credential local = null;
            try {
                unlock = switch (c.key()) {
                    case KeySource.Local l -> PackUnlock.of(local = l.credential().get());
                    case KeySource.Broker b -> {
                        log.accept("asking the key broker " + b.url() + " (trusted through " + b.trust() + ") for the pack's key");
                        try (HttpsClient client = new HttpsClient(b.trust(), Duration.ofSeconds(30))) {
                            yield BrokeredKey.fetch(enclave, runner, pack, c.minVersion(), b.url(), client);
                        }
                    }
                };
                feed = runner.loadPack(pack, RestorePlan.resident(pack.manifest()), unlock, c.minVersion(),
                        c.contextLength(), false, c.prefetch(), c.threads(), n -> { });
            } finally {
                if (local != null) local.close();
            }
            GenerationScheduler scheduler = new GenerationScheduler(enclave, c.limits(), metrics, log);
            return new SecureWorld(enclave, runner, feed, scheduler, new EnclaveAttester(enclave));
        } catch (IOException | RuntimeException e) {
            if (feed != null) feed.abort();
            enclave.close();
            throw e;
        }
    }

    /** Watches the secure world; when it is gone, starts a new one (the old one's requests already failed). */
    private void supervise() {
        while (!closing) {
            try {
                Thread.sleep(250);
                SecureWorld world = current;
                if (closing || world.alive()) continue;
                log.accept("the secure world was lost: in-flight requests failed; starting a new one and restoring the pack");
                world.close();
                long t0 = System.nanoTime();
                current = startSecureWorld();
                restarts++;
                log.accept(String.format(java.util.Locale.ROOT, "a new secure world serves the pack (%.1f s); clients "
                        + "verify it again (new enclave key)", (System.nanoTime() - t0) / 1e9));
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log.accept("restarting the secure world failed (" + e.getMessage() + "); trying again in 5 s");
                try {
                    Thread.sleep(5000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private Map<String, Object> health() {
        SecureWorld world = current;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tee", world.enclave().info().backend().teeType());
        m.put("pack", pack.header().digest().hex());
        m.put("secure_world", world.alive() ? "running" : "restarting");
        InferenceCalls.RestoreStatus s = restoreStatus();
        m.put("restored_chunks", s.restoredChunks());
        m.put("total_chunks", s.totalChunks());
        m.put("restarts", restarts);
        return m;
    }

    private volatile InferenceCalls.RestoreStatus cachedStatus;
    private volatile long cachedAt;

    /** Restoration progress, asked of the secure world at most once a second: /health and /metrics are public and
     *  must not be a way to crowd out the generation steps' crossings. */
    private InferenceCalls.RestoreStatus restoreStatus() {
        long now = System.nanoTime();
        InferenceCalls.RestoreStatus s = cachedStatus;
        if (s == null || now - cachedAt > 1_000_000_000L) {
            s = current.runner().restoreStatus();
            cachedStatus = s;
            cachedAt = now;
        }
        return s;
    }

    public CofferServer server() {
        return server;
    }

    /** The secure world serving now (a restart replaces it). */
    public Enclave enclave() {
        return current.enclave();
    }

    public PackFile pack() {
        return pack;
    }

    public int restarts() {
        return restarts;
    }

    @Override
    public void close() {
        closing = true;
        try {
            if (supervisor != null) {
                supervisor.interrupt();
                try {
                    supervisor.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (server != null) server.close();
        } finally {
            try {
                if (current != null) current.close();
            } finally {
                pack.close();
            }
        }
    }
}
