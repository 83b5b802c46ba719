package dev.coffer.host.client;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.attestation.SealedBodies;
import dev.coffer.attestation.SealedBodyException;
import dev.coffer.host.net.HttpsClient;
import dev.coffer.host.net.HttpsServer;
import dev.coffer.host.net.HttpsServer.Answer;
import dev.coffer.host.server.GenerationScheduler;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code coffer proxy}'s local API: a plain OpenAI API on 127.0.0.1 for stock clients. Each request body is sealed
 * to the attested secure world's key and sent over a connection pinned to the attested TLS key; each answer (whole,
 * or event by event) is opened and passed on in plain JSON. When the server's key changed (the pinned connection
 * fails, or the secure world cannot open the request), the server is attested again and the request sent once more.
 */
public final class ProxyRoutes {
    private ProxyRoutes() {
    }

    public static Map<String, HttpsServer.Handler> routes(AttestedServer server, Consumer<String> log) {
        Map<String, HttpsServer.Handler> routes = new LinkedHashMap<>();
        for (String path : List.of("/v1/chat/completions", "/v1/completions")) {
            routes.put("POST " + path, call -> forward(server, call, log));
        }
        routes.put("GET /v1/models", call -> {
            HttpsClient.Reply r = server.current().client().get(HttpsClient.resolve(server.url(), "/v1/models"));
            return Answer.json(r.status(), r.body());
        });
        routes.put("GET /health", call -> {
            AttestedServer.Attested a = server.current();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", "ok");
            m.put("server", server.url().toString());
            m.put("tee", a.appraisal().claims().tee().id());
            m.put("measurement", a.appraisal().claims().measurement().hex());
            m.put("verified_until", a.expires().toString());
            return Answer.json(200, JSONObjectUtils.toJSONString(m));
        });
        return routes;
    }

    private static Answer forward(AttestedServer server, HttpsServer.Call call, Consumer<String> log) throws Exception {
        String route = "POST " + call.path();
        for (int attempt = 0; ; attempt++) {
            AttestedServer.Attested a = server.current();
            SealedBodies.ClientExchange exchange = SealedBodies.seal(a.enclaveKey(), route, call.body());
            HttpsClient.StreamingReply reply;
            try {
                reply = a.client().postStreaming(HttpsClient.resolve(server.url(), call.path()),
                        GenerationScheduler.SEALED_TYPE, exchange.request());
            } catch (IOException e) {
                if (attempt > 0) throw e;
                log.accept("the server's pinned connection failed (" + e.getMessage() + "): verifying it again");
                server.invalidate();
                continue;
            }
            String type = reply.contentType();
            if (type.equals("text/event-stream")) {
                relayEvents(call, reply, exchange);
                return Answer.DEFERRED;
            }
            byte[] body;
            try (reply) {
                body = reply.body().readAllBytes();
            }
            if (type.equals(GenerationScheduler.SEALED_TYPE)) {
                byte[] opened;
                try {
                    opened = exchange.open(body, reply.status());
                } catch (SealedBodyException e) {
                    return Answer.json(502, HttpsServer.error(502, "the answer from the server failed authentication: "
                            + e.getMessage()));
                }
                if (!exchange.complete()) {
                    return Answer.json(502, HttpsServer.error(502, "the server's answer was cut short (not its last sealed message)"));
                }
                return new Answer(reply.status(), "application/json", opened);
            }
            String text = new String(body, StandardCharsets.UTF_8);
            if (reply.status() == 400 && text.contains("sealed_body") && attempt == 0) {
                log.accept("the secure world could not open the request (its key changed?): verifying it again");
                server.invalidate();
                continue;
            }
            return hostError(reply, text);
        }
    }

    /**
     * An answer the host made itself (unsealed): only its error statuses are passed on, re-made from the message
     * alone; an unsealed success could be anything the host invented, so it becomes a 502.
     */
    private static Answer hostError(HttpsClient.StreamingReply reply, String text) {
        int status = reply.status();
        if (status != 400 && status != 413 && status != 429 && status != 503) {
            return Answer.json(502, HttpsServer.error(502, "the server answered HTTP " + status + " without sealing "
                    + "its answer: refused (only the secure world's sealed answers are passed on)"));
        }
        Answer passed = Answer.json(status, HttpsServer.error(status, "the server's host says: " + hostMessage(text)));
        return reply.headers().firstValue("retry-after").filter(v -> v.matches("\\d{1,4}"))
                .map(v -> passed.withHeader("Retry-After", v)).orElse(passed);
    }

    /** The {@code error.message} of a host's error body, or a placeholder: other host text is never repeated. */
    private static String hostMessage(String json) {
        try {
            Object error = com.nimbusds.jose.util.JSONObjectUtils.parse(json).get("error");
            if (error instanceof Map<?, ?> e && e.get("message") instanceof String m) {
                return m.length() > 300 ? m.substring(0, 300) + "…" : m;
            }
        } catch (java.text.ParseException | RuntimeException ignored) {
            // not JSON: fall through
        }
        return "(an unsealed answer that is not an error)";
    }

    /** Opens each sealed event in order; a stream that ends before its last sealed message is reported as cut short. */
    private static void relayEvents(HttpsServer.Call call, HttpsClient.StreamingReply reply, SealedBodies.ClientExchange exchange)
            throws IOException {
        HttpsServer.EventStream events = call.responder().startEvents(reply.status());
        call.responder().onClose(() -> {
            try {
                reply.close(); // the client left: leaving the server's stream makes it cancel the generation
            } catch (IOException ignored) {
                // already closed
            }
        });
        try (reply; BufferedReader lines = new BufferedReader(new InputStreamReader(reply.body(), StandardCharsets.US_ASCII))) {
            for (String line; !exchange.complete() && (line = lines.readLine()) != null; ) {
                if (!line.startsWith("data: ")) continue;
                String data = line.substring(6);
                if (data.startsWith("{")) {
                    // not sealed: the host reporting a failure (e.g. the secure world was lost). Its words are not
                    // passed on (they could imitate content); the proxy says in its own words that the stream failed.
                    events.event(HttpsServer.error(502, "the server's stream failed: " + hostMessage(data)));
                    break;
                }
                // stripped of the padding that hides token lengths from the host (docs/sealed-bodies.md)
                events.event(new String(exchange.open(Base64.getUrlDecoder().decode(data), reply.status()),
                        StandardCharsets.UTF_8).stripTrailing());
            }
        } catch (SealedBodyException | IllegalArgumentException e) {
            events.event(HttpsServer.error(502, "the answer from the server failed authentication: " + e.getMessage()));
        } catch (IOException e) {
            // the server or the client went away
        }
        if (!exchange.complete()) {
            events.event(HttpsServer.error(502, "the answer was cut short before its last sealed message"));
        }
        events.end();
    }
}
