package dev.coffer.inference.tokenizer;

import java.util.Arrays;

/** A growable list of token ids without boxing. */
final class IntList {
    private int[] values = new int[16];
    private int size;

    void add(int v) {
        if (size == values.length) values = Arrays.copyOf(values, size * 2);
        values[size++] = v;
    }

    int size() { return size; }

    int[] toArray() { return Arrays.copyOf(values, size); }
}
