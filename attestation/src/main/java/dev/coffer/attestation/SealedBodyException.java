package dev.coffer.attestation;

/** A sealed request or answer that does not open: changed, cut short, for another key or another route. */
public final class SealedBodyException extends RuntimeException {
    public SealedBodyException(String message) {
        super(message);
    }
}
