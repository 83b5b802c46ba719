package dev.coffer.inference;

import dev.coffer.inference.model.Session;
import dev.coffer.inference.sampling.Sampler;
import dev.coffer.inference.tokenizer.Tokenizer;

/**
 * Prompt in, tokens out: prefill the prompt as one batch, then sample and decode one token at a time, handing
 * each token's bytes to a listener as soon as it exists (streaming). Timing is measured here so every front end
 * reports the same prefill and decode rates.
 */
public final class Generator {
    /** Receives each generated token; return false to stop early. */
    @FunctionalInterface
    public interface TokenListener {
        boolean onToken(int id, byte[] bytes);
    }

    /** What one generation did. Times in nanoseconds. */
    public record Stats(int promptTokens, long prefillNanos, int generatedTokens, int decodeSteps, long decodeNanos,
                        boolean stoppedAtEos) {
        public double prefillTokensPerSecond() { return rate(promptTokens, prefillNanos); }

        /** Decode steps per second (sampling included); the first token comes from the prefill logits. */
        public double decodeTokensPerSecond() { return rate(decodeSteps, decodeNanos); }

        private static double rate(int n, long nanos) { return nanos <= 0 ? 0 : n * 1e9 / nanos; }
    }

    private final Tokenizer tokenizer;
    private final Session session;
    private final Sampler sampler;

    public Generator(Tokenizer tokenizer, Session session, Sampler sampler) {
        this.tokenizer = tokenizer;
        this.session = session;
        this.sampler = sampler;
    }

    /**
     * @param prompt    text; BOS and other specials are added as the vocabulary asks
     * @param maxTokens tokens to generate at most
     * @param ignoreEos keep going past end-of-generation tokens (benchmarks)
     */
    public Stats generate(String prompt, int maxTokens, boolean ignoreEos, TokenListener listener) {
        return generate(tokenizer.encode(prompt, true, false), maxTokens, ignoreEos, listener);
    }

    public Stats generate(int[] promptTokens, int maxTokens, boolean ignoreEos, TokenListener listener) {
        if (promptTokens.length == 0) throw new IllegalArgumentException("the prompt is empty after tokenization");
        int room = session.contextLength() - session.position() - promptTokens.length;
        int budget = Math.min(maxTokens, Math.max(0, room));
        for (int t : promptTokens) sampler.accept(t);
        long t0 = System.nanoTime();
        float[] logits = session.prefill(promptTokens);
        long t1 = System.nanoTime();
        int generated = 0;
        int steps = 0;
        boolean eos = false;
        for (; generated < budget; ) {
            int next = sampler.sample(logits);
            if (!ignoreEos && tokenizer.isEndOfGeneration(next)) {
                eos = true;
                break;
            }
            generated++;
            sampler.accept(next);
            if (!listener.onToken(next, tokenizer.tokenBytes(next))) break;
            if (generated < budget) {
                logits = session.decode(next);
                steps++;
            }
        }
        long t2 = System.nanoTime();
        return new Stats(promptTokens.length, t1 - t0, generated, steps, t2 - t1, eos);
    }
}
