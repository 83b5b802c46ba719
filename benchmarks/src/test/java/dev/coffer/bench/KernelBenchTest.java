package dev.coffer.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class KernelBenchTest {
    @Test
    void printsOneJsonLinePerTypeKernelAndThreadCount() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit;
        try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(p);
            exit = new CommandLine(new KernelBench()).execute("--json", "--types", "Q8_0,Q4_K", "--threads", "1,2",
                    "--rows", "64", "--cols", "256", "--batch", "4", "--seconds", "0.05");
        } finally {
            System.setOut(old);
        }
        assertThat(exit).isZero();
        List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(2 * 2 * 2);
        ObjectMapper json = new ObjectMapper();
        for (String line : lines) {
            JsonNode n = json.readTree(line);
            assertThat(n.get("weight_gb_s").asDouble()).isPositive();
            assertThat(n.get("us_per_matmul").asDouble()).isPositive();
            assertThat(n.get("kernel").asText()).isIn("decode", "prefill");
        }
        assertThat(new CommandLine(new KernelBench()).execute("--cols", "100")).isNotZero();
    }
}
