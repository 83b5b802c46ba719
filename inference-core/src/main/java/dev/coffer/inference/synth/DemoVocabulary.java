package dev.coffer.inference.synth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Coffer's own small tokenizer vocabulary, expressed as a llama.cpp {@code llama} (SentencePiece-style) GGUF vocab
 * so the demo model needs no downloaded tokenizer: {@code <unk>}=0, {@code <s>}=1, {@code </s>}=2, the 256 byte
 * tokens {@code <0x00>..<0xFF>} (type BYTE, for byte fallback), the 95 printable ASCII characters, then frequent
 * English words and letter groups. Spaces are U+2581 ("▁") as in SentencePiece, so "▁the" is " the".
 *
 * <p>llama.cpp's SPM tokenizer builds pieces by merging adjacent pairs that are themselves in the vocabulary, so
 * every multi-character piece comes with all its prefixes: "▁the" brings "▁t" and "▁th". Scores decrease with
 * the list order (earlier = more frequent = merged first), as SentencePiece's log-probabilities do.
 */
public final class DemoVocabulary {
    private DemoVocabulary() {}

    /** llama.cpp token types (llama_token_type): 1 normal, 2 unknown, 3 control, 6 byte. */
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int BYTE = 6;

    public static final String SPACE = "\u2581";

    /** The vocabulary: tokens, scores and token types, index = token id. */
    public record Vocab(List<String> tokens, float[] scores, int[] types) {
        public int size() { return tokens.size(); }
    }

    private static final String WORDS = """
            the and to a of was he she it in you that his her they i is with for on said but had as at one day
            be have not all so there were we what this are up out little time when then big very from him them
            do could would go can did no my your like saw said went came wanted happy play friend friends mom
            dad home tree ball dog cat bird fun new toy park sun sky red blue green good best made make look
            looked see help helped mother father girl boy named lily tim ben sue sam once upon about back
            into an or if will just now more some other after over down because than their our by how its two
            who which has been get got know think thought say way well also only first never again always
            something thing things people man woman kind nice love loved smile smiled ran run walk walked jump
            jumped found find took take give gave tell told ask asked feel felt sad scared brave strong small
            old house car water food eat ate cake apple flower garden school book story night sleep bed morning
            together around away hand head eyes door room table box hat shoe shoes game games learn learned
            """;

    private static final String GROUPS = """
            th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me
            de hi ri ro ic ne ea ra ce li ch ll be ma si om ur ing ion ent ly ere all ter est ould tion
            """;

    public static Vocab build() {
        List<String> tokens = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        add(tokens, scores, types, "<unk>", 0f, UNKNOWN);
        add(tokens, scores, types, "<s>", 0f, CONTROL);
        add(tokens, scores, types, "</s>", 0f, CONTROL);
        for (int b = 0; b < 256; b++) add(tokens, scores, types, String.format("<0x%02X>", b), 0f, BYTE);

        // Multi-character pieces in frequency order, each preceded by its missing prefixes.
        Set<String> pieces = new LinkedHashSet<>();
        for (String w : WORDS.trim().split("\\s+")) {
            addWithPrefixes(pieces, SPACE + w);
            if (Character.isLowerCase(w.charAt(0))) {
                addWithPrefixes(pieces, SPACE + Character.toUpperCase(w.charAt(0)) + w.substring(1));
            }
        }
        for (String g : GROUPS.trim().split("\\s+")) addWithPrefixes(pieces, g);
        pieces.add(SPACE + SPACE); // runs of spaces (indentation)

        // Single characters first (every piece is built from them), then the pieces.
        int rank = 0;
        for (char c = 0x20; c < 0x7F; c++) {
            String piece = c == ' ' ? SPACE : String.valueOf(c);
            add(tokens, scores, types, piece, -1000f - rank++, NORMAL);
        }
        rank = 0;
        for (String p : pieces) {
            if (p.length() > 1) add(tokens, scores, types, p, -1f - rank++, NORMAL);
        }
        float[] s = new float[scores.size()];
        int[] t = new int[types.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
            t[i] = types.get(i);
        }
        return new Vocab(List.copyOf(tokens), s, t);
    }

    private static void addWithPrefixes(Set<String> pieces, String word) {
        for (int end = 2; end <= word.length(); end++) pieces.add(word.substring(0, end));
    }

    private static void add(List<String> tokens, List<Float> scores, List<Integer> types, String t, float s, int type) {
        if (tokens.contains(t)) return;
        tokens.add(t);
        scores.add(s);
        types.add(type);
    }
}
