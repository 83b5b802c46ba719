package dev.coffer.inference.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufFormatException;
import dev.coffer.inference.gguf.GgufWriter;
import dev.coffer.inference.testing.SharedAssets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TokenizerTest {

    private static Tokenizer model(String name) throws Exception {
        try (GgufFile f = GgufFile.open(SharedAssets.require("models/" + name))) {
            return Tokenizer.fromGguf(f);
        }
    }

    /** A metadata-only GGUF image in memory, for vocabularies made up by a test. */
    private static GgufFile image(GgufWriter w) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            w.writeTo(out, (tensor, o) -> { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return GgufFile.parse("test.gguf", MemorySegment.ofArray(out.toByteArray()));
    }

    private static Tokenizer vocab(String name) {
        return LlamaCppVocabCases.tokenizer(name);
    }

    @Test
    void stories260kMatchesLlamaTokenize() throws Exception {
        Tokenizer t = model("stories260K.gguf");
        // llama-tokenize --ids -p "Once upon a time" (llama.cpp c392e509), see models/README.md
        assertThat(t.encode("Once upon a time", true, false)).containsExactly(1, 403, 407, 261, 378);
        assertThat(t.encode("Once upon a time", false, false)).containsExactly(403, 407, 261, 378);
        assertThat(t.vocabSize()).isEqualTo(512);
        assertThat(t.bos()).isEqualTo(1);
        assertThat(t.eos()).isEqualTo(2);
        assertThat(t.decode(new int[] {1, 403, 407, 261, 378})).isEqualTo("Once upon a time");
    }

    @Test
    void llama2TinyRandomMatchesLlamaTokenize() throws Exception {
        Tokenizer t = model("llama-2-tiny-random.gguf");
        assertThat(t.encode("Once upon a time", true, false)).containsExactly(1, 9038, 2501, 263, 931);
        assertThat(t.vocabSize()).isEqualTo(32000);
    }

    @Test
    void sentencePieceRecognisesControlTokensOnlyWhenAsked() {
        Tokenizer t = vocab("llama-spm");
        // After a special token the text gets the space prefix again: "Hello" -> "▁Hello".
        assertThat(t.encode("<s>Hello</s>", false, true)).containsExactly(1, 15043, 2);
        int[] plain = t.encode("<s>Hello</s>", false, false);
        assertThat(plain).doesNotContain(1, 2);
        assertThat(t.decode(plain)).isEqualTo("<s>Hello</s>");
    }

    @Test
    void sentencePiecePiecesAndDecoding() {
        Tokenizer t = vocab("llama-spm");
        assertThat(t.tokenText(15043)).isEqualTo("▁Hello");
        assertThat(t.tokenBytes(15043)).isEqualTo(" Hello".getBytes(StandardCharsets.UTF_8));
        assertThat(t.tokenText(13)).isEqualTo("<0x0A>");
        assertThat(t.tokenBytes(13)).containsExactly(10);
        assertThat(t.tokenBytes(1)).isEmpty(); // control tokens render as nothing
        assertThat(t.tokenText(1)).isEqualTo("<s>");
        // Only the space the prefix added is dropped, also behind BOS.
        assertThat(t.decode(new int[] {1, 15043, 3186})).isEqualTo("Hello world");
        assertThat(t.decode(new int[] {29871, 15043})).isEqualTo(" Hello");
        // A byte token sequence that is cut short decodes with a replacement character, not an exception.
        assertThat(t.decode(new int[] {243, 162})).isEqualTo("\uFFFD");
        assertThatThrownBy(() -> t.tokenBytes(32000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32000");
    }

    @Test
    void byteLevelPiecesMapBackToBytes() {
        Tokenizer t = vocab("gpt-2");
        int[] ids = t.encode(" world\n", false, false);
        assertThat(ids).hasSize(2);
        assertThat(t.tokenText(ids[0])).isEqualTo("Ġworld");
        assertThat(t.tokenBytes(ids[0])).isEqualTo(" world".getBytes(StandardCharsets.UTF_8));
        assertThat(t.tokenText(ids[1])).isEqualTo("Ċ");
        assertThat(t.tokenBytes(ids[1])).containsExactly('\n');
        assertThat(t.encode("<|endoftext|>", false, true)).containsExactly(50256);
    }

    @Test
    void endOfGenerationFollowsLlamaCpp() {
        Tokenizer spm = vocab("llama-spm");
        assertThat(spm.isEndOfGeneration(2)).isTrue();
        assertThat(spm.isEndOfGeneration(1)).isFalse();
        Tokenizer phi3 = vocab("phi-3");
        assertThat(phi3.eos()).isEqualTo(32000);
        assertThat(phi3.tokenText(32007)).isEqualTo("<|end|>");
        assertThat(phi3.isEndOfGeneration(32007)).isTrue(); // found by its text, as llama.cpp does
        assertThat(phi3.isEndOfGeneration(32001)).isFalse(); // <|assistant|>
        Tokenizer gpt2 = vocab("gpt-2");
        assertThat(gpt2.bos()).isEqualTo(50256);
        assertThat(gpt2.isEndOfGeneration(50256)).isTrue();
    }

    @Test
    void phi3SpecialTokensSwallowTheFollowingSpace() {
        Tokenizer t = vocab("phi-3");
        // llama.cpp marks Phi-3's special tokens rstrip: the space after <|end|> is dropped and the text that follows
        // gets the usual space prefix.
        int[] hi = t.encode("Hi", false, false);
        int[] expected = IntStream.concat(IntStream.of(32007), IntStream.of(hi)).toArray();
        assertThat(t.encode("<|end|> Hi", false, true)).containsExactly(expected);
    }

    @Test
    void userDefinedTokensAreCutOutEvenWithoutParseSpecial() {
        Tokenizer t = vocab("deepseek-coder");
        assertThat(t.tokenText(32009)).isEqualTo("ü"); // a user-defined token in deepseek-coder's vocabulary
        assertThat(t.encode("Führer", false, false)).contains(32009);
    }

    @Test
    void longInputsTokenizeAndRoundTrip() {
        Tokenizer t = vocab("llama-spm");
        String text = "a".repeat(50_000) + " " + "The quick brown fox. ".repeat(2_000);
        assertThat(t.decode(t.encode(text, true, false))).isEqualTo(text);
    }

    /** A byte-level vocabulary: the 256 byte characters, then the given tokens. */
    private static String[] byteVocab(String... extra) {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevel.charOf(b)));
        tokens.addAll(List.of(extra));
        return tokens.toArray(String[]::new);
    }

    private static Tokenizer tinyBpe(String pre, String[] tokens, String... merges) {
        return Tokenizer.fromGguf(image(new GgufWriter().putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", pre).putStrings("tokenizer.ggml.tokens", tokens)
                .putStrings("tokenizer.ggml.merges", merges).putUInt32("tokenizer.ggml.bos_token_id", tokens.length - 1)
                .putUInt32("tokenizer.ggml.eos_token_id", tokens.length - 1)));
    }

    @Test
    void llama3TakesWholeWordsFromTheVocabularyAndAddsBos() {
        String[] tokens = byteVocab("Hello", "Ġwo", "Ġworld", "<|begin_of_text|>");
        Tokenizer llama3 = tinyBpe("llama-bpe", tokens, "Ġ w", "Ġw o");
        // "Hello" and " world" have no merges leading to them but are tokens: llama.cpp's ignore_merges takes them whole.
        int hello = 256;
        int spaceWo = 257;
        int spaceWorld = 258;
        int bos = 259;
        assertThat(llama3.bos()).isEqualTo(bos);
        assertThat(llama3.encode("Hello world", true, false)).containsExactly(bos, hello, spaceWorld);
        // gpt-2 neither takes whole words nor adds BOS by default.
        Tokenizer gpt2 = tinyBpe("gpt-2", tokens, "Ġ w", "Ġw o");
        assertThat(gpt2.encode("Hello world", true, false)).containsExactly('H', 'e', 'l', 'l', 'o', spaceWo, 'r', 'l', 'd');
    }

    @Test
    void mergesApplyByRankNotByPosition() {
        // "abc": the pair (b, c) outranks (a, b), so the result is a + bc, not ab + c.
        String[] tokens = byteVocab("ab", "bc", "<eos>");
        Tokenizer t = tinyBpe("gpt-2", tokens, "b c", "a b");
        assertThat(t.encode("abc", false, false)).containsExactly('a', 257);
        assertThat(t.decode(new int[] {'a', 257})).isEqualTo("abc");
    }

    @Test
    void sentencePieceMergesByScoreAndFallsBackToBytes() {
        String[] tokens = IntStream.range(0, 256).mapToObj(b -> String.format("<0x%02X>", b)).toArray(String[]::new);
        List<String> list = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        list.addAll(List.of(tokens));
        list.addAll(List.of("▁", "a", "b", "c", "▁a", "ab", "bc", "▁ab"));
        float[] scores = new float[list.size()];
        int[] types = new int[list.size()];
        for (int i = 0; i < list.size(); i++) {
            types[i] = i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1;
        }
        int bc = list.indexOf("bc");
        scores[list.indexOf("▁a")] = -1;
        scores[list.indexOf("ab")] = -3;
        scores[bc] = -2;
        scores[list.indexOf("▁ab")] = -5;
        Tokenizer t = Tokenizer.fromGguf(image(new GgufWriter().putString("tokenizer.ggml.model", "llama")
                .putStrings("tokenizer.ggml.tokens", list.toArray(String[]::new)).putFloats("tokenizer.ggml.scores", scores)
                .putInt32s("tokenizer.ggml.token_type", types)));
        // "▁abc": ▁a (-1) merges first, then bc (-2); the queued ab and ▁ab are outdated by then and skipped.
        assertThat(t.encode("abc", true, false)).containsExactly(1, list.indexOf("▁a"), bc);
        // "é" is not in the vocabulary: its two UTF-8 bytes become byte tokens <0xC3> <0xA9>.
        assertThat(t.encode("é", false, false)).containsExactly(list.indexOf("▁"), 3 + 0xC3, 3 + 0xA9);
        assertThat(t.decode(t.encode("é", false, false))).isEqualTo("é");
    }

    @Test
    void rejectsWhatItCannotTokenize() {
        GgufFile bert = image(new GgufWriter().putString("tokenizer.ggml.model", "bert")
                .putStrings("tokenizer.ggml.tokens", "a"));
        assertThatThrownBy(() -> Tokenizer.fromGguf(bert)).isInstanceOf(UnsupportedTokenizerException.class)
                .hasMessageContaining("'bert'");
        GgufFile noMerges = image(new GgufWriter().putString("tokenizer.ggml.model", "gpt2")
                .putStrings("tokenizer.ggml.tokens", "a"));
        assertThatThrownBy(() -> Tokenizer.fromGguf(noMerges)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("merges");
        GgufFile duplicate = image(new GgufWriter().putString("tokenizer.ggml.model", "llama")
                .putStrings("tokenizer.ggml.tokens", "a", "b", "a"));
        assertThatThrownBy(() -> Tokenizer.fromGguf(duplicate)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("duplicate token");
    }
}
