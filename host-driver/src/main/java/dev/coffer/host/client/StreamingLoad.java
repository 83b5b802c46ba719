package dev.coffer.host.client;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small load generator for the OpenAI API (used by the load test and {@code coffer bench serve}): {@code requests}
 * streaming chat requests over {@code connections} concurrent clients, each checked to the end: every event parses,
 * the stream ends in {@code [DONE]}, and the text is collected so callers can check that identical requests got
 * identical answers. Measures time to first content and total throughput.
 */
public final class StreamingLoad {
    /** One request's outcome: HTTP status, the streamed text, seconds to the first content, tokens (content events). */
    public record Outcome(int status, String text, double firstTokenSeconds, int contentEvents, boolean done, String error) {
    }

    /** Everything that happened, with the figures a benchmark reports. */
    public record Result(List<Outcome> outcomes, double seconds) {
        public List<Outcome> completed() {
            return outcomes.stream().filter(o -> o.status() == 200 && o.done()).toList();
        }

        public long refused() {
            return outcomes.stream().filter(o -> o.status() == 429).count();
        }

        public List<Outcome> failed() {
            return outcomes.stream().filter(o -> !(o.status() == 200 && o.done()) && o.status() != 429).toList();
        }

        public double tokensPerSecond() {
            return completed().stream().mapToInt(Outcome::contentEvents).sum() / seconds;
        }

        public double firstTokenPercentile(double p) {
            List<Double> t = new ArrayList<>(completed().stream().map(Outcome::firstTokenSeconds).toList());
            if (t.isEmpty()) return Double.NaN;
            Collections.sort(t);
            return t.get(Math.min(t.size() - 1, (int) Math.ceil(p / 100 * t.size()) - 1));
        }
    }

    private StreamingLoad() {
    }

    /** @param body the chat request (JSON) without {@code stream}; it is sent with {@code "stream": true} */
    public static Result run(URI chatUrl, Map<String, Object> body, int requests, int connections) throws Exception {
        Map<String, Object> streaming = new java.util.LinkedHashMap<>(body);
        streaming.put("stream", true);
        String json = JSONObjectUtils.toJSONString(streaming);
        AtomicInteger next = new AtomicInteger();
        List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        try (ExecutorService clients = Executors.newFixedThreadPool(connections);
             HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build()) {
            List<Future<?>> all = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                all.add(clients.submit(() -> {
                    while (next.getAndIncrement() < requests) outcomes.add(one(http, chatUrl, json));
                    return null;
                }));
            }
            for (Future<?> f : all) f.get();
        }
        return new Result(List.copyOf(outcomes), (System.nanoTime() - t0) / 1e9);
    }

    private static Outcome one(HttpClient http, URI url, String json) {
        long start = System.nanoTime();
        try {
            HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(url).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                try (var in = r.body()) {
                    return new Outcome(r.statusCode(), "", 0, 0, false, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
            StringBuilder text = new StringBuilder();
            double first = -1;
            int events = 0;
            boolean done = false;
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (!line.startsWith("data: ")) continue;
                    String data = line.substring(6);
                    if (data.equals("[DONE]")) {
                        done = true;
                        break;
                    }
                    Map<String, Object> chunk = JSONObjectUtils.parse(data);
                    if (chunk.containsKey("error")) return new Outcome(200, text.toString(), first, events, false, data);
                    List<?> choices = (List<?>) chunk.get("choices");
                    if (choices == null || choices.isEmpty()) continue;
                    Object content = ((Map<?, ?>) ((Map<?, ?>) choices.getFirst()).get("delta")).get("content");
                    if (content instanceof String s && !s.isEmpty()) {
                        if (first < 0) first = (System.nanoTime() - start) / 1e9;
                        text.append(s);
                        events++;
                    }
                }
            }
            return new Outcome(200, text.toString(), first, events, done, done ? "" : "the stream ended without [DONE]");
        } catch (Exception e) {
            return new Outcome(-1, "", 0, 0, false, e.toString());
        }
    }
}
