package dev.coffer.bench;

/**
 * The prefill of speed runs: BOS, then fixed ordinary ids below 400 (valid in every vocabulary we bench), so the
 * cost does not depend on a tokenizer. src/main/node/peer.mjs builds the same ids for the peer.
 */
public final class BenchPrompt {
    private BenchPrompt() {}

    public static int[] tokens(int bos, int length) {
        int[] t = new int[length];
        t[0] = bos;
        for (int i = 1; i < length; i++) t[i] = 100 + (i * 37) % 300;
        return t;
    }
}
