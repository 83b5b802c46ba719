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
        description = "The secure world's image: its measurement, its signature, its system-call allowlist.",
        subcommands = {TeeCommand.Measure.class, TeeCommand.Allowlist.class, TeeCommand.Keygen.class, TeeCommand.Sign.class,
            CommandLine.HelpCommand.class})
final class TeeCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "measure", mixinStandardHelpOptions = true,
            description = {"Print the measurement of a secure-world image.",
                "SHA-256 over the jar and its launch configuration (JVM options, main class). The same sources give",
                "the same value on any machine; verifiers pin it in their policy."})
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
                boolean unsigned = img.identity().signer().equals(dev.coffer.tee.Digest.zero());
                out.println("signer:           " + img.identity().signer().hex() + (unsigned ? " (unsigned)" : ""));
                out.println("product id:       " + img.identity().productId());
                out.println("security version: " + img.identity().securityVersion());
                out.println("jvm options:      " + String.join(" ", SecureWorldLaunch.JVM_OPTIONS));
            }
            return 0;
        }
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = {"Create an Ed25519 image-signing key.",
                "Writes DIR/signer.pk8 (private, 0600, never printed) and DIR/signer.pub. The signer identity",
                "(MRSIGNER) is SHA-256 of the public key; PRODUCT sealing binds to it, so images signed by the same",
                "key can open each other's PRODUCT-sealed data."})
    static final class Keygen implements Callable<Integer> {
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory for the key files")
        Path out;

        @Override
        public Integer call() {
            dev.coffer.tee.ImageSigningKey key = dev.coffer.tee.ImageSigningKey.generate(out);
            System.out.println(key.signer().hex());
            System.err.println("wrote " + out.resolve(dev.coffer.tee.ImageSigningKey.PRIVATE_FILE) + " (keep it secret) and "
                    + out.resolve(dev.coffer.tee.ImageSigningKey.PUBLIC_FILE) + "; signer identity above");
            return 0;
        }
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = {"Sign a secure-world image.",
                "Writes IMAGE.sig beside it (like oesign). The measurement does not change; the image's signer",
                "identity becomes the key's."})
    static final class Sign implements Callable<Integer> {
        @Option(names = "--key", required = true, paramLabel = "signer.pk8", description = "the signing key (from tee keygen)")
        Path key;

        @Option(names = "--image", paramLabel = "JAR",
                description = "image jar (default: secure-world/target/coffer-secure-world.jar)")
        Path image;

        @Override
        public Integer call() {
            Path jar = image != null ? image : SecureWorldImages.defaultJar(CofferHome.path());
            dev.coffer.tee.Digest signer = dev.coffer.tee.ImageSigningKey.load(key).sign(jar);
            System.out.println(signer.hex());
            System.err.println("wrote " + dev.coffer.tee.ImageSignature.fileFor(jar));
            return 0;
        }
    }

    @Command(name = "allowlist", mixinStandardHelpOptions = true,
            description = {"Print the system calls the isolated secure world may make.",
                "These are the calls allowed after initialisation; every other call fails with EPERM and is counted",
                "by the host."})
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
