package dev.coffer.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackRoundTripTest {
    @TempDir
    static Path dir;
    static PackFixture f;
    static Path pack;

    @BeforeAll
    static void setUp() throws IOException {
        f = new PackFixture(dir);
        pack = f.packForAlice("a.cpack");
    }

    @Test
    void decryptsToTheExactModelFile() throws IOException {
        Path out = dir.resolve("roundtrip.gguf");
        try (PackFile p = PackFile.open(pack)) {
            p.decryptTo(out, Credential.of(key(f.alice)), n -> {});
        }
        assertThat(Files.mismatch(f.model, out)).isEqualTo(-1);
        // and every tensor, read through the GGUF reader, is bit-identical
        try (GgufFile a = GgufFile.open(f.model); GgufFile b = GgufFile.open(out)) {
            for (GgufTensorInfo t : a.tensors()) {
                assertThat(a.tensorData(t).mismatch(b.tensorData(b.tensorInfo(t.name()).orElseThrow()))).isEqualTo(-1);
            }
        }
    }

    @Test
    void chunksAreInComputeOrderAndNeverSpanTwoTensors() throws IOException {
        try (PackFile p = PackFile.open(pack)) {
            List<String> labels = p.manifest().chunks().stream().map(c -> c.label().replaceAll(" \\d+/\\d+$", "")).distinct().toList();
            assertThat(labels.getFirst()).isEqualTo("header");
            assertThat(labels.get(1)).isEqualTo("token_embd.weight");
            assertThat(labels.indexOf("blk.0.attn_norm.weight")).isLessThan(labels.indexOf("blk.0.attn_q.weight"));
            assertThat(labels.indexOf("blk.0.ffn_down.weight")).isLessThan(labels.indexOf("blk.1.attn_norm.weight"));
            assertThat(labels.getLast()).isIn("output.weight", "output_norm.weight");
            assertThat(p.manifest().chunks()).allSatisfy(c -> assertThat(c.length()).isLessThanOrEqualTo(PackFixture.SMALL_CHUNKS));
            try (GgufFile g = GgufFile.open(f.model)) {
                for (ChunkEntry c : p.manifest().chunks()) {
                    if (c.label().equals("header")) continue;
                    GgufTensorInfo t = g.tensorInfo(c.label().replaceAll(" \\d+/\\d+$", "")).orElseThrow();
                    long start = g.dataOffset() + t.offset();
                    assertThat(c.offset()).isGreaterThanOrEqualTo(start);
                    assertThat(c.offset()).isLessThan(start + t.byteSize());
                }
            }
        }
    }

    @Test
    void manifestIsPublicAndVerifiesWithoutAKey() throws IOException {
        try (PackFile p = PackFile.open(pack)) {
            p.verifyDigests(n -> {});
            p.header().requireOwner(f.owner.publicKey());
            assertThat(p.manifest().model().architecture()).isEqualTo("llama");
            assertThat(p.manifest().model().quantization()).startsWith("Q8_0");
            assertThat(p.manifest().version()).isEqualTo(1);
            assertThat(p.header().recipients().entries()).singleElement().hasToString("recipient " + f.alice.publicKey().id().shortHex());
            assertThatThrownBy(() -> p.header().requireOwner(OwnerSigningKey.generate().publicKey()))
                    .isInstanceOf(PackTamperedException.class).hasMessageContaining("signed by owner key");
        }
    }

    @Test
    void everyPackHasItsOwnIdAndKeys() throws IOException {
        Path other = f.packForAlice("a2.cpack");
        try (PackFile a = PackFile.open(pack); PackFile b = PackFile.open(other)) {
            assertThat(a.manifest().packId()).isNotEqualTo(b.manifest().packId());
            assertThat(a.header().digest()).isNotEqualTo(b.header().digest());
            assertThat(a.ciphertext(1).mismatch(b.ciphertext(1))).isNotEqualTo(-1);
        }
    }

    @Test
    void refusesToOverwrite() {
        assertThatThrownBy(() -> PackWriter.encrypt(f.model, pack, f.owner,
                PackWriter.Options.forRecipients(List.of(f.alice.publicKey())), n -> {}))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> {
            try (PackFile p = PackFile.open(pack)) {
                p.decryptTo(f.model, Credential.of(key(f.alice)), n -> {});
            }
        }).isInstanceOf(FileAlreadyExistsException.class);
    }

    @Test
    void passphraseOpensOnlyWithTheRightPassphrase() throws IOException {
        Path p = f.pack("pass.cpack", 1, List.of(), "correct horse battery");
        try (PackFile pf = PackFile.open(p)) {
            try (DataKey k = pf.header().unwrap(Credential.passphrase("correct horse battery".getBytes(StandardCharsets.UTF_8)))) {
                assertThat(k).hasToString("DataKey[hidden]");
            }
            assertThatThrownBy(() -> pf.header().unwrap(Credential.passphrase("correct horse battery!".getBytes(StandardCharsets.UTF_8))))
                    .isInstanceOf(PackKeyException.class).hasMessageContaining("wrong passphrase");
            assertThatThrownBy(() -> pf.header().unwrap(Credential.of(key(f.alice))))
                    .isInstanceOf(PackKeyException.class).hasMessageContaining("not a recipient");
        }
    }

    @Test
    void keyFilesRoundTripAndArePrivate() throws IOException {
        Path kd = Files.createDirectories(dir.resolve("keys"));
        KeyFiles.writeOwnerKey(kd.resolve("owner.key"), f.owner);
        KeyFiles.writeOwnerPublicKey(kd.resolve("owner.pub"), f.owner.publicKey());
        KeyFiles.writeRecipientKey(kd.resolve("recipient.key"), f.alice);
        KeyFiles.writeRecipientPublicKey(kd.resolve("recipient.pub"), f.alice.publicKey());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kd.resolve("owner.key")))).isEqualTo("rw-------");
        assertThat(Files.readString(kd.resolve("owner.key"))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(KeyFiles.readOwnerKey(kd.resolve("owner.key")).publicKey()).isEqualTo(f.owner.publicKey());
        assertThat(KeyFiles.readOwnerPublicKey(kd.resolve("owner.pub"))).isEqualTo(f.owner.publicKey());
        assertThat(KeyFiles.readRecipientKey(kd.resolve("recipient.key")).publicKey()).isEqualTo(f.alice.publicKey());
        assertThat(KeyFiles.readRecipientPublicKey(kd.resolve("recipient.pub"))).isEqualTo(f.alice.publicKey());
        // the wrong kind of key is named as such
        assertThatThrownBy(() -> KeyFiles.readOwnerPublicKey(kd.resolve("recipient.pub")))
                .isInstanceOf(PackKeyException.class).hasMessageContaining("not an owner public key");
        assertThatThrownBy(() -> KeyFiles.readRecipientKey(kd.resolve("owner.key")))
                .isInstanceOf(PackKeyException.class).hasMessageContaining("not a recipient private key");
        // never overwritten, and refused when others can read it
        assertThatThrownBy(() -> KeyFiles.writeOwnerKey(kd.resolve("owner.key"), OwnerSigningKey.generate()))
                .isInstanceOf(PackKeyException.class).hasMessageContaining("never overwritten");
        Files.setPosixFilePermissions(kd.resolve("recipient.key"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> KeyFiles.readRecipientKey(kd.resolve("recipient.key")))
                .isInstanceOf(PackKeyException.class).hasMessageContaining("chmod 600");
        assertThat(f.owner.toString()).doesNotContain(java.util.HexFormat.of().formatHex(f.owner.publicKey().raw()));
    }

    /** A fresh copy, since closing a credential wipes the key it holds. */
    static RecipientPrivateKey key(RecipientPrivateKey k) {
        byte[] raw = k.raw();
        try {
            return RecipientPrivateKey.fromRaw(raw);
        } finally {
            java.util.Arrays.fill(raw, (byte) 0);
        }
    }
}
