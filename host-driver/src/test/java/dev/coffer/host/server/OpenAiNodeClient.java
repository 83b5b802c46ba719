package dev.coffer.host.server;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The official OpenAI client for Node.js (npm {@code openai}, pinned), installed once into the user's cache for the
 * tests that show stock clients work through {@code coffer proxy}. A test dependency only: never part of Coffer.
 * Outside CI a machine without node/npm skips those tests; in CI they must run.
 */
final class OpenAiNodeClient {
    static final String VERSION = "7.59.0";

    private OpenAiNodeClient() {
    }

    static Path installed() throws IOException, InterruptedException {
        boolean ci = System.getenv("CI") != null;
        if (!runs("node", "--version") || !runs("npm", "--version")) {
            if (ci) fail("node and npm are needed for the OpenAI client test");
            assumeTrue(false, "node/npm not found: skipping the OpenAI client test outside CI");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache"))
                .resolve("coffer").resolve("openai-client");
        Path marker = cache.resolve("node_modules/openai/package.json");
        if (!Files.exists(marker) || !Files.readString(marker).contains("\"version\": \"" + VERSION + "\"")) {
            Files.createDirectories(cache);
            Process p = new ProcessBuilder("npm", "i", "-E", "openai@" + VERSION, "--no-audit", "--no-fund")
                    .directory(cache.toFile()).redirectErrorStream(true).redirectOutput(cache.resolve("npm.log").toFile()).start();
            if (p.waitFor() != 0) fail("npm i openai@" + VERSION + " failed: " + Files.readString(cache.resolve("npm.log")));
        }
        return cache;
    }

    private static boolean runs(String... cmd) {
        try {
            return new ProcessBuilder(cmd).redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
