package dev.coffer.tee;

import dev.coffer.tee.enclave.EnclaveRuntime;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The secure world's claims for a nonce and the platform report that binds them (report data = SHA-512 of the
 * canonical claims). This is tee-bridge's unsigned claim set; the attestation layer wraps it in a standard
 * format.
 */
public record Evidence(byte[] nonce, SortedMap<String, String> claims, Report report) {
    public Evidence {
        nonce = nonce.clone();
        claims = Collections.unmodifiableSortedMap(new TreeMap<>(claims));
    }

    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    /** True when the platform signed the report and the report data is the hash of exactly these claims and nonce. */
    public boolean verify(PublicKey platformKey, byte[] expectedNonce) {
        return MessageDigest.isEqual(nonce, expectedNonce) && report.verify(platformKey)
                && MessageDigest.isEqual(report.reportData(), EnclaveRuntime.sha512(EnclaveRuntime.canonicalClaims(nonce, claims)));
    }

    static Evidence decode(byte[] payload) {
        MessageReader in = new MessageReader(payload);
        byte[] claimBytes = in.readBytes("claims");
        Report report = Report.decode(in.readBytes("report"));
        in.end();
        MessageReader c = new MessageReader(claimBytes);
        if (!c.readString("domain").equals("coffer-claims-v1")) throw new MalformedMessageException("not a claim set");
        byte[] nonce = c.readBytes("nonce");
        int n = c.readCount("claims", 1024);
        SortedMap<String, String> claims = new TreeMap<>();
        for (int i = 0; i < n; i++) claims.put(c.readString("claim name"), c.readString("claim value"));
        c.end();
        return new Evidence(nonce, claims, report);
    }
}
