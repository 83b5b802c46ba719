package dev.coffer.inference.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words before byte-level BPE, as llama.cpp's {@code unicode_regex_split} does for the
 * pre-tokenizer named by {@code tokenizer.ggml.pre}. Each rule of the list refines the previous split: it runs
 * inside every piece separately, and the text between its matches becomes a piece too.
 *
 * <p>llama.cpp runs its rules three ways, and so do we, because the results differ at the edges:
 * <ul>
 *   <li>the GPT-2 and Llama-3 expressions by hand-written scanners ({@link #gpt2}, {@link #llama3});</li>
 *   <li>expressions with {@code \p{..}} classes by std::regex over a "collapsed" text in which every code point
 *       above 127 becomes one placeholder character per category ({@link #collapsed});</li>
 *   <li>other expressions by std::wregex over the code points, non-ASCII white space turned into U+000B
 *       ({@link #wide}).</li>
 * </ul>
 * Java's regex engine is, like ECMAScript's, a backtracking engine with ordered alternation, so the same
 * expression over the same (collapsed) text finds the same matches.
 */
final class PreTokenizer {
    /** GPT-2's expression; llama.cpp recognises this exact text and scans it by hand. */
    static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static final String QWEN2_REGEX = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    // deepseek-llm's letter class (cased letters of Latin, Greek, Cyrillic, ...), spelled as code points so that no
    // editor or tool can normalise it: six of its characters are canonical singletons that NFC would replace.
    private static final String DEEPSEEK_LETTERS = "[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}"
            + "\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}"
            + "\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}"
            + "\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}"
            + "\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}"
            + "\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}"
            + "\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}"
            + "\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}"
            + "\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}"
            + "\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}"
            + "\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}"
            + "\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}"
            + "\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}"
            + "\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}"
            + "\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]";
    private static final String CJK_HANGUL = "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+";

    private final String name;
    private final List<Rule> rules;

    private PreTokenizer(String name, List<Rule> rules) {
        this.name = name;
        this.rules = rules;
    }

    String name() { return name; }

    /**
     * The pre-tokenizer for a {@code tokenizer.ggml.pre} value ({@code "default"} when the key is absent).
     *
     * @throws UnsupportedTokenizerException for a name llama.cpp knows but we have not implemented, or an
     *         unknown one
     */
    static PreTokenizer forName(String pre) {
        return switch (pre) {
            case "default" -> new PreTokenizer(pre, List.of(collapsed("[\\p{P}\\$\\+<=>\\^~\\|]+"), gpt2(),
                    collapsed("\\p{N}+"), wide("[0-9][0-9][0-9]")));
            case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de",
                 "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais" -> new PreTokenizer(pre, List.of(gpt2()));
            case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b" ->
                    new PreTokenizer(pre, List.of(collapsed("\\p{N}"), gpt2()));
            case "falcon" -> new PreTokenizer(pre, List.of(collapsed("[\\p{P}\\$\\+<=>\\^~\\|`]+"), gpt2(),
                    wide("[0-9][0-9][0-9]")));
            case "deepseek-llm" -> new PreTokenizer(pre, List.of(wide("[\r\n]"), wide("\\s?" + DEEPSEEK_LETTERS + "+"),
                    wide("\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+"),
                    wide("\\s+\\z"), wide(CJK_HANGUL), collapsed("\\p{N}+")));
            case "deepseek-coder" -> new PreTokenizer(pre, List.of(wide("[\r\n]"), collapsed("\\s?\\p{L}+"),
                    collapsed("\\s?\\p{P}+"), wide(CJK_HANGUL), collapsed("\\p{N}")));
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "dbrx", "smaug-bpe", "chatglm-bpe", "glm4" ->
                    new PreTokenizer(pre, List.of(llama3()));
            case "qwen2", "deepseek-r1-qwen", "megrez", "stablelm2" ->
                    new PreTokenizer(pre, List.of(collapsed(QWEN2_REGEX)));
            default -> throw new UnsupportedTokenizerException("pre-tokenizer '" + pre + "' (tokenizer.ggml.pre) is "
                    + "not supported; supported: default, gpt-2, starcoder, falcon, deepseek-llm, deepseek-coder, "
                    + "llama-bpe, qwen2 and their aliases");
        };
    }

    /** The words of {@code text}, in order; their concatenation is {@code text}. */
    List<String> split(String text) {
        int[] cps = text.codePoints().toArray();
        Pieces pieces = new Pieces(cps.length);
        pieces.add(cps.length);
        Texts texts = new Texts(cps);
        for (Rule rule : rules) {
            pieces = rule.apply(cps, texts, pieces);
        }
        String[] words = new String[pieces.size];
        int start = 0;
        for (int i = 0; i < pieces.size; i++) {
            int len = pieces.lengths[i];
            words[i] = new String(cps, start, len);
            start += len;
        }
        return List.of(words);
    }

    /** One rule of the list: refines every piece of the previous split. */
    private interface Rule {
        Pieces apply(int[] cps, Texts texts, Pieces previous);
    }

    /** Lengths (in code points) of consecutive pieces. */
    private static final class Pieces {
        int[] lengths;
        int size;

        Pieces(int capacity) { lengths = new int[Math.max(4, capacity)]; }

        void add(int len) {
            if (len <= 0) return;
            if (size == lengths.length) lengths = Arrays.copyOf(lengths, size * 2);
            lengths[size++] = len;
        }
    }

    /** The two rewritten forms of the text the regex rules run over, made once per split when first needed. */
    private static final class Texts {
        private final int[] cps;
        private String collapsed;
        private String wide;
        private int[] wideCharIndex; // code point index -> char index in `wide`

        Texts(int[] cps) { this.cps = cps; }

        /** One char per code point: ASCII as is, white space U+000B, others a placeholder per category. */
        String collapsed() {
            if (collapsed == null) {
                char[] c = new char[cps.length];
                for (int i = 0; i < cps.length; i++) c[i] = collapse(cps[i]);
                collapsed = new String(c);
            }
            return collapsed;
        }

        String wide() {
            if (wide == null) {
                StringBuilder sb = new StringBuilder(cps.length + 8);
                wideCharIndex = new int[cps.length + 1];
                for (int i = 0; i < cps.length; i++) {
                    wideCharIndex[i] = sb.length();
                    int cp = cps[i];
                    sb.appendCodePoint(cp > 0x7F && Codepoints.isWhitespace(cp) ? 0x0B : cp);
                }
                wideCharIndex[cps.length] = sb.length();
                wide = sb.toString();
            }
            return wide;
        }

        int wideCharIndex(int cpIndex) {
            wide();
            return wideCharIndex[cpIndex];
        }
    }

    static char collapse(int cp) {
        if (cp < 128) return (char) cp;
        if (Codepoints.isWhitespace(cp)) return 0x0B;
        return switch (Codepoints.category(cp)) {
            case Codepoints.NUMBER -> COLLAPSED_NUMBER;
            case Codepoints.LETTER -> COLLAPSED_LETTER;
            case Codepoints.PUNCTUATION -> COLLAPSED_PUNCTUATION;
            case Codepoints.MARK -> COLLAPSED_MARK;
            case Codepoints.SYMBOL -> COLLAPSED_SYMBOL;
            default -> COLLAPSED_OTHER;
        };
    }

    private static final char COLLAPSED_OTHER = 0xD0;
    private static final char COLLAPSED_NUMBER = 0xD1;
    private static final char COLLAPSED_LETTER = 0xD2;
    private static final char COLLAPSED_PUNCTUATION = 0xD3;
    private static final char COLLAPSED_MARK = 0xD4;
    private static final char COLLAPSED_SYMBOL = 0xD5;

    /**
     * Rewrites an expression for the collapsed text the way llama.cpp does: each {@code \p{X}} becomes the
     * placeholder of its category plus the ASCII members of that category, inside brackets unless it already is.
     */
    static String collapseRegex(String regex) {
        StringBuilder out = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '[' && (i == 0 || regex.charAt(i - 1) != '\\')) {
                out.append('[');
                inside = true;
                continue;
            }
            if (inside && c == ']' && regex.charAt(i - 1) != '\\') {
                out.append(']');
                inside = false;
                continue;
            }
            if (c == '\\' && i + 3 < regex.length() && regex.charAt(i + 1) == 'p' && regex.charAt(i + 2) == '{') {
                int close = regex.indexOf('}', i + 3);
                if (close >= 0 && close <= i + 10) {
                    String members = categoryMembers(regex.substring(i, close + 1));
                    if (members != null) {
                        if (!inside) out.append('[');
                        out.append(members);
                        if (!inside) out.append(']');
                        i = close;
                        continue;
                    }
                }
            }
            out.append(c);
        }
        return out.toString();
    }

    private static String categoryMembers(String property) {
        return switch (property) {
            case "\\p{N}" -> COLLAPSED_NUMBER + "0-9";
            case "\\p{L}", "\\p{Lu}", "\\p{Ll}", "\\p{Lt}", "\\p{Lm}", "\\p{Lo}" -> COLLAPSED_LETTER + "A-Za-z";
            case "\\p{P}" -> COLLAPSED_PUNCTUATION + "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}";
            case "\\p{M}" -> String.valueOf(COLLAPSED_MARK);
            case "\\p{S}" -> COLLAPSED_SYMBOL + "\\$\\+<->^`\\|";
            default -> null;
        };
    }

    private static Rule collapsed(String llamaRegex) {
        Pattern p = Pattern.compile(collapseRegex(llamaRegex));
        return (cps, texts, previous) -> {
            String text = texts.collapsed();
            return splitByPattern(p, text, previous, i -> i);
        };
    }

    private static Rule wide(String javaRegex) {
        Pattern p = Pattern.compile(javaRegex);
        return (cps, texts, previous) -> {
            String text = texts.wide();
            return splitByPattern(p, text, previous, texts::wideCharIndex);
        };
    }

    private interface CharIndex {
        int of(int cpIndex);
    }

    /** std::regex_iterator over each piece: every match is a piece, and so is the text between matches. */
    private static Pieces splitByPattern(Pattern p, String text, Pieces previous, CharIndex charIndex) {
        Pieces out = new Pieces(previous.size * 2);
        int start = 0;
        for (int k = 0; k < previous.size; k++) {
            int len = previous.lengths[k];
            int from = charIndex.of(start);
            int to = charIndex.of(start + len);
            // A substring, not a region: lookaheads and \z must see the piece's end as the end of the text.
            String piece = text.substring(from, to);
            Matcher m = p.matcher(piece);
            int cpDone = 0; // code points of the piece already emitted
            int charDone = 0;
            while (m.find()) {
                if (m.end() == m.start()) continue;
                int cpStart = cpDone + piece.codePointCount(charDone, m.start());
                int cpEnd = cpStart + piece.codePointCount(m.start(), m.end());
                out.add(cpStart - cpDone);
                out.add(cpEnd - cpStart);
                cpDone = cpEnd;
                charDone = m.end();
            }
            out.add(len - cpDone);
            start += len;
        }
        return out;
    }

    /** A hand scanner over one piece, emitting word ends. */
    private abstract static class Scanner implements Rule {
        int[] cps;
        int ini;
        int end;
        int prevEnd;
        Pieces out;

        @Override
        public Pieces apply(int[] cps, Texts texts, Pieces previous) {
            this.cps = cps;
            out = new Pieces(previous.size * 2);
            int start = 0;
            for (int k = 0; k < previous.size; k++) {
                ini = start;
                end = start + previous.lengths[k];
                prevEnd = ini;
                scan();
                start = end;
            }
            Pieces result = out;
            this.cps = null;
            this.out = null;
            return result;
        }

        abstract void scan();

        static final int OUT_OF_RANGE = -1;

        int cpt(int pos) { return pos >= ini && pos < end ? cps[pos] : OUT_OF_RANGE; }

        boolean inRange(int pos) { return pos >= ini && pos < end; }

        boolean letter(int pos) { return inRange(pos) && Codepoints.isLetter(cps[pos]); }

        boolean number(int pos) { return inRange(pos) && Codepoints.isNumber(cps[pos]); }

        boolean space(int pos) { return inRange(pos) && Codepoints.isWhitespace(cps[pos]); }

        /** [^\s\p{L}\p{N}], false outside the piece. */
        boolean other(int pos) { return inRange(pos) && !space(pos) && !letter(pos) && !number(pos); }

        int addToken(int wordEnd) {
            int len = wordEnd - prevEnd;
            out.add(len);
            prevEnd = wordEnd;
            return len;
        }
    }

    /** Scanner for {@link #GPT2_REGEX}, as llama.cpp's unicode_regex_split_custom_gpt2. */
    private static Rule gpt2() {
        return new Scanner() {
            @Override
            void scan() {
                for (int pos = ini; pos < end; ) {
                    int cpt = cpt(pos);
                    if (cpt == '\'' && pos + 1 < end) {
                        int next = cpt(pos + 1);
                        if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                            pos += addToken(pos + 2);
                            continue;
                        }
                        if (pos + 2 < end) {
                            int next2 = cpt(pos + 2);
                            if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e')
                                    || (next == 'l' && next2 == 'l')) {
                                pos += addToken(pos + 3);
                                continue;
                            }
                        }
                    }
                    int at = cpt == ' ' ? pos + 1 : pos; // the optional leading space
                    if (letter(at)) {
                        pos = at;
                        while (letter(pos)) pos++;
                        addToken(pos);
                        continue;
                    }
                    if (number(at)) {
                        pos = at;
                        while (number(pos)) pos++;
                        addToken(pos);
                        continue;
                    }
                    if (other(at)) {
                        pos = at;
                        while (other(pos)) pos++;
                        addToken(pos);
                        continue;
                    }
                    int spaces = 0;
                    while (space(pos + spaces)) spaces++;
                    if (spaces > 1 && cpt(pos + spaces) != OUT_OF_RANGE) { // \s+(?!\S): leave one for the next word
                        pos += spaces - 1;
                        addToken(pos);
                        continue;
                    }
                    if (spaces > 0) {
                        pos += spaces;
                        addToken(pos);
                        continue;
                    }
                    addToken(++pos);
                }
            }
        };
    }

    /** Scanner for Llama 3's expression, as llama.cpp's unicode_regex_split_custom_llama3. */
    private static Rule llama3() {
        return new Scanner() {
            @Override
            void scan() {
                for (int pos = ini; pos < end; ) {
                    int cpt = cpt(pos);
                    if (cpt == '\'' && pos + 1 < end) { // (?i:'s|'t|'re|'ve|'m|'ll|'d)
                        int next = Codepoints.toLower(cpt(pos + 1));
                        if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                            pos += addToken(pos + 2);
                            continue;
                        }
                        if (pos + 2 < end) {
                            int next2 = Codepoints.toLower(cpt(pos + 2));
                            if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e')
                                    || (next == 'l' && next2 == 'l')) {
                                pos += addToken(pos + 3);
                                continue;
                            }
                        }
                    }
                    // [^\r\n\p{L}\p{N}]?\p{L}+
                    if (!(cpt == '\r' || cpt == '\n' || number(pos))) {
                        if (letter(pos) || letter(pos + 1)) {
                            pos++;
                            while (letter(pos)) pos++;
                            addToken(pos);
                            continue;
                        }
                    }
                    // \p{N}{1,3}
                    if (number(pos)) {
                        int first = pos;
                        while (number(pos)) {
                            if (++pos - first >= 3) {
                                addToken(pos);
                                first = pos;
                            }
                        }
                        addToken(pos);
                        continue;
                    }
                    // " ?[^\s\p{L}\p{N}]+[\r\n]*"; llama.cpp tests the flags of `pos` for being in range here, so a
                    // lone trailing space takes this branch (with the same result as \s+).
                    int at = cpt == ' ' ? pos + 1 : pos;
                    if (!(space(at) || letter(at) || number(at))) {
                        pos = at;
                        while (other(pos)) pos++;
                        while (cpt(pos) == '\r' || cpt(pos) == '\n') pos++;
                        addToken(pos);
                        continue;
                    }
                    int spaces = 0;
                    int lastLineEnd = 0;
                    while (space(pos + spaces)) {
                        int c = cpt(pos + spaces);
                        if (c == '\r' || c == '\n') lastLineEnd = pos + spaces + 1;
                        spaces++;
                    }
                    if (lastLineEnd > 0) { // \s*[\r\n]+
                        pos = lastLineEnd;
                        addToken(pos);
                        continue;
                    }
                    if (spaces > 1 && cpt(pos + spaces) != OUT_OF_RANGE) { // \s+(?!\S)
                        pos += spaces - 1;
                        addToken(pos);
                        continue;
                    }
                    if (spaces > 0) {
                        pos += spaces;
                        addToken(pos);
                        continue;
                    }
                    addToken(++pos);
                }
            }
        };
    }

    @Override
    public String toString() {
        return "PreTokenizer[" + name + "]";
    }
}
