package dev.coffer.pack;

import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** The model owner's Ed25519 signing key: it signs pack manifests. Never printed; {@link #close()} wipes it. */
public final class OwnerSigningKey implements AutoCloseable {
    private final byte[] seed;
    private final OwnerPublicKey publicKey;

    OwnerSigningKey(byte[] seed) {
        if (seed.length != 32) throw new PackFormatException("an Ed25519 private key is 32 bytes, got " + seed.length);
        this.seed = seed.clone();
        this.publicKey = OwnerPublicKey.fromRaw(new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded());
    }

    public static OwnerSigningKey generate() {
        byte[] seed = new byte[32];
        new SecureRandom().nextBytes(seed);
        try {
            return new OwnerSigningKey(seed);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    public OwnerPublicKey publicKey() { return publicKey; }

    byte[] sign(byte[] message) {
        Ed25519Signer s = new Ed25519Signer();
        s.init(true, parameters());
        s.update(message, 0, message.length);
        return s.generateSignature();
    }

    Ed25519PrivateKeyParameters parameters() { return new Ed25519PrivateKeyParameters(seed, 0); }

    @Override
    public void close() { Arrays.fill(seed, (byte) 0); }

    @Override
    public String toString() { return "owner signing key for " + publicKey.id().shortHex(); }
}
