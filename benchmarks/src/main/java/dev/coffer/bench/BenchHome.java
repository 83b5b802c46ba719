package dev.coffer.bench;

import java.nio.file.Path;

/**
 * Where bench files live: the repository holding the {@code ./coffer} launcher (system property {@code coffer.home},
 * set by the launcher; the working directory otherwise). Generated models go to {@code models/} (gitignored); shared
 * read-only models are in {@code ../shared/models}. Peers install into the user's cache directory
 * ({@code $COFFER_CACHE}, else {@code $XDG_CACHE_HOME/coffer}, else {@code ~/.cache/coffer}), so fresh clones and
 * CI runs on the same machine do not download node-llama-cpp (~730 MB) again.
 */
public final class BenchHome {
    private BenchHome() {}

    public static Path path() {
        String home = System.getProperty("coffer.home");
        if (home == null || home.isBlank()) home = System.getenv("COFFER_REPO_ROOT");
        return (home == null || home.isBlank() ? Path.of("") : Path.of(home)).toAbsolutePath().normalize();
    }

    public static Path cache() {
        String explicit = System.getenv("COFFER_CACHE");
        if (explicit != null && !explicit.isBlank()) return Path.of(explicit).toAbsolutePath();
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("coffer").toAbsolutePath();
    }

    public static Path models() { return path().resolve("models"); }

    public static Path sharedModels() { return path().resolve("../shared/models").normalize(); }
}
