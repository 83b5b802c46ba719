package dev.coffer.host.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.attestation.Policy;
import dev.coffer.attestation.Verifier;
import dev.coffer.host.client.AttestedServer;
import dev.coffer.host.client.ProxyRoutes;
import dev.coffer.host.net.HttpsClient;
import dev.coffer.host.net.HttpsServer;
import dev.coffer.host.net.TlsIdentity;
import dev.coffer.host.net.TlsTrust;
import dev.coffer.host.tee.SecureWorldImages;
import dev.coffer.inference.testing.SharedAssets;
import dev.coffer.pack.Credential;
import dev.coffer.pack.PackFixture;
import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.tee.Backend;
import dev.coffer.tee.EnclaveSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI API end to end on 127.0.0.1: a stock HTTP client talks plain JSON to the proxy, which seals to the
 * isolated secure world behind `coffer serve`; streaming, errors, the model list, sealed-only serving, and the queue.
 */
@Timeout(180)
class ServingEndToEndTest {
    @TempDir
    static Path dir;
    static PackServing serving;
    static HttpsServer proxy;
    static AttestedServer attested;
    static String base;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        PackFixture packs = new PackFixture(dir);
        Path pack = packs.packForAlice("demo.cpack");
        var image = SecureWorldImages.load(SharedAssets.repoRoot().resolve("secure-world/target/coffer-secure-world.jar"));
        EnclaveSettings settings = EnclaveSettings.defaults(Backend.ISOLATED, dir.resolve("state")).withSecureMemory(128L << 20)
                .withThreads(2);
        byte[] aliceKey = packs.alice.raw();
        serving = PackServing.start(new PackServing.Config(pack, new PackServing.KeySource.Local(
                () -> Credential.of(RecipientPrivateKey.fromRaw(aliceKey.clone()))), 0, image, settings, 4, 2, 2048,
                "127.0.0.1", 0, TlsIdentity.selfSigned(List.of()), new GenerationScheduler.Limits(2, 2), false), line -> { });
        attested = new AttestedServer(URI.create(serving.server().url()),
                new Verifier(Policy.defaults().allowing(dev.coffer.attestation.TeeType.ISOLATED)), Duration.ofSeconds(60),
                Clock.systemUTC());
        proxy = HttpsServer.startLoopback("127.0.0.1", 0, ProxyRoutes.routes(attested, line -> { }), 1 << 20, 60, line -> { });
        base = "http://127.0.0.1:" + proxy.port() + "/v1";
    }

    @AfterAll
    static void stop() {
        if (proxy != null) proxy.close();
        if (attested != null) attested.close();
        if (serving != null) serving.close();
    }

    private static HttpResponse<String> post(String path, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, Object> json(String s) throws Exception {
        return JSONObjectUtils.parse(s);
    }

    @Test
    void aChatAnswerThroughTheProxyEqualsItsStreamedDeltas() throws Exception {
        String request = "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":"
                + "\"Hello\"}],\"max_tokens\":12,\"temperature\":0";
        HttpResponse<String> whole = post("/chat/completions", request + "}");
        assertThat(whole.statusCode()).as(whole.body()).isEqualTo(200);
        Map<String, Object> answer = json(whole.body());
        Map<?, ?> message = (Map<?, ?>) ((Map<?, ?>) ((List<?>) answer.get("choices")).getFirst()).get("message");
        String content = (String) message.get("content");
        assertThat(((Map<?, ?>) answer.get("usage")).get("completion_tokens")).isEqualTo(12L);

        HttpResponse<Stream<String>> streamed = http.send(HttpRequest.newBuilder(URI.create(base + "/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(request
                        + ",\"stream\":true}")).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(streamed.headers().firstValue("content-type")).contains("text/event-stream");
        List<String> data = streamed.body().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(data.getLast()).isEqualTo("[DONE]");
        StringBuilder deltas = new StringBuilder();
        for (String d : data.subList(0, data.size() - 1)) {
            Map<?, ?> delta = (Map<?, ?>) ((Map<?, ?>) ((List<?>) json(d).get("choices")).getFirst()).get("delta");
            if (delta.get("content") != null) deltas.append(delta.get("content"));
        }
        assertThat(deltas.toString()).isEqualTo(content);
    }

    /** The official `openai` npm client, unchanged, against the proxy (node and npm must be there; CI has them). */
    @Test
    @SuppressWarnings("unchecked")
    void theOfficialOpenAiNodeClientWorksThroughTheProxy() throws Exception {
        Path client = OpenAiNodeClient.installed();
        // beside node_modules: ES modules resolve packages from the script's own directory
        Path script = client.resolve("openai-client-" + ProcessHandle.current().pid() + ".mjs");
        try (var in = ServingEndToEndTest.class.getResourceAsStream("/openai-client.mjs")) {
            Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Process p = new ProcessBuilder("node", script.toString(), base).directory(client.toFile()).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int exit = p.waitFor();
        Files.deleteIfExists(script);
        assertThat(exit).as(out).isZero();
        Map<String, Object> seen = json(out.lines().reduce((a, b) -> b).orElseThrow());
        assertThat((List<Object>) seen.get("models")).containsExactly((Object) serving.pack().manifest().model().name());
        Map<?, ?> chat = (Map<?, ?>) seen.get("chat");
        assertThat(chat.get("finish")).isEqualTo("length");
        assertThat(chat.get("logprobs")).isEqualTo(10L);
        Map<?, ?> stream = (Map<?, ?>) seen.get("stream");
        assertThat(stream.get("content")).as("streamed deltas equal the whole answer").isEqualTo(chat.get("content"));
        assertThat((Long) stream.get("chunks")).isGreaterThanOrEqualTo(2L);
        assertThat(((Map<?, ?>) seen.get("completion")).get("object")).isEqualTo("text_completion");
        assertThat(((Map<?, ?>) seen.get("wrongModel")).get("status")).isEqualTo(404L);
        assertThat(((Map<?, ?>) seen.get("wrongModel")).get("code")).isEqualTo("model_not_found");
    }

    @Test
    void curlStreamsThroughTheProxyAndSeedsAndStopsAreHonoured() throws Exception {
        Process curl = new ProcessBuilder("curl", "-sN", base + "/completions", "-H", "Content-Type: application/json",
                "-d", "{\"prompt\":\"Once\",\"max_tokens\":6,\"stream\":true}").redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(curl.waitFor()).as(out).isZero();
        assertThat(out).contains("\"object\":\"text_completion\"").endsWith("data: [DONE]\n\n");

        String sampled = "{\"prompt\":\"Once\",\"max_tokens\":12,\"temperature\":1.0,\"seed\":";
        String a = text(post("/completions", sampled + "7}").body());
        assertThat(text(post("/completions", sampled + "7}").body())).as("same seed, same text").isEqualTo(a);
        String prompt = null;
        String greedy = "";
        for (String candidate : List.of("Hello", "Tell me a story", "Once upon a time", "The")) {
            greedy = text(post("/completions", "{\"prompt\":\"" + candidate + "\",\"max_tokens\":12,\"temperature\":0}").body());
            prompt = candidate;
            if (greedy.length() >= 6) break;
        }
        assertThat(greedy.length()).as("a greedy text long enough to cut").isGreaterThanOrEqualTo(6);
        String stop = greedy.substring(3, 5);
        Map<?, ?> stopped = (Map<?, ?>) ((List<?>) json(post("/completions", "{\"prompt\":\"" + prompt + "\",\"max_tokens\":12,"
                + "\"temperature\":0,\"stop\":" + JSONObjectUtils.toJSONString(Map.of("s", stop)).substring(5,
                JSONObjectUtils.toJSONString(Map.of("s", stop)).length() - 1) + "}").body()).get("choices")).getFirst();
        assertThat(stopped.get("text")).isEqualTo(greedy.substring(0, greedy.indexOf(stop)));
        assertThat(stopped.get("finish_reason")).isEqualTo("stop");
    }

    private static String text(String completion) throws Exception {
        return (String) ((Map<?, ?>) ((List<?>) json(completion).get("choices")).getFirst()).get("text");
    }

    @Test
    void aClientThatLeavesCancelsItsGeneration() throws Exception {
        HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"prompt\":\"Once\",\"max_tokens\":480,\"stream\":true}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        r.body().read(new byte[64]);
        r.body().close();
        try (HttpsClient direct = new HttpsClient(TlsTrust.untilAttested(), Duration.ofSeconds(10))) {
            long deadline = System.nanoTime() + 20_000_000_000L;
            double cancelled = 0;
            while (cancelled < 1 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                cancelled = direct.get(URI.create(serving.server().url() + "/metrics")).body().lines()
                        .filter(l -> l.startsWith("coffer_cancelled_total ")).mapToDouble(l -> Double.parseDouble(
                                l.substring(l.indexOf(' ') + 1))).findFirst().orElse(0);
            }
            assertThat(cancelled).as("the server stopped generating for the client that left").isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void theProxyVerifiesTheServerAgainWhenTheEvidenceExpires() throws Exception {
        java.util.concurrent.atomic.AtomicReference<java.time.Instant> now = new java.util.concurrent.atomic.AtomicReference<>(
                java.time.Instant.now());
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public java.time.Instant instant() {
                return now.get();
            }
        };
        try (AttestedServer server = new AttestedServer(URI.create(serving.server().url()),
                new Verifier(Policy.defaults().allowing(dev.coffer.attestation.TeeType.ISOLATED)), Duration.ofSeconds(30), clock)) {
            AttestedServer.Attested first = server.current();
            assertThat(server.current()).as("still fresh").isSameAs(first);
            now.set(first.expires().plusSeconds(1));
            AttestedServer.Attested second = server.current();
            assertThat(second).as("verified again after expiry").isNotSameAs(first);
            assertThat(second.appraisal().claims().nonce()).isNotEqualTo(first.appraisal().claims().nonce());
        }
    }

    @Test
    void theModelListAndItsErrorsAreOpenAiShaped() throws Exception {
        HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(base + "/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        String id = (String) ((Map<?, ?>) ((List<?>) json(models.body()).get("data")).getFirst()).get("id");
        assertThat(id).isEqualTo(serving.pack().manifest().model().name());
        HttpResponse<String> named = post("/completions", JSONObjectUtils.toJSONString(Map.of("model", id, "prompt", "Hi",
                "max_tokens", 2)));
        assertThat(named.statusCode()).as(named.body()).isEqualTo(200);
        HttpResponse<String> other = post("/completions", "{\"model\":\"gpt-4\",\"prompt\":\"Hi\"}");
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(other.body()).contains("model_not_found");
        HttpResponse<String> bad = post("/chat/completions", "{\"messages\":[{\"role\":\"user\"}], \"top_p\": 7}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad.body())).containsKey("error");
    }

    /** Raw bytes over TLS to the server: what a broken or hostile client can send. */
    private static String rawExchange(byte[] request, boolean waitForAnswer) throws Exception {
        javax.net.ssl.SSLContext ctx = TlsTrust.untilAttested().sslContext();
        URI url = URI.create(serving.server().url());
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", url.getPort())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            if (!waitForAnswer) return "";
            return new String(socket.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void malformedOversizedAndSlowClientsAreTurnedAwayWithoutHurtingOthers() throws Exception {
        assertThat(rawExchange("THIS IS NOT HTTP\r\n\r\n".getBytes(), true)).startsWith("HTTP/1.1 400");
        byte[] huge = ("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.coffer.sealed\r\n"
                + "Content-Length: " + (8 << 20) + "\r\n\r\n").getBytes();
        assertThat(rawExchange(huge, true)).startsWith("HTTP/1.1 413");
        // a slow client opens connections and sends half a request; meanwhile others are served normally
        List<javax.net.ssl.SSLSocket> slow = new ArrayList<>();
        javax.net.ssl.SSLContext ctx = TlsTrust.untilAttested().sslContext();
        for (int i = 0; i < 8; i++) {
            var s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", URI.create(serving.server().url()).getPort());
            s.getOutputStream().write("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{".getBytes());
            s.getOutputStream().flush();
            slow.add(s);
        }
        try {
            HttpResponse<String> normal = post("/completions", "{\"prompt\":\"Once\",\"max_tokens\":4}");
            assertThat(normal.statusCode()).isEqualTo(200);
        } finally {
            for (var s : slow) s.close();
        }
    }

    @Test
    void theServerItselfTakesOnlySealedBodies() throws Exception {
        try (HttpsClient direct = new HttpsClient(TlsTrust.untilAttested(), Duration.ofSeconds(10))) {
            HttpsClient.Reply r = direct.postJson(URI.create(serving.server().url() + "/v1/completions"),
                    "{\"prompt\":\"my secret prompt\"}");
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("accepts only sealed request bodies");
        }
    }

    @Test
    void aKilledSecureWorldFailsItsRequestsClearlyAndANewOneServesTheNext() throws Exception {
        long pid = serving.enclave().info().pid().orElseThrow();
        int restartsBefore = serving.restarts();
        HttpResponse<Stream<String>> streamed = http.send(HttpRequest.newBuilder(URI.create(base + "/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"prompt\":\"Once\",\"max_tokens\":2000,\"stream\":true}")).build(), HttpResponse.BodyHandlers.ofLines());
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        List<String> data = streamed.body().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(data).as("the client learns the stream failed").isNotEmpty();
        assertThat(data.getLast()).contains("\"error\"").doesNotContain("[DONE]");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (serving.restarts() == restartsBefore && System.nanoTime() < deadline) Thread.sleep(100);
        assertThat(serving.restarts()).isEqualTo(restartsBefore + 1);
        assertThat(serving.enclave().info().pid().orElseThrow()).isNotEqualTo(pid);
        // the proxy's next request finds a new enclave key: it verifies the server again and sends it once more
        HttpResponse<String> after = post("/completions", "{\"prompt\":\"Once\",\"max_tokens\":4}");
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
    }

    @Test
    void twoHundredStreamsOverThirtyTwoConnectionsAllCompleteOrGet429AndNoneIsCorrupted() throws Exception {
        var result = dev.coffer.host.client.StreamingLoad.run(URI.create(base + "/chat/completions"), Map.of(
                "messages", List.of(Map.of("role", "user", "content", "Hello")), "max_tokens", 16, "temperature", 0),
                200, 32);
        assertThat(result.failed()).as("lost or broken").isEmpty();
        assertThat(result.completed().size() + result.refused()).isEqualTo(200);
        assertThat(result.completed()).isNotEmpty();
        // the same greedy request must give the same text every time: nothing mixed up between streams
        assertThat(result.completed().stream().map(dev.coffer.host.client.StreamingLoad.Outcome::text).distinct()).hasSize(1);
    }

    @Test
    void moreRequestsThanBatchAndQueueGet429AndEveryAcceptedOneCompletes() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            all.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/completions")).header("Content-Type",
                    "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Once\",\"max_tokens\":60}"))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        int busy = 0;
        for (var f : all) {
            HttpResponse<String> r = f.get();
            if (r.statusCode() == 200) {
                ok++;
                assertThat(json(r.body()).get("object")).isEqualTo("text_completion");
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                assertThat(r.headers().firstValue("retry-after")).contains("1");
                busy++;
            }
        }
        assertThat(ok + busy).isEqualTo(16);
        assertThat(ok).isGreaterThanOrEqualTo(4);
        assertThat(busy).as("2 running + 2 queued at most").isPositive();
        try (HttpsClient direct = new HttpsClient(TlsTrust.untilAttested(), Duration.ofSeconds(10))) {
            String metrics = direct.get(URI.create(serving.server().url() + "/metrics")).body();
            double rejected = metrics.lines().filter(l -> l.startsWith("coffer_rejected_busy_total ")).mapToDouble(
                    l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
            assertThat(rejected).as("counted (other tests add theirs)").isGreaterThanOrEqualTo(busy);
            assertThat(metrics).contains("coffer_time_to_first_token_seconds_count");
        }
    }
}
