package dev.coffer.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replacing a pack's signed references: only its owner can, the result is a valid pack with the same chunks and
 *  recipients, and the original is never overwritten. */
class PackReferencesTest {
    @TempDir
    Path dir;

    @Test
    void theOwnerReSignsNewReferencesAndEverythingElseStays() throws Exception {
        PackFixture f = new PackFixture(dir);
        Path pack = f.packForAlice("a.cpack");
        Path out = dir.resolve("b.cpack");
        List<ReferenceData> refs = List.of(new ReferenceData("test-refs", "hello".getBytes(StandardCharsets.UTF_8)));
        PackHeader h = PackReferences.replace(pack, out, Credential.of(RecipientPrivateKey.fromRaw(f.alice.raw())), f.owner, refs,
                n -> { });
        try (PackFile a = PackFile.open(pack); PackFile b = PackFile.open(out)) {
            assertThat(b.manifest().references()).hasSize(1);
            assertThat(b.header().digest()).isEqualTo(h.digest()).isNotEqualTo(a.header().digest());
            assertThat(b.manifest().chunks().toString()).isEqualTo(a.manifest().chunks().toString());
            b.verifyDigests(n -> { });
            // the re-sealed recipients block still opens with alice's key, and the chunks decrypt
            Path plain = dir.resolve("plain.gguf");
            b.decryptTo(plain, Credential.of(RecipientPrivateKey.fromRaw(f.alice.raw())), n -> { });
            assertThat(plain).hasSameBinaryContentAs(f.model);
        }
        assertThatThrownBy(() -> PackReferences.replace(pack, out, Credential.of(RecipientPrivateKey.fromRaw(f.alice.raw())),
                f.owner, refs, n -> { })).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> PackReferences.replace(pack, dir.resolve("c.cpack"), Credential.of(
                RecipientPrivateKey.fromRaw(f.alice.raw())), OwnerSigningKey.generate(), refs, n -> { }))
                .isInstanceOf(PackKeyException.class).hasMessageContaining("not this pack's owner");
        assertThatThrownBy(() -> PackReferences.replace(pack, dir.resolve("d.cpack"), Credential.of(
                RecipientPrivateKey.fromRaw(f.bob.raw())), f.owner, refs, n -> { })).isInstanceOf(PackKeyException.class);
    }
}
