package dev.coffer.tee;

/** Something went wrong with the secure world; subclasses say what. */
public class EnclaveException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EnclaveException(String message) {
        super(message);
    }

    public EnclaveException(String message, Throwable cause) {
        super(message, cause);
    }
}
