package dev.coffer.inference.fingerprint;

import java.util.List;
import java.util.Objects;

/**
 * What a model computed for one probe: for each generated position (greedy), the chosen token's bytes and
 * log-probability and the top alternatives with theirs, exactly as the OpenAI API reports them ({@code logprobs},
 * {@code top_logprobs}). Two stacks with the same numerics give the same trace bit for bit.
 */
public record ProbeTrace(String prompt, List<Position> positions) {
    public ProbeTrace {
        Objects.requireNonNull(prompt, "prompt");
        positions = List.copyOf(positions);
    }

    /** One generated position. */
    public record Position(byte[] token, float logprob, List<byte[]> top, float[] topLogprobs) {
        public Position {
            token = token.clone();
            top = top.stream().map(byte[]::clone).toList();
            topLogprobs = topLogprobs.clone();
            if (top.size() != topLogprobs.length) throw new IllegalArgumentException("top tokens and logprobs differ in length");
        }

        @Override
        public byte[] token() {
            return token.clone();
        }

        @Override
        public float[] topLogprobs() {
            return topLogprobs.clone();
        }
    }
}
