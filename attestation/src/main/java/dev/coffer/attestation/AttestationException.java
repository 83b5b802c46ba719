package dev.coffer.attestation;

/** Evidence was refused: it could not be read, or it does not meet the policy. */
public sealed class AttestationException extends RuntimeException
        permits MalformedEvidenceException, EvidenceRejectedException {
    AttestationException(String message) {
        super(message);
    }
}
