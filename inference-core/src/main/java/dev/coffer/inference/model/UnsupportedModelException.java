package dev.coffer.inference.model;

/** The model's architecture or hyper-parameters are not something this engine runs. */
public final class UnsupportedModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnsupportedModelException(String message) {
        super(message);
    }
}
