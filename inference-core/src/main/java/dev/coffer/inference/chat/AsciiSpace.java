package dev.coffer.inference.chat;

/**
 * Trimming as llama.cpp's {@code trim} does it: C {@code isspace} in the "C" locale, i.e. only the six ASCII
 * whitespace characters. {@link String#strip} would also remove Unicode spaces and {@link String#trim} all
 * control characters, and the prompt would then differ from llama.cpp's.
 */
final class AsciiSpace {
    private AsciiSpace() {
    }

    static String trim(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }
}
