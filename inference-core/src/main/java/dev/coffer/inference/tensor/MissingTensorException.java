package dev.coffer.inference.tensor;

/** The model file lacks a tensor that its architecture needs. */
public final class MissingTensorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MissingTensorException(String message) {
        super(message);
    }
}
