package dev.coffer.pack;

import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** The model owner's Ed25519 verification key: it checks a pack's manifest signature. */
public final class OwnerPublicKey {
    public static final int LENGTH = 32;
    private final byte[] raw;
    private final KeyId id;

    private OwnerPublicKey(byte[] raw) {
        this.raw = raw.clone();
        this.id = KeyId.of(raw);
    }

    /** From the raw 32-byte encoding (RFC 8032). */
    public static OwnerPublicKey fromRaw(byte[] raw) {
        if (raw.length != LENGTH) throw new PackFormatException("an Ed25519 public key is 32 bytes, got " + raw.length);
        return new OwnerPublicKey(raw);
    }

    public byte[] raw() { return raw.clone(); }

    public KeyId id() { return id; }

    /** Whether {@code signature} is this key's Ed25519 signature over {@code message}. */
    public boolean verifies(byte[] message, byte[] signature) {
        Ed25519Signer v = new Ed25519Signer();
        v.init(false, new Ed25519PublicKeyParameters(raw, 0));
        v.update(message, 0, message.length);
        return v.verifySignature(signature);
    }

    Ed25519PublicKeyParameters parameters() { return new Ed25519PublicKeyParameters(raw, 0); }

    @Override
    public boolean equals(Object o) { return o instanceof OwnerPublicKey k && k.id.equals(id); }

    @Override
    public int hashCode() { return id.hashCode(); }

    @Override
    public String toString() { return "owner key " + id.shortHex(); }
}
