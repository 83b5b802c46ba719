package dev.coffer.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The model owner's and the operator's pack commands, end to end, as a user runs them. */
class PackCliTest {
    @TempDir static Path dir;
    static Path model;
    static Path keys;
    static Path pack;
    static String plainText;

    @BeforeAll
    static void makePack() {
        System.setProperty("coffer.state", dir.resolve("state").toString());
        model = dir.resolve("demo.gguf");
        keys = dir.resolve("keys");
        pack = dir.resolve("demo.cpack");
        assertThat(Cli.run("synth", "--shape", "demo", "--type", "Q8_0", "-o", model.toString()).exit()).isZero();
        Cli.Result kg = Cli.run("pack", "keygen", "--out", keys.toString());
        assertThat(kg.exit()).as(kg.err()).isZero();
        Cli.Result enc = Cli.run("pack", "encrypt", model.toString(), "-o", pack.toString(), "--recipient",
                keys.resolve("recipient.pub").toString(), "--signing-key", keys.resolve("owner.key").toString(),
                "--chunk-size", "64K", "--pack-version", "2");
        assertThat(enc.exit()).as(enc.err()).isZero();
        assertThat(enc.out()).contains("pack digest: ");
        Cli.Result plain = Cli.run("run", "--model", model.toString(), "--temp", "0", "-n", "32");
        assertThat(plain.exit()).isZero();
        plainText = plain.out();
    }

