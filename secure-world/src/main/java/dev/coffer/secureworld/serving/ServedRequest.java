package dev.coffer.secureworld.serving;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.inference.Generation;
import dev.coffer.inference.sampling.TokenLogprobs;
import dev.coffer.inference.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One request being answered inside the secure world: its generation, the text handed out so far, and the answer's
 * messages in OpenAI's shapes (a {@code chat.completion} / {@code text_completion} body, or the {@code chunk} events
 * of a stream ending in {@code [DONE]}), each passed through the request's {@link Answer} (sealed to the client, or
 * plain in development).
 */
final class ServedRequest {
    /** How answer messages leave: sealed under the request's keys (bound to the HTTP status), or as they are. */
    interface Answer {
        byte[] wrap(byte[] plaintext, boolean last, int status);
    }

    private final OpenAiRequest request;
    private final Generation generation;
    private final Tokenizer tokenizer;
    private final Answer answer;
    private final TextAssembler text;
    private final String id;
    private final String model;
    private final long created;
    private final int promptTokens;
    private final StringBuilder full = new StringBuilder();
    private final List<Map<String, Object>> logprobs = new ArrayList<>();
    private int completionTokens;
    private boolean finished;
    private boolean sentRole;

    private final boolean sealed;

    ServedRequest(OpenAiRequest request, Generation generation, Tokenizer tokenizer, Answer answer, boolean sealed,
                  String id, String model, int promptTokens) {
        this.sealed = sealed;
        this.request = request;
        this.generation = generation;
        this.tokenizer = tokenizer;
        this.answer = answer;
        this.text = new TextAssembler(request.stop());
        this.id = id;
        this.model = model;
        this.created = System.currentTimeMillis() / 1000;
        this.promptTokens = promptTokens;
    }

    boolean finished() {
        return finished;
    }

    boolean sealed() {
        return sealed;
    }

    boolean stream() {
        return request.stream();
    }

    int completionTokens() {
        return completionTokens;
    }

    /** The token to decode before this request's next step (its last one), or -1 when no decode is due. */
    int pendingDecode() {
        return !finished && generation.needsDecode() ? generation.lastToken() : -1;
    }

    /** Generates one token and returns the answer messages it produced (none, one chunk, or the end). */
    List<byte[]> step() {
        if (finished) return List.of();
        return advance(generation.next());
    }

    /** {@link #step()} with {@link #pendingDecode()} already decoded (in a batch with other requests). */
    List<byte[]> step(float[] decodedLogits, long decodeNanos) {
        if (finished) return List.of();
        return advance(generation.next(decodedLogits, decodeNanos));
    }

    private List<byte[]> advance(int token) {
        List<byte[]> out = new ArrayList<>();
        String piece;
        List<Map<String, Object>> stepLogprobs = new ArrayList<>();
        if (token == Generation.END) {
            piece = text.finish();
        } else {
            completionTokens++;
            byte[] bytes = generation.bytesOf(token);
            if (request.logprobs()) stepLogprobs.add(logprobEntry(generation.logprobs(request.topLogprobs()), bytes));
            piece = text.add(bytes);
        }
        boolean done = token == Generation.END || text.stopped();
        if (!piece.isEmpty() || !stepLogprobs.isEmpty()) {
            if (request.stream()) out.add(chunk(piece, stepLogprobs, null));
            full.append(piece);
            logprobs.addAll(stepLogprobs);
        }
        if (done) {
            finished = true;
            String reason = text.stopped() || generation.stats().stoppedAtEos() ? "stop" : "length";
            if (request.stream()) {
                out.add(chunk("", List.of(), reason));
                if (request.includeUsage()) out.add(usageChunk());
                out.add(wrap("[DONE]", true));
            } else {
                out.add(wrap(JSONObjectUtils.toJSONString(body(reason)), true));
            }
        }
        return out;
    }

    /** The client went away or the host cancelled: nothing more is generated. */
    void cancel() {
        finished = true;
    }

