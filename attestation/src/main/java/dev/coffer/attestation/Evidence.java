package dev.coffer.attestation;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Evidence as it travels (RATS: from attester to verifier): the claims exactly as the secure world serialized and
 * hashed them, and the platform evidence that signs that hash. As JSON (docs/attestation.md):
 * <pre>{"format": "coffer-evidence-v1", "claims": base64url(claims JSON), "platform": {...}}</pre>
 * Nothing here is trusted until {@link Verifier} has checked it.
 */
public record Evidence(byte[] claims, PlatformEvidence platform) {
    public static final String FORMAT = "coffer-evidence-v1";
    /** Larger documents are refused before parsing (a TDX quote with certificates is ~5 KiB). */
    public static final int MAX_JSON_BYTES = 64 * 1024;

    public Evidence {
        claims = claims.clone();
        Objects.requireNonNull(platform, "platform");
    }

    @Override
    public byte[] claims() {
        return claims.clone();
    }

    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("claims", Base64.getUrlEncoder().withoutPadding().encodeToString(claims));
        m.put("platform", platform.toJson());
        return JSONObjectUtils.toJSONString(m);
    }

    /** @throws MalformedEvidenceException when {@code json} is not evidence this version reads */
    public static Evidence parse(String json) {
        if (json.length() > MAX_JSON_BYTES) {
            throw new MalformedEvidenceException("malformed evidence: " + json.length() + " characters (limit " + MAX_JSON_BYTES + ")");
        }
        try {
            JsonFields e = JsonFields.parse("the evidence", json).onlyKnown(Set.of("format", "claims", "platform"));
            String format = e.string("format");
            if (!FORMAT.equals(format)) {
                throw new IllegalArgumentException("format is '" + Nonce.abbreviate(format) + "', this verifier reads " + FORMAT);
            }
            return new Evidence(e.base64Url("claims"), PlatformEvidence.parse(e.object("platform")));
        } catch (RuntimeException ex) {
            throw new MalformedEvidenceException("malformed evidence: " + ex.getMessage());
        }
    }

    public static Evidence parse(byte[] json) {
        return parse(new String(json, StandardCharsets.UTF_8));
    }
}
