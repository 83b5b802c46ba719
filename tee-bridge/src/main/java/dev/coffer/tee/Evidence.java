package dev.coffer.tee;

import dev.coffer.tee.enclave.EnclaveRuntime;
import java.security.MessageDigest;
import java.security.PublicKey;

/**
 * The secure world's claims and the platform report that binds them: the report data is the SHA-512 of the claim
 * bytes. tee-bridge does not read the claims (their format is the application's: Coffer's attestation layer puts
 * an EAT claim set there, with the nonce in it); it only checks the binding.
 */
public record Evidence(byte[] claims, Report report) {
    public Evidence {
        claims = claims.clone();
    }

    @Override
    public byte[] claims() {
        return claims.clone();
    }

    /** True when {@code platformKey} signed the report and its report data is the hash of exactly these claims. */
    public boolean verify(PublicKey platformKey) {
        return report.verify(platformKey) && bindsClaims();
    }

    /** True when the report data is the SHA-512 of the claims (says nothing about who signed the report). */
    public boolean bindsClaims() {
        return MessageDigest.isEqual(report.reportData(), EnclaveRuntime.sha512(claims));
    }

    static Evidence decode(byte[] payload) {
        MessageReader in = new MessageReader(payload);
        byte[] claims = in.readBytes("claims");
        Report report = Report.decode(in.readBytes("report"));
        in.end();
        return new Evidence(claims, report);
    }
}
