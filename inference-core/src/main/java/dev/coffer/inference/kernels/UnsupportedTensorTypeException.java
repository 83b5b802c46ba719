package dev.coffer.inference.kernels;

/** A weight has a ggml type the kernels cannot multiply with. */
public final class UnsupportedTensorTypeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnsupportedTensorTypeException(String message) {
        super(message);
    }
}
