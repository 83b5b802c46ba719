package dev.coffer.host.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.attestation.Policy;
import dev.coffer.attestation.TeeType;
import dev.coffer.attestation.Verifier;
import dev.coffer.host.client.AttestedServer;
import dev.coffer.host.client.ProxyRoutes;
import dev.coffer.host.net.HttpsClient;
import dev.coffer.host.net.HttpsServer;
import dev.coffer.host.net.TlsTrust;
import dev.coffer.inference.testing.SharedAssets;
import dev.coffer.pack.KeyFiles;
import dev.coffer.pack.PackFixture;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host process never holds a prompt or a completion: `coffer serve` runs as its own JVM (with the isolated secure
 * world beside it); a client sends a marked prompt through the proxy; then the server's logs, a heap dump of the host
 * JVM with unreachable objects included, and every byte between proxy and server are searched for the prompt and
 * for the completion. The same search finds the prompt when the server is run with --allow-plaintext and sent a
 * plain request: the test can fail.
 */
@Timeout(300)
class HostSeesNoPlaintextTest {
    private static final String MARKER = "zebra-umbrella-4711-secret";

    @TempDir
    static Path dir;
    static Path pack;
    static Path key;

    @BeforeAll
    static void pack() throws Exception {
        PackFixture packs = new PackFixture(dir);
        pack = packs.packForAlice("demo.cpack");
        key = dir.resolve("alice.key");
        KeyFiles.writeRecipientKey(key, packs.alice);
    }

    /** A `coffer serve` JVM, its output in a file, and the URL it printed. */
    private record ServerProcess(Process process, Path log, URI url) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        }
    }

    private static ServerProcess serve(String name, String... extra) throws Exception {
        Path log = dir.resolve(name + ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.coffer.host.cli.CofferCli", "serve",
                "--pack", pack.toString(), "--key", key.toString(), "--port", "0", "--secure-memory", "128M",
                "--image", SharedAssets.repoRoot().resolve("secure-world/target/coffer-secure-world.jar").toString()));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("COFFER_STATE", dir.resolve("state-" + name).toString());
        Process p = pb.start();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline && p.isAlive()) {
            for (String line : Files.readAllLines(log)) {
                if (line.startsWith("serving https://")) return new ServerProcess(p, log, URI.create(line.substring(8).strip()));
            }
            Thread.sleep(100);
        }
        p.destroyForcibly();
        throw new IllegalStateException("coffer serve did not start:\n" + Files.readString(log));
    }

    /** A TCP relay that records every byte in both directions. */
    private static final class RecordingRelay implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        final ByteArrayOutputStream seen = new ByteArrayOutputStream();

        RecordingRelay(int target) throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket client = socket.accept();
                        Socket server = new Socket(java.net.InetAddress.getLoopbackAddress(), target);
                        Thread.ofVirtual().start(() -> pump(client, server));
                        Thread.ofVirtual().start(() -> pump(server, client));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        private void pump(Socket from, Socket to) {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (seen) {
                        seen.write(buf, 0, n);
                    }
                    out.write(buf, 0, n);
                }
            } catch (IOException done) {
                // one side closed
            }
        }

        byte[] bytes() {
            synchronized (seen) {
                return seen.toByteArray();
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static Path heapDump(Process p, String name) throws Exception {
        Path dump = dir.resolve(name + ".hprof");
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(p.pid()), "GC.heap_dump", "-all", dump.toString()).redirectErrorStream(true).start();
        String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(jcmd.waitFor()).as(out).isZero();
        assertThat(dump).exists();
        return dump;
    }

    /** Whether {@code text} occurs in {@code haystack} as UTF-8/Latin-1 bytes or as UTF-16 (either byte order). */
    static boolean contains(byte[] haystack, String text) {
        return indexOf(haystack, text.getBytes(StandardCharsets.UTF_8)) >= 0
                || indexOf(haystack, text.getBytes(StandardCharsets.UTF_16BE)) >= 0
                || indexOf(haystack, text.getBytes(StandardCharsets.UTF_16LE)) >= 0;
    }

    private static int indexOf(byte[] h, byte[] n) {
        outer:
        for (int i = 0; i + n.length <= h.length; i++) {
            for (int j = 0; j < n.length; j++) if (h[i + j] != n[j]) continue outer;
            return i;
        }
        return -1;
    }

    @Test
    void logsHeapAndTrafficOfTheHostHoldNeitherPromptNorCompletion() throws Exception {
        try (ServerProcess server = serve("sealed");
             RecordingRelay relay = new RecordingRelay(server.url().getPort())) {
            URI viaRelay = URI.create("https://127.0.0.1:" + relay.socket.getLocalPort());
            try (AttestedServer attested = new AttestedServer(viaRelay, new Verifier(Policy.defaults().allowing(TeeType.ISOLATED)),
                    Duration.ofSeconds(60), Clock.systemUTC());
                 HttpsServer proxy = HttpsServer.startLoopback("127.0.0.1", 0, ProxyRoutes.routes(attested, l -> { }),
                         1 << 20, 60, l -> { })) {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + proxy.port() + "/v1/chat/completions")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"Remember "
                                + MARKER + " please\"}],\"max_tokens\":24,\"temperature\":0}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                Map<?, ?> message = (Map<?, ?>) ((Map<?, ?>) ((List<?>) JSONObjectUtils.parse(r.body()).get("choices"))
                        .getFirst()).get("message");
                String completion = ((String) message.get("content")).strip();
                assertThat(completion.length()).as("a completion long enough to search for").isGreaterThanOrEqualTo(12);

                byte[] heap = Files.readAllBytes(heapDump(server.process(), "sealed"));
                byte[] log = Files.readAllBytes(server.log());
                byte[] traffic = relay.bytes();
                assertThat(traffic.length).isGreaterThan(1000);
                for (String secret : List.of(MARKER, completion)) {
                    assertThat(contains(heap, secret)).as("host heap holds " + secret).isFalse();
                    assertThat(contains(log, secret)).as("host log holds " + secret).isFalse();
                    assertThat(contains(traffic, secret)).as("traffic holds " + secret).isFalse();
                }
            }
        }
    }

    @Test
    void theSameSearchFindsAPlaintextPrompt() throws Exception {
        try (ServerProcess server = serve("plain", "--allow-plaintext");
             HttpsClient client = new HttpsClient(TlsTrust.untilAttested(), Duration.ofSeconds(60))) {
            HttpsClient.Reply r = client.postJson(URI.create(server.url() + "/v1/completions"),
                    "{\"prompt\":\"Remember " + MARKER + "\",\"max_tokens\":4}");
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(contains(Files.readAllBytes(heapDump(server.process(), "plain")), MARKER)).isTrue();
        }
    }
}
