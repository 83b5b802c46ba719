package dev.coffer.host.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.attestation.AuditLog;
import dev.coffer.attestation.KeyBroker;
import dev.coffer.attestation.Policy;
import dev.coffer.host.net.HttpsClient;
import dev.coffer.host.net.HttpsServer;
import dev.coffer.host.net.TlsIdentity;
import dev.coffer.host.net.TlsTrust;
import dev.coffer.host.tee.BrokeredKey;
import dev.coffer.host.tee.SecureWorldImages;
import dev.coffer.inference.testing.SharedAssets;
import dev.coffer.pack.PackFixture;
import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.tee.Backend;
import dev.coffer.tee.Digest;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole key release and attestation path over real HTTPS on 127.0.0.1, with the isolated secure world: a pack
 * encrypted to a key broker, the broker appraising the secure world before releasing the key sealed to it, the
 * server attesting to clients with its TLS key bound, and a relay that presents one server's evidence on another
 * server's connection.
 */
@Timeout(180)
class AttestationEndToEndTest {
    @TempDir
    static Path dir;
    static PackFixture packs;
    static Path brokerPack;
    static EnclaveImage image;

    @BeforeAll
    static void setUp() throws Exception {
        packs = new PackFixture(dir);
        brokerPack = packs.pack("broker.cpack", 2, List.of(packs.bob.publicKey()), null);
        image = SecureWorldImages.load(SharedAssets.repoRoot().resolve("secure-world/target/coffer-secure-world.jar"));
    }

    private static EnclaveSettings settings() {
        return EnclaveSettings.defaults(Backend.ISOLATED, dir.resolve("state")).withSecureMemory(64L << 20).withThreads(2);
    }

    private static KeyBrokerServer broker(Policy policy, TlsIdentity tls, Path audit) throws Exception {
        KeyBroker broker = new KeyBroker(RecipientPrivateKey.fromRaw(packs.bob.raw()), policy,
                AuditLog.open(audit, Clock.systemUTC()), Clock.systemUTC());
        return KeyBrokerServer.start("127.0.0.1", 0, tls, broker, line -> { });
    }

    private static PackServing serve(URI broker, TlsTrust trust) throws Exception {
        return serve(broker, trust, TlsIdentity.selfSigned(List.of()));
    }

    private static PackServing serve(URI broker, TlsTrust trust, TlsIdentity tls) throws Exception {
        return PackServing.start(new PackServing.Config(brokerPack, new PackServing.KeySource.Broker(broker, trust), 0,
                image, settings(), 4, 2, 256, "127.0.0.1", 0, tls, new GenerationScheduler.Limits(2, 4), false), line -> { });
    }

    private static Map<String, Object> health(String url) throws Exception {
        HttpsClient.Reply r = new HttpsClient(TlsTrust.untilAttested(), Duration.ofSeconds(10)).get(URI.create(url + "/health"));
        assertThat(r.status()).isEqualTo(200);
        return JSONObjectUtils.parse(r.body());
    }

    @Test
    void theBrokerReleasesToTheAttestedSecureWorldAndClientsVerifyTheServer() throws Exception {
        TlsIdentity brokerTls = TlsIdentity.selfSigned(List.of());
        Path caFile = dir.resolve("broker-ca.pem");
        Files.writeString(caFile, brokerTls.certificatePem());
        Path audit = dir.resolve("audit-ok.jsonl");
        TlsIdentity serverTls = TlsIdentity.selfSigned(List.of());
        Path serverCa = dir.resolve("server-ca.pem");
        Files.writeString(serverCa, serverTls.certificatePem());
        try (KeyBrokerServer broker = broker(Policy.parse("{\"allowed_tee\": [\"isolated\"]}"), brokerTls, audit);
             PackServing serving = serve(URI.create("https://127.0.0.1:" + broker.port()), TlsTrust.certificateAuthority(caFile),
                     serverTls)) {
            String url = serving.server().url();
            long deadline = System.nanoTime() + 60_000_000_000L;
            Map<String, Object> h = health(url);
            while (!h.get("restored_chunks").equals(h.get("total_chunks")) && System.nanoTime() < deadline) {
                Thread.sleep(100);
                h = health(url);
            }
            assertThat(h.get("restored_chunks")).as("model restored with the released key").isEqualTo(h.get("total_chunks"));
            assertThat(h.get("pack")).isEqualTo(serving.pack().header().digest().hex());

            var ok = dev.coffer.host.cli.CliAccess.run("attest", url, "--allow-tee", "isolated", "--json");
            assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
            Map<String, Object> verdict = JSONObjectUtils.parse(ok.out().strip());
            assertThat(verdict.get("verdict")).isEqualTo("accepted");
            assertThat(verdict.get("software_tee")).isEqualTo(true);

            var table = dev.coffer.host.cli.CliAccess.run("attest", url, "--allow-tee", "isolated");
            assertThat(table.out()).contains("VERDICT: ACCEPTED").contains("SOFTWARE TEE")
                    .contains("\"expected_pack_digest\":\"" + serving.pack().header().digest().hex() + "\"");

            var withCa = dev.coffer.host.cli.CliAccess.run("attest", url, "--allow-tee", "isolated", "--tls-ca", serverCa.toString());
            assertThat(withCa.exit()).as("CA checking on top of the binding").isZero();
            var wrongCa = dev.coffer.host.cli.CliAccess.run("attest", url, "--allow-tee", "isolated", "--tls-ca", caFile.toString());
            assertThat(wrongCa.exit()).as("a CA that did not issue the server's certificate").isEqualTo(1);
            assertThat(wrongCa.err()).contains("coffer:");

            var strict = dev.coffer.host.cli.CliAccess.run("attest", url);
            assertThat(strict.exit()).as("the default policy takes hardware TEEs only").isEqualTo(1);
            assertThat(strict.out()).contains("FAIL tee").contains("VERDICT: REJECTED");

            Path wrongPack = dir.resolve("wrong-pack.json");
            Files.writeString(wrongPack, "{\"allowed_tee\": [\"isolated\"], \"expected_pack_digest\": \""
                    + Digest.sha256(new byte[] {1}).hex() + "\"}");
            var other = dev.coffer.host.cli.CliAccess.run("attest", url, "--policy", wrongPack.toString());
            assertThat(other.exit()).isEqualTo(1);
            assertThat(other.out()).contains("FAIL pack.digest");
        }
        assertThat(AuditLog.verify(audit).entries()).isEqualTo(1);
        assertThat(Files.readString(audit)).contains("\"verdict\":\"released\"");
    }

