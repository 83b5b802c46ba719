package dev.coffer.secureworld;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.attestation.EnclaveAttester;
import dev.coffer.attestation.EvidenceClaims;
import dev.coffer.attestation.Nonce;
import dev.coffer.attestation.SealedBodies;
import dev.coffer.inference.testing.SharedAssets;
import dev.coffer.pack.RecipientPublicKey;
import dev.coffer.secureworld.serving.ServingCalls;
import dev.coffer.tee.Backend;
import dev.coffer.tee.Enclave;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAI data plane in the secure world (sim backend): sealed requests in, sealed answers out, batched steps. */
class ServingTest {
    private static final String CHAT = "POST /v1/chat/completions";
    private static final String COMPLETION = "POST /v1/completions";

    @TempDir
    Path temp;

    private Enclave servingEnclave(int slots) throws Exception {
        Enclave enclave = Enclave.create(EnclaveImage.inProcess(InferenceApplication.class.getName()),
                EnclaveSettings.defaults(Backend.SIM, temp).withSecureMemory(64L << 20).withThreads(2));
        InferenceApplicationTest.load(enclave, Files.readAllBytes(SharedAssets.require("models/stories260K.gguf")));
        enclave.call(InferenceCalls.LOAD_END, 256);
        enclave.call(ServingCalls.SERVE_CONFIGURE, slots);
        return enclave;
    }

    private static RecipientPublicKey enclaveKey(Enclave enclave) {
        return EvidenceClaims.parse(new EnclaveAttester(enclave).attest(Nonce.random(), new byte[0]).claims())
                .enclaveKey().orElseThrow();
    }

    private static Map<String, Object> json(byte[] b) throws Exception {
        return JSONObjectUtils.parse(new String(b, StandardCharsets.UTF_8));
    }

    /** Drives one request to its end through admit and steps, returning the opened answer messages. */
    private static List<String> run(Enclave enclave, SealedBodies.ClientExchange client, String route) {
        ServingCalls.Messages m = enclave.call(ServingCalls.SERVE_ADMIT, new ServingCalls.Admit(route, true, client.request()));
        List<String> opened = new ArrayList<>();
        for (byte[] b : m.messages()) opened.add(new String(client.open(b, m.status()), StandardCharsets.UTF_8));
        while (!m.finished()) {
            m = enclave.call(ServingCalls.SERVE_STEP, new int[] {m.id()}).getFirst();
            for (byte[] b : m.messages()) opened.add(new String(client.open(b, m.status()), StandardCharsets.UTF_8));
        }
        assertThat(client.complete()).isTrue();
        return opened;
    }

    @Test
    void aSealedCompletionGivesThePlaintextEnginesTextAndUsage() throws Exception {
        String expected = InferenceApplicationTest.plaintext(SharedAssets.require("models/stories260K.gguf"),
                "Once upon a time", 30);
        try (Enclave enclave = servingEnclave(2)) {
            byte[] body = "{\"model\":\"default\",\"prompt\":\"Once upon a time\",\"max_tokens\":30,\"temperature\":0,\"logprobs\":2}"
                    .getBytes(StandardCharsets.UTF_8);
            SealedBodies.ClientExchange client = SealedBodies.seal(enclaveKey(enclave), COMPLETION, body);
            List<String> answer = run(enclave, client, COMPLETION);
            assertThat(answer).hasSize(1);
            Map<String, Object> r = json(answer.getFirst().getBytes(StandardCharsets.UTF_8));
            assertThat(r.get("object")).isEqualTo("text_completion");
            Map<?, ?> choice = (Map<?, ?>) ((List<?>) r.get("choices")).getFirst();
            assertThat(choice.get("text")).isEqualTo(expected);
            assertThat(choice.get("finish_reason")).isEqualTo("length");
            assertThat(((Map<?, ?>) r.get("usage")).get("completion_tokens")).isEqualTo(30L);
            Map<?, ?> logprobs = (Map<?, ?>) choice.get("logprobs");
            assertThat((List<?>) logprobs.get("tokens")).hasSize(30);
            // greedy: each chosen token is the most likely one
            List<?> top = (List<?>) logprobs.get("top_logprobs");
            List<?> chosen = (List<?>) logprobs.get("token_logprobs");
            assertThat(((Map<?, ?>) top.getFirst()).values().iterator().next()).isEqualTo(chosen.getFirst());
        }
    }

