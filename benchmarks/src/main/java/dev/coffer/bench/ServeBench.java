package dev.coffer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.attestation.Policy;
import dev.coffer.attestation.TeeType;
import dev.coffer.attestation.Verifier;
import dev.coffer.host.client.AttestedServer;
import dev.coffer.host.client.ProxyRoutes;
import dev.coffer.host.client.StreamingLoad;
import dev.coffer.host.net.HttpsServer;
import dev.coffer.host.net.TlsIdentity;
import dev.coffer.host.server.GenerationScheduler;
import dev.coffer.host.server.PackServing;
import dev.coffer.host.tee.SecureWorldImages;
import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.synth.ModelShape;
import dev.coffer.inference.synth.SyntheticLlama;
import dev.coffer.pack.Credential;
import dev.coffer.pack.OwnerSigningKey;
import dev.coffer.pack.PackWriter;
import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.tee.Backend;
import dev.coffer.tee.EnclaveSettings;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code coffer bench serve}: the OpenAI API under load, as clients see it through {@code coffer proxy} (sealed end
 * to end) against {@code coffer serve} with the isolated secure world: time to first token (p50/p99) and total
 * tokens per second for many concurrent streams, against one stream at a time (the batching gain), plus how many
 * requests were refused with 429 and whether any was lost.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Load on the OpenAI API through the proxy: p50/p99 time to first token, total tok/s of concurrent "
                + "streams vs one stream, 429s, losses."})
final class ServeBench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", paramLabel = "X.gguf", description = "model to serve (default: the built-in demo model)")
    Path model;

    @Option(names = "--requests", defaultValue = "200", description = "streaming requests under load (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--connections", defaultValue = "32", description = "concurrent clients (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--max-batch", defaultValue = "4", description = "server batch size (default: ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(names = "--max-queue", defaultValue = "32", description = "server queue beyond the batch (default: ${DEFAULT-VALUE})")
    int maxQueue;

    @Option(names = "--tokens", defaultValue = "32", description = "max_tokens per request (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--threads", defaultValue = "2", description = "secure-world threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path dir = Files.createTempDirectory("coffer-bench-serve-");
        Path gguf = model != null ? model : demoModel();
        OwnerSigningKey owner = OwnerSigningKey.generate();
        RecipientPrivateKey operator = RecipientPrivateKey.generate();
        Path pack = dir.resolve("bench.cpack");
        PackWriter.encrypt(gguf, pack, owner, PackWriter.Options.forRecipients(List.of(operator.publicKey())), n -> { });
        byte[] key = operator.raw();
        EnclaveSettings settings = EnclaveSettings.defaults(Backend.ISOLATED, dir.resolve("state"))
                .withSecureMemory(Files.size(gguf) + (1L << 30)).withThreads(threads);
        Map<String, Object> body = Map.of("messages", List.of(Map.of("role", "user", "content", "Tell me a story.")),
                "max_tokens", tokens, "temperature", 0);
        try (PackServing serving = PackServing.start(new PackServing.Config(pack, new PackServing.KeySource.Local(
                () -> Credential.of(RecipientPrivateKey.fromRaw(key.clone()))), 0,
                SecureWorldImages.load(SecureWorldImages.defaultJar(BenchHome.path())), settings, 4, threads, 2048,
                "127.0.0.1", 0, TlsIdentity.selfSigned(List.of()), new GenerationScheduler.Limits(maxBatch, maxQueue), false),
                line -> { });
             AttestedServer attested = new AttestedServer(URI.create(serving.server().url()),
                     new Verifier(Policy.defaults().allowing(TeeType.ISOLATED)), Duration.ofSeconds(300), Clock.systemUTC());
             HttpsServer proxy = HttpsServer.startLoopback("127.0.0.1", 0, ProxyRoutes.routes(attested, line -> { }),
                     1 << 20, 600, line -> { })) {
            URI chat = URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions");
            StreamingLoad.run(chat, body, 4, 1); // warm the JIT on both sides
            StreamingLoad.Result single = StreamingLoad.run(chat, body, 8, 1);
            StreamingLoad.Result load = StreamingLoad.run(chat, body, requests, connections);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("bench", "serve");
            row.put("model", gguf.getFileName().toString());
            row.put("tee", "isolated");
            row.put("threads", threads);
            row.put("max_batch", maxBatch);
            row.put("max_queue", maxQueue);
            row.put("requests", requests);
            row.put("connections", connections);
            row.put("max_tokens", tokens);
            row.put("single_stream_tok_s", round(single.tokensPerSecond()));
            row.put("single_stream_ttft_p50_s", round(single.firstTokenPercentile(50)));
            row.put("load_tok_s", round(load.tokensPerSecond()));
            row.put("batching_gain", round(load.tokensPerSecond() / single.tokensPerSecond()));
            row.put("load_ttft_p50_s", round(load.firstTokenPercentile(50)));
            row.put("load_ttft_p99_s", round(load.firstTokenPercentile(99)));
            row.put("completed", load.completed().size());
            row.put("refused_429", load.refused());
            row.put("failed", load.failed().size());
            row.put("identical_answers", load.completed().stream().map(StreamingLoad.Outcome::text).distinct().count() == 1);
            if (json) {
                out.println(JSON.writeValueAsString(row));
            } else {
                row.forEach((k, v) -> out.printf(Locale.ROOT, "%-26s %s%n", k, v));
            }
            return load.failed().isEmpty() ? 0 : 1;
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

    private static Path demoModel() throws Exception {
        Path p = BenchHome.models().resolve("demo.gguf");
        if (!Files.exists(p)) {
            Files.createDirectories(p.getParent());
            SyntheticLlama.write(new SyntheticLlama.Spec(ModelShape.DEMO, GgmlType.Q8_0, 42, Optional.empty()), p, 2, n -> { });
        }
        return p;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
