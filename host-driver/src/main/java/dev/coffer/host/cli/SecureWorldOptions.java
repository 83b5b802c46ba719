package dev.coffer.host.cli;

import dev.coffer.host.tee.SecureWorldImages;
import dev.coffer.secureworld.InferenceApplication;
import dev.coffer.tee.Backend;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import dev.coffer.tee.memory.MemoryPolicy;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** How a command starts its secure world: backend, secret-memory budget and policy, image (shared by run and serve). */
final class SecureWorldOptions {
    @Option(names = "--tee", paramLabel = "sim|isolated",
            description = {"run the model inside a secure world: 'isolated' = a separate hardened JVM with memfd_secret",
                "memory and a seccomp allowlist (a software TEE), 'sim' = the same code in this process (debug).",
                "Default for a pack: isolated. A plaintext --model is copied in over the channel (development path)."})
    String tee;

    @Option(names = "--secure-memory", paramLabel = "SIZE",
            description = "secret-memory budget of the secure world, e.g. 2G or 512M (default: model size + 1G)")
    String secureMemory;

    @Option(names = "--allow-mlock-fallback",
            description = {"where the kernel lacks memfd_secret, accept mlocked memory instead (readable by root;",
                "reports say memory mode 'mlock')"})
    boolean allowMlockFallback;

    @Option(names = "--mlock",
            description = {"use mlocked memory even where memfd_secret exists: readable by root, but far faster to populate",
                "(for comparison, or in a confidential VM, whose memory the hardware encrypts as a whole)"})
    boolean mlock;

    @Option(names = "--image", paramLabel = "JAR",
            description = "secure-world image jar (default: secure-world/target/coffer-secure-world.jar)")
    Path image;

    boolean requested() {
        return tee != null;
    }

    Backend backend(CommandLine.Model.CommandSpec spec, String fallback) {
        try {
            return Backend.parse(tee != null ? tee : fallback);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** sim runs the application class in-process unless an image is named; isolated always runs an image jar. */
    EnclaveImage image(Backend backend) {
        return backend == Backend.SIM && image == null
                ? EnclaveImage.inProcess(InferenceApplication.class.getName())
                : SecureWorldImages.load(image != null ? image : SecureWorldImages.defaultJar(CofferHome.path()));
    }

    /** @param modelBytes the weights the secure world will hold (the default budget is that plus 1 GiB) */
    EnclaveSettings settings(Backend backend, long modelBytes, int threads, CommandLine.Model.CommandSpec spec) {
        long budget = secureMemory != null ? ByteSizes.parse(secureMemory, spec) : modelBytes + (1L << 30);
        EnclaveSettings settings = EnclaveSettings.defaults(backend, CofferHome.state()).withSecureMemory(budget)
                .withThreads(threads).withMemoryFallback(allowMlockFallback);
        return mlock ? settings.withMemoryPolicy(MemoryPolicy.MLOCK) : settings;
    }
}
