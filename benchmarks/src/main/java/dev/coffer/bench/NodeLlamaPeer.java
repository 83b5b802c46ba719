package dev.coffer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp through node-llama-cpp (npm, prebuilt per-CPU binaries, never built here): the speed peer, and the
 * peer that reports exact generated ids and next-token probabilities. Runs {@code src/main/node/peer.mjs} with the
 * system's {@code node}; installs node-llama-cpp on first use into a cache directory.
 */
public final class NodeLlamaPeer {
    public static final String PACKAGE = "node-llama-cpp";
    public static final String VERSION = "3.21.1";
    public static final String ENGINE_NAME = "llama.cpp/node-llama-cpp";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    private NodeLlamaPeer(Path dir) {
        this.dir = dir;
    }

    /** The default install: {@code <user cache>/node-peer} (see {@link BenchHome#cache()}). */
    public static NodeLlamaPeer installed() {
        return installedIn(BenchHome.cache().resolve("node-peer"));
    }

    /** Installs node-llama-cpp into {@code dir} unless that version is there already, and puts peer.mjs beside it. */
    public static NodeLlamaPeer installedIn(Path dir) {
        try {
            Files.createDirectories(dir);
            if (!installedVersion(dir).equals(VERSION)) npmInstall(dir);
            try (InputStream script = NodeLlamaPeer.class.getResourceAsStream("/node/peer.mjs")) {
                if (script == null) throw new PeerException("node/peer.mjs is missing from the class path: rebuild benchmarks");
                // ES modules resolve packages from their own location, so the script must sit beside node_modules.
                Files.copy(script, dir.resolve("peer.mjs"), StandardCopyOption.REPLACE_EXISTING);
            }
            return new NodeLlamaPeer(dir);
        } catch (IOException e) {
            throw new PeerException("cannot prepare the node-llama-cpp peer in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** True when {@code node} and {@code npm} can be started (the peer needs both on first use). */
    public static boolean toolsAvailable() {
        return runsOk("node", "--version") && runsOk("npm", "--version");
    }

    /** Prefill and decode speed of one model at one thread count (after warm-up runs), as peer.mjs measures it. */
    public SpeedResult speed(Path model, int threads, int prefill, int decode, int warmup) {
        JsonNode r = runOnce(List.of("speed", model.toAbsolutePath().toString(), "--threads", "" + threads, "--prefill", "" + prefill,
                "--decode", "" + decode, "--warmup", "" + warmup, "--ctx", "" + Math.max(512, prefill + decode + 8)));
        return new SpeedResult(r.get("prefill_tok_s").asDouble(), r.get("decode_tok_s").asDouble());
    }

    /** Prefill and decode rates in tokens per second. */
    public record SpeedResult(double prefillTokS, double decodeTokS) {}

    /** Starts a long-lived peer process that keeps {@code model} loaded for many {@link Server#generate} calls. */
    public Server serve(Path model, int threads, int contextLength) {
        Process p = start(List.of("serve", model.toAbsolutePath().toString(), "--threads", "" + threads, "--ctx", "" + contextLength));
        Server s = new Server(p);
        JsonNode hello = s.readLine();
        if (!hello.path("ready").asBoolean()) {
            s.close();
            throw new PeerException("node-llama-cpp peer did not start for " + model + ": " + hello);
        }
        return s;
    }

    /** A peer process with one model loaded; one request at a time. */
    public final class Server implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;
        private final BufferedWriter in;

        private Server(Process process) {
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        }

        /**
         * Greedy continuation of exactly these ids (no BOS added), {@code n} tokens without stopping at EOS, plus
         * the {@code top} most likely next tokens after the prompt with their softmax probabilities.
         */
        public PeerGeneration generate(int[] prompt, int n) {
            return toGeneration(prompt, request(prompt, n, 0));
        }

        /** The {@code k} most probable first tokens after {@code prompt}, most probable first. */
        public List<TokenProbability> topNext(int[] prompt, int k) {
            JsonNode r = request(prompt, 0, k);
            List<TokenProbability> top = new ArrayList<>();
            for (JsonNode pair : r.get("top")) top.add(new TokenProbability(pair.get(0).asInt(), pair.get(1).asDouble()));
            return top;
        }

        private JsonNode request(int[] prompt, int n, int top) {
            try {
                in.write(JSON.writeValueAsString(Map.of("prompt", prompt, "n", n, "top", top)));
                in.newLine();
                in.flush();
            } catch (IOException e) {
                throw new PeerException("node-llama-cpp peer stopped accepting requests: " + stderrOf(process), e);
            }
            return readLine();
        }

        private JsonNode readLine() {
            try {
                String line = out.readLine();
                if (line == null) throw new PeerException("node-llama-cpp peer exited: " + stderrOf(process));
                return JSON.readTree(line);
            } catch (IOException e) {
                throw new PeerException("node-llama-cpp peer answered unreadably: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            try {
                in.close();
                if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
            } catch (IOException | InterruptedException e) {
                process.destroyForcibly();
                if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            }
        }
    }

    private static PeerGeneration toGeneration(int[] prompt, JsonNode r) {
        JsonNode t = r.get("tokens");
        int[] ids = new int[t.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = t.get(i).asInt();
        return new PeerGeneration(prompt, ids, List.of(), 0);
    }

    private JsonNode runOnce(List<String> args) {
        Process p = start(args);
        try {
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            int rc = p.waitFor();
            if (rc != 0 || stdout.isEmpty()) {
                throw new PeerException("node-llama-cpp peer failed (exit " + rc + "): " + stderrOf(p));
            }
            return JSON.readTree(stdout.lines().reduce((a, b) -> b).orElseThrow());
        } catch (IOException e) {
            throw new PeerException("node-llama-cpp peer output unreadable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new PeerException("interrupted while the node-llama-cpp peer ran", e);
        }
    }

    private Process start(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("node", dir.resolve("peer.mjs").toString()));
        cmd.addAll(args);
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
            pb.redirectError(dir.resolve("peer.stderr.log").toFile());
            return pb.start();
        } catch (IOException e) {
            throw new PeerException("cannot start node (needed for the llama.cpp peer; install Node.js 20+): "
                    + e.getMessage(), e);
        }
    }

    private String stderrOf(Process p) {
        try {
            p.waitFor(5, TimeUnit.SECONDS);
            List<String> lines = Files.readAllLines(dir.resolve("peer.stderr.log"));
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no stderr: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    private static String installedVersion(Path dir) {
        Path pkg = dir.resolve("node_modules").resolve(PACKAGE).resolve("package.json");
        if (!Files.isRegularFile(pkg)) return "";
        try {
            return JSON.readTree(pkg.toFile()).path("version").asText("");
        } catch (IOException e) {
            return "";
        }
    }

    private static void npmInstall(Path dir) throws IOException {
        Path pkg = dir.resolve("package.json");
        if (!Files.exists(pkg)) {
            Files.writeString(pkg, "{\"name\":\"coffer-node-peer\",\"private\":true,\"type\":\"module\"}\n");
        }
        System.err.println("bench: installing " + PACKAGE + "@" + VERSION + " into " + dir + " (first use) ...");
        ProcessBuilder pb = new ProcessBuilder("npm", "i", "-E", PACKAGE + "@" + VERSION, "--no-audit", "--no-fund")
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("npm-install.log").toFile());
        try {
            int rc = pb.start().waitFor();
            if (rc != 0 || !installedVersion(dir).equals(VERSION)) {
                throw new PeerException("npm i -E " + PACKAGE + "@" + VERSION + " failed (exit " + rc + "), see "
                        + dir.resolve("npm-install.log"));
            }
        } catch (IOException e) {
            throw new PeerException("cannot run npm (needed once to install " + PACKAGE + "; install Node.js 20+ with npm): "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerException("interrupted while installing " + PACKAGE, e);
        }
    }

    private static boolean runsOk(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