    @Test
    void keygenWritesPrivateKeysThatAreNeverPrintedOrOverwritten() throws IOException {
        assertThat(Files.getPosixFilePermissions(keys.resolve("recipient.key")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        Cli.Result again = Cli.run("pack", "keygen", "--out", keys.toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("already exists");
    }

    @Test
    void inspectAndVerifyNeedNoKey() {
        Cli.Result inspect = Cli.run("pack", "inspect", pack.toString());
        assertThat(inspect.exit()).as(inspect.err()).isZero();
        assertThat(inspect.out()).contains("version:       2").contains("llama, Q8_0").contains("recipients:    1");
        Cli.Result verify = Cli.run("pack", "verify", pack.toString(), "--owner", keys.resolve("owner.pub").toString());
        assertThat(verify.exit()).as(verify.err()).isZero();
        assertThat(verify.out()).startsWith("OK: ");
        Cli.Result wrongOwner = Cli.run("pack", "verify", pack.toString(), "--owner", keys.resolve("recipient.pub").toString());
        assertThat(wrongOwner.exit()).isEqualTo(1);
        assertThat(wrongOwner.err()).contains("not an owner public key");
    }

    @Test
    void theSecureWorldGeneratesThePlaintextTextFromThePackPipelinedAndStrawman() {
        for (String tee : new String[] {"isolated", "sim"}) {
            for (String mode : new String[] {"--prefetch=2", "--strawman"}) {
                Cli.Result r = Cli.run("run", "--pack", pack.toString(), "--key", keys.resolve("recipient.key").toString(),
                        "--tee", tee, "--image", Cli.image().toString(), "--temp", "0", "-n", "32", mode);
                assertThat(r.exit()).as(tee + " " + mode + ": " + r.err()).isZero();
                assertThat(r.out()).as(tee + " " + mode).isEqualTo(plainText);
                assertThat(r.err()).contains("restore: " + (mode.equals("--strawman") ? "strawman" : "pipelined"));
            }
        }
    }

    @Test
    @Timeout(120)
    void underAMemoryBudgetTheLastLayersAreStreamedAndTheTextIsTheSame() {
        for (String budget : new String[] {"80%", "55%"}) {
            Cli.Result r = Cli.run("run", "--pack", pack.toString(), "--key", keys.resolve("recipient.key").toString(),
                    "--image", Cli.image().toString(), "--temp", "0", "-n", "32", "--weights-budget", budget);
            assertThat(r.exit()).as(budget + ": " + r.err()).isZero();
            assertThat(r.out()).as(budget).isEqualTo(plainText);
            assertThat(r.err()).containsPattern("the last \\d of 4 layers streamed through [12] slots? of");
        }
        Cli.Result tooSmall = Cli.run("run", "--pack", pack.toString(), "--key", keys.resolve("recipient.key").toString(),
                "--tee", "sim", "--weights-budget", "1%");
        assertThat(tooSmall.exit()).isEqualTo(2);
        assertThat(tooSmall.err()).contains("too small for this model");
        Cli.Result straw = Cli.run("run", "--pack", pack.toString(), "--key", keys.resolve("recipient.key").toString(),
                "--tee", "sim", "--weights-budget", "50%", "--strawman");
        assertThat(straw.exit()).isEqualTo(2);
        assertThat(straw.err()).contains("needs the whole model");
    }

    @Test
    @Timeout(120)
    void aTamperedChunkStopsTheRunWithOneClearLine() throws IOException {
        Path bad = dir.resolve("bad.cpack");
        Files.copy(pack, bad);
        long size = Files.size(bad);
        try (FileChannel ch = FileChannel.open(bad, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            long pos = size - 1000; // inside the last chunks: compute is already running when they fail
            ch.read(b, pos);
            b.put(0, (byte) (b.get(0) ^ 4)).rewind();
            ch.write(b, pos);
        }
        for (String mode : new String[] {"--prefetch=2", "--strawman"}) {
            Cli.Result r = Cli.run("run", "--pack", bad.toString(), "--key", keys.resolve("recipient.key").toString(),
                    "--image", Cli.image().toString(), "--temp", "0", "-n", "8", mode);
            assertThat(r.exit()).as(mode).isEqualTo(1);
            assertThat(r.err()).as(mode).contains("failed authentication").doesNotContain("\tat ");
            assertThat(r.out()).as(mode).isEmpty();
        }
        Cli.Result verify = Cli.run("pack", "verify", bad.toString(), "--owner", keys.resolve("owner.pub").toString());
        assertThat(verify.exit()).isEqualTo(1);
        assertThat(verify.err()).contains("does not match its signed digest");
    }

    @Test
    void wrongKeyAndOlderVersionsAreRefusedInsideTheSecureWorld() {
        Path other = dir.resolve("other-keys");
        assertThat(Cli.run("pack", "keygen", "--out", other.toString()).exit()).isZero();
        Cli.Result wrongKey = Cli.run("run", "--pack", pack.toString(), "--key", other.resolve("recipient.key").toString(),
                "--tee", "sim", "-n", "4");
        assertThat(wrongKey.exit()).isEqualTo(1);
        assertThat(wrongKey.err()).contains("is not a recipient of this pack");
        Cli.Result rollback = Cli.run("run", "--pack", pack.toString(), "--key", keys.resolve("recipient.key").toString(),
                "--tee", "sim", "-n", "4", "--min-version", "3");
        assertThat(rollback.exit()).isEqualTo(1);
        assertThat(rollback.err()).contains("version 2 is older than the required minimum 3");
    }

    @Test
    void aPassphrasePackRunsInTheSecureWorldAndAWrongPassphraseIsRefusedThere() throws IOException {
        Path pass = dir.resolve("pass.txt");
        Files.writeString(pass, "correct horse battery staple\n");
        Path wrong = dir.resolve("wrong.txt");
        Files.writeString(wrong, "incorrect horse battery staple\n");
        Path passPack = dir.resolve("pass.cpack");
        Cli.Result enc = Cli.run("pack", "encrypt", model.toString(), "-o", passPack.toString(), "--passphrase-file",
                pass.toString(), "--signing-key", keys.resolve("owner.key").toString(), "--chunk-size", "64K");
        assertThat(enc.exit()).as(enc.err()).isZero();
        Cli.Result r = Cli.run("run", "--pack", passPack.toString(), "--passphrase-file", pass.toString(), "--image",
                Cli.image().toString(), "--temp", "0", "-n", "32");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(plainText);
        Cli.Result bad = Cli.run("run", "--pack", passPack.toString(), "--passphrase-file", wrong.toString(), "--tee", "sim");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("wrong passphrase");
        Cli.Result both = Cli.run("run", "--pack", passPack.toString(), "--passphrase-file", pass.toString(), "--key",
                keys.resolve("recipient.key").toString());
        assertThat(both.exit()).isEqualTo(2);
    }

    @Test
    void rekeyAndDecryptRoundTrip() throws IOException {
        Path copy = dir.resolve("rekey.cpack");
        Files.copy(pack, copy);
        Path other = dir.resolve("friend");
        assertThat(Cli.run("pack", "keygen", "--out", other.toString()).exit()).isZero();
        Cli.Result add = Cli.run("pack", "rekey", copy.toString(), "--key", keys.resolve("recipient.key").toString(),
                "--add-recipient", other.resolve("recipient.pub").toString());
        assertThat(add.exit()).as(add.err()).isZero();
        Path out = dir.resolve("friend.gguf");
        Cli.Result dec = Cli.run("pack", "decrypt", copy.toString(), "--key", other.resolve("recipient.key").toString(),
                "-o", out.toString());
        assertThat(dec.exit()).as(dec.err()).isZero();
        assertThat(Files.mismatch(out, model)).isEqualTo(-1);
        Cli.Result again = Cli.run("pack", "decrypt", copy.toString(), "--key", other.resolve("recipient.key").toString(),
                "-o", out.toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("refusing to overwrite");
    }
}
