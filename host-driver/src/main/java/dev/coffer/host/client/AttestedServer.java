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
    private Attested current;

    public AttestedServer(URI server, Verifier verifier, Duration timeout, Clock clock) {
        this.server = server;
        this.verifier = verifier;
        this.timeout = timeout;
        this.clock = clock;
    }

    public URI url() {
        return server;
    }

    /** The current verification, made again when there is none or its evidence has expired.
     *  @throws dev.coffer.attestation.EvidenceRejectedException when the server no longer meets the policy */
    public synchronized Attested current() throws IOException {
        if (current == null || !clock.instant().isBefore(current.expires())) {
            Appraisal a = attest(server, verifier, TlsTrust.untilAttested(), timeout).orThrow();
            Digest tls = a.claims().tlsKeyHash().orElseThrow(() -> new IOException("the evidence binds no TLS key"));
            RecipientPublicKey key = a.claims().enclaveKey().orElseThrow(() -> new IOException("the evidence names no enclave key"));
            Instant expires = a.claims().expiresAt().isBefore(a.claims().issuedAt().plus(verifier.policy().maxAge()))
                    ? a.claims().expiresAt() : a.claims().issuedAt().plus(verifier.policy().maxAge());
            if (current != null) current.client().close();
            current = new Attested(a, key, tls, expires, new HttpsClient(TlsTrust.pinned(tls), timeout));
        }
        return current;
    }

    /** Forget the current verification (the server's key changed): the next {@link #current()} verifies again. */
    public synchronized void invalidate() {
        if (current != null) current.client().close();
        current = null;
    }

    @Override
    public synchronized void close() {
        invalidate();
    }
}
