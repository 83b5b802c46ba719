package dev.coffer.inference.tokenizer;

/**
 * The code point classes llama.cpp's pre-tokenizers use (its {@code unicode_cpt_flags}): exactly one general
 * category group per code point (L, N, Z, M, P, S or C, where C also covers unassigned code points) plus the
 * Unicode White_Space property for {@code \s}.
 *
 * <p>llama.cpp generates its tables with Python's {@code regex} module; we ask {@link Character#getType}, which
 * agrees for every code point assigned in both Unicode versions. Only code points assigned after llama.cpp's
 * table was generated could be classed differently (they are C there).
 */
final class Codepoints {
    static final int NUMBER = 1;
    static final int LETTER = 2;
    static final int SEPARATOR = 3;
    static final int MARK = 4;
    static final int PUNCTUATION = 5;
    static final int SYMBOL = 6;
    static final int CONTROL = 7;

    private Codepoints() {}

    static int category(int cp) {
        return switch (Character.getType(cp)) {
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SEPARATOR;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> PUNCTUATION;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL,
                 Character.OTHER_SYMBOL -> SYMBOL;
            default -> CONTROL; // Cc, Cf, Co, Cs and unassigned (Cn)
        };
    }

    static boolean isLetter(int cp) { return category(cp) == LETTER; }

    static boolean isNumber(int cp) { return category(cp) == NUMBER; }

    /** The Unicode White_Space property, which is what {@code \s} means to the regex module llama.cpp uses. */
    static boolean isWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /** Simple lower-case mapping of one code point (the first char of Python's {@code str.lower()}). */
    static int toLower(int cp) {
        return Character.toLowerCase(cp);
    }
}
