package dev.coffer.attestation.fingerprint;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.inference.fingerprint.ProbeTrace;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A server's answers to the probes against the owner's references (HSPI white-box): how many positions match bit
 * for bit (same token, same log-probability bits, same alternatives), how often the greedy token agrees, and the
 * largest log-probability difference. Coffer's kernels are deterministic, so the claimed stack matches exactly; any
 * other quantization, kernel set or engine shows up as differences.
 */
public record FingerprintComparison(int positions, int exact, int sameToken, double maxLogprobDifference) {
    /** True when every position matched bit for bit (and there was at least one). */
    public boolean exactMatch() {
        return positions > 0 && exact == positions;
    }

    public static FingerprintComparison compare(List<ProbeTrace> references, List<ProbeTrace> observed) {
        if (references.size() != observed.size()) throw new IllegalArgumentException("probe counts differ");
        int positions = 0;
        int exact = 0;
        int same = 0;
        double max = 0;
        for (int i = 0; i < references.size(); i++) {
            List<ProbeTrace.Position> r = references.get(i).positions();
            List<ProbeTrace.Position> o = observed.get(i).positions();
            int n = Math.max(r.size(), o.size());
            for (int j = 0; j < n; j++) {
                positions++;
                if (j >= r.size() || j >= o.size()) continue; // one ended early: a mismatch
                ProbeTrace.Position a = r.get(j);
                ProbeTrace.Position b = o.get(j);
                boolean token = Arrays.equals(a.token(), b.token());
                if (token) same++;
                max = Math.max(max, Math.abs((double) a.logprob() - b.logprob()));
                if (token && Float.floatToRawIntBits(a.logprob()) == Float.floatToRawIntBits(b.logprob())
                        && sameAlternatives(a, b)) {
                    exact++;
                }
            }
        }
        return new FingerprintComparison(positions, exact, same, max);
    }

    private static boolean sameAlternatives(ProbeTrace.Position a, ProbeTrace.Position b) {
        if (a.top().size() != b.top().size()) return false;
        for (int k = 0; k < a.top().size(); k++) {
            if (!Arrays.equals(a.top().get(k), b.top().get(k))) return false;
            if (Float.floatToRawIntBits(a.topLogprobs()[k]) != Float.floatToRawIntBits(b.topLogprobs()[k])) return false;
        }
        return true;
    }

    /** The chat request a client sends for one probe (greedy, with logprobs), as the references were made. */
    public static String probeRequest(String prompt, int maxTokens, int top) {
        return JSONObjectUtils.toJSONString(Map.of("messages", List.of(Map.of("role", "user", "content", prompt)),
                "max_tokens", maxTokens, "temperature", 0, "logprobs", true, "top_logprobs", top));
    }

    /** Reads a {@code chat.completion} answer's {@code logprobs.content} as a trace (bytes and float values). */
    @SuppressWarnings("unchecked")
    public static ProbeTrace traceOf(String prompt, String chatCompletionJson) {
        try {
            Map<String, Object> r = JSONObjectUtils.parse(chatCompletionJson);
            Map<String, Object> choice = (Map<String, Object>) ((List<Object>) r.get("choices")).getFirst();
            Map<String, Object> logprobs = (Map<String, Object>) choice.get("logprobs");
            List<ProbeTrace.Position> positions = new ArrayList<>();
            if (logprobs != null) {
                for (Object o : (List<Object>) logprobs.get("content")) {
                    Map<String, Object> e = (Map<String, Object>) o;
                    List<byte[]> top = new ArrayList<>();
                    List<Object> tops = (List<Object>) e.get("top_logprobs");
                    float[] values = new float[tops.size()];
                    for (int k = 0; k < tops.size(); k++) {
                        Map<String, Object> t = (Map<String, Object>) tops.get(k);
                        top.add(bytes(t));
                        values[k] = ((Number) t.get("logprob")).floatValue();
                    }
                    positions.add(new ProbeTrace.Position(bytes(e), ((Number) e.get("logprob")).floatValue(), top, values));
                }
            }
            return new ProbeTrace(prompt, positions);
        } catch (java.text.ParseException | RuntimeException e) {
            throw new IllegalArgumentException("not a chat completion with logprobs: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static byte[] bytes(Map<String, Object> entry) {
        Object b = entry.get("bytes");
        if (b instanceof List<?> list) {
            byte[] out = new byte[list.size()];
            for (int i = 0; i < out.length; i++) out[i] = (byte) ((Number) list.get(i)).intValue();
            return out;
        }
        return ((String) entry.get("token")).getBytes(StandardCharsets.UTF_8);
    }
}
