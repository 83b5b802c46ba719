package dev.coffer.pack;

import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;

/** The private half of a recipient key: it unwraps a pack's data key. Never printed; {@link #close()} wipes it. */
public final class RecipientPrivateKey implements AutoCloseable {
    private final byte[] raw;
    private final RecipientPublicKey publicKey;

    private RecipientPrivateKey(byte[] raw) {
        if (raw.length != 32) throw new PackFormatException("an X25519 private key is 32 bytes, got " + raw.length);
        this.raw = raw.clone();
        this.publicKey = RecipientPublicKey.fromRaw(new X25519PrivateKeyParameters(raw, 0).generatePublicKey().getEncoded());
    }

    public static RecipientPrivateKey generate() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        try {
            return new RecipientPrivateKey(raw);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /** From the raw 32 bytes (e.g. received by the secure world over its channel); the caller wipes its copy. */
    public static RecipientPrivateKey fromRaw(byte[] raw) {
        return new RecipientPrivateKey(raw);
    }

    /** A copy of the raw key, for handing it to the secure world; wipe it after use. */
    public byte[] raw() { return raw.clone(); }

    public RecipientPublicKey publicKey() { return publicKey; }

    AsymmetricCipherKeyPair keyPair() {
        X25519PrivateKeyParameters p = new X25519PrivateKeyParameters(raw, 0);
        return new AsymmetricCipherKeyPair(p.generatePublicKey(), p);
    }

    @Override
    public void close() { Arrays.fill(raw, (byte) 0); }

    @Override
    public String toString() { return "recipient private key for " + publicKey.id().shortHex(); }
}