    private byte[] chunk(String piece, List<Map<String, Object>> stepLogprobs, String finishReason) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        if (request.kind() == OpenAiRequest.Kind.CHAT) {
            Map<String, Object> delta = new LinkedHashMap<>();
            if (!sentRole) {
                delta.put("role", "assistant");
                sentRole = true;
            }
            if (finishReason == null) delta.put("content", piece);
            choice.put("delta", delta);
        } else {
            choice.put("text", piece);
        }
        choice.put("logprobs", stepLogprobs.isEmpty() ? null : logprobsObject(stepLogprobs));
        choice.put("finish_reason", finishReason);
        Map<String, Object> m = header(request.kind() == OpenAiRequest.Kind.CHAT ? "chat.completion.chunk" : "text_completion");
        m.put("choices", List.of(choice));
        return wrap(JSONObjectUtils.toJSONString(m), false);
    }

    private byte[] usageChunk() {
        Map<String, Object> m = header(request.kind() == OpenAiRequest.Kind.CHAT ? "chat.completion.chunk" : "text_completion");
        m.put("choices", List.of());
        m.put("usage", usage());
        return wrap(JSONObjectUtils.toJSONString(m), false);
    }

    private Map<String, Object> body(String finishReason) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        if (request.kind() == OpenAiRequest.Kind.CHAT) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", "assistant");
            message.put("content", full.toString());
            choice.put("message", message);
        } else {
            choice.put("text", full.toString());
        }
        choice.put("logprobs", request.logprobs() ? logprobsObject(logprobs) : null);
        choice.put("finish_reason", finishReason);
        Map<String, Object> m = header(request.kind() == OpenAiRequest.Kind.CHAT ? "chat.completion" : "text_completion");
        m.put("choices", List.of(choice));
        m.put("usage", usage());
        return m;
    }

    private Map<String, Object> header(String object) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("object", object);
        m.put("created", created);
        m.put("model", model);
        m.put("system_fingerprint", dev.coffer.inference.Engine.NUMERICS);
        return m;
    }

    private Map<String, Object> usage() {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("prompt_tokens", promptTokens);
        u.put("completion_tokens", completionTokens);
        u.put("total_tokens", promptTokens + completionTokens);
        return u;
    }

    /** One position's logprobs in the chat shape: token text, logprob, bytes, and the top alternatives. */
    private Map<String, Object> logprobEntry(TokenLogprobs lp, byte[] bytes) {
        Map<String, Object> e = tokenEntry(bytes, lp.logprob());
        List<Object> top = new ArrayList<>();
        int[] ids = lp.top();
        float[] values = lp.topLogprobs();
        for (int i = 0; i < ids.length; i++) top.add(tokenEntry(tokenizer.tokenBytes(ids[i]), values[i]));
        e.put("top_logprobs", top);
        return e;
    }

    private static Map<String, Object> tokenEntry(byte[] bytes, float logprob) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("token", new String(bytes, StandardCharsets.UTF_8));
        e.put("logprob", (double) logprob);
        List<Integer> b = new ArrayList<>();
        for (byte x : bytes) b.add(x & 0xFF);
        e.put("bytes", b);
        return e;
    }

    /** The chat shape ({@code content: [...]}) or the legacy completions shape ({@code tokens}, {@code token_logprobs}, ...). */
    @SuppressWarnings("unchecked")
    private Object logprobsObject(List<Map<String, Object>> entries) {
        if (request.kind() == OpenAiRequest.Kind.CHAT) return Map.of("content", entries);
        List<Object> tokens = new ArrayList<>();
        List<Object> tokenLogprobs = new ArrayList<>();
        List<Object> top = new ArrayList<>();
        for (Map<String, Object> e : entries) {
            tokens.add(e.get("token"));
            tokenLogprobs.add(e.get("logprob"));
            Map<String, Object> alternatives = new LinkedHashMap<>();
            for (Object t : (List<Object>) e.get("top_logprobs")) {
                Map<String, Object> te = (Map<String, Object>) t;
                alternatives.putIfAbsent((String) te.get("token"), te.get("logprob"));
            }
            top.add(alternatives);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", tokens);
        m.put("token_logprobs", tokenLogprobs);
        m.put("top_logprobs", top);
        return m;
    }

    /**
     * Seals one message, padded with JSON whitespace to a multiple of {@value #PAD} bytes: each streamed event carries
     * about one token, and the host sees every ciphertext's length, which would otherwise spell out the token lengths.
     */
    private byte[] wrap(String json, boolean last) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        if (json.equals("[DONE]")) return answer.wrap(b, last, 200); // fixed length: nothing to hide, and kept exact
        byte[] padded = java.util.Arrays.copyOf(b, (b.length + PAD - 1) / PAD * PAD);
        java.util.Arrays.fill(padded, b.length, padded.length, (byte) ' ');
        return answer.wrap(padded, last, 200);
    }

    static final int PAD = 64;
}
