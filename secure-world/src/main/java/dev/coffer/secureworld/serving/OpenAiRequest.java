package dev.coffer.secureworld.serving;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.inference.chat.ChatMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An OpenAI-compatible request, read inside the secure world (the host never sees it): {@code POST
 * /v1/chat/completions} with {@code messages}, or {@code POST /v1/completions} with {@code prompt}. Parameters Coffer
 * honours: {@code model}, {@code max_tokens} / {@code max_completion_tokens}, {@code stream},
 * {@code stream_options.include_usage}, {@code temperature}, {@code top_p}, {@code seed}, {@code stop},
 * {@code logprobs}/{@code top_logprobs}, {@code n} (1 only). Others are ignored, as OpenAI's own server ignores
 * what a model does not use; a known parameter of the wrong type or range is a 400 naming it.
 */
public record OpenAiRequest(Kind kind, Optional<String> model, List<ChatMessage> messages, String prompt,
                            Optional<Integer> maxTokens, boolean stream, boolean includeUsage, float temperature,
                            float topP, Optional<Long> seed, List<String> stop, int topLogprobs, boolean logprobs) {
    public enum Kind {
        CHAT("/v1/chat/completions"), COMPLETION("/v1/completions");

        public final String path;

        Kind(String path) {
            this.path = path;
        }

        public static Optional<Kind> ofPath(String path) {
            for (Kind k : values()) if (k.path.equals(path)) return Optional.of(k);
            return Optional.empty();
        }
    }

    public static OpenAiRequest parse(Kind kind, byte[] body) {
        Map<String, Object> m;
        try {
            m = JSONObjectUtils.parse(new String(body, StandardCharsets.UTF_8));
        } catch (java.text.ParseException | RuntimeException e) {
            throw new BadRequestException("the body is not a JSON object: " + e.getMessage());
        }
        Optional<String> model = optionalString(m, "model");
        if (m.containsKey("n") && !(m.get("n") instanceof Number n && n.doubleValue() == 1)) {
            throw new BadRequestException("only n = 1 is supported", "n");
        }
        Optional<Integer> maxTokens = optionalInt(m, "max_completion_tokens", 0, 1 << 20)
                .or(() -> optionalInt(m, "max_tokens", 0, 1 << 20));
        boolean stream = optionalBool(m, "stream").orElse(false);
        boolean includeUsage = false;
        if (m.get("stream_options") instanceof Map<?, ?> so && so.get("include_usage") instanceof Boolean b) includeUsage = b;
        float temperature = optionalNumber(m, "temperature", 0, 2).orElse(1.0f);
        float topP = optionalNumber(m, "top_p", 0, 1).orElse(1.0f);
        if (topP <= 0) throw new BadRequestException("top_p must be > 0", "top_p");
        Optional<Long> seed = m.containsKey("seed") && m.get("seed") != null ? Optional.of(integer(m, "seed")) : Optional.empty();
        List<String> stop = stops(m.get("stop"));
        int top;
        boolean logprobs;
        List<ChatMessage> messages = List.of();
        String prompt = "";
        if (kind == Kind.CHAT) {
            messages = messages(m.get("messages"));
            logprobs = optionalBool(m, "logprobs").orElse(false);
            top = optionalInt(m, "top_logprobs", 0, 20).orElse(0);
            if (top > 0 && !logprobs) throw new BadRequestException("top_logprobs needs logprobs: true", "top_logprobs");
        } else {
            prompt = prompt(m.get("prompt"));
            // the legacy completions API: logprobs is the number of top tokens (0..5)
            Optional<Integer> lp = optionalInt(m, "logprobs", 0, 5);
            logprobs = lp.isPresent();
            top = lp.orElse(0);
            if (optionalBool(m, "echo").orElse(false)) throw new BadRequestException("echo is not supported", "echo");
        }
        return new OpenAiRequest(kind, model, messages, prompt, maxTokens, stream, includeUsage, temperature, topP,
                seed, stop, top, logprobs);
    }

    /** Chat messages; {@code developer} is read as {@code system}. */
    private static List<ChatMessage> messages(Object v) {
        if (!(v instanceof List<?> list) || list.isEmpty()) {
            throw new BadRequestException("messages must be a non-empty list", "messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> msg) || !(msg.get("role") instanceof String role)) {
                throw new BadRequestException("each message is an object with a role", "messages");
            }
            String r = role.equals("developer") ? "system" : role;
            if (!List.of("system", "user", "assistant").contains(r)) {
                throw new BadRequestException("message role '" + role + "' is not supported (system, user, assistant)", "messages");
            }
            out.add(ChatMessage.of(r, content(msg.get("content"))));
        }
        return List.copyOf(out);
    }

    /** A string, or a list of content parts of which only text parts are supported. */
    private static String content(Object c) {
        if (c instanceof String s) return s;
        if (c instanceof List<?> parts) {
            StringBuilder sb = new StringBuilder();
            for (Object p : parts) {
                if (!(p instanceof Map<?, ?> part) || !"text".equals(part.get("type")) || !(part.get("text") instanceof String t)) {
                    throw new BadRequestException("only text content parts are supported", "messages");
                }
                sb.append(t);
            }
            return sb.toString();
        }
        throw new BadRequestException("message content must be a string or a list of text parts", "messages");
    }

    private static String prompt(Object p) {
        if (p instanceof String s) return s;
        if (p instanceof List<?> l && l.size() == 1 && l.getFirst() instanceof String s) return s;
        throw new BadRequestException("prompt must be a string (lists of several prompts are not supported)", "prompt");
    }

    private static List<String> stops(Object v) {
        if (v == null) return List.of();
        List<String> out = new ArrayList<>();
        if (v instanceof String s) out.add(s);
        else if (v instanceof List<?> l) {
            for (Object o : l) {
                if (!(o instanceof String s)) throw new BadRequestException("stop must be a string or a list of strings", "stop");
                out.add(s);
            }
        } else {
            throw new BadRequestException("stop must be a string or a list of strings", "stop");
        }
        if (out.size() > 4 || out.stream().anyMatch(String::isEmpty)) {
            throw new BadRequestException("stop takes up to 4 non-empty sequences", "stop");
        }
        return List.copyOf(out);
    }

    private static Optional<String> optionalString(Map<String, Object> m, String name) {
        Object v = m.get(name);
        if (v == null) return Optional.empty();
        if (v instanceof String s) return Optional.of(s);
        throw new BadRequestException(name + " must be a string", name);
    }

    private static Optional<Boolean> optionalBool(Map<String, Object> m, String name) {
        Object v = m.get(name);
        if (v == null) return Optional.empty();
        if (v instanceof Boolean b) return Optional.of(b);
        throw new BadRequestException(name + " must be true or false", name);
    }

    private static Optional<Float> optionalNumber(Map<String, Object> m, String name, double min, double max) {
        Object v = m.get(name);
        if (v == null) return Optional.empty();
        if (v instanceof Number n && n.doubleValue() >= min && n.doubleValue() <= max) return Optional.of(n.floatValue());
        throw new BadRequestException(name + " must be a number from " + min + " to " + max, name);
    }

    private static Optional<Integer> optionalInt(Map<String, Object> m, String name, int min, int max) {
        if (m.get(name) == null) return Optional.empty();
        long v = integer(m, name);
        if (v < min || v > max) throw new BadRequestException(name + " must be from " + min + " to " + max, name);
        return Optional.of((int) v);
    }

    private static long integer(Map<String, Object> m, String name) {
        if (m.get(name) instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 9e15) {
            return n.longValue();
        }
        throw new BadRequestException(name + " must be an integer", name);
    }
}
