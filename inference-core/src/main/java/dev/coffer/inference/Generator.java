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
        Generation g = start(promptTokens, maxTokens, ignoreEos);
        for (int token; (token = g.next()) != Generation.END; ) {
            if (!listener.onToken(token, g.bytesOf(token))) break;
        }
        return g.stats();
    }

    /** Prefills the prompt and returns the generation, to be advanced one token at a time. */
    public Generation start(String prompt, int maxTokens, boolean ignoreEos) {
        return start(tokenizer.encode(prompt, true, false), maxTokens, ignoreEos);
    }

    public Generation start(int[] promptTokens, int maxTokens, boolean ignoreEos) {
        return new Generation(tokenizer, session, sampler, promptTokens, maxTokens, ignoreEos);
    }
}