    @Test
    void evidenceRelayedFromAnotherServerFailsTheTlsBinding() throws Exception {
        Path audit = dir.resolve("audit-relay.jsonl");
        TlsIdentity brokerTls = TlsIdentity.selfSigned(List.of());
        try (KeyBrokerServer broker = broker(Policy.parse("{\"allowed_tee\": [\"isolated\"]}"), brokerTls, audit);
             PackServing serverA = serve(URI.create("https://127.0.0.1:" + broker.port()), TlsTrust.pinned(brokerTls.publicKeyHash()));
             // Server B has its own TLS key and answers attestation requests with server A's evidence for the same nonce.
             HttpsServer serverB = HttpsServer.start("127.0.0.1", 0, TlsIdentity.selfSigned(List.of()).serverContext(),
                     Map.of("GET /v1/attestation", call -> {
                         HttpsClient.Reply fromA = new HttpsClient(TlsTrust.untilAttested(), Duration.ofSeconds(10)).get(
                                 URI.create(serverA.server().url() + "/v1/attestation?nonce=" + call.parameter("nonce").orElseThrow()));
                         return HttpsServer.Answer.json(fromA.status(), fromA.body());
                     }), 1 << 16, 30, line -> { })) {
            var relayed = dev.coffer.host.cli.CliAccess.run("attest", "https://127.0.0.1:" + serverB.port(),
                    "--allow-tee", "isolated");
            assertThat(relayed.exit()).isEqualTo(1);
            assertThat(relayed.out()).contains("FAIL tls_spki_sha256").contains("not the key of this connection")
                    .doesNotContain("FAIL eat_nonce");
        }
    }

    @Test
    void aSecureWorldOutsideTheBrokersPolicyGetsNoKeyAndTheRefusalIsAudited() throws Exception {
        Path audit = dir.resolve("audit-refused.jsonl");
        TlsIdentity brokerTls = TlsIdentity.selfSigned(List.of());
        Policy pinnedElsewhere = Policy.parse("{\"allowed_tee\": [\"isolated\"], \"allowed_measurements\": [\""
                + Digest.sha256(new byte[] {9}).hex() + "\"]}");
        try (KeyBrokerServer broker = broker(pinnedElsewhere, brokerTls, audit)) {
            URI url = URI.create("https://127.0.0.1:" + broker.port());
            assertThatThrownBy(() -> serve(url, TlsTrust.pinned(brokerTls.publicKeyHash())).close())
                    .isInstanceOf(BrokeredKey.KeyBrokerRefusedException.class)
                    .hasMessageContaining("HTTP 403").hasMessageContaining("measurement: expected one of");
            assertThatThrownBy(() -> serve(url, TlsTrust.pinned(Digest.sha256(new byte[] {7}))).close())
                    .as("a broker whose key is not the pinned one is never asked")
                    .isInstanceOf(java.io.IOException.class);
        }
        AuditLog.Verification v = AuditLog.verify(audit);
        assertThat(v.intact()).isTrue();
        assertThat(v.entries()).isEqualTo(1);
        assertThat(Files.readString(audit)).contains("\"verdict\":\"refused\"").contains("403 evidence refused");
    }
}
