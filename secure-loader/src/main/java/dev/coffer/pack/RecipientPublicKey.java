package dev.coffer.pack;

import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

/** An X25519 key that a pack's data key can be wrapped to (HPKE): a person, a key broker, or a secure world. */
public final class RecipientPublicKey {
    public static final int LENGTH = 32;
    private final byte[] raw;
    private final KeyId id;

    private RecipientPublicKey(byte[] raw) {
        this.raw = raw.clone();
        this.id = KeyId.of(raw);
    }

    public static RecipientPublicKey fromRaw(byte[] raw) {
        if (raw.length != LENGTH) throw new PackFormatException("an X25519 public key is 32 bytes, got " + raw.length);
        return new RecipientPublicKey(raw);
    }

    public byte[] raw() { return raw.clone(); }

    public KeyId id() { return id; }

    X25519PublicKeyParameters parameters() { return new X25519PublicKeyParameters(raw, 0); }

    @Override
    public boolean equals(Object o) { return o instanceof RecipientPublicKey k && k.id.equals(id); }

    @Override
    public int hashCode() { return id.hashCode(); }

    @Override
    public String toString() { return "recipient " + id.shortHex(); }
}
