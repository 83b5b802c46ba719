package dev.coffer.host.server;

import dev.coffer.attestation.KeyBroker;
import dev.coffer.attestation.KeyBrokerException;
import dev.coffer.attestation.KeyBrokerMessages;
import dev.coffer.host.net.HttpsServer;
import dev.coffer.host.net.HttpsServer.Answer;
import dev.coffer.host.net.TlsIdentity;
import java.util.Map;
import java.util.function.Consumer;

/** {@code coffer keybroker}'s transport: the broker protocol (docs/attestation.md) over HTTPS, TLS 1.3. */
public final class KeyBrokerServer implements AutoCloseable {
    private final HttpsServer http;

    private KeyBrokerServer(HttpsServer http) {
        this.http = http;
    }

    public static KeyBrokerServer start(String host, int port, TlsIdentity tls, KeyBroker broker, Consumer<String> log)
            throws InterruptedException {
        Map<String, HttpsServer.Handler> routes = Map.of(
                "GET /health", call -> Answer.json(200, "{\"status\":\"ok\"}"),
                "POST " + KeyBrokerMessages.REQUEST_PATH, call -> answer(log, () -> KeyBrokerMessages.challenge(
                        broker.challenge(KeyBrokerMessages.parseRequest(call.bodyText())))),
                "POST " + KeyBrokerMessages.RELEASE_PATH, call -> answer(log, () -> {
                    KeyBrokerMessages.ReleaseRequest r = KeyBrokerMessages.parseReleaseRequest(call.bodyText());
                    return KeyBrokerMessages.release(broker.release(r.session(), r.evidence()));
                }));
        return new KeyBrokerServer(HttpsServer.start(host, port, tls.serverContext(), routes,
                KeyBrokerMessages.MAX_MESSAGE_BYTES, 60, log));
    }

    private interface Step {
        String run();
    }

    /** A refusal is an answer with its status and reason (also in the audit log), not a server error. */
    private static Answer answer(Consumer<String> log, Step step) {
        try {
            return Answer.json(200, step.run());
        } catch (KeyBrokerException e) {
            log.accept("refused (" + e.refusal().status + "): " + e.getMessage());
            return Answer.json(e.refusal().status, HttpsServer.error(e.refusal().status, e.getMessage()));
        }
    }

    public int port() {
        return http.port();
    }

    @Override
    public void close() {
        http.close();
    }
}
