package dev.coffer.host.server;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.attestation.Attester;
import dev.coffer.attestation.Nonce;
import dev.coffer.host.net.HttpsServer;
import dev.coffer.host.net.HttpsServer.Answer;
import dev.coffer.host.net.TlsIdentity;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What {@code coffer serve} runs: HTTPS (TLS 1.3) in front of a secure world that serves a pack. The host answers
 * {@code GET /health} itself and relays {@code GET /v1/attestation?nonce=…} (docs/attestation.md) to the secure world,
 * which binds the nonce and the hash of this server's TLS key into its evidence; more routes (the OpenAI API) are
 * added by the caller.
 */
public final class CofferServer implements AutoCloseable {
    /** The attestation endpoint (docs/attestation.md). */
    public static final String ATTESTATION_PATH = "/v1/attestation";
    /** Larger request bodies are refused (413) before they reach a handler. */
    static final int MAX_BODY_BYTES = 1 << 20;
    static final int IDLE_SECONDS = 60;
    /** Evidence requests served at once (each is a crossing into the secure world). */
    static final int MAX_CONCURRENT_ATTESTATIONS = 4;

    private final HttpsServer http;
    private final String host;

    private CofferServer(HttpsServer http, String host) {
        this.http = http;
        this.host = host;
    }

    /**
     * @param health what {@code /health} reports besides {@code "status": "ok"} (TEE type, pack, restoration)
     */
    public static CofferServer start(String host, int port, TlsIdentity tls, Attester attester,
                                     Supplier<Map<String, Object>> health, Map<String, HttpsServer.Handler> more,
                                     Consumer<String> log) throws InterruptedException {
        byte[] tlsKeyHash = tls.publicKeyHash().bytes();
        java.util.concurrent.Semaphore attesting = new java.util.concurrent.Semaphore(MAX_CONCURRENT_ATTESTATIONS);
        Map<String, HttpsServer.Handler> routes = new java.util.HashMap<>(more);
        routes.putAll(Map.of(
                "GET /health", call -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("status", "ok");
                    m.putAll(health.get());
                    return Answer.json(200, JSONObjectUtils.toJSONString(m));
                },
                "GET " + ATTESTATION_PATH, call -> {
                    // Evidence costs a crossing the generation steps also need: a few at a time, the rest retry.
                    if (!attesting.tryAcquire()) {
                        return Answer.json(429, HttpsServer.error(429, "too many attestation requests at once: retry"))
                                .withHeader("Retry-After", "1");
                    }
                    try {
                        return attest(attester, call, tlsKeyHash);
                    } finally {
                        attesting.release();
                    }
                }));
        return new CofferServer(HttpsServer.start(host, port, tls.serverContext(), routes, MAX_BODY_BYTES, IDLE_SECONDS, log),
                host);
    }

    private static Answer attest(Attester attester, HttpsServer.Call call, byte[] tlsKeyHash) {
        Nonce nonce;
        try {
            nonce = Nonce.parse(call.parameter("nonce").orElseThrow(() -> new IllegalArgumentException(
                    "the nonce parameter is required, once: 8 to 64 random bytes, base64url")));
        } catch (IllegalArgumentException e) {
            return Answer.json(400, HttpsServer.error(400, e.getMessage()));
        }
        return Answer.json(200, attester.attest(nonce, tlsKeyHash).toJson());
    }

    public int port() {
        return http.port();
    }

    public String url() {
        return "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
    }

    @Override
    public void close() {
        http.close();
    }
}
