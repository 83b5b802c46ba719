package dev.coffer.tee;

import dev.coffer.tee.channel.FrameKind.Status;

/** An ecall did not succeed: the secure world refused the request ({@link Status#REJECTED}) or its handler failed
 *  ({@link Status#FAILED}). The secure world keeps running. */
public final class EcallFailedException extends EnclaveException {
    private static final long serialVersionUID = 1L;
    private final Status status;

    public EcallFailedException(String call, Status status, String message) {
        super("ecall " + call + " " + (status == Status.REJECTED ? "rejected" : "failed") + " in the secure world: " + message);
        this.status = status;
    }

    public Status status() {
        return status;
    }
}
