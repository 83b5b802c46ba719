package dev.coffer.attestation;

/** The evidence could not be read at all (not JSON, unknown format, a claim of the wrong type): it is refused. */
public final class MalformedEvidenceException extends AttestationException {
    public MalformedEvidenceException(String message) {
        super(message);
    }
}
