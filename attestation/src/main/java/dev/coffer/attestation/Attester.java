package dev.coffer.attestation;

/**
 * RATS's attester: produces evidence for a verifier's challenge. One interface for every TEE: tee-bridge's sim and
 * isolated backends ({@link EnclaveAttester}) and confidential-VM guests through Linux configfs-tsm
 * ({@link TsmAttester}).
 */
public interface Attester {
    /**
     * @param hostData what the serving host asks the secure world to bind besides the nonce: the SHA-256 of its TLS
     *                 key (32 bytes), or nothing
     */
    Evidence attest(Nonce nonce, byte[] hostData);
}
