package dev.coffer.attestation;

import dev.coffer.tee.Enclave;

/** Evidence from a tee-bridge secure world (sim or isolated): its claims and its platform's signed JWS report. */
public final class EnclaveAttester implements Attester {
    private final Enclave enclave;

    public EnclaveAttester(Enclave enclave) {
        this.enclave = enclave;
    }

    @Override
    public Evidence attest(Nonce nonce, byte[] hostData) {
        dev.coffer.tee.Evidence e = enclave.evidence(nonce.bytes(), hostData);
        return new Evidence(e.claims(), new PlatformEvidence.SoftwareReport(e.report(), enclave.platformKey()));
    }
}
