package dev.coffer.attestation.fingerprint;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.inference.fingerprint.ProbeTrace;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * HSPI's border inputs, for black-box checks: prompts whose greedy answer (text only) differs between stacks, found
 * by a seeded, reproducible search over short prompts made of common words, with each stack's expected answer.
 * A client that sees only sampled text sends them with {@code temperature: 0} and counts which stack's answers it
 * got. Stored in the signed manifest as reference data {@value #NAME}.
 */
public record BorderInputs(long seed, int maxTokens, List<String> prompts, Map<String, List<String>> answersByStack) {
    public static final String NAME = "coffer-border-inputs-v1";
    private static final List<String> WORDS = List.of("Once", "upon", "a", "time", "the", "little", "girl", "boy", "dog",
            "cat", "park", "happy", "sad", "sun", "tree", "ball", "mom", "said", "was", "big", "small", "red", "play",
            "went", "to", "and", "with", "friend", "Lily", "Tom", "saw", "bird", "fly", "ran", "home", "one", "day");

    public BorderInputs {
        prompts = List.copyOf(prompts);
        Map<String, List<String>> copy = new LinkedHashMap<>();
        answersByStack.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        answersByStack = java.util.Collections.unmodifiableMap(copy);
        for (List<String> a : answersByStack.values()) {
            if (a.size() != prompts.size()) throw new IllegalArgumentException("one expected answer per border input");
        }
    }

    /** Seeded short prompts of common words: the pool the search draws from (the same seed gives the same pool). */
    public static List<String> candidates(long seed, int n) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = 2 + r.nextInt(5);
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < len; w++) sb.append(w == 0 ? "" : " ").append(WORDS.get(r.nextInt(WORDS.size())));
            out.add(sb.toString());
        }
        return out;
    }

    /**
     * Runs every candidate on every stack (greedy, as a one-message chat) and keeps up to {@code keep} prompts whose
     * answers differ between stacks and are whole UTF-8 text in every stack (so that text-only answers compare
     * exactly).
     *
     * @param stacks the stack's name (e.g. its weight type) and the model file that is that stack
     */
    public static BorderInputs search(Map<String, Path> stacks, long seed, int candidates, int keep, int maxTokens,
                                      int threads) throws IOException {
        List<String> pool = candidates(seed, candidates);
        Map<String, List<String>> answers = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : stacks.entrySet()) answers.put(e.getKey(), answers(e.getValue(), pool, maxTokens, threads));
        List<String> kept = new ArrayList<>();
        Map<String, List<String>> keptAnswers = new LinkedHashMap<>();
        stacks.keySet().forEach(k -> keptAnswers.put(k, new ArrayList<>()));
        for (int i = 0; i < pool.size() && kept.size() < keep; i++) {
            int at = i;
            boolean whole = answers.values().stream().allMatch(a -> a.get(at) != null);
            long distinct = answers.values().stream().map(a -> a.get(at)).distinct().count();
            if (!whole || distinct < 2) continue;
            kept.add(pool.get(i));
            answers.forEach((k, a) -> keptAnswers.get(k).add(a.get(at)));
        }
        return new BorderInputs(seed, maxTokens, kept, keptAnswers);
    }

    /** Greedy answers as text; null where an answer is not whole UTF-8 (such prompts are not used). */
    private static List<String> answers(Path gguf, List<String> prompts, int maxTokens, int threads) throws IOException {
        return ReferenceRecorder.withFingerprinter(gguf, threads, (file, f) -> {
            List<String> out = new ArrayList<>();
            for (String p : prompts) {
                ProbeTrace t = f.trace(p, maxTokens, 0);
                java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                for (ProbeTrace.Position pos : t.positions()) bytes.writeBytes(pos.token());
                out.add(strictUtf8(bytes.toByteArray()));
            }
            return out;
        });
    }

    private static String strictUtf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Which stack's answers a server's answers agree with most, and in how many of the border inputs. */
    public record Verdict(String stack, int agreeing, int total) {
        public double confidence() {
            return total == 0 ? 0 : agreeing / (double) total;
        }
    }

    public Verdict classify(List<String> observed) {
        Objects.requireNonNull(observed, "observed");
        if (observed.size() != prompts.size()) throw new IllegalArgumentException("one answer per border input");
        String best = null;
        int bestAgree = -1;
        for (Map.Entry<String, List<String>> e : answersByStack.entrySet()) {
            int agree = 0;
            for (int i = 0; i < observed.size(); i++) if (e.getValue().get(i).equals(observed.get(i))) agree++;
            if (agree > bestAgree) {
                bestAgree = agree;
                best = e.getKey();
            }
        }
        return new Verdict(best, Math.max(0, bestAgree), observed.size());
    }

    public byte[] toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", NAME);
        m.put("seed", seed);
        m.put("max_tokens", maxTokens);
        m.put("prompts", prompts);
        m.put("answers", answersByStack);
        return JSONObjectUtils.toJSONString(m).getBytes(StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    public static BorderInputs parse(byte[] json) {
        try {
            Map<String, Object> m = JSONObjectUtils.parse(new String(json, StandardCharsets.UTF_8));
            if (!NAME.equals(m.get("format"))) throw new IllegalArgumentException("not " + NAME);
            Map<String, List<String>> answers = new LinkedHashMap<>();
            ((Map<String, Object>) m.get("answers")).forEach((k, v) -> answers.put(k, ((List<Object>) v).stream()
                    .map(String.class::cast).toList()));
            return new BorderInputs(((Number) m.get("seed")).longValue(), ((Number) m.get("max_tokens")).intValue(),
                    ((List<Object>) m.get("prompts")).stream().map(String.class::cast).toList(), answers);
        } catch (java.text.ParseException | RuntimeException e) {
            throw new IllegalArgumentException("malformed border inputs: " + e.getMessage(), e);
        }
    }
}
