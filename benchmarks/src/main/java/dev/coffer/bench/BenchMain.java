package dev.coffer.bench;

import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code coffer bench ...}: end-to-end figures with llama.cpp peers measured in the same run. The launcher starts
 * this class (with the peers on the class path) instead of the product CLI when the first argument is "bench".
 */
@Command(name = "coffer bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks against llama.cpp peers (node-llama-cpp for speed, java-llama.cpp for correctness),",
            "and of the secure world against in-process plaintext (tee)."},
        subcommands = {EngineBench.class, KernelBench.class, TeeBench.class, RestoreBench.class, AeadBench.class, ServeBench.class, FingerprintBench.class, CommandLine.HelpCommand.class})
public final class BenchMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        String[] rest = args.length > 0 && args[0].equals("bench") ? Arrays.copyOfRange(args, 1, args.length) : args;
        CommandLine cl = new CommandLine(new BenchMain());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("coffer bench: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("COFFER_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        // Exit explicitly: java-llama.cpp leaves a non-daemon native thread behind.
        System.exit(cl.execute(rest));
    }
}
