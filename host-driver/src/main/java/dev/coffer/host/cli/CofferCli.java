package dev.coffer.host.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code coffer} command line: one entry point for operators, clients and model owners. */
@Command(name = "coffer",
        mixinStandardHelpOptions = true,
        versionProvider = CofferCli.Version.class,
        description = {
            "Confidential LLM inference: encrypted model packs restored inside a trusted execution boundary.",
            "",
            "Start with './coffer run' (a tiny built-in demo model) or './coffer run --model X.gguf'."
        },
        subcommands = {DemoCommand.class, RunCommand.class, ModelCommand.class, QuantizeCommand.class, SynthCommand.class, PackCommand.class, TeeCommand.class,
            ServeCommand.class, AttestCommand.class, ProxyCommand.class, KeybrokerCommand.class,
            CommandLine.HelpCommand.class})
public final class CofferCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests execute it in-process). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new CofferCli());
        cl.setExecutionExceptionHandler(new UserErrorHandler());
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = CofferCli.class.getPackage().getImplementationVersion();
            return new String[] {"coffer " + (v == null ? "0.1.0-SNAPSHOT" : v),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
