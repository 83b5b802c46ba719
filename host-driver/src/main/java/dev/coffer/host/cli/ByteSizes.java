package dev.coffer.host.cli;

import java.util.Locale;
import picocli.CommandLine;

/** Sizes as operators write them: {@code 4096}, {@code 512K}, {@code 512M}, {@code 2G} (binary units). */
final class ByteSizes {
    private ByteSizes() {
    }

    static long parse(String text, CommandLine.Model.CommandSpec spec) {
        String t = text.strip().toUpperCase(Locale.ROOT).replaceAll("I?B$", "");
        long unit = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                case 'T' -> unit = 1L << 40;
                default -> unit = 1;
            }
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long n = Long.parseLong(digits.strip());
            if (n <= 0) throw new NumberFormatException();
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "not a size: '" + text + "' (use e.g. 512M or 2G)");
        }
    }
}
