package dev.coffer.attestation;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.attestation.KeyBroker.Challenge;
import dev.coffer.attestation.KeyBroker.Release;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The key broker's messages as JSON (docs/attestation.md, "Key broker"), so that transports only move strings:
 * <pre>
 * POST /v1/key/request  {"pack_header": b64url}                 → {"session": s, "nonce": b64url}
 * POST /v1/key/release  {"session": s, "evidence": {evidence}}   → {"pack_digest": hex, "released_key": b64url}
 * errors: the HTTP status, and                                   → {"error": {"message": text, ...}}
 * </pre>
 */
public final class KeyBrokerMessages {
    public static final String REQUEST_PATH = "/v1/key/request";
    public static final String RELEASE_PATH = "/v1/key/release";
    /** A pack header with a large chunk table is a few hundred KiB at most. */
    public static final int MAX_MESSAGE_BYTES = 4 << 20;

    private KeyBrokerMessages() {
    }

    /** A release request as the broker reads it. */
    public record ReleaseRequest(String session, Evidence evidence) {
    }

    public static String request(byte[] packHeader) {
        return JSONObjectUtils.toJSONString(Map.of("pack_header", b64(packHeader)));
    }

    public static byte[] parseRequest(String json) {
        return read(() -> JsonFields.parse("the key request", json).onlyKnown(Set.of("pack_header")).base64Url("pack_header"));
    }

    public static String challenge(Challenge c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("session", c.session());
        m.put("nonce", c.nonce().base64Url());
        return JSONObjectUtils.toJSONString(m);
    }

    public static Challenge parseChallenge(String json) {
        return read(() -> {
            JsonFields f = JsonFields.parse("the broker's challenge", json).onlyKnown(Set.of("session", "nonce"));
            return new Challenge(f.string("session"), Nonce.parse(f.string("nonce")));
        });
    }

    public static String releaseRequest(String session, Evidence evidence) {
        try {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("session", session);
            m.put("evidence", JSONObjectUtils.parse(evidence.toJson()));
            return JSONObjectUtils.toJSONString(m);
        } catch (java.text.ParseException e) {
            throw new IllegalStateException("evidence did not serialize to JSON", e);
        }
    }

    public static ReleaseRequest parseReleaseRequest(String json) {
        return read(() -> {
            JsonFields f = JsonFields.parse("the release request", json).onlyKnown(Set.of("session", "evidence"));
            return new ReleaseRequest(f.string("session"), Evidence.parse(f.object("evidence").toJson()));
        });
    }

    public static String release(Release r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pack_digest", r.packDigest());
        m.put("released_key", b64(r.sealedKey()));
        return JSONObjectUtils.toJSONString(m);
    }

    public static Release parseRelease(String json) {
        return read(() -> {
            JsonFields f = JsonFields.parse("the broker's release", json).onlyKnown(Set.of("pack_digest", "released_key"));
            return new Release(f.base64Url("released_key"), f.string("pack_digest"));
        });
    }

    /** The message of an error answer, or the body itself (abbreviated) when it is not one. */
    public static String errorMessage(String json) {
        try {
            return JsonFields.parse("the error", json).object("error").string("message");
        } catch (RuntimeException e) {
            return Nonce.abbreviate(json);
        }
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private interface Reading<T> {
        T read() throws Exception;
    }

    private static <T> T read(Reading<T> r) {
        try {
            return r.read();
        } catch (KeyBrokerException e) {
            throw e;
        } catch (Exception e) {
            throw new KeyBrokerException(KeyBrokerException.Refusal.MALFORMED, "malformed message: " + e.getMessage());
        }
    }
}
