package dev.coffer.host.cli;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Turns the typed exceptions of the libraries into one clear line on stderr and exit code 1, instead of a stack
 * trace. Set COFFER_DEBUG=1 to see the trace.
 */
final class UserErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        String message = switch (ex) {
            case NoSuchFileException e -> "no such file: " + e.getFile();
            case IOException e -> "I/O error: " + e.getMessage();
            default -> ex.getMessage() == null ? ex.toString() : ex.getMessage();
        };
        cmd.getErr().println("coffer: " + message);
        if (System.getenv("COFFER_DEBUG") != null) ex.printStackTrace(cmd.getErr());
        return 1;
    }
}
