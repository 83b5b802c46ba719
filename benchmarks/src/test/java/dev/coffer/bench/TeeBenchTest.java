package dev.coffer.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coffer.inference.testing.SharedAssets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code coffer bench tee} end to end on stories260K with few tokens: the three engines compute the same greedy
 * text, the isolated secure world needs at most two crossings per token, and --json prints parseable lines. No
 * speed is asserted (speed targets live in docs/benchmarks.md, never in timed tests).
 */
class TeeBenchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void enginesAgreeCrossAtMostTwicePerTokenAndPrintJsonLines() throws Exception {
        Path model = SharedAssets.require("models/stories260K.gguf");
        TeeBench bench = new TeeBench();
        bench.image = secureWorldImage();
        bench.models = List.of(model.toString());
        bench.threads = List.of(2);
        bench.tokens = 16;
        bench.warmupSeconds = 0;
        bench.runs = 1;
        bench.populationMib = 16;
        bench.json = true;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        TeeBench.Report report = bench.run(new PrintStream(buffer, true, StandardCharsets.UTF_8));

        assertThat(report.rows()).extracting(TeeBench.Row::engine).containsExactlyElementsOf(TeeBench.ENGINES);
        TeeBench.Row plaintext = report.rows().getFirst();
        assertThat(plaintext.promptTokens()).as("prompt tokens").isBetween(100, 128);
        assertThat(new String(plaintext.run().output(), StandardCharsets.UTF_8)).isNotBlank();
        for (TeeBench.Row r : report.rows()) {
            assertThat(r.generated()).as(r.engine() + " tokens").isEqualTo(16);
            assertThat(r.promptTokens()).as(r.engine() + " prompt tokens").isEqualTo(plaintext.promptTokens());
            assertThat(r.run().output()).as(r.engine() + " greedy bytes").isEqualTo(plaintext.run().output());
        }
        TeeBench.Row isolated = report.rows().getLast();
        assertThat(isolated.crossingsPerToken()).isGreaterThan(0).isLessThanOrEqualTo(2);
        assertThat(isolated.denied()).as("denied syscalls are counted: the filter is enforced").isNotNegative();
        assertThat(report.ratios()).singleElement().satisfies(q -> assertThat(q.sameOutput()).isTrue());

        List<JsonNode> lines = new ArrayList<>();
        for (String line : buffer.toString(StandardCharsets.UTF_8).strip().split("\n")) lines.add(JSON.readTree(line));
        assertThat(lines).hasSize(5);
        for (int i = 0; i < 3; i++) {
            JsonNode row = lines.get(i);
            assertThat(row.get("engine").asText()).isEqualTo(TeeBench.ENGINES.get(i));
            assertThat(row.get("model").asText()).isEqualTo("stories260K");
            assertThat(row.get("threads").asInt()).isEqualTo(2);
            for (String field : List.of("prefill_tok_s", "decode_tok_s", "decode_tok_s_host", "load_s")) {
                assertThat(row.get(field).asDouble()).as(field).isPositive();
            }
            assertThat(row.get("crossings_per_token").asDouble()).isLessThanOrEqualTo(2);
        }
        JsonNode ratio = lines.get(3).get("ratios").get(0);
        assertThat(lines.get(3).get("summary").asText()).isEqualTo("tee/plaintext");
        assertThat(ratio.get("decode_ratio_isolated").asDouble()).isPositive();
        assertThat(ratio.get("decode_ratio_sim").asDouble()).isPositive();
        assertThat(ratio.get("same_output").asBoolean()).isTrue();
        JsonNode population = lines.get(4).get("population");
        assertThat(population.get("secret_gib_s_1_thread").asDouble()).isPositive();
        assertThat(population.get("secret_gib_s_2_threads").asDouble()).isPositive();
        assertThat(population.get("anonymous_gib_s_1_thread").asDouble()).isPositive();
    }

    /** Built by secure-world's package phase, which precedes this module's tests in a reactor build. */
    private static Path secureWorldImage() {
        Path jar = SharedAssets.repoRoot().resolve("secure-world/target/coffer-secure-world.jar");
        if (!Files.isRegularFile(jar)) {
            String msg = "secure-world image " + jar + " is missing: build with mvn package or verify";
            if (System.getenv("CI") != null) fail(msg);
            assumeTrue(false, msg + " - skipping outside CI");
        }
        return jar;
    }
}
