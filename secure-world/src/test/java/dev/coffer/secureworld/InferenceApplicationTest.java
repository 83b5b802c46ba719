package dev.coffer.secureworld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.inference.Generator;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.model.LlamaModel;
import dev.coffer.inference.sampling.Sampler;
import dev.coffer.inference.sampling.SamplerConfig;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.GgufTensorSource;
import dev.coffer.inference.testing.SharedAssets;
import dev.coffer.inference.tokenizer.Tokenizer;
import dev.coffer.secureworld.InferenceCalls.Chunk;
import dev.coffer.tee.Backend;
import dev.coffer.tee.EcallFailedException;
import dev.coffer.tee.Enclave;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import dev.coffer.tee.channel.FrameKind.Status;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The enclave application through the sim backend: same text as the plaintext engine, and its calls refuse
 *  out-of-range requests from the host. */
class InferenceApplicationTest {
    @TempDir
    Path temp;

    private Enclave sim() {
        return Enclave.create(EnclaveImage.inProcess(InferenceApplication.class.getName()),
                EnclaveSettings.defaults(Backend.SIM, temp).withSecureMemory(256L << 20).withThreads(2));
    }

    static void load(Enclave enclave, byte[] model) {
        enclave.call(InferenceCalls.LOAD_BEGIN, (long) model.length);
        MemorySegment staging = enclave.staging();
        for (int off = 0; off < model.length; ) {
            int n = (int) Math.min(staging.byteSize(), model.length - off);
            MemorySegment.copy(MemorySegment.ofArray(model), off, staging, 0, n);
            enclave.call(InferenceCalls.LOAD_CHUNK, new Chunk(off, n));
            off += n;
        }
    }

    @Test
    void generatesExactlyThePlaintextEnginesTextFromSecretMemory() throws Exception {
        Path file = SharedAssets.require("models/stories260K.gguf");
        String expected = plaintext(file, "Once upon a time", 40);
        try (Enclave enclave = sim()) {
            load(enclave, Files.readAllBytes(file));
            var summary = enclave.call(InferenceCalls.LOAD_END, 256);
            assertThat(summary.contextLength()).isEqualTo(256);
            assertThat(summary.architecture()).isEqualTo("llama");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long before = enclave.stats().ecalls();
            var t = enclave.call(InferenceCalls.START, new InferenceCalls.Start("Once upon a time", 40, false,
                    new SamplerConfig(0f, 40, 0.95f, 0.05f, 1f, 64, 1)));
            out.writeBytes(t.bytes());
            while (!t.ended()) {
                t = enclave.call(InferenceCalls.NEXT, 1);
                out.writeBytes(t.bytes());
            }
            var stats = enclave.call(InferenceCalls.STATS_CALL, null);
            long crossings = enclave.stats().ecalls() - before;
            assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(expected);
            assertThat(stats.generatedTokens()).isEqualTo(40);
            // START gives the first token, NEXT one each, STATS one: 40 tokens in 41 crossings.
            assertThat(crossings).isEqualTo(stats.generatedTokens() + 1);
            assertThat(enclave.memory().mode()).isEqualTo("memfd_secret");
        }
    }

    @Test
    void aSmallModelFitsTheDefaultLockLimitOfANonRootUser() throws Exception {
        Path file = SharedAssets.require("models/stories260K.gguf");
        try (Enclave enclave = Enclave.create(EnclaveImage.inProcess(InferenceApplication.class.getName()),
                EnclaveSettings.defaults(Backend.SIM, temp).withSecureMemory(8L << 20).withThreads(2))) {
            load(enclave, Files.readAllBytes(file));
            assertThat(enclave.call(InferenceCalls.LOAD_END, 256).contextLength()).isEqualTo(256);
            assertThat(enclave.memory().peak()).isLessThanOrEqualTo(8L << 20);
        }
    }

    @Test
    void warmUpRunsTheKernelsWithoutTouchingSecretMemoryAndRefusesSillyRounds() {
        try (Enclave enclave = sim()) {
            long ms = enclave.call(InferenceCalls.WARM_UP, 1);
            assertThat(ms).isPositive();
            assertThat(enclave.memory().used()).isZero();
            assertThatThrownBy(() -> enclave.call(InferenceCalls.WARM_UP, 0)).isInstanceOf(EcallFailedException.class)
                    .hasMessageContaining("warm-up rounds must be 1..100");
        }
    }

    @Test
    void chunksOutsideTheImageOrTheStagingBufferAreRejected() {
        try (Enclave enclave = sim()) {
            enclave.call(InferenceCalls.LOAD_BEGIN, 1000L);
            long staging = enclave.staging().byteSize();
            for (Chunk bad : new Chunk[] {new Chunk(-1, 10), new Chunk(995, 10), new Chunk(Long.MAX_VALUE - 5, 10),
                    new Chunk(0, (int) staging + 1)}) {
                assertThatThrownBy(() -> enclave.call(InferenceCalls.LOAD_CHUNK, bad))
                        .isInstanceOf(EcallFailedException.class)
                        .satisfies(e -> assertThat(((EcallFailedException) e).status()).isEqualTo(Status.REJECTED));
            }
            enclave.call(InferenceCalls.LOAD_CHUNK, new Chunk(990, 10));
            // Not a GGUF: parsing in the secure world fails with the reader's message, and it keeps serving.
            assertThatThrownBy(() -> enclave.call(InferenceCalls.LOAD_END, 0)).isInstanceOf(EcallFailedException.class)
                    .hasMessageContaining("GGUF");
            assertThatThrownBy(() -> enclave.call(InferenceCalls.NEXT, 1)).hasMessageContaining("no generation");
        }
    }

    static String plaintext(Path file, String prompt, int n) throws Exception {
        try (GgufFile gguf = GgufFile.open(file); Arena arena = Arena.ofShared(); Parallel pool = new Parallel(2)) {
            LlamaModel model = LlamaModel.load(gguf, new GgufTensorSource(gguf));
            var session = model.newSession(BufferAllocator.of(arena), pool, 256);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new Generator(Tokenizer.fromGguf(gguf), session, new Sampler(SamplerConfig.greedy()))
                    .generate(prompt, n, false, (id, bytes) -> {
                        out.writeBytes(bytes);
                        return true;
                    });
            return out.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
