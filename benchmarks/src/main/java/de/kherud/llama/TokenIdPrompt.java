package de.kherud.llama;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Lets a java-llama.cpp completion start from token ids instead of text. The bundled llama.cpp server accepts
 * {@code "prompt": [ids]} and then evaluates exactly those ids (no tokenization, no BOS added), but 4.2.0's
 * {@link InferenceParameters} only offers a string prompt, so this sits in the library's package to reach its
 * parameter map. Peer comparisons need it: Coffer and llama.cpp must be fed the very same ids.
 */
public final class TokenIdPrompt {
    private TokenIdPrompt() {}

    public static InferenceParameters of(int[] tokenIds) {
        if (tokenIds.length == 0) throw new IllegalArgumentException("a prompt needs at least one token id");
        InferenceParameters p = new InferenceParameters("");
        p.parameters.put("prompt", Arrays.stream(tokenIds).mapToObj(Integer::toString)
                .collect(Collectors.joining(",", "[", "]")));
        return p;
    }
}
