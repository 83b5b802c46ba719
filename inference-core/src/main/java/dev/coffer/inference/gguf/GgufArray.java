package dev.coffer.inference.gguf;

/**
 * A metadata array. {@code values} is a {@code long[]} for integer element types (unsigned values zero-extended),
 * {@code float[]}, {@code double[]}, {@code boolean[]} or {@code String[]}; nested arrays are a {@code GgufArray[]}.
 */
public record GgufArray(GgufValueType elementType, Object values) {
    public int length() {
        return java.lang.reflect.Array.getLength(values);
    }

    @Override
    public String toString() {
        return "array<" + elementType + ">[" + length() + "]";
    }
}
