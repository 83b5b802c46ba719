package dev.coffer.host.server;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.host.net.HttpsServer;
import dev.coffer.host.net.HttpsServer.Answer;
import dev.coffer.secureworld.serving.ServingCalls;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAI-compatible endpoints as the host serves them: it checks only what it can see (route, content type,
 * size) and queues the body, sealed, for the secure world; {@code GET /v1/models} and {@code GET /metrics} it answers
 * itself. docs/sealed-bodies.md specifies the sealed form.
 */
public final class OpenAiRoutes {
    private OpenAiRoutes() {
    }

    /**
     * @param modelId        the served model's id (the pack's model name)
     * @param allowPlaintext accept plain JSON bodies (development): the host then sees prompts and completions
     */
    public static Map<String, HttpsServer.Handler> routes(java.util.function.Supplier<GenerationScheduler> scheduler,
                                                          ServingMetrics metrics, String modelId, boolean allowPlaintext) {
        long created = System.currentTimeMillis() / 1000;
        Map<String, HttpsServer.Handler> routes = new LinkedHashMap<>();
        for (String path : List.of("/v1/chat/completions", "/v1/completions")) {
            routes.put("POST " + path, call -> generate(scheduler, call, allowPlaintext));
        }
        routes.put("GET /v1/models", call -> {
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("id", modelId);
            model.put("object", "model");
            model.put("created", created);
            model.put("owned_by", "coffer");
            return Answer.json(200, JSONObjectUtils.toJSONString(Map.of("object", "list", "data", List.of(model))));
        });
        routes.put("GET /metrics", call -> new Answer(200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.scrape().getBytes(StandardCharsets.UTF_8)));
        return routes;
    }

    private static Answer generate(java.util.function.Supplier<GenerationScheduler> scheduler, HttpsServer.Call call,
                                   boolean allowPlaintext) {
        String type = call.header("content-type").orElse("").split(";")[0].strip().toLowerCase(java.util.Locale.ROOT);
        boolean sealed = type.equals(GenerationScheduler.SEALED_TYPE);
        if (!sealed && !allowPlaintext) {
            return Answer.json(400, HttpsServer.error(400, "this server accepts only sealed request bodies (Content-Type: "
                    + GenerationScheduler.SEALED_TYPE + ", docs/sealed-bodies.md): send them through 'coffer proxy', or "
                    + "start the server with --allow-plaintext for development"));
        }
        if (!sealed && !type.equals("application/json") && !type.isEmpty()) {
            return Answer.json(400, HttpsServer.error(400, "Content-Type must be application/json or " + GenerationScheduler.SEALED_TYPE));
        }
        scheduler.get().submit(new ServingCalls.Admit(call.method() + " " + call.path(), sealed, call.body()), call.responder());
        return Answer.DEFERRED;
    }
}
