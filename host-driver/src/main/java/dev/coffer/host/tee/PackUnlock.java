package dev.coffer.host.tee;

import dev.coffer.pack.Credential;

/**
 * What the host hands the secure world to open a pack: a credential it holds itself (a recipient key file or a
 * passphrase: the host then sees the key), or a key broker's release, sealed to the secure world's enclave key,
 * which the host relays but cannot open.
 */
public sealed interface PackUnlock {
    /** The credential kind of {@link dev.coffer.secureworld.InferenceCalls.PackOpen}. */
    int kind();

    /** The bytes to send (a copy; the caller wipes it). */
    byte[] bytes();

    static PackUnlock of(Credential credential) {
        return new WithCredential(credential);
    }

    static PackUnlock released(byte[] sealedKey) {
        return new Released(sealedKey.clone());
    }

    record WithCredential(Credential credential) implements PackUnlock {
        @Override
        public int kind() {
            return credential.kind();
        }

        @Override
        public byte[] bytes() {
            return credential.exportSecret();
        }
    }

    /** Kind 3: opened inside with the enclave key ({@link Credential#released}). Not a secret to the host. */
    record Released(byte[] sealedKey) implements PackUnlock {
        @Override
        public int kind() {
            return 3;
        }

        @Override
        public byte[] bytes() {
            return sealedKey.clone();
        }

        @Override
        public String toString() {
            return "Released[" + sealedKey.length + " bytes]";
        }
    }
}
