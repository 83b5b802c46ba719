package dev.coffer.attestation;

/** A policy file that cannot be used as written: nothing is accepted under it. */
public final class PolicyException extends RuntimeException {
    public PolicyException(String message) {
        super(message);
    }
}