    @Test
    void aStreamedChatEndsInDoneAndBatchedStepsCostOneCrossingForAll() throws Exception {
        try (Enclave enclave = servingEnclave(3)) {
            RecipientPublicKey key = enclaveKey(enclave);
            List<SealedBodies.ClientExchange> clients = new ArrayList<>();
            List<ServingCalls.Messages> admitted = new ArrayList<>();
            List<List<String>> events = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                byte[] body = ("{\"messages\":[{\"role\":\"user\",\"content\":\"Tell a story " + i + "\"}],"
                        + "\"stream\":true,\"max_tokens\":12,\"seed\":" + i + "}").getBytes(StandardCharsets.UTF_8);
                SealedBodies.ClientExchange c = SealedBodies.seal(key, CHAT, body);
                clients.add(c);
                ServingCalls.Messages m = enclave.call(ServingCalls.SERVE_ADMIT, new ServingCalls.Admit(CHAT, true, c.request()));
                assertThat(m.status()).isEqualTo(200);
                assertThat(m.stream()).isTrue();
                admitted.add(m);
                List<String> e = new ArrayList<>();
                for (byte[] b : m.messages()) e.add(new String(c.open(b, 200), StandardCharsets.UTF_8));
                events.add(e);
            }
            // all slots busy: the next request is refused with 429, sealed to its client
            SealedBodies.ClientExchange fourth = SealedBodies.seal(key, CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"
                    .getBytes(StandardCharsets.UTF_8));
            ServingCalls.Messages busy = enclave.call(ServingCalls.SERVE_ADMIT, new ServingCalls.Admit(CHAT, true, fourth.request()));
            assertThat(busy.status()).isEqualTo(429);
            assertThat(new String(fourth.open(busy.messages().getFirst(), 429), StandardCharsets.UTF_8)).contains("rate_limit_exceeded");

            int[] ids = admitted.stream().mapToInt(ServingCalls.Messages::id).toArray();
            long before = enclave.stats().ecalls();
            int steps = 0;
            boolean anyRunning = true;
            while (anyRunning) {
                List<ServingCalls.Messages> progress = enclave.call(ServingCalls.SERVE_STEP, ids);
                steps++;
                anyRunning = false;
                for (int i = 0; i < 3; i++) {
                    for (byte[] b : progress.get(i).messages()) {
                        if (!clients.get(i).complete()) events.get(i).add(new String(clients.get(i).open(b, 200), StandardCharsets.UTF_8));
                    }
                    anyRunning |= !progress.get(i).finished();
                }
            }
            assertThat(enclave.stats().ecalls() - before).as("one crossing per step for the whole batch").isEqualTo(steps);
            for (int i = 0; i < 3; i++) {
                List<String> e = events.get(i);
                assertThat(e.getLast()).isEqualTo("[DONE]");
                assertThat(clients.get(i).complete()).isTrue();
                Map<String, Object> first = json(e.getFirst().getBytes(StandardCharsets.UTF_8));
                assertThat(first.get("object")).isEqualTo("chat.completion.chunk");
                Map<?, ?> delta = (Map<?, ?>) ((Map<?, ?>) ((List<?>) first.get("choices")).getFirst()).get("delta");
                assertThat(delta.get("role")).isEqualTo("assistant");
                Map<String, Object> last = json(e.get(e.size() - 2).getBytes(StandardCharsets.UTF_8));
                assertThat(((Map<?, ?>) ((List<?>) last.get("choices")).getFirst()).get("finish_reason")).isIn("stop", "length");
            }
        }
    }

    @Test
    void mistakesAreRefusedWithOpenAiErrorsAndPlaintextPassesOnlyWhenTheHostSaysSo() throws Exception {
        try (Enclave enclave = servingEnclave(1)) {
            RecipientPublicKey key = enclaveKey(enclave);
            for (String[] bad : new String[][] {
                    {"{\"messages\": 3}", "messages"},
                    {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}", "temperature"},
                    {"not json", "not a JSON object"},
                    {"{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "role 'tool'"},
                    {"{\"model\":\"gpt-4\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "model_not_found"}}) {
                SealedBodies.ClientExchange c = SealedBodies.seal(key, CHAT, bad[0].getBytes(StandardCharsets.UTF_8));
                ServingCalls.Messages m = enclave.call(ServingCalls.SERVE_ADMIT, new ServingCalls.Admit(CHAT, true, c.request()));
                assertThat(m.status()).as(bad[0]).isIn(400, 404);
                assertThat(new String(c.open(m.messages().getFirst(), m.status()), StandardCharsets.UTF_8)).contains(bad[1]).contains("\"error\"");
            }
            // a replayed sealed request is refused, not answered twice
            SealedBodies.ClientExchange once = SealedBodies.seal(key, COMPLETION, "{\"prompt\":\"x\",\"max_tokens\":1}"
                    .getBytes(StandardCharsets.UTF_8));
            ServingCalls.Messages first = enclave.call(ServingCalls.SERVE_ADMIT, new ServingCalls.Admit(COMPLETION, true, once.request()));
            while (!first.finished()) first = enclave.call(ServingCalls.SERVE_STEP, new int[] {first.id()}).getFirst();
            ServingCalls.Messages replay = enclave.call(ServingCalls.SERVE_ADMIT, new ServingCalls.Admit(COMPLETION, true, once.request()));
            assertThat(replay.status()).isEqualTo(400);
            assertThat(new String(replay.messages().getFirst(), StandardCharsets.UTF_8)).contains("seen before");
            // a low-order encapsulated key is refused like any unreadable body, and serving goes on
            ServingCalls.Messages low = enclave.call(ServingCalls.SERVE_ADMIT, new ServingCalls.Admit(COMPLETION, true, new byte[48]));
            assertThat(low.status()).isEqualTo(400);
            // a body sealed for another route does not open; the refusal carries nothing secret
            SealedBodies.ClientExchange wrongRoute = SealedBodies.seal(key, COMPLETION, "{\"prompt\":\"x\"}".getBytes(StandardCharsets.UTF_8));
            ServingCalls.Messages m = enclave.call(ServingCalls.SERVE_ADMIT, new ServingCalls.Admit(CHAT, true, wrongRoute.request()));
            assertThat(m.status()).isEqualTo(400);
            assertThat(new String(m.messages().getFirst(), StandardCharsets.UTF_8)).contains("sealed_body");
            // plaintext in, plaintext out (development)
            ServingCalls.Messages plain = enclave.call(ServingCalls.SERVE_ADMIT, new ServingCalls.Admit(COMPLETION, false,
                    "{\"prompt\":\"Once upon a time\",\"max_tokens\":3,\"temperature\":0}".getBytes(StandardCharsets.UTF_8)));
            while (!plain.finished()) plain = enclave.call(ServingCalls.SERVE_STEP, new int[] {plain.id()}).getFirst();
            assertThat(new String(plain.messages().getLast(), StandardCharsets.UTF_8)).contains("\"text_completion\"");
            // cancelling frees the only slot
            ServingCalls.Messages running = enclave.call(ServingCalls.SERVE_ADMIT, new ServingCalls.Admit(COMPLETION, false,
                    "{\"prompt\":\"Once\",\"max_tokens\":50}".getBytes(StandardCharsets.UTF_8)));
            assertThat(running.finished()).isFalse();
            enclave.call(ServingCalls.SERVE_CANCEL, running.id());
            assertThat(enclave.call(ServingCalls.SERVE_STEP, new int[] {running.id()}).getFirst().status()).isEqualTo(410);
            ServingCalls.Messages next = enclave.call(ServingCalls.SERVE_ADMIT, new ServingCalls.Admit(COMPLETION, false,
                    "{\"prompt\":\"Once\",\"max_tokens\":1}".getBytes(StandardCharsets.UTF_8)));
            assertThat(next.status()).isEqualTo(200);
        }
    }
}
