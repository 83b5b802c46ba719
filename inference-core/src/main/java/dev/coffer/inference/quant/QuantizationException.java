package dev.coffer.inference.quant;

/**
 * Values cannot be (de)quantized as asked: an unsupported type, a length that is not a whole number of blocks, or
 * input that would produce a non-finite weight (NaN, infinity, or a block scale beyond the F16 range). The message is
 * one line and names the element or block.
 */
public final class QuantizationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QuantizationException(String message) {
        super(message);
    }
}
