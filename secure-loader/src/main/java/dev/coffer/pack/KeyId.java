package dev.coffer.pack;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** The identity of a public key: SHA-256 of its raw 32 bytes, shown as hex (the first 16 digits are enough to name it). */
public record KeyId(byte[] bytes) {
    public static final int LENGTH = 32;

    public KeyId {
        if (bytes.length != LENGTH) throw new IllegalArgumentException("a key id is 32 bytes, got " + bytes.length);
        bytes = bytes.clone();
    }

    static KeyId of(byte[] rawPublicKey) {
        try {
            return new KeyId(MessageDigest.getInstance("SHA-256").digest(rawPublicKey));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Parses a full id or a prefix of at least 8 hex digits (as printed by {@code coffer pack inspect}). */
    public boolean matches(String hexPrefix) {
        String h = hexPrefix.trim().toLowerCase(java.util.Locale.ROOT);
        return h.length() >= 8 && hex().startsWith(h);
    }

    @Override
    public byte[] bytes() { return bytes.clone(); }

    public String hex() { return HexFormat.of().formatHex(bytes); }

    /** The first 16 hex digits. */
    public String shortHex() { return hex().substring(0, 16); }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyId k && MessageDigest.isEqual(bytes, k.bytes);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(bytes); }

    @Override
    public String toString() { return shortHex(); }
}
