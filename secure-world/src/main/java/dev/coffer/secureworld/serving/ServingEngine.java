package dev.coffer.secureworld.serving;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.attestation.SealedBodies;
import dev.coffer.attestation.SealedBodyException;
import dev.coffer.inference.Generation;
import dev.coffer.inference.Generator;
import dev.coffer.inference.model.Session;
import dev.coffer.inference.sampling.Sampler;
import dev.coffer.inference.sampling.SamplerConfig;
import dev.coffer.inference.tokenizer.Tokenizer;
import dev.coffer.pack.RecipientPrivateKey;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The OpenAI API's data plane inside the secure world: a fixed number of slots, each a session with its own KV
 * cache (made on first use, in secret memory), holding one running request. The host decides which requests to
 * admit and when to step (continuous batching); the secure world opens each sealed request, reads it, formats the
 * chat, generates, and seals each answer message to the client. Plaintext of a request lives only here, for as long
 * as the request runs.
 */
public final class ServingEngine {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Tokenizer tokenizer;
    private final Supplier<Session> newSession;
    private final Function<List<dev.coffer.inference.chat.ChatMessage>, String> chatFormat;
    private final String modelName;
    private final RecipientPrivateKey enclaveKey;
    private final Session[] sessions;
    private final ServedRequest[] running;
    private final int[] ids;
    private int nextId = 1;
    /** Encapsulated keys of requests already opened: a replayed request is refused, not answered again. */
    private final java.util.Set<String> seen = java.util.Collections.newSetFromMap(new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > MAX_REMEMBERED;
        }
    });
    /** How many requests' encapsulated keys are remembered (the replay window of one secure world's key). */
    static final int MAX_REMEMBERED = 100_000;

    /**
     * @param chatFormat renders chat messages into the model's prompt text (the model's chat template)
     * @param modelName  the served model's id; requests may also say {@code default} or leave it out
     */
    public ServingEngine(Tokenizer tokenizer, Supplier<Session> newSession, Function<List<dev.coffer.inference.chat.ChatMessage>, String> chatFormat,
                         String modelName, RecipientPrivateKey enclaveKey, int slots) {
        if (slots < 1 || slots > 256) throw new IllegalArgumentException("slots must be 1..256: " + slots);
        this.tokenizer = tokenizer;
        this.newSession = newSession;
        this.chatFormat = chatFormat;
        this.modelName = modelName;
        this.enclaveKey = enclaveKey;
        this.sessions = new Session[slots];
        this.running = new ServedRequest[slots];
        this.ids = new int[slots];
    }

    /** Opens, reads and starts one request, returning its first messages; or refuses it with an error answer. */
    public ServingCalls.Messages admit(ServingCalls.Admit admit) {
        String path = admit.route().startsWith("POST ") ? admit.route().substring(5) : "";
        OpenAiRequest.Kind kind = OpenAiRequest.Kind.ofPath(path).orElseThrow(() ->
                new IllegalArgumentException("not a generation route: " + admit.route()));
        SealedBodies.ServerExchange exchange = null;
        ServedRequest.Answer answer;
        byte[] body;
        if (admit.sealed()) {
            try {
                exchange = SealedBodies.open(enclaveKey, admit.route(), admit.body());
            } catch (SealedBodyException e) {
                // Nothing was opened, so nothing is secret here: the host may read this refusal.
                return refusal(400, false, plain(), "sealed_body", e.getMessage(), null);
            }
            String enc = HexFormat.of().formatHex(admit.body(), 0, SealedBodies.ENC_BYTES);
            if (!seen.add(enc)) {
                exchange.close();
                return refusal(400, false, plain(), "sealed_body", "this sealed request was seen before: a replay is "
                        + "not answered (seal each request anew)", null);
            }
            body = exchange.body();
            answer = exchange::seal;
        } else {
            body = admit.body();
            answer = plain();
        }
        try {
            return start(kind, admit, answer, body);
        } catch (RuntimeException e) {
            // Any failure after opening is this request's alone: refuse it (sealed) and go on serving the others.
            return refusal(500, admit.sealed(), answer, "server_error", "the secure world could not serve this request ("
                    + e.getClass().getSimpleName() + ")", null);
        } finally {
            if (exchange != null) java.util.Arrays.fill(body, (byte) 0);
        }
    }

    private ServingCalls.Messages start(OpenAiRequest.Kind kind, ServingCalls.Admit admit, ServedRequest.Answer answer,
                                        byte[] body) {
        {
            OpenAiRequest request;
            try {
                request = OpenAiRequest.parse(kind, body);
            } catch (BadRequestException e) {
                return refusal(400, admit.sealed(), answer, "invalid_request_error", e.getMessage(), e.param().orElse(null));
            }
            if (request.model().isPresent() && !request.model().get().equals(modelName)
                    && !request.model().get().equals("default")) {
                return refusal(404, admit.sealed(), answer, "model_not_found", "the model '" + request.model().get() + "' does not exist; "
                        + "this server serves '" + modelName + "' (or say 'default')", "model");
            }
            int slot = freeSlot();
            if (slot < 0) {
                return refusal(429, admit.sealed(), answer, "rate_limit_exceeded", "all " + running.length + " slots are busy: retry", null);
            }
            if (sessions[slot] == null) sessions[slot] = newSession.get();
            Session session = sessions[slot];
            session.reset();
            String prompt = kind == OpenAiRequest.Kind.CHAT ? chatFormat.apply(request.messages()) : request.prompt();
            int[] tokens = tokenizer.encode(prompt, true, kind == OpenAiRequest.Kind.CHAT);
            int room = session.contextLength() - tokens.length;
            if (room < 1) {
                return refusal(400, admit.sealed(), answer, "context_length_exceeded", "the prompt has " + tokens.length
                        + " tokens; this server's context holds " + session.contextLength(), "messages");
            }
            int maxTokens = Math.min(request.maxTokens().orElse(room), room);
            long seed = request.seed().orElseGet(RANDOM::nextLong);
            SamplerConfig sampling = new SamplerConfig(request.temperature(), 0, request.topP(), 0f, 1f, 64, seed);
            Generation generation = new Generator(tokenizer, session, new Sampler(sampling)).start(tokens, maxTokens, false);
            int id = nextId++;
            String responseId = (kind == OpenAiRequest.Kind.CHAT ? "chatcmpl-" : "cmpl-") + HexFormat.of().formatHex(randomBytes());
            ServedRequest served = new ServedRequest(request, generation, tokenizer, answer, admit.sealed(), responseId,
                    modelName, tokens.length);
            running[slot] = served;
            ids[slot] = id;
            List<byte[]> first = served.step();
            if (served.finished()) running[slot] = null;
            return new ServingCalls.Messages(id, 200, request.stream(), admit.sealed(), first, served.finished());
        }
    }

    /**
     * One token for each of {@code requestIds} that is still running; finished requests free their slot. The
     * decodes the step needs run as one batch ({@link Session#decodeBatch}): each weight matrix is read once for all
     * requests, and every request gets the same logits it would get alone.
     */
    public List<ServingCalls.Messages> step(int[] requestIds) {
        Map<Integer, float[]> decoded = new java.util.HashMap<>();
        List<Integer> due = new ArrayList<>();
        for (int id : requestIds) {
            int slot = slotOf(id);
            if (slot >= 0 && running[slot].pendingDecode() >= 0 && !due.contains(slot)) due.add(slot);
        }
        long decodeNanos = 0;
        for (int from = 0; from < due.size(); from += Session.MICRO_BATCH) {
            List<Integer> chunk = due.subList(from, Math.min(due.size(), from + Session.MICRO_BATCH));
            List<Session> batch = chunk.stream().map(slot -> sessions[slot]).toList();
            int[] tokens = chunk.stream().mapToInt(slot -> running[slot].pendingDecode()).toArray();
            long t0 = System.nanoTime();
            List<float[]> logits = Session.decodeBatch(batch, tokens);
            decodeNanos += System.nanoTime() - t0;
            for (int i = 0; i < chunk.size(); i++) decoded.put(chunk.get(i), logits.get(i));
        }
        long share = due.isEmpty() ? 0 : decodeNanos / due.size();
        List<ServingCalls.Messages> out = new ArrayList<>(requestIds.length);
        for (int id : requestIds) {
            int slot = slotOf(id);
            if (slot < 0) {
                out.add(new ServingCalls.Messages(id, 410, false, false, List.of(), true));
                continue;
            }
            ServedRequest r = running[slot];
            float[] logits = decoded.remove(slot);
            List<byte[]> messages = logits != null ? r.step(logits, share) : r.step();
            if (r.finished()) running[slot] = null;
            out.add(new ServingCalls.Messages(id, 200, r.stream(), r.sealed(), messages, r.finished()));
        }
        return out;
    }

    public void cancel(int id) {
        int slot = slotOf(id);
        if (slot >= 0) {
            running[slot].cancel();
            running[slot] = null;
        }
    }

    /**
     * Runs the request path once without a model (seal to itself, open, read, refuse): its classes load while files
     * can still be opened, before the isolated secure world's sandbox closes.
     */
    public static void warmUp(RecipientPrivateKey enclaveKey) {
        ServingEngine idle = new ServingEngine(null, () -> {
            throw new IllegalStateException("no model during warm-up");
        }, messages -> "", "warm-up", enclaveKey, 1);
        String route = "POST " + OpenAiRequest.Kind.CHAT.path;
        SealedBodies.ClientExchange client = SealedBodies.seal(enclaveKey.publicKey(), route,
                "{\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[\"a\"]}"
                        .getBytes(StandardCharsets.UTF_8));
        ServingCalls.Messages refused = idle.admit(new ServingCalls.Admit(route, true, client.request()));
        client.open(refused.messages().getFirst(), refused.status());
        new TextAssembler(List.of("ab")).add("xa".getBytes(StandardCharsets.UTF_8));
    }

    private int freeSlot() {
        for (int i = 0; i < running.length; i++) if (running[i] == null) return i;
        return -1;
    }

    private int slotOf(int id) {
        for (int i = 0; i < running.length; i++) if (running[i] != null && ids[i] == id) return i;
        return -1;
    }

    private static ServedRequest.Answer plain() {
        return (plaintext, last, status) -> plaintext;
    }

    /** An OpenAI-style error object as the (sealed, when the request was) answer. */
    private static ServingCalls.Messages refusal(int status, boolean sealed, ServedRequest.Answer answer, String code,
                                                 String message, String param) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", message);
        e.put("type", status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error");
        e.put("param", param);
        e.put("code", code);
        byte[] json = JSONObjectUtils.toJSONString(Map.of("error", e)).getBytes(StandardCharsets.UTF_8);
        return new ServingCalls.Messages(-1, status, false, sealed, List.of(answer.wrap(json, true, status)), true);
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return b;
    }
}
