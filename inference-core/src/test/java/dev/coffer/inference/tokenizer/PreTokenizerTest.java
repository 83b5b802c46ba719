package dev.coffer.inference.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PreTokenizerTest {
    /** Llama 3's expression as tokenizer.json states it, for Java's engine with Unicode \s. */
    private static final Pattern LLAMA3 = Pattern.compile("(?U)(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
    private static final Pattern QWEN2 = Pattern.compile("(?U)(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    @Test
    void gpt2KeepsOneSpaceForTheNextWord() {
        assertThat(PreTokenizer.forName("gpt-2").split("Hello  world's 123!!\n\n"))
                .containsExactly("Hello", " ", " world", "'s", " 123", "!!", "\n\n");
    }

    @Test
    void llama3GroupsDigitsByThreeAndKeepsNewlinesTogether() {
        assertThat(PreTokenizer.forName("llama-bpe").split("I'M 1234567 ok?\n\n  x"))
                .containsExactly("I", "'M", " ", "123", "456", "7", " ok", "?\n\n", " ", " x");
    }

    @Test
    void starcoderAndDeepseekCoderSplitEveryDigit() {
        assertThat(PreTokenizer.forName("starcoder").split("a 123")).containsExactly("a", " ", "1", "2", "3");
        assertThat(PreTokenizer.forName("deepseek-coder").split("x=42;")).containsExactly("x", "=", "4", "2", ";");
    }

    @Test
    void collapsesUnicodeCategoriesLikeLlamaCpp() {
        assertThat(PreTokenizer.collapseRegex("\\p{N}+")).isEqualTo("[\u00D10-9]+");
        assertThat(PreTokenizer.collapseRegex("[^\\s\\p{L}\\p{N}]")).isEqualTo("[^\\s\u00D2A-Za-z\u00D10-9]");
        assertThat(PreTokenizer.collapse('a')).isEqualTo('a');
        assertThat(PreTokenizer.collapse(0x3000)).isEqualTo((char) 0x0B); // ideographic space is \s
        assertThat(PreTokenizer.collapse('ü')).isEqualTo((char) 0xD2);
        assertThat(PreTokenizer.collapse('½')).isEqualTo((char) 0xD1);
        assertThat(PreTokenizer.collapse(0x200D)).isEqualTo((char) 0xD0); // zero-width joiner: format, "other"
    }

    @Test
    void rejectsUnknownPreTokenizers() {
        assertThatThrownBy(() -> PreTokenizer.forName("no-such-pre"))
                .isInstanceOf(UnsupportedTokenizerException.class)
                .hasMessageContaining("no-such-pre");
    }

    static Stream<Arguments> inputs() {
        return LlamaCppVocabCases.cases("gpt-2").stream().map(c -> Arguments.of(c));
    }

    /** llama.cpp scans Llama 3's expression by hand; on its own test inputs that must agree with the regex. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void llama3ScannerAgreesWithTheExpression(LlamaCppVocabCases.Case c) {
        assertThat(PreTokenizer.forName("llama-bpe").split(c.input())).isEqualTo(regexSplit(LLAMA3, c.input()));
    }

    /** Qwen2's expression runs over collapsed text; that must agree with the expression over the real text. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void qwen2CollapsedSplitAgreesWithTheExpression(LlamaCppVocabCases.Case c) {
        assertThat(PreTokenizer.forName("qwen2").split(c.input())).isEqualTo(regexSplit(QWEN2, c.input()));
    }

    private static List<String> regexSplit(Pattern p, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) out.add(text.substring(last, m.start()));
            out.add(m.group());
            last = m.end();
        }
        if (last < text.length()) out.add(text.substring(last));
        return out;
    }
}
