package dev.coffer.bench;

/** A peer (llama.cpp through a binding) could not be installed, started or asked; the message says what to do. */
public final class PeerException extends RuntimeException {
    public PeerException(String message) {
        super(message);
    }

    public PeerException(String message, Throwable cause) {
        super(message, cause);
    }
}
