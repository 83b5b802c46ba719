package dev.coffer.tee;

/** The secure world is gone (killed, crashed or terminated); its secret memory went with it. Create a new one. */
public final class EnclaveLostException extends EnclaveException {
    private static final long serialVersionUID = 1L;

    public EnclaveLostException(String message) {
        super(message);
    }
}
