package dev.coffer.host.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Small helpers shared by the commands that write model files. */
final class Outputs {
    private Outputs() {}

    static void refuseToOverwrite(Path out, boolean force) {
        if (Files.exists(out) && !force) {
            throw new CommandFailedException(out + " already exists; pass --force to overwrite it");
        }
        if (Files.isDirectory(out)) throw new CommandFailedException(out + " is a directory, not a file name");
    }

    static boolean sameFile(Path a, Path b) throws IOException {
        return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    }

    static String size(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        return String.format(Locale.ROOT, "%.2f GiB", bytes / 1073741824.0);
    }

    static String rate(long bytes, long nanos) {
        double s = Math.max(nanos, 1) / 1e9;
        return String.format(Locale.ROOT, "%.1f s, %.0f MiB/s", s, bytes / 1048576.0 / s);
    }
}
