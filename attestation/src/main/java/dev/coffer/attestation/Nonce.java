package dev.coffer.attestation;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/** A verifier's challenge (EAT {@code eat_nonce}): 8 to 64 random bytes, written as base64url without padding. */
public final class Nonce {
    public static final int MIN_BYTES = 8;
    public static final int MAX_BYTES = 64;
    private static final SecureRandom RANDOM = new SecureRandom();
    private final byte[] bytes;

    private Nonce(byte[] bytes) {
        if (bytes.length < MIN_BYTES || bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException("a nonce has 8 to 64 bytes, not " + bytes.length);
        }
        this.bytes = bytes.clone();
    }

    /** A fresh 32-byte challenge. */
    public static Nonce random() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return new Nonce(b);
    }

    public static Nonce of(byte[] bytes) {
        return new Nonce(bytes);
    }

    /** @throws IllegalArgumentException when {@code text} is not base64url of 8..64 bytes */
    public static Nonce parse(String text) {
        byte[] b;
        try {
            b = Base64.getUrlDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a nonce is base64url (RFC 4648 section 5), not '" + abbreviate(text) + "'");
        }
        return new Nonce(b);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public String base64Url() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Nonce n && MessageDigest.isEqual(bytes, n.bytes);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return base64Url();
    }

    /** At most 40 characters of {@code s} for a message, cut between code points and without unpaired surrogates
     *  (so that the text survives strict encoders such as the audit log's). */
    static String abbreviate(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(40).forEach(cp -> out.appendCodePoint(Character.isSurrogate((char) cp) && cp <= 0xFFFF ? '?' : cp));
        return s.codePointCount(0, s.length()) > 40 ? out + "…" : out.toString();
    }
}
