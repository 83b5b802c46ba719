package dev.coffer.inference.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates files of the read-only {@code ../shared} directory beside the repository. Outside CI a missing file
 * skips the test with a message; in CI (environment variable {@code CI} set) it fails, because CI always has it.
 */
public final class SharedAssets {
    private SharedAssets() {}

    public static Path repoRoot() {
        String env = System.getenv("COFFER_REPO_ROOT");
        Path p = env != null ? Path.of(env) : Path.of("").toAbsolutePath();
        // Surefire runs in the module directory; walk up to the directory that holds the launcher.
        for (Path q = p.toAbsolutePath(); q != null; q = q.getParent()) {
            if (Files.exists(q.resolve("coffer")) && Files.exists(q.resolve("pom.xml"))) return q;
        }
        return p.toAbsolutePath();
    }

    public static Path sharedDir() {
        return repoRoot().resolve("../shared").normalize();
    }

    /** A file under ../shared, e.g. {@code require("models/stories260K.gguf")}. */
    public static Path require(String relative) {
        Path p = sharedDir().resolve(relative);
        if (!Files.isRegularFile(p)) {
            String msg = "shared asset " + p + " is missing (the ../shared directory beside the clone)";
            if (System.getenv("CI") != null) fail(msg + " - CI must have it");
            assumeTrue(false, msg + " - skipping outside CI");
        }
        return p;
    }
}
