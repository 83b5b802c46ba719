package dev.coffer.host.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code coffer model ...}: inspect model files. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Inspect model files.",
        subcommands = {ModelInfoCommand.class, CommandLine.HelpCommand.class})
final class ModelCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
