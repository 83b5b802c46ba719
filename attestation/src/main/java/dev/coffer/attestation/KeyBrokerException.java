package dev.coffer.attestation;

/**
 * A key request the broker refused, with the HTTP-style status the transport answers with (Trustee's KBS semantics):
 * 400 malformed, 401 no such challenge (unknown, used or expired), 403 evidence refused by policy, 404 this broker
 * cannot open the pack (not a recipient).
 */
public final class KeyBrokerException extends RuntimeException {
    public enum Refusal {
        MALFORMED(400), NO_CHALLENGE(401), POLICY(403), NOT_A_RECIPIENT(404);

        public final int status;

        Refusal(int status) {
            this.status = status;
        }
    }

    private final Refusal refusal;

    public KeyBrokerException(Refusal refusal, String message) {
        super(message);
        this.refusal = refusal;
    }

    public Refusal refusal() {
        return refusal;
    }
}
