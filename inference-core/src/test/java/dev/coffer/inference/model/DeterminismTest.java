package dev.coffer.inference.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.GgufTensorSource;
import dev.coffer.inference.testing.SharedAssets;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Logits must be bit-identical whatever the thread count and whatever the machine's vector width: platform
 * fingerprints compare them exactly. The prompt is longer than a micro-batch, so batched prefill, decode and
 * the KV cache are all covered.
 */
class DeterminismTest {
    static final String[] FILES = {"stories260K.gguf", "stories260K-f16.gguf", "stories260K-q8_0-mix.gguf",
        "stories260K-q5_0-mix.gguf", "stories260K-q4_0-mix.gguf"};

    @ParameterizedTest
    @ValueSource(strings = {"stories260K.gguf", "stories260K-f16.gguf", "stories260K-q8_0-mix.gguf",
        "stories260K-q5_0-mix.gguf", "stories260K-q4_0-mix.gguf"})
    void logitsAreBitIdenticalFor1To4Threads(String file) throws Exception {
        Path model = SharedAssets.require("models/" + file);
        String one = logitsDigest(model, 1);
        assertThat(logitsDigest(model, 2)).isEqualTo(one);
        assertThat(logitsDigest(model, 4)).isEqualTo(one);
        assertThat(logitsDigest(model, 3)).isEqualTo(one);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K.gguf", "stories260K-q4_0-mix.gguf"})
    void logitsAreBitIdenticalWith256BitVectors(String file) throws Exception {
        Path model = SharedAssets.require("models/" + file);
        String here = logitsDigest(model, 2);
        assertThat(digestInChildJvm(model, "-XX:MaxVectorSize=32")).isEqualTo(here);
        assertThat(digestInChildJvm(model, "-XX:MaxVectorSize=16")).isEqualTo(here);
    }

    /** SHA-256 over the raw float bits of every logit produced for a fixed token sequence. */
    static String logitsDigest(Path file, int threads) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (GgufFile f = GgufFile.open(file); Arena arena = Arena.ofShared(); Parallel pool = new Parallel(threads)) {
            LlamaModel m = LlamaModel.load(f, new GgufTensorSource(f));
            Session s = m.newSession(BufferAllocator.of(arena), pool, 128);
            int[] prompt = new int[Session.MICRO_BATCH + 13];
            for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 37 + 1) % m.config().vocabSize();
            update(md, s.prefill(prompt));
            int next = 7;
            for (int i = 0; i < 6; i++) {
                float[] logits = s.decode(next);
                update(md, logits);
                next = dev.coffer.inference.sampling.Sampler.argmax(logits);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void update(MessageDigest md, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4);
        for (float x : v) b.putInt(Float.floatToRawIntBits(x));
        md.update(b.array());
    }

    private static String digestInChildJvm(Path model, String vmFlag) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add(vmFlag);
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(LogitsDigestMain.class.getName());
        cmd.add(model.toString());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("child JVM with %s printed: %s", vmFlag, out).isZero();
        return out;
    }

    /** Child-JVM entry point: prints the logits digest of a model with 2 threads. */
    public static final class LogitsDigestMain {
        public static void main(String[] args) throws Exception {
            System.out.println(logitsDigest(Path.of(args[0]), 2));
        }
    }
}
