package dev.coffer.pack;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** SHA-256 of a pack's signed manifest bytes: the pack's identity, which attestation binds. */
public record PackDigest(byte[] bytes) {
    public PackDigest {
        if (bytes.length != 32) throw new IllegalArgumentException("a pack digest is 32 bytes");
        bytes = bytes.clone();
    }

    static PackDigest of(byte[] manifest) {
        try {
            return new PackDigest(MessageDigest.getInstance("SHA-256").digest(manifest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static PackDigest parse(String hex) {
        try {
            return new PackDigest(HexFormat.of().parseHex(hex.trim().toLowerCase(java.util.Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a pack digest is 64 hex digits: " + hex);
        }
    }

    @Override
    public byte[] bytes() { return bytes.clone(); }

    public String hex() { return HexFormat.of().formatHex(bytes); }

    @Override
    public boolean equals(Object o) { return o instanceof PackDigest d && MessageDigest.isEqual(bytes, d.bytes); }

    @Override
    public int hashCode() { return Arrays.hashCode(bytes); }

    @Override
    public String toString() { return "sha256:" + hex(); }
}
