package dev.coffer.host.client;

import dev.coffer.attestation.Appraisal;
import dev.coffer.attestation.Evidence;
import dev.coffer.attestation.KeyBrokerMessages;
import dev.coffer.attestation.Nonce;
import dev.coffer.attestation.Verifier;
import dev.coffer.host.net.HttpsClient;
import dev.coffer.host.net.TlsTrust;
import dev.coffer.host.server.CofferServer;
import dev.coffer.pack.RecipientPublicKey;
import dev.coffer.tee.Digest;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A Coffer server as a client knows it after verifying its evidence: the enclave key to seal requests to, and an
 * HTTPS client pinned to the TLS key the evidence binds, so nothing but the attestation request ever goes to a key
 * that was not attested. Verified again when the evidence expires, or on demand when the server's key changed
 * (a pinned connection fails, or the secure world no longer opens our requests).
 */
public final class AttestedServer implements AutoCloseable {
    /** What one verification established. */
    public record Attested(Appraisal appraisal, RecipientPublicKey enclaveKey, Digest tlsKey, Instant expires,
                           HttpsClient client) {
    }

    /** Fetches evidence for a fresh nonce and appraises it against the very connection it came over. */
    public static Appraisal attest(URI server, Verifier verifier, TlsTrust trust, Duration timeout) throws IOException {
        Nonce nonce = Nonce.random();
        try (HttpsClient client = new HttpsClient(trust, timeout)) {
            HttpsClient.Reply reply = client.get(HttpsClient.resolve(server, CofferServer.ATTESTATION_PATH + "?nonce="
                    + nonce.base64Url()));
            if (reply.status() != 200) {
                throw new IOException(server + " answered the attestation request with HTTP " + reply.status() + ": "
                        + KeyBrokerMessages.errorMessage(reply.body()));
            }
            return verifier.appraise(Evidence.parse(reply.body()), nonce, Optional.of(reply.serverKey()));
        }
    }

    private final URI server;
    private final Verifier verifier;
    private final Duration timeout;
    private final Clock clock;
    private final TlsTrust attestationTrust;
    private Attested current;

    public AttestedServer(URI server, Verifier verifier, Duration timeout, Clock clock) {
        this(server, verifier, timeout, clock, TlsTrust.untilAttested());
    }

    /** @param attestationTrust how the attestation request's connection is trusted (e.g. with a CA on top) */
    public AttestedServer(URI server, Verifier verifier, Duration timeout, Clock clock, TlsTrust attestationTrust) {
        this.server = server;
        this.verifier = verifier;
        this.timeout = timeout;
        this.clock = clock;
        this.attestationTrust = attestationTrust;
    }

    public URI url() {
        return server;
    }

    /** The current verification, made again when there is none or its evidence has expired.
     *  @throws dev.coffer.attestation.EvidenceRejectedException when the server no longer meets the policy */
    public synchronized Attested current() throws IOException {
        if (current == null || !clock.instant().isBefore(current.expires())) {
            Appraisal a = attest(server, verifier, attestationTrust, timeout).orThrow();
            Digest tls = a.claims().tlsKeyHash().orElseThrow(() -> new IOException("the evidence binds no TLS key"));
            RecipientPublicKey key = a.claims().enclaveKey().orElseThrow(() -> new IOException("the evidence names no enclave key"));
            Instant expires = a.claims().expiresAt().isBefore(a.claims().issuedAt().plus(verifier.policy().maxAge()))
                    ? a.claims().expiresAt() : a.claims().issuedAt().plus(verifier.policy().maxAge());
            retire(current);
            current = new Attested(a, key, tls, expires, new HttpsClient(TlsTrust.pinned(tls), timeout));
        }
        return current;
    }

    /** A whole (not streamed) sealed exchange: the status and the opened answer. */
    public record SealedReply(int status, byte[] body) {
    }

    /**
     * POSTs {@code json} sealed to the attested enclave key over the pinned connection and opens the answer (host
     * errors such as 429 come back plain, as they are).
     */
    public SealedReply postSealed(String path, byte[] json) throws IOException {
        Attested a = current();
        try (dev.coffer.attestation.SealedBodies.ClientExchange exchange =
                     dev.coffer.attestation.SealedBodies.seal(a.enclaveKey(), "POST " + path, json);
             HttpsClient.StreamingReply reply = a.client().postStreaming(HttpsClient.resolve(server, path),
                     dev.coffer.host.server.GenerationScheduler.SEALED_TYPE, exchange.request())) {
            byte[] body = reply.body().readAllBytes();
            if (!reply.contentType().equals(dev.coffer.host.server.GenerationScheduler.SEALED_TYPE)) {
                throw new IOException("the server answered HTTP " + reply.status() + " without sealing it: "
                        + dev.coffer.attestation.KeyBrokerMessages.errorMessage(new String(body, java.nio.charset.StandardCharsets.UTF_8)));
            }
            byte[] opened = exchange.open(body, reply.status());
            if (!exchange.complete()) throw new IOException("the server's sealed answer was cut short");
            return new SealedReply(reply.status(), opened);
        }
    }

    /** The pack's owner-signed manifest as the server publishes it, checked against the owner's key and against
     *  the pack digest the verified evidence claims. */
    public dev.coffer.pack.PackManifest manifest(dev.coffer.pack.OwnerPublicKey owner) throws IOException {
        Attested a = current();
        HttpsClient.Reply r = a.client().get(HttpsClient.resolve(server, dev.coffer.host.server.PackServing.MANIFEST_PATH));
        if (r.status() != 200) throw new IOException("the server did not publish its pack manifest (HTTP " + r.status() + ")");
        dev.coffer.pack.SignedManifest signed;
        try {
            var m = com.nimbusds.jose.util.JSONObjectUtils.parse(r.body());
            var dec = java.util.Base64.getUrlDecoder();
            signed = new dev.coffer.pack.SignedManifest(dec.decode((String) m.get("manifest")), dec.decode((String) m.get("signature")));
        } catch (java.text.ParseException | RuntimeException e) {
            throw new IOException("the published manifest is malformed: " + e.getMessage(), e);
        }
        dev.coffer.pack.PackManifest manifest = signed.verify(owner);
        var claimed = a.appraisal().claims().pack().orElseThrow(() -> new IOException("the evidence claims no pack"));
        if (!claimed.digest().equals(signed.digest())) {
            throw new IOException("the published manifest (digest " + signed.digest().hex() + ") is not the attested pack ("
                    + claimed.digest().hex() + ")");
        }
        return manifest;
    }

    /** Forget the current verification (the server's key changed): the next {@link #current()} verifies again. */
    public synchronized void invalidate() {
        retire(current);
        current = null;
    }

    /** Closing a JDK HttpClient waits for its exchanges (streams may run for minutes): let the old one drain apart. */
    private static void retire(Attested old) {
        if (old != null) Thread.ofVirtual().name("retire-attested-client").start(old.client()::close);
    }

    @Override
    public synchronized void close() {
        invalidate();
    }
}
