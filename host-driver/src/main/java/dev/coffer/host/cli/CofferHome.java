package dev.coffer.host.cli;

import java.nio.file.Path;

/** Where the installation lives (the launcher passes -Dcoffer.home) and where it keeps generated files. */
final class CofferHome {
    private CofferHome() {}

    static Path root() {
        String home = System.getProperty("coffer.home");
        return (home != null ? Path.of(home) : Path.of("")).toAbsolutePath().normalize();
    }

    /** The embedded default model, made by {@code coffer synth --shape demo} on first use. */
    static Path demoModel() {
        return root().resolve("models").resolve("demo.gguf");
    }
}
