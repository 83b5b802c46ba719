package dev.coffer.host.server;

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

/**
 * {@code coffer serve} without its command line: open the pack, start the secure world, obtain the pack's key
 * (from a local credential, or from a key broker that appraises the secure world first), restore the pack in the
 * secure world, and serve HTTPS in front of it. Closing stops the server, the feeder and the secure world.
 */
public final class PackServing implements AutoCloseable {
    /** Where the pack's key comes from. */
    public sealed interface KeySource {
        /** A recipient key or passphrase the operator holds (the host sees the key). */
        record Local(Credential credential) implements KeySource {
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

    private final PackFile pack;
    private final Enclave enclave;
    private final EnclaveModelRunner.PackFeed feed;
    private final CofferServer server;
    private final GenerationScheduler scheduler;

    private PackServing(PackFile pack, Enclave enclave, EnclaveModelRunner.PackFeed feed, CofferServer server,
                        GenerationScheduler scheduler) {
        this.pack = pack;
        this.enclave = enclave;
        this.feed = feed;
        this.server = server;
        this.scheduler = scheduler;
    }

    public static PackServing start(Config c, Consumer<String> log) throws IOException, InterruptedException {
        PackFile pack = PackFile.open(c.pack());
        Enclave enclave = null;
        EnclaveModelRunner.PackFeed feed = null;
        GenerationScheduler scheduler = null;
        try {
            enclave = Enclave.create(c.image(), EnclaveModelRunner.withRingFor(c.settings(), pack, c.prefetch()));
            EnclaveModelRunner runner = new EnclaveModelRunner(enclave);
            PackUnlock unlock = switch (c.key()) {
                case KeySource.Local l -> PackUnlock.of(l.credential());
                case KeySource.Broker b -> {
                    log.accept("asking the key broker " + b.url() + " (trusted through " + b.trust() + ") for the pack's key");
                    yield BrokeredKey.fetch(enclave, runner, pack, c.minVersion(), b.url(),
                            new HttpsClient(b.trust(), Duration.ofSeconds(30)));
                }
            };
            feed = runner.loadPack(pack, RestorePlan.resident(pack.manifest()), unlock, c.minVersion(), c.contextLength(),
                    false, c.prefetch(), c.threads(), n -> { });
            Enclave e = enclave;
            ServingMetrics metrics = new ServingMetrics(() -> e.stats().ecalls(),
                    () -> runner.restoreStatus().restoredChunks(), () -> pack.manifest().chunks().size());
            scheduler = new GenerationScheduler(enclave, c.limits(), metrics, log);
            CofferServer server = CofferServer.start(c.host(), c.port(), c.tls(), new EnclaveAttester(enclave),
                    () -> health(e, runner, pack), OpenAiRoutes.routes(scheduler, metrics, scheduler.modelId(),
                            c.allowPlaintext()), log);
            return new PackServing(pack, enclave, feed, server, scheduler);
        } catch (IOException | InterruptedException | RuntimeException ex) {
            if (scheduler != null) scheduler.close();
            if (feed != null) feed.abort();
            if (enclave != null) enclave.close();
            pack.close();
            throw ex;
        }
    }

    private static Map<String, Object> health(Enclave enclave, EnclaveModelRunner runner, PackFile pack) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tee", enclave.info().backend().teeType());
        m.put("pack", pack.header().digest().hex());
        InferenceCalls.RestoreStatus s = runner.restoreStatus();
        m.put("restored_chunks", s.restoredChunks());
        m.put("total_chunks", s.totalChunks());
        return m;
    }

    public CofferServer server() {
        return server;
    }

    public Enclave enclave() {
        return enclave;
    }

    public PackFile pack() {
        return pack;
    }

    @Override
    public void close() {
        try {
            server.close();
            scheduler.close();
        } finally {
            try {
                feed.abort();
            } finally {
                enclave.close();
                pack.close();
            }
        }
    }
}
