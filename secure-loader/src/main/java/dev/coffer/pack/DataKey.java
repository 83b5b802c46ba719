package dev.coffer.pack;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * A pack's 256-bit data key: fresh and random for every pack, never stored in the clear, only wrapped to recipients.
 * Every key the pack uses is derived from it with HKDF-SHA256 (salt = pack id, a distinct label each), so one data
 * key never meets two purposes. {@link #close()} wipes it.
 */
public final class DataKey implements AutoCloseable {
    public static final int LENGTH = 32;
    static final String CHUNK_LABEL = "coffer pack v1 chunk key";
    static final String COMMITMENT_LABEL = "coffer pack v1 key commitment";
    static final String RECIPIENTS_MAC_LABEL = "coffer pack v1 recipients mac";

    private final byte[] key;

    private DataKey(byte[] key) {
        if (key.length != LENGTH) throw new PackKeyException("a data key is 32 bytes, got " + key.length);
        this.key = key.clone();
    }

    static DataKey generate() {
        byte[] k = new byte[LENGTH];
        new SecureRandom().nextBytes(k);
        try {
            return new DataKey(k);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    static DataKey fromBytes(byte[] key) {
        return new DataKey(key);
    }

    /** A copy for wrapping; the caller wipes it. */
    byte[] bytes() { return key.clone(); }

    /** HKDF-SHA256(ikm = data key, salt = pack id, info = label), 32 bytes; the caller wipes it. */
    byte[] derive(byte[] packId, String label) {
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(key, packId, label.getBytes(StandardCharsets.US_ASCII)));
        byte[] out = new byte[32];
        hkdf.generateBytes(out, 0, out.length);
        return out;
    }

    /** Whether this key is the one the manifest commits to (constant time). */
    boolean matches(byte[] packId, byte[] commitment) {
        byte[] mine = derive(packId, COMMITMENT_LABEL);
        try {
            return MessageDigest.isEqual(mine, commitment);
        } finally {
            Arrays.fill(mine, (byte) 0);
        }
    }

    @Override
    public void close() { Arrays.fill(key, (byte) 0); }

    @Override
    public String toString() { return "DataKey[hidden]"; }
}
