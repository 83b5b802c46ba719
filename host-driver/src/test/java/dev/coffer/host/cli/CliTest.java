package dev.coffer.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.inference.testing.SharedAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The coffer command line as a user drives it: exit codes, stdout, stderr. */
class CliTest {
    private static Cli.Result run(String... args) { return Cli.run(args); }

    private static Path image() { return Cli.image(); }

    @TempDir static Path dir;
    static Path demo;

    @BeforeAll
    static void makeDemoModel() {
        demo = dir.resolve("demo.gguf");
        assertThat(run("synth", "--shape", "demo", "-o", demo.toString()).exit()).isZero();
    }

    @Test
    void runIsReproducibleWithTheSameSeedAndPrintsOnlyTheContinuation() {
        Cli.Result a = run("run", "--model", demo.toString(), "-n", "24", "--seed", "7", "--threads", "2");
        Cli.Result b = run("run", "--model", demo.toString(), "-n", "24", "--seed", "7", "--threads", "1");
        Cli.Result c = run("run", "--model", demo.toString(), "-n", "24", "--seed", "8");
        assertThat(a.exit()).isZero();
        assertThat(a.out()).isNotBlank().isEqualTo(b.out()).isNotEqualTo(c.out());
        assertThat(a.out()).doesNotContain("Once upon a time");
        assertThat(a.err()).contains("prefill:").contains("decode:").contains("tok/s");
    }

    @Test
    void runOnARealModelGivesLlamaCppsGreedyText() {
        Path model = SharedAssets.require("models/stories260K.gguf");
        Cli.Result r = run("run", "--model", model.toString(), "--temp", "0", "-n", "40");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith(", there was a little girl named Lily. She loved to play outside");
    }

    @Test
    void badInputGivesOneClearLineAndExitCodeOne() {
        Cli.Result missing = run("run", "--model", dir.resolve("nope.gguf").toString());
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err()).contains("nope.gguf");
        Path junk = dir.resolve("junk.gguf");
        write(junk, "this is not a model");
        Cli.Result bad = run("run", "--model", junk.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("coffer:").contains("not a GGUF file").doesNotContain("Exception");
    }

    @Test
    void modelInfoDescribesTheModel() {
        Cli.Result r = run("model", "info", demo.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("llama").containsIgnoringCase("layers");
    }

    @Test
    void quantizeRefusesToOverwrite() {
        Path out = dir.resolve("exists.gguf");
        write(out, "precious");
        Path in = SharedAssets.require("models/stories260K.gguf");
        Cli.Result r = run("quantize", in.toString(), out.toString(), "--type", "Q8_0");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("exists");
        assertThat(read(out)).isEqualTo("precious");
    }

    @Test
    void runInsideTheSecureWorldGivesThePlaintextEnginesTextAndCountsCrossings() {
        Path model = SharedAssets.require("models/stories260K.gguf");
        System.setProperty("coffer.state", dir.resolve("state").toString());
        Cli.Result plain = run("run", "--model", model.toString(), "--temp", "0", "-n", "40");
        Cli.Result isolated = run("run", "--model", model.toString(), "--temp", "0", "-n", "40", "--tee", "isolated",
                "--image", image().toString());
        Cli.Result sim = run("run", "--model", model.toString(), "--temp", "0", "-n", "40", "--tee", "sim");
        assertThat(isolated.exit()).as(isolated.err()).isZero();
        assertThat(isolated.out()).isEqualTo(plain.out());
        assertThat(sim.out()).isEqualTo(plain.out());
        assertThat(isolated.err()).contains("secure world: isolated (pid ").contains("41 crossings for 40 tokens")
                .contains("memfd_secret");
        assertThat(sim.err()).contains("in-process, debug").contains("n/a (sim)");
        assertThat(Files.exists(dir.resolve("state/platform-ed25519.pk8"))).isTrue();
    }

    @Test
    void teeMeasureIsStableAndTheAllowlistIsPrinted() {
        Cli.Result a = run("tee", "measure", "--image", image().toString());
        Cli.Result b = run("tee", "measure", "--image", image().toString(), "--verbose");
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(a.out().strip()).matches("[0-9a-f]{64}");
        assertThat(b.out()).startsWith(a.out().strip()).contains("dev.coffer.secureworld.InferenceApplication");
        Cli.Result rules = run("tee", "allowlist");
        assertThat(rules.out()).contains("futex").contains("clone").doesNotContain("openat");
        assertThat(rules.err()).contains("rules; default: deny");
        assertThat(b.out()).contains("(unsigned)");

        Path copy = dir.resolve("image-copy.jar");
        try {
            Files.copy(image(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Cli.Result keygen = run("tee", "keygen", "--out", dir.resolve("signer").toString());
        assertThat(keygen.exit()).as(keygen.err()).isZero();
        String signer = keygen.out().strip();
        assertThat(signer).matches("[0-9a-f]{64}");
        Cli.Result sign = run("tee", "sign", "--key", dir.resolve("signer/signer.pk8").toString(), "--image", copy.toString());
        assertThat(sign.exit()).as(sign.err()).isZero();
        Cli.Result signed = run("tee", "measure", "--image", copy.toString(), "--verbose");
        assertThat(signed.out()).startsWith(a.out().strip()).contains("signer:           " + signer + "\n");
        assertThat(run("tee", "keygen", "--out", dir.resolve("signer").toString()).err()).contains("never overwritten");
        Cli.Result missing = run("tee", "measure", "--image", dir.resolve("none.jar").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("does not exist");
    }

    @Test
    void aBadTeeNameIsAOneLineError() {
        Cli.Result r = run("run", "--model", demo.toString(), "--tee", "sgx");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("unknown TEE backend 'sgx'").doesNotContain("Exception");
    }

    private static void write(Path p, String s) {
        try {
            Files.writeString(p, s);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
