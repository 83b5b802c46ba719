package dev.coffer.host.cli;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.attestation.AuditLog;
import dev.coffer.attestation.KeyBroker;
import dev.coffer.attestation.Policy;
import dev.coffer.attestation.Verifier;
import dev.coffer.host.client.AttestedServer;
import dev.coffer.host.client.PlatformProbe;
import dev.coffer.host.client.ProxyRoutes;
import dev.coffer.attestation.fingerprint.ReferenceFingerprints;
import dev.coffer.attestation.fingerprint.ReferenceRecorder;
import dev.coffer.pack.ReferenceData;
import dev.coffer.host.net.HttpsServer;
import dev.coffer.host.net.TlsIdentity;
import dev.coffer.host.net.TlsTrust;
import dev.coffer.host.server.GenerationScheduler;
import dev.coffer.host.server.KeyBrokerServer;
import dev.coffer.host.server.PackServing;
import dev.coffer.host.tee.SecureWorldImages;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.pack.OwnerSigningKey;
import dev.coffer.pack.PackHeader;
import dev.coffer.pack.PackWriter;
import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.tee.Backend;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The whole of Coffer in one command, offline, on this machine: make the model owner's and the "
                + "key broker's keys, encrypt the built-in demo model into a pack for the broker, start the broker, start "
                + "the server with the isolated secure world (the broker releases the pack's key only after appraising "
                + "it), attest the server as a client would, send a chat request through the client proxy (sealed end "
                + "to end), check the served numerics against the owner's reference fingerprints, print the verdict, the "
                + "completion and the timings, and shut everything down.",
            "",
            "The isolated secure world is a software TEE; the demo's policies accept it explicitly, and say so."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = {"-p", "--prompt"}, defaultValue = "Tell me a story.", description = "the chat message (default: ${DEFAULT-VALUE})")
    String prompt;

    @Option(names = {"-n", "--tokens"}, defaultValue = "32", description = "tokens to generate (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--image", paramLabel = "JAR",
            description = "secure-world image jar (default: secure-world/target/coffer-secure-world.jar)")
    Path image;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final PrintStream out = System.out;
    private long stepStart;
    private int step;

    @Override
    public Integer call() throws Exception {
        out.println("coffer demo: encrypted model -> key broker -> attested secure world -> sealed chat, on this machine");
        Path work = Files.createTempDirectory("coffer-demo-");
        try {
            return run(work);
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

    private int run(Path work) throws Exception {
        begin();
        Path model = CofferHome.demoModel();
        if (!Files.exists(model)) {
            int rc = CofferCli.commandLine().execute("synth", "--shape", "demo", "-o", model.toString());
            if (rc != 0) return rc;
        }
        done("model", "the built-in demo model (" + Outputs.size(Files.size(model)) + ", random weights: its text is "
                + "meaningless)");

        begin();
        OwnerSigningKey owner = OwnerSigningKey.generate();
        RecipientPrivateKey brokerKey = RecipientPrivateKey.generate();
        done("keys", "model owner " + owner.publicKey().id().shortHex() + " (Ed25519), key broker "
                + brokerKey.publicKey().id().shortHex() + " (X25519)");

        begin();
        Path pack = work.resolve("demo.cpack");
        ReferenceFingerprints references = ReferenceRecorder.record(model, Math.min(2, Parallel.defaultThreads()));
        PackHeader header = PackWriter.encrypt(model, pack, owner, new PackWriter.Options(List.of(brokerKey.publicKey()),
                java.util.Optional.empty(), 1, 4 << 20, List.of(new ReferenceData(ReferenceFingerprints.NAME,
                references.toJson()))), n -> { });
        String digest = header.digest().hex();
        done("pack", "encrypted for the key broker only: " + header.manifest().chunks().size() + " chunks, digest "
                + digest.substring(0, 16) + "..., with the owner's reference fingerprints signed in");

        EnclaveImage enclaveImage = SecureWorldImages.load(image != null ? image : SecureWorldImages.defaultJar(CofferHome.path()));
        String measurement = enclaveImage.identity().measurement().hex();
        // Both verifiers accept the isolated software TEE, but only this exact image and this exact pack.
        Policy policy = Policy.parse("{\"allowed_tee\": [\"isolated\"], \"allowed_measurements\": [\"" + measurement
                + "\"], \"expected_pack_digest\": \"" + digest + "\", \"expected_owner_key_id\": \""
                + owner.publicKey().id().hex() + "\"}");
        begin();
        TlsIdentity brokerTls = TlsIdentity.selfSigned(List.of());
        try (AuditLog audit = AuditLog.open(work.resolve("audit.jsonl"), Clock.systemUTC());
             KeyBrokerServer broker = KeyBrokerServer.start("127.0.0.1", 0, brokerTls,
                     new KeyBroker(brokerKey, policy, audit, Clock.systemUTC()), line -> { })) {
            URI brokerUrl = URI.create("https://127.0.0.1:" + broker.port());
            done("broker", brokerUrl + ": releases the key to the isolated secure world with measurement "
                    + measurement.substring(0, 16) + "... only");

            begin();
            int threads = Math.min(2, Parallel.defaultThreads());
            // The demo needs about 6 MiB of secret memory; a non-root user's RLIMIT_MEMLOCK is often 8 MiB.
            long budget = Math.min(256L << 20, dev.coffer.tee.memory.SecretMemory.lockableBytes() - (512 << 10));
            EnclaveSettings settings = EnclaveSettings.defaults(Backend.ISOLATED, CofferHome.state())
                    .withSecureMemory(budget).withThreads(threads);
            try (PackServing serving = PackServing.start(new PackServing.Config(pack,
                    new PackServing.KeySource.Broker(brokerUrl, TlsTrust.pinned(brokerTls.publicKeyHash())), 0,
                    enclaveImage, settings, 4, threads, 512, "127.0.0.1", 0, TlsIdentity.selfSigned(List.of()),
                    new GenerationScheduler.Limits(2, 8), false), line -> { })) {
                URI server = URI.create(serving.server().url());
                done("server", server + ": the broker appraised the secure world and released the key sealed to it; "
                        + "the pack is restored in its secret memory (pid " + serving.enclave().info().pid().orElse(-1) + ")");

                begin();
                try (AttestedServer attested = new AttestedServer(server, new Verifier(policy), Duration.ofSeconds(60),
                        Clock.systemUTC())) {
                    var verdict = attested.current().appraisal();
                    done("attest", "ACCEPTED: " + verdict.checks().size() + " checks passed (fresh nonce, platform "
                            + "signature, measurement, pack, owner, TLS key of this connection). WARNING: 'isolated' is a "
                            + "software TEE, accepted for the demo; its host could forge this");

                    begin();
                    try (HttpsServer proxy = HttpsServer.startLoopback("127.0.0.1", 0, ProxyRoutes.routes(attested, line -> { }),
                            1 << 20, 60, line -> { })) {
                        String body = JSONObjectUtils.toJSONString(Map.of("messages", List.of(Map.of("role", "user",
                                "content", prompt)), "max_tokens", tokens, "temperature", 0));
                        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
                                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) throw new CommandFailedException("the chat request failed: " + r.body());
                        Map<?, ?> choice = (Map<?, ?>) ((List<?>) JSONObjectUtils.parse(r.body()).get("choices")).getFirst();
                        String content = (String) ((Map<?, ?>) choice.get("message")).get("content");
                        done("chat", "through the proxy, sealed to the secure world and back:");
                        out.println("        you:       " + prompt);
                        out.println("        assistant: " + content.strip().replaceAll("\\s+", " "));
                    }

                    begin();
                    PlatformProbe.Result probe = PlatformProbe.run(attested, owner.publicKey());
                    var c = probe.comparison();
                    done("numerics", (c.exactMatch() ? "MATCH: " : "MISMATCH: ") + c.exact() + "/" + c.positions()
                            + " probe positions bit-identical to the owner's reference fingerprints ("
                            + probe.references().stack().numerics() + ", " + probe.references().stack().weights() + ")");
                }
            }
            out.println("all stopped: server, secure world (its secret memory wiped), broker (" + audit.entries()
                    + " decision in its audit log), proxy; the demo's keys and pack are deleted");
        }
        return 0;
    }

    private void begin() {
        step++;
        stepStart = System.nanoTime();
    }

    private void done(String what, String detail) {
        out.printf(Locale.ROOT, "[%d/8] %-8s %5.2f s  %s%n", step, what, (System.nanoTime() - stepStart) / 1e9, detail);
    }

}
