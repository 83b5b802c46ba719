package dev.coffer.host.cli;

import dev.coffer.host.tee.SecureWorldImages;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.SecureWorldLaunch;
import dev.coffer.tee.natives.Native;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code coffer tee}: facts about the secure world that operators and verifiers check. */
@Command(name = "tee", mixinStandardHelpOptions = true,
        description = "Inspect the secure world: its measurement and its system-call allowlist.",
        subcommands = {TeeCommand.Measure.class, TeeCommand.Allowlist.class, CommandLine.HelpCommand.class})
final class TeeCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "measure", mixinStandardHelpOptions = true,
            description = {"Print the measurement of a secure-world image: SHA-256 over the jar and its launch",
                "configuration (JVM options, main class). The same sources give the same value on any machine;",
                "verifiers pin it in their policy."})
    static final class Measure implements Callable<Integer> {
        @Option(names = "--image", paramLabel = "JAR",
                description = "image jar (default: secure-world/target/coffer-secure-world.jar)")
        Path image;

        @Option(names = "--verbose", description = "also print the image path, application, product id, svn, JVM options")
        boolean verbose;

        @Override
        public Integer call() {
            Path jar = image != null ? image : SecureWorldImages.defaultJar(CofferHome.path());
            EnclaveImage img = SecureWorldImages.load(jar);
            PrintStream out = System.out;
            out.println(img.measurement().hex());
            if (verbose) {
                out.println("image:            " + jar.toAbsolutePath());
                out.println("application:      " + img.applicationClass());
                out.println("signer:           " + img.identity().signer().hex() + " (unsigned)");
                out.println("product id:       " + img.identity().productId());
                out.println("security version: " + img.identity().securityVersion());
                out.println("jvm options:      " + String.join(" ", SecureWorldLaunch.JVM_OPTIONS));
            }
            return 0;
        }
    }

    @Command(name = "allowlist", mixinStandardHelpOptions = true,
            description = {"Print the system calls the isolated secure world may make after initialisation; every",
                "other call fails with EPERM and is counted by the host."})
    static final class Allowlist implements Callable<Integer> {
        @Override
        public Integer call() {
            String[] rules = Native.seccompAllowlist();
            for (String r : rules) System.out.println(r);
            System.err.println(rules.length + " rules; default: deny (EPERM, counted by the host)");
            return 0;
        }
    }
}
