package dev.coffer.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlatformTest {
    @TempDir
    Path dir;

    private static final EnclaveIdentity ID = new EnclaveIdentity(Digest.sha256("m".getBytes()), Digest.zero(), 1, 1);

    @Test
    void theStateIsCreatedOnceOwnerOnlyAndKeepsItsKeys() throws Exception {
        Path state = dir.resolve("state");
        byte[] sealed;
        java.security.PublicKey key;
        try (Platform p = Platform.openOrCreate(state)) {
            key = p.publicKey();
            sealed = p.sealingKeysFor(ID).seal(SealPolicy.UNIQUE, "secret".getBytes(), new byte[0]);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
        try (var files = Files.list(state)) {
            assertThat(files).allSatisfy(f ->
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------"));
        }
        try (Platform p = Platform.openOrCreate(state)) {
            assertThat(p.publicKey()).isEqualTo(key);
            assertThat(p.sealingKeysFor(ID).unseal(sealed, new byte[0])).isEqualTo("secret".getBytes());
        }
        try (Platform other = Platform.openOrCreate(dir.resolve("other"))) {
            assertThatThrownBy(() -> other.sealingKeysFor(ID).unseal(sealed, new byte[0]))
                    .isInstanceOf(UnsealException.class);
        }
    }

    @Test
    void aSecretReadableByOthersIsRefused() throws Exception {
        Path state = dir.resolve("state");
        Platform.openOrCreate(state).close();
        Files.setPosixFilePermissions(state.resolve("platform-sealing.secret"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> Platform.openOrCreate(state)).hasMessageContaining("readable by others");
    }

    @Test
    void aDamagedSecretIsRefusedWithTheWayOut() throws Exception {
        Path state = dir.resolve("state");
        Platform.openOrCreate(state).close();
        Files.write(state.resolve("platform-sealing.secret"), new byte[5]);
        assertThatThrownBy(() -> Platform.openOrCreate(state)).hasMessageContaining("damaged");
    }

    @Test
    void sealingKeysDependOnTheIdentityAndThePolicy() {
        try (Platform p = Platform.ephemeral()) {
            byte[] unique = p.sealingKeysFor(ID).seal(SealPolicy.UNIQUE, "x".getBytes(), "aad".getBytes());
            byte[] product = p.sealingKeysFor(ID).seal(SealPolicy.PRODUCT, "x".getBytes(), "aad".getBytes());
            var otherCode = new EnclaveIdentity(Digest.sha256("n".getBytes()), Digest.zero(), 1, 2);
            var otherProduct = new EnclaveIdentity(ID.measurement(), Digest.zero(), 2, 1);
            assertThatThrownBy(() -> p.sealingKeysFor(otherCode).unseal(unique, "aad".getBytes())).isInstanceOf(UnsealException.class);
            assertThat(p.sealingKeysFor(otherCode).unseal(product, "aad".getBytes())).isEqualTo("x".getBytes());
            assertThatThrownBy(() -> p.sealingKeysFor(otherProduct).unseal(product, "aad".getBytes())).isInstanceOf(UnsealException.class);
            assertThatThrownBy(() -> p.sealingKeysFor(ID).unseal(unique, "other".getBytes())).isInstanceOf(UnsealException.class);
            // The policy byte is authenticated: relabelling a UNIQUE blob as PRODUCT does not open it.
            byte[] relabelled = unique.clone();
            relabelled[1] = 2;
            assertThatThrownBy(() -> p.sealingKeysFor(ID).unseal(relabelled, "aad".getBytes())).isInstanceOf(UnsealException.class);
            assertThat(p.sealingKeysFor(ID).toString()).doesNotContain("[B@");
        }
    }
}
