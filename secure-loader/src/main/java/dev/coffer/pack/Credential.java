package dev.coffer.pack;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** What opens a pack: a recipient's private key, or (development) a passphrase. {@link #close()} wipes it. */
public sealed interface Credential extends AutoCloseable {
    static Credential of(RecipientPrivateKey key) {
        return new Key(key);
    }

    /** A passphrase as UTF-8 bytes; this credential owns (and will wipe) the array. */
    static Credential passphrase(byte[] utf8) {
        return new Passphrase(utf8);
    }

    /** Reads a passphrase file (UTF-8; one trailing newline is not part of it); at least 8 characters. */
    static Credential passphraseFile(Path file) {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            throw new PackKeyException("cannot read the passphrase file " + file + ": " + e.getMessage(), e);
        }
        int n = b.length;
        if (n > 0 && b[n - 1] == '\n') n--;
        if (n > 0 && b[n - 1] == '\r') n--;
        byte[] p = Arrays.copyOf(b, n);
        Arrays.fill(b, (byte) 0);
        String text = new String(p, StandardCharsets.UTF_8); // only to count characters; the bytes are what is used
        if (text.codePointCount(0, text.length()) < 8) {
            Arrays.fill(p, (byte) 0);
            throw new PackKeyException("the passphrase in " + file + " is shorter than 8 characters");
        }
        return new Passphrase(p);
    }

    /**
     * A data key a key broker released to an attested secure world (HPKE-sealed to its enclave key), with that
     * enclave key. Made inside the secure world only: the enclave key never leaves it.
     */
    static Credential released(byte[] sealedKey, RecipientPrivateKey enclaveKey) {
        return new Released(sealedKey.clone(), enclaveKey);
    }

    /** 1 for a recipient key, 2 for a passphrase: how {@link #exportSecret} is to be read back. */
    int kind();

    /**
     * A copy of the secret, to hand this credential to the secure world over its channel (the caller wipes it);
     * {@link #importSecret} makes the credential again on the other side.
     */
    byte[] exportSecret();

    /** The credential {@link #exportSecret} came from; takes ownership of {@code secret} (and will wipe it). */
    static Credential importSecret(int kind, byte[] secret) {
        return switch (kind) {
            case 1 -> {
                try {
                    yield of(RecipientPrivateKey.fromRaw(secret));
                } finally {
                    Arrays.fill(secret, (byte) 0);
                }
            }
            case 2 -> passphrase(secret);
            case 3 -> throw new PackKeyException("a released key is opened inside the secure world, with its enclave key");
            default -> throw new PackKeyException("unknown credential kind " + kind);
        };
    }

    @Override
    void close();

    record Key(RecipientPrivateKey key) implements Credential {
        @Override
        public int kind() { return 1; }

        @Override
        public byte[] exportSecret() { return key.raw(); }

        @Override
        public void close() { key.close(); }

        @Override
        public String toString() { return "recipient key " + key.publicKey().id().shortHex(); }
    }

    /** Not owned: closing it does not wipe the enclave key, which outlives one pack. */
    record Released(byte[] sealedKey, RecipientPrivateKey enclaveKey) implements Credential {
        @Override
        public byte[] sealedKey() { return sealedKey.clone(); }

        @Override
        public int kind() { return 3; }

        /** Refused: a release opens only inside the secure world that holds the enclave key. */
        @Override
        public byte[] exportSecret() {
            throw new PackKeyException("a released key cannot leave the secure world it was released to");
        }

        @Override
        public void close() { }

        @Override
        public String toString() { return "key released to " + enclaveKey.publicKey().id().shortHex(); }
    }

    final class Passphrase implements Credential {
        private final byte[] utf8;

        private Passphrase(byte[] utf8) {
            this.utf8 = utf8;
        }

        byte[] bytes() { return utf8; }

        @Override
        public int kind() { return 2; }

        @Override
        public byte[] exportSecret() { return utf8.clone(); }

        @Override
        public void close() { Arrays.fill(utf8, (byte) 0); }

        @Override
        public String toString() { return "passphrase[hidden]"; }
    }
}
