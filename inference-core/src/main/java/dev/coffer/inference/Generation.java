package dev.coffer.inference;

import dev.coffer.inference.model.Session;
import dev.coffer.inference.sampling.Sampler;
import dev.coffer.inference.tokenizer.Tokenizer;

/**
 * One generation, advanced a token at a time by its caller: the prompt is prefilled when it starts, and each
 * {@link #next()} samples a token (decoding the previous one first). Whoever drives it decides when to stop and
 * what to do between tokens, so the secure world can hand back each token in one crossing. Time is counted only
 * inside this object, not while the caller holds the token.
 */
public final class Generation {
    /** {@link #next()} returns this when the generation has ended. */
    public static final int END = -1;

    private final Tokenizer tokenizer;
    private final Session session;
    private final Sampler sampler;
    private final int promptTokens;
    private final int budget;
    private final boolean ignoreEos;
    private final long prefillNanos;
    private float[] logits;
    private int last = END;
    private int generated;
    private int steps;
    private long decodeNanos;
    private boolean eos;
    private boolean ended;

    Generation(Tokenizer tokenizer, Session session, Sampler sampler, int[] prompt, int maxTokens, boolean ignoreEos) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty after tokenization");
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be >= 0");
        this.tokenizer = tokenizer;
        this.session = session;
        this.sampler = sampler;
        this.promptTokens = prompt.length;
        this.ignoreEos = ignoreEos;
        int room = session.contextLength() - session.position() - prompt.length;
        this.budget = Math.min(maxTokens, Math.max(0, room));
        for (int t : prompt) sampler.accept(t);
        long t0 = System.nanoTime();
        this.logits = session.prefill(prompt);
        this.prefillNanos = System.nanoTime() - t0;
    }

    /** The next token id, or {@link #END} once the budget is spent or an end-of-generation token came. */
    public int next() {
        if (budgetSpent()) return END;
        long t0 = System.nanoTime();
        if (last != END) {
            logits = session.decode(last);
            steps++;
        }
        return sample(t0);
    }

    /**
     * Whether the next token needs the previous one decoded first (false right after the prefill, whose logits give
     * the first token, and once the generation has ended). A batching caller decodes {@link #lastToken()} for
     * several generations at once ({@code Session.decodeBatch}) and hands the logits to {@link #next(float[], long)}.
     */
    public boolean needsDecode() {
        return !ended() && last != END;
    }

    /** The token {@link #next()} returned last (what the next decode consumes), or {@link #END} before the first. */
    public int lastToken() {
        return last;
    }

    /** {@link #next()} with the decode of {@link #lastToken()} done by the caller, which took {@code decodeNanos}. */
    public int next(float[] decodedLogits, long decodeNanos) {
        if (!needsDecode()) throw new IllegalStateException("no decode is due: call next()");
        logits = decodedLogits;
        steps++;
        this.decodeNanos += decodeNanos;
        return sample(System.nanoTime());
    }

    private boolean budgetSpent() {
        if (ended || generated >= budget) {
            ended = true;
            return true;
        }
        return false;
    }

    private int sample(long t0) {
        int token = sampler.sample(logits);
        if (!ignoreEos && tokenizer.isEndOfGeneration(token)) {
            eos = true;
            ended = true;
            decodeNanos += System.nanoTime() - t0;
            return END;
        }
        generated++;
        sampler.accept(token);
        last = token;
        decodeNanos += System.nanoTime() - t0;
        return token;
    }

    /** The log-probabilities at the position of the token {@link #next()} returned last (see {@link TokenLogprobs}). */
    public dev.coffer.inference.sampling.TokenLogprobs logprobs(int top) {
        if (last == END) throw new IllegalStateException("no token has been generated yet");
        return dev.coffer.inference.sampling.TokenLogprobs.of(logits, last, top);
    }

    /** The bytes of a token (UTF-8 fragments may split across tokens). */
    public byte[] bytesOf(int token) {
        return tokenizer.tokenBytes(token);
    }

    /** Whether {@link #next()} would return {@link #END}: the budget is spent or an end-of-generation token came. */
    public boolean ended() {
        return ended || generated >= budget;
    }

    public Generator.Stats stats() {
        return new Generator.Stats(promptTokens, prefillNanos, generated, steps, decodeNanos, eos);
    }
}
