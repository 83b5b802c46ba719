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
                return new Answer(reply.status(), "application/json", exchange.open(body));
            }
            String text = new String(body, StandardCharsets.UTF_8);
            if (reply.status() == 400 && text.contains("sealed_body") && attempt == 0) {
                log.accept("the secure world could not open the request (its key changed?): verifying it again");
                server.invalidate();
                continue;
            }
            // the host's own answers (429 busy, 503, 400 for what it can see) carry no secrets and pass as they are
            Answer passed = Answer.json(reply.status(), text);
            return reply.headers().firstValue("retry-after").map(v -> passed.withHeader("Retry-After", v)).orElse(passed);
        }
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
                    // not sealed: the host reporting a failure (e.g. the secure world was lost); pass errors only
                    if (data.contains("\"error\"")) events.event(data);
                    continue;
                }
                events.event(new String(exchange.open(Base64.getUrlDecoder().decode(data)), StandardCharsets.UTF_8));
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
