package dev.coffer.host.cli;

/** Lets tests in other packages run the command line in-process ({@link Cli} is package-private). */
public final class CliAccess {
    private CliAccess() {
    }

    public record Result(int exit, String out, String err) {
    }

    public static Result run(String... args) {
        Cli.Result r = Cli.run(args);
        return new Result(r.exit(), r.out(), r.err());
    }
}
