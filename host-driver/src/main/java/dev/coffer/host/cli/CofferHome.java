package dev.coffer.host.cli;

import java.nio.file.Path;

/**
 * The repository directory holding the {@code ./coffer} launcher (system property {@code coffer.home}, set by the
 * launcher; the working directory otherwise). Generated models go to {@code <home>/models/} (gitignored) and shared
 * test assets live beside it in {@code <home>/../shared/}.
 */
final class CofferHome {
    private CofferHome() {}

    static Path path() {
        String home = System.getProperty("coffer.home");
        return (home == null || home.isBlank() ? Path.of("") : Path.of(home)).toAbsolutePath().normalize();
    }

    static Path models() { return path().resolve("models"); }

    static Path shared(String relative) { return path().resolve("..").resolve("shared").resolve(relative).normalize(); }

    /**
     * The operator's state directory (the isolated backend's platform key and sealing secret): system property
     * {@code coffer.state}, else {@code COFFER_STATE},
     * else {@code $XDG_STATE_HOME/coffer}, else {@code ~/.local/state/coffer}.
     */
    static Path state() {
        String property = System.getProperty("coffer.state");
        if (property != null && !property.isBlank()) return Path.of(property).toAbsolutePath();
        String explicit = System.getenv("COFFER_STATE");
        if (explicit != null && !explicit.isBlank()) return Path.of(explicit).toAbsolutePath();
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("coffer").toAbsolutePath();
    }

    /** The embedded default model, made by {@code coffer synth --shape demo} on first use. */
    static Path demoModel() { return models().resolve("demo.gguf"); }
}
