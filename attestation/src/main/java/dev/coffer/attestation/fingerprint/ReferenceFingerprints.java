package dev.coffer.attestation.fingerprint;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.inference.fingerprint.ProbeTrace;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The model owner's reference fingerprints (HSPI white-box references): which stack computed them, and for each
 * probe the greedy trace with log-probabilities. Stored in the pack's signed manifest as reference data
 * {@value #NAME}, so they reach a client exactly as the owner made them; floats are kept as their IEEE-754 bits,
 * token bytes as hex.
 *
 * @param weights the model's dominant weight type (e.g. Q8_0): what a different quantization would change
 */
public record ReferenceFingerprints(Stack stack, int maxTokens, int top, List<ProbeTrace> probes) {
    public static final String NAME = "coffer-fingerprints-v1";
    /** Reference data holding another stack's fingerprints (the same model re-quantized), to name a mismatch. */
    public static final String ALTERNATIVE_NAME = "coffer-fingerprints-v1-alternative";

    /** The stack the references describe. */
    public record Stack(String engine, String version, String numerics, String weights, String model) {
        public Stack {
            Objects.requireNonNull(engine, "engine");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(numerics, "numerics");
            Objects.requireNonNull(weights, "weights");
            Objects.requireNonNull(model, "model");
        }
    }

    public ReferenceFingerprints {
        Objects.requireNonNull(stack, "stack");
        probes = List.copyOf(probes);
    }

    public byte[] toJson() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("engine", stack.engine());
        s.put("version", stack.version());
        s.put("numerics", stack.numerics());
        s.put("weights", stack.weights());
        s.put("model", stack.model());
        List<Object> probeList = new ArrayList<>();
        HexFormat hex = HexFormat.of();
        for (ProbeTrace t : probes) {
            List<Object> positions = new ArrayList<>();
            for (ProbeTrace.Position p : t.positions()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("token", hex.formatHex(p.token()));
                m.put("logprob_bits", Float.floatToRawIntBits(p.logprob()));
                m.put("top", p.top().stream().map(hex::formatHex).toList());
                List<Object> bits = new ArrayList<>();
                for (float f : p.topLogprobs()) bits.add(Float.floatToRawIntBits(f));
                m.put("top_logprob_bits", bits);
                positions.add(m);
            }
            probeList.add(Map.of("prompt", t.prompt(), "positions", positions));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", NAME);
        m.put("stack", s);
        m.put("max_tokens", maxTokens);
        m.put("top_logprobs", top);
        m.put("probes", probeList);
        return JSONObjectUtils.toJSONString(m).getBytes(StandardCharsets.UTF_8);
    }

    /** @throws IllegalArgumentException when the bytes are not reference fingerprints of this version */
    @SuppressWarnings("unchecked")
    public static ReferenceFingerprints parse(byte[] json) {
        try {
            Map<String, Object> m = JSONObjectUtils.parse(new String(json, StandardCharsets.UTF_8));
            if (!NAME.equals(m.get("format"))) throw new IllegalArgumentException("not " + NAME);
            Map<String, Object> s = (Map<String, Object>) m.get("stack");
            Stack stack = new Stack((String) s.get("engine"), (String) s.get("version"), (String) s.get("numerics"),
                    (String) s.get("weights"), (String) s.get("model"));
            HexFormat hex = HexFormat.of();
            List<ProbeTrace> probes = new ArrayList<>();
            for (Object o : (List<Object>) m.get("probes")) {
                Map<String, Object> pm = (Map<String, Object>) o;
                List<ProbeTrace.Position> positions = new ArrayList<>();
                for (Object po : (List<Object>) pm.get("positions")) {
                    Map<String, Object> p = (Map<String, Object>) po;
                    List<byte[]> top = ((List<Object>) p.get("top")).stream().map(t -> hex.parseHex((String) t)).toList();
                    List<Object> bits = (List<Object>) p.get("top_logprob_bits");
                    float[] lps = new float[bits.size()];
                    for (int i = 0; i < lps.length; i++) lps[i] = Float.intBitsToFloat(((Number) bits.get(i)).intValue());
                    positions.add(new ProbeTrace.Position(hex.parseHex((String) p.get("token")),
                            Float.intBitsToFloat(((Number) p.get("logprob_bits")).intValue()), top, lps));
                }
                probes.add(new ProbeTrace((String) pm.get("prompt"), positions));
            }
            return new ReferenceFingerprints(stack, ((Number) m.get("max_tokens")).intValue(),
                    ((Number) m.get("top_logprobs")).intValue(), probes);
        } catch (java.text.ParseException | RuntimeException e) {
            throw new IllegalArgumentException("malformed reference fingerprints: " + e.getMessage(), e);
        }
    }
}
