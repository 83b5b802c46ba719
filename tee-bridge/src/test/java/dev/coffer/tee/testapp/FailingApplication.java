package dev.coffer.tee.testapp;

import dev.coffer.tee.enclave.EcallTable;
import dev.coffer.tee.enclave.EnclaveApplication;
import dev.coffer.tee.enclave.EnclaveContext;

/** An application whose start fails: the host must get the reason, not a hang or a crash. */
public final class FailingApplication implements EnclaveApplication {
    @Override
    public void initialize(EnclaveContext context) {
        throw new IllegalStateException("model directory not configured");
    }

    @Override
    public EcallTable ecalls() {
        return EcallTable.builder().build();
    }
}
