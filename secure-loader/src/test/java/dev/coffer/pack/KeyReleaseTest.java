package dev.coffer.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A key broker (here: bob) releases a pack's data key to a secure world's enclave key; only that key opens it,
 *  only for that pack, and the release gets every check an ordinary unwrap gets. */
class KeyReleaseTest {
    @TempDir
    static Path dir;
    static PackFixture fx;
    static PackHeader header;
    static PackHeader otherPack;

    @BeforeAll
    static void packs() throws Exception {
        fx = new PackFixture(dir);
        try (PackFile p = PackFile.open(fx.pack("broker.cpack", 1, List.of(fx.bob.publicKey()), null));
             PackFile q = PackFile.open(fx.pack("other.cpack", 1, List.of(fx.bob.publicKey()), null))) {
            header = p.header();
            otherPack = q.header();
        }
    }

    private static byte[] release(RecipientPrivateKey enclave) {
        return header.releaseTo(Credential.of(RecipientPrivateKey.fromRaw(fx.bob.raw())), enclave.publicKey());
    }

    @Test
    void theEnclaveKeyOpensTheReleasedKeyAndTheChunksDecrypt() throws Exception {
        RecipientPrivateKey enclave = RecipientPrivateKey.generate();
        byte[] released = release(enclave);
        try (DataKey viaRelease = header.unwrap(Credential.released(released, enclave));
             DataKey viaBroker = header.unwrap(Credential.of(RecipientPrivateKey.fromRaw(fx.bob.raw())))) {
            assertThat(viaRelease.bytes()).isEqualTo(viaBroker.bytes());
        }
    }

    @Test
    void anotherKeyAnotherPackOrAChangedByteIsRefused() {
        RecipientPrivateKey enclave = RecipientPrivateKey.generate();
        byte[] released = release(enclave);
        assertThatThrownBy(() -> header.unwrap(Credential.released(released, RecipientPrivateKey.generate())))
                .isInstanceOf(PackKeyException.class).hasMessageContaining("released to another key");
        assertThatThrownBy(() -> otherPack.unwrap(Credential.released(released, enclave)))
                .isInstanceOf(PackKeyException.class).hasMessageContaining("for another pack");
        for (int i = 0; i < released.length; i += 7) {
            byte[] bad = released.clone();
            bad[i] ^= 0x04;
            assertThatThrownBy(() -> header.unwrap(Credential.released(bad, enclave)).close()).as("byte " + i)
                    .isInstanceOf(PackException.class);
        }
    }

    @Test
    void aBrokerThatIsNotARecipientCannotRelease() {
        assertThatThrownBy(() -> header.releaseTo(Credential.of(RecipientPrivateKey.fromRaw(fx.alice.raw())),
                RecipientPrivateKey.generate().publicKey())).isInstanceOf(PackKeyException.class)
                .hasMessageContaining("is not a recipient");
    }

    @Test
    void aReleasedKeyNeverLeavesAsASecret() {
        Credential c = Credential.released(release(RecipientPrivateKey.generate()), RecipientPrivateKey.generate());
        assertThatThrownBy(c::exportSecret).isInstanceOf(PackKeyException.class);
        assertThatThrownBy(() -> Credential.importSecret(3, new byte[8])).isInstanceOf(PackKeyException.class);
    }
}
