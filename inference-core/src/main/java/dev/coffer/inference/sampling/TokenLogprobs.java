package dev.coffer.inference.sampling;

/**
 * The log-probabilities at one generated position, as OpenAI's {@code logprobs}/{@code top_logprobs} report them:
 * the chosen token's and the {@code k} most likely tokens', from the log-softmax of the model's raw logits (before
 * temperature, penalties and filters, so they describe the model and its numerics, not the sampler). Computed in
 * double precision in a fixed order: the same logits always give the same bits (platform fingerprints rely on it).
 */
public record TokenLogprobs(int token, float logprob, int[] top, float[] topLogprobs) {
    public static final int MAX_TOP = 20;

    public TokenLogprobs {
        top = top.clone();
        topLogprobs = topLogprobs.clone();
        if (top.length != topLogprobs.length) throw new IllegalArgumentException("top tokens and logprobs differ in length");
    }

    @Override
    public int[] top() {
        return top.clone();
    }

    @Override
    public float[] topLogprobs() {
        return topLogprobs.clone();
    }

    /** @param k how many of the most likely tokens to list, 0..{@value #MAX_TOP}; ties list the lower id first */
    public static TokenLogprobs of(float[] logits, int token, int k) {
        if (k < 0 || k > MAX_TOP) throw new IllegalArgumentException("top logprobs must be 0.." + MAX_TOP + ", not " + k);
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double logZ = max + Math.log(sum);
        int n = Math.min(k, logits.length);
        int[] best = new int[n];
        int filled = 0;
        for (int i = 0; i < logits.length && n > 0; i++) {
            // insertion into the running top-n, highest logit first (a strictly greater logit moves ahead, so ties
            // keep the lower id first)
            if (filled < n || logits[i] > logits[best[n - 1]]) {
                int pos = Math.min(filled, n - 1);
                while (pos > 0 && logits[i] > logits[best[pos - 1]]) {
                    best[pos] = best[pos - 1];
                    pos--;
                }
                best[pos] = i;
                if (filled < n) filled++;
            }
        }
        float[] lp = new float[n];
        for (int i = 0; i < n; i++) lp[i] = (float) (logits[best[i]] - logZ);
        return new TokenLogprobs(token, (float) (logits[token] - logZ), best, lp);
    }
}
