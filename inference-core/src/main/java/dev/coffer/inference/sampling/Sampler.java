package dev.coffer.inference.sampling;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Picks the next token from logits, in llama.cpp's default chain order: repetition penalty, top-k, top-p,
 * min-p, temperature, then a seeded random draw (or argmax when greedy). The random generator is a fixed
 * algorithm (L64X128MixRandom) seeded explicitly, so the same seed and logits give the same tokens on every JVM.
 */
public final class Sampler {
    private final SamplerConfig config;
    private final RandomGenerator random;
    private final int[] recent;
    private int recentCount;
    private int recentNext;

    public Sampler(SamplerConfig config) {
        this.config = config;
        this.random = RandomGeneratorFactory.of("L64X128MixRandom").create(config.seed());
        this.recent = new int[Math.max(1, config.repeatLastN())];
    }

    public SamplerConfig config() { return config; }

    /** Remembers a token of the context (prompt or output) for the repetition penalty. */
    public void accept(int token) {
        recent[recentNext] = token;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    /** Chooses the next token; {@code logits} is not modified. */
    public int sample(float[] logits) {
        float[] l = logits.clone();
        applyRepetitionPenalty(l);
        if (config.isGreedy()) return argmax(l);
        Integer[] order = candidates(l);
        int n = order.length;
        if (config.topK() > 0) n = Math.min(n, config.topK());
        // softmax over the survivors (stable: subtract the max)
        double max = l[order[0]];
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(l[order[i]] - max);
            sum += p[i];
        }
        if (config.topP() < 1) {
            double cum = 0;
            int keep = n;
            for (int i = 0; i < n; i++) {
                cum += p[i] / sum;
                if (cum >= config.topP()) {
                    keep = i + 1;
                    break;
                }
            }
            n = keep;
        }
        if (config.minP() > 0) {
            double threshold = p[0] * config.minP();
            int keep = 1;
            while (keep < n && p[keep] >= threshold) keep++;
            n = keep;
        }
        // temperature, then draw
        double[] q = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            q[i] = Math.exp((l[order[i]] - max) / config.temperature());
            total += q[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < n; i++) {
            r -= q[i];
            if (r < 0) return order[i];
        }
        return order[n - 1];
    }

    private void applyRepetitionPenalty(float[] l) {
        if (config.repeatPenalty() == 1f || recentCount == 0) return;
        boolean[] seen = new boolean[l.length];
        for (int i = 0; i < recentCount; i++) {
            int t = recent[i];
            if (t < 0 || t >= l.length || seen[t]) continue;
            seen[t] = true;
            l[t] = l[t] > 0 ? l[t] / config.repeatPenalty() : l[t] * config.repeatPenalty();
        }
    }

    /** Token ids sorted by logit, highest first; ties keep the lower id first. */
    private static Integer[] candidates(float[] l) {
        Integer[] idx = new Integer[l.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> {
            int c = Float.compare(l[b], l[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        return idx;
    }

    /** Index of the largest value; the lowest index wins ties. */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
