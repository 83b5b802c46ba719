package dev.coffer.attestation;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Strict reading of one JSON object (evidence, claims, policy): every accessor names the member and the document
 * when a value is missing or of the wrong type, and {@link #onlyKnown} refuses members nobody reads, so a typo in
 * a policy file fails instead of silently loosening it. JSON parsing itself is nimbus-jose-jwt's.
 */
final class JsonFields {
    private final String what;
    private final Map<String, Object> members;

    private JsonFields(String what, Map<String, Object> members) {
        this.what = what;
        this.members = members;
    }

    /** @throws IllegalArgumentException when {@code json} is not one JSON object */
    static JsonFields parse(String what, String json) {
        try {
            return new JsonFields(what, JSONObjectUtils.parse(json));
        } catch (ParseException | RuntimeException e) {
            throw new IllegalArgumentException(what + " is not a JSON object: " + e.getMessage());
        }
    }

    static JsonFields of(String what, Map<String, Object> members) {
        return new JsonFields(what, members);
    }

    JsonFields onlyKnown(Set<String> known) {
        for (String name : members.keySet()) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException(what + ": unknown member \"" + name + "\" (known: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
        return this;
    }

    boolean has(String name) {
        return members.get(name) != null;
    }

    String string(String name) {
        return optionalString(name).orElseThrow(() -> missing(name, "a string"));
    }

    Optional<String> optionalString(String name) {
        Object v = members.get(name);
        if (v == null) return Optional.empty();
        if (v instanceof String s) return Optional.of(s);
        throw wrongType(name, "a string", v);
    }

    long integer(String name) {
        return optionalInteger(name).orElseThrow(() -> missing(name, "an integer"));
    }

    Optional<Long> optionalInteger(String name) {
        Object v = members.get(name);
        if (v == null) return Optional.empty();
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 9.0e15) {
            return Optional.of(n.longValue());
        }
        throw wrongType(name, "an integer", v);
    }

    boolean bool(String name) {
        return optionalBool(name).orElseThrow(() -> missing(name, "true or false"));
    }

    Optional<Boolean> optionalBool(String name) {
        Object v = members.get(name);
        if (v == null) return Optional.empty();
        if (v instanceof Boolean b) return Optional.of(b);
        throw wrongType(name, "true or false", v);
    }

    byte[] base64Url(String name) {
        String s = string(name);
        try {
            return Base64.getUrlDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": \"" + name + "\" is not base64url");
        }
    }

    Optional<JsonFields> optionalObject(String name) {
        Object v = members.get(name);
        if (v == null) return Optional.empty();
        if (v instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> typed = (Map<String, Object>) m;
            return Optional.of(new JsonFields(what + " \"" + name + "\"", typed));
        }
        throw wrongType(name, "an object", v);
    }

    JsonFields object(String name) {
        return optionalObject(name).orElseThrow(() -> missing(name, "an object"));
    }

    /** A list of strings; absent means empty. */
    List<String> strings(String name) {
        Object v = members.get(name);
        if (v == null) return List.of();
        if (!(v instanceof List<?> list)) throw wrongType(name, "a list of strings", v);
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s)) throw wrongType(name, "a list of strings", v);
            out.add(s);
        }
        return List.copyOf(out);
    }

    /** This object as JSON text again (to hand a nested document to its own reader). */
    String toJson() {
        return JSONObjectUtils.toJSONString(members);
    }

    private IllegalArgumentException missing(String name, String type) {
        return new IllegalArgumentException(what + ": \"" + name + "\" is missing (it must be " + type + ")");
    }

    private IllegalArgumentException wrongType(String name, String type, Object found) {
        return new IllegalArgumentException(what + ": \"" + name + "\" must be " + type + ", not "
                + Nonce.abbreviate(String.valueOf(found)));
    }
}
