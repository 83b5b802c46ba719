package dev.coffer.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attacks on a pack file: every change is refused with a typed error, and no plaintext of a failing chunk is written. */
class PackTamperTest {
    @TempDir
    static Path dir;
    static PackFixture f;
    static Path pack;
    static long headerLength;
    static long recipientsStart;

    @BeforeAll
    static void setUp() throws IOException {
        f = new PackFixture(dir);
        pack = f.pack("a.cpack", 3, List.of(f.alice.publicKey(), f.bob.publicKey()), null);
        try (PackFile p = PackFile.open(pack)) {
            headerLength = p.position(0);
            recipientsStart = headerLength - p.header().recipients().encode().length;
        }
    }

    @Test
    void everyBitFlipIsRefused() throws IOException {
        long size = Files.size(pack);
        TreeSet<Long> positions = new TreeSet<>();
        for (long i = 0; i < 16; i++) positions.add(i); // magic and manifest length
        for (long i = recipientsStart - 4 - 64; i < headerLength; i++) positions.add(i); // signature, recipients block
        Random random = new Random(42);
        while (positions.size() < 600) positions.add(Math.floorMod(random.nextLong(), size)); // manifest and chunks
        for (long pos : positions) {
            Path bad = f.copy(pack, "flip.cpack");
            flip(bad, pos, 1 << random.nextInt(8));
            Path out = dir.resolve("flip.gguf");
            try (PackFile p = PackFile.open(bad)) {
                p.decryptTo(out, Credential.of(PackRoundTripTest.key(f.alice)), n -> {});
                fail("a bit flip at byte " + pos + " of " + size + " went unnoticed by decryption");
            } catch (PackException expected) {
                assertThat(out).as("output after a flip at " + pos).doesNotExist();
            }
            if (pos < recipientsStart - 4 || pos >= headerLength) { // without a key only the signed part can be checked
                assertThatThrownBy(() -> {
                    try (PackFile p = PackFile.open(bad)) {
                        p.verifyDigests(n -> {});
                    }
                }).as("verify after a flip at " + pos).isInstanceOf(PackException.class);
            }
        }
    }

    @Test
    void truncatedOrExtendedFilesAreRefused() throws IOException {
        long size = Files.size(pack);
        for (long length : new long[] {0, 7, 13, recipientsStart, headerLength, headerLength + 100, size - 1}) {
            Path bad = f.copy(pack, "trunc.cpack");
            try (FileChannel ch = FileChannel.open(bad, StandardOpenOption.WRITE)) {
                ch.truncate(length);
            }
            assertThatThrownBy(() -> PackFile.open(bad).close()).as("truncated to " + length)
                    .isInstanceOf(PackFormatException.class);
        }
        Path longer = f.copy(pack, "longer.cpack");
        Files.write(longer, new byte[1], StandardOpenOption.APPEND);
        assertThatThrownBy(() -> PackFile.open(longer).close()).isInstanceOf(PackFormatException.class)
                .hasMessageContaining("extra bytes");
    }

