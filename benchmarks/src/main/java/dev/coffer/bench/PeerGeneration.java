package dev.coffer.bench;

import java.util.List;

/**
 * A peer's greedy continuation of a prompt given as token ids.
 *
 * @param prompt    the ids the peer evaluated
 * @param tokens    generated ids, in order; -1 where the peer's output could not be tied to one id
 * @param pieces    the text the peer streamed per generated token (java-llama.cpp); empty when the peer reports ids
 * @param inferred  how many ids were inferred from an ambiguous piece (see {@link PieceTable})
 */
public record PeerGeneration(int[] prompt, int[] tokens, List<String> pieces, int inferred) {
    public PeerGeneration {
        prompt = prompt.clone();
        tokens = tokens.clone();
        pieces = List.copyOf(pieces);
    }

    @Override
    public int[] prompt() { return prompt.clone(); }

    @Override
    public int[] tokens() { return tokens.clone(); }
}
