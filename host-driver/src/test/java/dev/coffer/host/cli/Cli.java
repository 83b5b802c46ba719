package dev.coffer.host.cli;

import dev.coffer.inference.testing.SharedAssets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Runs the coffer command line in-process, as a user would, capturing exit code, stdout and stderr. */
final class Cli {
    record Result(int exit, String out, String err) {}

    private Cli() {}

    /** The secure-world image the build just made. */
    static Path image() {
        return SharedAssets.repoRoot().resolve("secure-world/target/coffer-secure-world.jar");
    }

    static Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            picocli.CommandLine cl = CofferCli.commandLine();
            cl.setOut(new java.io.PrintWriter(o, true));
            cl.setErr(new java.io.PrintWriter(e, true));
            int exit = cl.execute(args);
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

}
