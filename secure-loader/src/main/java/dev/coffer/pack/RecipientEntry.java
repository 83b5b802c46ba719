package dev.coffer.pack;

/** One wrapping of the data key in the recipients block. */
public sealed interface RecipientEntry {
    int HPKE = 1;
    int PASSPHRASE = 2;

    /** HPKE base mode (X25519, HKDF-SHA256, AES-256-GCM) to the recipient with this key id. */
    record Hpke(KeyId recipient, byte[] encapsulatedKey, byte[] wrappedKey) implements RecipientEntry {
        public Hpke {
            encapsulatedKey = encapsulatedKey.clone();
            wrappedKey = wrappedKey.clone();
        }

        @Override
        public byte[] encapsulatedKey() { return encapsulatedKey.clone(); }

        @Override
        public byte[] wrappedKey() { return wrappedKey.clone(); }

        @Override
        public String toString() { return "recipient " + recipient.shortHex(); }
    }

    /** AES-256-GCM under a key stretched from a passphrase with Argon2id. */
    record Passphrase(int memoryKiB, int iterations, int parallelism, byte[] salt, byte[] wrappedKey) implements RecipientEntry {
        public Passphrase {
            salt = salt.clone();
            wrappedKey = wrappedKey.clone();
        }

        @Override
        public byte[] salt() { return salt.clone(); }

        @Override
        public byte[] wrappedKey() { return wrappedKey.clone(); }

        @Override
        public String toString() {
            return "passphrase (Argon2id, " + memoryKiB / 1024 + " MiB, " + iterations + " passes, " + parallelism + " lane"
                    + (parallelism == 1 ? "" : "s") + ")";
        }
    }
}
