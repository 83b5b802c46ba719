package dev.coffer.inference.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.inference.tokenizer.LlamaCppVocabCases.Case;
import dev.coffer.inference.testing.SharedAssets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays llama.cpp's tests/test-tokenizer-0 for every vocabulary it ships expectations for: each case must
 * tokenize (add_special = false, parse_special = false, as that test calls common_tokenize) to exactly the ids
 * llama.cpp's reference recorded, and must decode back to its input.
 */
class LlamaCppTokenizerTest {

    /** Every case of every vocabulary; one placeholder per vocabulary whose files are absent, which then skips. */
    static List<Object[]> cases() {
        List<Object[]> all = new ArrayList<>();
        for (String vocab : LlamaCppVocabCases.VOCABS) {
            List<Case> cases = LlamaCppVocabCases.cases(vocab);
            if (cases.isEmpty() || !Files.isRegularFile(LlamaCppVocabCases.gguf(vocab))) {
                all.add(new Object[] {new Case(vocab, -1, "(vocabulary or test data absent)", new int[0])});
            } else {
                for (Case c : cases) all.add(new Object[] {c});
            }
        }
        return all;
    }

    private static Tokenizer tokenizerFor(Case c) {
        Tokenizer t = LlamaCppVocabCases.tokenizer(c.vocab());
        SharedAssets.require("vocab/ggml-vocab-" + c.vocab() + ".gguf.inp");
        return t;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void tokenizesLikeLlamaCpp(Case c) {
        Tokenizer t = tokenizerFor(c);
        assertThat(t.encode(c.input(), false, false))
                .as("%s tokens of %s", c.vocab(), LlamaCppVocabCases.printable(c.input()))
                .containsExactly(c.expected());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decodesBackToTheInput(Case c) {
        Tokenizer t = tokenizerFor(c);
        assertThat(t.decode(t.encode(c.input(), false, false))).isEqualTo(c.input());
        assertThat(t.decode(t.encode(c.input(), true, false))).isEqualTo(c.input());
    }
}
