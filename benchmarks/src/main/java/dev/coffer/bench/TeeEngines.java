package dev.coffer.bench;

import dev.coffer.host.tee.EnclaveModelRunner;
import dev.coffer.inference.Generation;
import dev.coffer.inference.Generator;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.model.LlamaModel;
import dev.coffer.inference.model.Session;
import dev.coffer.inference.sampling.Sampler;
import dev.coffer.inference.sampling.SamplerConfig;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.GgufTensorSource;
import dev.coffer.inference.tokenizer.Tokenizer;
import dev.coffer.secureworld.InferenceCalls;
import dev.coffer.tee.BoundaryStats;
import dev.coffer.tee.Enclave;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The engines {@code coffer bench tee} compares. All of them run the very same generation code (inference-core's
 * {@link Generator} with a greedy sampler, EOS ignored), so what differs is only where it runs: plaintext memory in
 * this JVM, or secret memory behind the enclave boundary with a crossing per token.
 */
final class TeeEngines {
    private TeeEngines() {}

    /** The same greedy sampler as in-process, EOS ignored. */
    private static InferenceCalls.Start greedyStart(String prompt, int tokens) {
        return new InferenceCalls.Start(prompt, tokens, true, SamplerConfig.greedy());
    }

    /**
     * One generation. {@code inside} is timed by the generation itself (no crossings); the host times are wall
     * clock at the caller: prefill = until the first token is in hand, decode = from the first token to the last.
     */
    record Run(Generator.Stats inside, long hostPrefillNanos, long hostDecodeNanos, byte[] output,
               long crossings) {}

    interface Engine extends AutoCloseable {
        Run generate(String prompt, int tokens);

        /** Seconds from nothing to a model ready to generate. */
        double loadSeconds();

        /** System calls the secure world's filter denied so far, or -1 where no filter is enforced. */
        long deniedSyscalls();

        @Override
        void close();
    }

    /** Stamps the arrival of each token at the host, and collects the bytes. */
    private static final class Clock {
        final long start = System.nanoTime();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long first;
        long last;

        boolean token(byte[] b) {
            last = System.nanoTime();
            if (first == 0) first = last;
            bytes.writeBytes(b);
            return true;
        }

        Run run(Generator.Stats inside, long crossings) {
            return new Run(inside, first - start, last - first, bytes.toByteArray(), crossings);
        }
    }

    /** inference-core in this JVM on the memory-mapped file: the baseline, no boundary. */
    static final class InProcess implements Engine {
        private final GgufFile gguf;
        private final Arena arena = Arena.ofShared();
        private final Parallel pool;
        private final Tokenizer tokenizer;
        private final Session session;
        private final double loadSeconds;

        InProcess(Path model, int threads, int contextLength) throws IOException {
            long t0 = System.nanoTime();
            this.gguf = GgufFile.open(model);
            this.pool = new Parallel(threads);
            LlamaModel llama = LlamaModel.load(gguf, new GgufTensorSource(gguf));
            this.tokenizer = Tokenizer.fromGguf(gguf);
            this.session = llama.newSession(BufferAllocator.of(arena), pool,
                    Math.min(contextLength, llama.config().contextLength()));
            this.loadSeconds = (System.nanoTime() - t0) / 1e9;
        }

        @Override
        public Run generate(String prompt, int tokens) {
            session.reset(); // as the secure world's generate-start does
            Clock clock = new Clock();
            Generation g = new Generator(tokenizer, session, new Sampler(SamplerConfig.greedy()))
                    .start(prompt, tokens, true);
            for (int t; (t = g.next()) != Generation.END; ) clock.token(g.bytesOf(t));
            return clock.run(g.stats(), 0);
        }

        @Override
        public double loadSeconds() { return loadSeconds; }

        @Override
        public long deniedSyscalls() { return -1; }

        @Override
        public void close() {
            pool.close();
            arena.close();
            gguf.close();
        }
    }

    /** The product's path: the model copied through the staging buffer into secret memory, a crossing per token. */
    static final class InSecureWorld implements Engine {
        private final Enclave enclave;
        private final EnclaveModelRunner runner;
        private final double loadSeconds;

        InSecureWorld(EnclaveImage image, EnclaveSettings settings, Path model, int contextLength) throws IOException {
            // Budget as `coffer run --tee` sets it: the model image plus room for the KV cache and activations.
            long budget = Files.size(model) + (1L << 30);
            this.enclave = Enclave.create(image, settings.withSecureMemory(budget));
            try {
                this.runner = new EnclaveModelRunner(enclave);
                long t0 = System.nanoTime();
                runner.loadPlaintext(model, contextLength, n -> { });
                this.loadSeconds = (System.nanoTime() - t0) / 1e9;
            } catch (IOException | RuntimeException e) {
                enclave.close();
                throw e;
            }
        }

        @Override
        public Run generate(String prompt, int tokens) {
            BoundaryStats before = enclave.stats();
            Clock clock = new Clock();
            Generator.Stats inside = runner.generate(greedyStart(prompt, tokens), clock::token);
            // Counted as the product pays them: start, one next per further token, and the stats call.
            return clock.run(inside, enclave.stats().since(before).ecalls());
        }

        @Override
        public double loadSeconds() { return loadSeconds; }

        @Override
        public long deniedSyscalls() {
            BoundaryStats s = enclave.stats();
            return s.filterEnforced() ? s.deniedTotal() : -1;
        }

        @Override
        public void close() {
            enclave.close();
        }
    }
}
