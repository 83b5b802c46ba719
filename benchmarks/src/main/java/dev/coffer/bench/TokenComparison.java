package dev.coffer.bench;

/**
 * How far two greedy continuations of the same prompt agree.
 *
 * @param length           tokens compared: the longer of the two (a missing token counts as a difference)
 * @param identical        positions holding the same id
 * @param firstDivergence  index of the first differing position, or -1 when the sequences are equal
 */
public record TokenComparison(int length, int identical, int firstDivergence) {
    public static TokenComparison of(int[] expected, int[] actual) {
        int length = Math.max(expected.length, actual.length);
        int identical = 0;
        int first = -1;
        for (int i = 0; i < length; i++) {
            boolean same = i < expected.length && i < actual.length && expected[i] == actual[i] && expected[i] >= 0;
            if (same) identical++;
            else if (first < 0) first = i;
        }
        return new TokenComparison(length, identical, first);
    }

    public boolean equal() { return firstDivergence < 0; }
}
