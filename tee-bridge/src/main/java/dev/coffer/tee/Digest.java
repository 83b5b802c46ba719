package dev.coffer.tee;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** A 32-byte SHA-256 value: a measurement, a signer identity or a key id. Public data: printed as hex. */
public final class Digest {
    public static final int BYTES = 32;
    private final byte[] value;

    private Digest(byte[] value) {
        this.value = value;
    }

    public static Digest of(byte[] value) {
        if (value.length != BYTES) throw new IllegalArgumentException("a digest has 32 bytes, not " + value.length);
        return new Digest(value.clone());
    }

    public static Digest fromHex(String hex) {
        try {
            return of(HexFormat.of().parseHex(hex.strip()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a 64-digit hex SHA-256 value: '" + hex + "'");
        }
    }

    /** SHA-256 over the parts, each prefixed with its length so that different splits cannot collide. */
    public static Digest sha256(byte[]... parts) {
        MessageDigest md = sha256();
        for (byte[] p : parts) {
            md.update(new byte[] {(byte) (p.length >>> 24), (byte) (p.length >>> 16), (byte) (p.length >>> 8), (byte) p.length});
            md.update(p);
        }
        return new Digest(md.digest());
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** All zero: the signer of an unsigned image. */
    public static Digest zero() {
        return new Digest(new byte[BYTES]);
    }

    public byte[] bytes() {
        return value.clone();
    }

    public String hex() {
        return HexFormat.of().formatHex(value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Digest d && MessageDigest.isEqual(value, d.value);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return hex();
    }
}