    @Test
    void droppedDuplicatedReorderedChunksFailAuthentication() throws IOException {
        try (PackFile p = PackFile.open(pack)) {
            int k = sameLengthPair(p);
            byte[] a = bytes(p, k);
            byte[] b = bytes(p, k + 1);
            // duplicated: chunk k also in place of k+1
            Path dup = f.copy(pack, "dup.cpack");
            write(dup, p.position(k + 1), a);
            assertDecryptFails(dup, "chunk " + (k + 1) + " ");
            // reordered: k and k+1 swapped
            Path swap = f.copy(pack, "swap.cpack");
            write(swap, p.position(k), b);
            write(swap, p.position(k + 1), a);
            assertDecryptFails(swap, "chunk " + k + " ");
            // dropped: the file is then shorter than its manifest says
            Path drop = dir.resolve("drop.cpack");
            Files.deleteIfExists(drop);
            try (FileChannel in = FileChannel.open(pack); FileChannel out = FileChannel.open(drop,
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                in.transferTo(0, p.position(k), out);
                in.transferTo(p.position(k + 1), in.size() - p.position(k + 1), out);
            }
            assertThatThrownBy(() -> PackFile.open(drop).close()).isInstanceOf(PackFormatException.class)
                    .hasMessageContaining("truncated");
        }
    }

    @Test
    void chunksAndKeysSplicedFromAnotherPackOfTheSameModelAreRefused() throws IOException {
        Path other = f.pack("b.cpack", 3, List.of(f.alice.publicKey(), f.bob.publicKey()), null);
        try (PackFile p = PackFile.open(pack); PackFile q = PackFile.open(other)) {
            assertThat(q.position(0)).isEqualTo(p.position(0)); // same layout: a splice keeps every length
            int k = 5;
            Path spliced = f.copy(pack, "spliced.cpack");
            write(spliced, p.position(k), bytes(q, k));
            assertDecryptFails(spliced, "chunk " + k + " ");
            // the other pack's recipients block: HPKE's info binds the pack id, so alice's wrapping does not open here
            Path keys = f.copy(pack, "keys.cpack");
            byte[] r = q.header().recipients().encode();
            write(keys, recipientsStart, r);
            assertThatThrownBy(() -> decrypt(keys)).isInstanceOf(PackTamperedException.class)
                    .hasMessageContaining("failed authentication");
        }
    }

    @Test
    void aValidWrappingOfAnotherKeyIsRefusedByTheKeyCommitment() throws IOException {
        // whoever can wrap to alice (anyone: her key is public) could offer her a key of their own for this pack id;
        // the signed manifest commits to the real data key, so the substitute is refused before any chunk is tried
        try (PackFile p = PackFile.open(pack); DataKey forged = DataKey.generate()) {
            Recipients substitute = Recipients.wrap(forged, p.manifest().packId(), p.header().digest().bytes(),
                    List.of(f.alice.publicKey()), null);
            PackHeader h = p.header().withRecipients(substitute);
            assertThatThrownBy(() -> h.unwrap(Credential.of(PackRoundTripTest.key(f.alice))))
                    .isInstanceOf(PackKeyException.class).hasMessageContaining("not this pack's data key");
        }
    }

    @Test
    void aManifestReSignedByAnotherKeyIsRefusedByEveryRecipient() throws IOException {
        // the host cannot forge chunks, but it could edit the manifest (labels, version, references) and sign it with
        // a key of its own; the recipients block's MAC binds the owner's manifest, so the data key is not released
        try (PackFile p = PackFile.open(pack); OwnerSigningKey mallory = OwnerSigningKey.generate()) {
            PackManifest m = p.manifest();
            PackManifest edited = new PackManifest(m.packId(), m.version() + 10, m.createdEpochSecond(), m.model(),
                    mallory.publicKey(), m.keyCommitment(), m.plaintextSize(), m.chunks(), m.references());
            PackHeader forged = PackHeader.sign(edited, mallory, p.header().recipients());
            PackHeader reparsed = PackHeader.parse(forged.encode()); // its signature is valid, for mallory's key
            assertThat(reparsed.manifest().version()).isEqualTo(m.version() + 10);
            assertThatThrownBy(() -> reparsed.unwrap(Credential.of(PackRoundTripTest.key(f.alice))))
                    .isInstanceOf(PackTamperedException.class).hasMessageContaining("not the one the owner made");
        }
    }

    @Test
    void moreThanOnePassphraseEntryIsRefused() {
        byte[] entry = new byte[1 + 4 + 4 + 1 + 16 + 48];
        entry[0] = RecipientEntry.PASSPHRASE;
        entry[2] = 1; // 64 KiB
        entry[8] = 1; // 1 pass
        entry[9] = 1; // 1 lane
        byte[] block = new byte[2 + 2 * entry.length + 32];
        block[1] = 2;
        System.arraycopy(entry, 0, block, 2, entry.length);
        System.arraycopy(entry, 0, block, 2 + entry.length, entry.length);
        assertThatThrownBy(() -> Recipients.decode(block)).isInstanceOf(PackFormatException.class)
                .hasMessageContaining("more than one passphrase entry");
    }

    @Test
    void aChangeToAnotherRecipientsEntryIsSeenByEveryRecipient() throws IOException {
        // bob's entry is the second: flip a bit in its wrapped key, then open as alice
        Path bad = f.copy(pack, "bob.cpack");
        long bobWrapped = recipientsStart + 2 + (1 + 32 + 32 + 48) + 1 + 32 + 32 + 5;
        flip(bad, bobWrapped, 0x10);
        assertThatThrownBy(() -> decrypt(bad)).isInstanceOf(PackTamperedException.class)
                .hasMessageContaining("recipients block failed authentication");
    }

    @Test
    void olderVersionsAreRefusedWhenANewerOneIsRequired() throws IOException {
        try (PackFile p = PackFile.open(pack)) {
            p.header().requireVersion(3);
            assertThatThrownBy(() -> p.header().requireVersion(4)).isInstanceOf(PackRollbackException.class)
                    .hasMessageContaining("version 3 is older than the required minimum 4");
        }
    }

    @Test
    void wrongKeyIsRefused() throws IOException {
        try (PackFile p = PackFile.open(pack)) {
            assertThatThrownBy(() -> p.header().unwrap(Credential.of(RecipientPrivateKey.generate())))
                    .isInstanceOf(PackKeyException.class).hasMessageContaining("is not a recipient of this pack");
        }
    }

    @Test
    void rekeyKeepsTheDigestAndChangesWhoCanOpen() throws IOException {
        Path p = f.packForAlice("rekey.cpack");
        PackDigest before;
        try (PackFile pf = PackFile.open(p)) {
            before = pf.header().digest();
        }
        PackRekey.addRecipient(p, Credential.of(PackRoundTripTest.key(f.alice)), f.bob.publicKey(), n -> {});
        try (PackFile pf = PackFile.open(p)) {
            assertThat(pf.header().digest()).isEqualTo(before);
            pf.header().unwrap(Credential.of(PackRoundTripTest.key(f.bob))).close();
            pf.verifyDigests(n -> {});
        }
        assertThatThrownBy(() -> PackRekey.addRecipient(p, Credential.of(PackRoundTripTest.key(f.alice)), f.bob.publicKey(), n -> {}))
                .isInstanceOf(PackKeyException.class).hasMessageContaining("already a recipient");
        PackRekey.removeRecipient(p, Credential.of(PackRoundTripTest.key(f.bob)), f.alice.publicKey().id().shortHex(), n -> {});
        try (PackFile pf = PackFile.open(p)) {
            assertThatThrownBy(() -> pf.header().unwrap(Credential.of(PackRoundTripTest.key(f.alice))))
                    .isInstanceOf(PackKeyException.class);
            Path out = dir.resolve("rekeyed.gguf");
            pf.decryptTo(out, Credential.of(PackRoundTripTest.key(f.bob)), n -> {});
            assertThat(Files.mismatch(out, f.model)).isEqualTo(-1);
        }
        assertThatThrownBy(() -> PackRekey.removeRecipient(p, Credential.of(PackRoundTripTest.key(f.bob)),
                f.bob.publicKey().id().shortHex(), n -> {})).isInstanceOf(PackKeyException.class)
                .hasMessageContaining("last recipient");
        assertThatThrownBy(() -> PackRekey.removeRecipient(p, Credential.of(PackRoundTripTest.key(f.alice)), "abcd", n -> {}))
                .isInstanceOf(PackKeyException.class);
    }

    private static int sameLengthPair(PackFile p) {
        List<ChunkEntry> c = p.manifest().chunks();
        for (int i = 1; i + 1 < c.size(); i++) if (c.get(i).length() == c.get(i + 1).length()) return i;
        throw new AssertionError("no two neighbouring chunks of the same length");
    }

    private static void assertDecryptFails(Path bad, String message) {
        Path out = dir.resolve("bad.gguf");
        assertThatThrownBy(() -> decrypt(bad)).isInstanceOf(PackTamperedException.class)
                .hasMessageContaining(message).hasMessageContaining("failed authentication");
        assertThat(out).doesNotExist();
    }

    private static void decrypt(Path bad) throws IOException {
        try (PackFile p = PackFile.open(bad)) {
            p.decryptTo(dir.resolve("bad.gguf"), Credential.of(PackRoundTripTest.key(f.alice)), n -> {});
        }
    }

    private static byte[] bytes(PackFile p, int i) {
        return p.ciphertext(i).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    private static void write(Path file, long pos, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) ch.write(b, pos + b.position());
        }
    }

    private static void flip(Path file, long pos, int mask) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, pos);
            b.put(0, (byte) (b.get(0) ^ mask)).rewind();
            ch.write(b, pos);
        }
    }
}
