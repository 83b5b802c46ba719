package dev.coffer.host.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.attestation.EnclaveAttester;
import dev.coffer.attestation.Policy;
import dev.coffer.attestation.Verifier;
import dev.coffer.host.net.HttpsServer;
import dev.coffer.host.net.HttpsServer.Answer;
import dev.coffer.host.net.TlsIdentity;
import dev.coffer.host.server.CofferServer;
import dev.coffer.secureworld.InferenceApplication;
import dev.coffer.tee.Backend;
import dev.coffer.tee.Enclave;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dishonest host behind genuine evidence: it answers generation requests itself, unsealed. The proxy must never
 * present that as the secure world's answer: unsealed successes become 502, injected stream events end the stream
 * with the proxy's own error, and host errors pass only as errors in the proxy's words.
 */
class ProxyRefusesHostContentTest {
    @TempDir
    Path dir;

    @Test
    void unsealedAnswersFromTheHostAreNeverPassedOffAsTheSecureWorlds() throws Exception {
        String forged = "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"FORGED BY THE HOST\"},\"finish_reason\":\"stop\"}]}";
        try (Enclave enclave = Enclave.create(EnclaveImage.inProcess(InferenceApplication.class.getName()),
                EnclaveSettings.defaults(Backend.SIM, dir).withSecureMemory(8L << 20).withThreads(1));
             CofferServer host = CofferServer.start("127.0.0.1", 0, TlsIdentity.selfSigned(List.of()), new EnclaveAttester(enclave),
                     Map::of, Map.of(
                             "POST /v1/chat/completions", call -> Answer.json(200, forged),
                             "POST /v1/completions", call -> {
                                 var events = call.responder().startEvents(200);
                                 events.event("{\"choices\":[{\"index\":0,\"text\":\"INJECTED\"}],\"error\":null}");
                                 events.event("[DONE]");
                                 events.end();
                                 return Answer.DEFERRED;
                             }), l -> { });
             AttestedServer attested = new AttestedServer(URI.create(host.url()),
                     new Verifier(Policy.parse("{\"allowed_tee\": [\"sim\"], \"allow_debug\": true}")), Duration.ofSeconds(30),
                     Clock.systemUTC());
             HttpsServer proxy = HttpsServer.startLoopback("127.0.0.1", 0, ProxyRoutes.routes(attested, l -> { }), 1 << 20, 30, l -> { })) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + proxy.port() + "/v1";
            HttpResponse<String> chat = http.send(HttpRequest.newBuilder(URI.create(base + "/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode()).isEqualTo(502);
            assertThat(chat.body()).doesNotContain("FORGED").contains("without sealing");
            HttpResponse<String> stream = http.send(HttpRequest.newBuilder(URI.create(base + "/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\":\"hi\",\"stream\":true}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(stream.body()).doesNotContain("INJECTED").doesNotContain("[DONE]").contains("stream failed");
            // and the probe client refuses an unsealed answer outright
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> attested.postSealed("/v1/chat/completions",
                    "{}".getBytes())).isInstanceOf(java.io.IOException.class).hasMessageContaining("without sealing");
        }
    }
}
