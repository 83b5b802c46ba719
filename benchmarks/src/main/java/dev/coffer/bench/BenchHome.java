package dev.coffer.bench;

import java.nio.file.Path;

/**
 * Where bench files live: the repository holding the {@code ./coffer} launcher (system property {@code coffer.home},
 * set by the launcher; the working directory otherwise). Peers install into {@code .coffer-cache/}, generated
 * models go to {@code models/} (both gitignored); shared read-only models are in {@code ../shared/models}.
 */
public final class BenchHome {
    private BenchHome() {}

    public static Path path() {
        String home = System.getProperty("coffer.home");
        if (home == null || home.isBlank()) home = System.getenv("COFFER_REPO_ROOT");
        return (home == null || home.isBlank() ? Path.of("") : Path.of(home)).toAbsolutePath().normalize();
    }

    public static Path cache() { return path().resolve(".coffer-cache"); }

    public static Path models() { return path().resolve("models"); }

    public static Path sharedModels() { return path().resolve("../shared/models").normalize(); }
}
