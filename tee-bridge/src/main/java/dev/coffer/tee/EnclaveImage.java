package dev.coffer.tee;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The code of a secure world: one jar (the isolated backend runs exactly it) whose manifest names the
 * application ({@code Coffer-Enclave-Application}) and optionally its product id and security version
 * ({@code Coffer-Product-Id}, {@code Coffer-Security-Version}). Its measurement is SHA-256 over the jar's bytes and
 * the launch configuration ({@link SecureWorldLaunch}), so the same build gives the same measurement anywhere.
 * The signer is SHA-256 of the key that made {@code <image>.sig} ({@link ImageSignature}), all zero when unsigned.
 */
public record EnclaveImage(Optional<Path> jar, String applicationClass, EnclaveIdentity identity) {
    public static final String APPLICATION_ATTRIBUTE = "Coffer-Enclave-Application";

    public EnclaveImage {
        Objects.requireNonNull(jar, "jar");
        Objects.requireNonNull(applicationClass, "applicationClass");
        Objects.requireNonNull(identity, "identity");
    }

    /** Reads and measures an image jar, and checks its signature file if it has one. */
    public static EnclaveImage fromJar(Path jar) {
        return read(jar, true);
    }

    /** Reads and measures an image jar without looking at a signature (to sign it). */
    static EnclaveImage fromJarIgnoringSignature(Path jar) {
        return read(jar, false);
    }

    private static EnclaveImage read(Path jar, boolean checkSignature) {
        if (!Files.isRegularFile(jar)) {
            throw new EnclaveException("enclave image " + jar + " does not exist: build it with ./coffer test or mvn package");
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = Optional.ofNullable(file.getManifest())
                    .orElseThrow(() -> new EnclaveException("enclave image " + jar + " has no manifest"));
            Attributes a = manifest.getMainAttributes();
            String app = Optional.ofNullable(a.getValue(APPLICATION_ATTRIBUTE)).orElseThrow(() -> new EnclaveException(
                    "enclave image " + jar + " names no application: its manifest lacks " + APPLICATION_ATTRIBUTE));
            int product = intAttribute(a, "Coffer-Product-Id", jar);
            int svn = intAttribute(a, "Coffer-Security-Version", jar);
            byte[] bytes = Files.readAllBytes(jar);
            Digest measurement = measure(bytes, app);
            Digest signer = checkSignature ? ImageSignature.signerOf(jar, bytes, product, svn) : Digest.zero();
            return new EnclaveImage(Optional.of(jar), app, new EnclaveIdentity(measurement, signer, product, svn));
        } catch (IOException e) {
            throw new EnclaveException("cannot read enclave image " + jar + ": " + e.getMessage(), e);
        }
    }

    /** An application on the host's class path, for the sim backend only (tests, debugging): its measurement is
     *  that of its class name, since there is no image to measure. */
    public static EnclaveImage inProcess(String applicationClass) {
        Digest m = Digest.sha256("coffer-in-process-v1".getBytes(), applicationClass.getBytes());
        return new EnclaveImage(Optional.empty(), applicationClass, new EnclaveIdentity(m, Digest.zero(), 0, 0));
    }

    public Digest measurement() {
        return identity.measurement();
    }

    private static Digest measure(byte[] jarBytes, String application) {
        MessageDigest jarDigest = Digest.sha256();
        jarDigest.update(jarBytes);
        MessageWriter config = new MessageWriter().writeString(SecureWorldLaunch.MAIN_CLASS).writeString(application)
                .writeInt(SecureWorldLaunch.JVM_OPTIONS.size());
        SecureWorldLaunch.JVM_OPTIONS.forEach(config::writeString);
        return Digest.sha256("coffer-image-v1".getBytes(), jarDigest.digest(), config.toByteArray());
    }

    private static int intAttribute(Attributes a, String name, Path jar) {
        String v = a.getValue(name);
        if (v == null) return 0;
        try {
            int n = Integer.parseInt(v.strip());
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new EnclaveException("enclave image " + jar + ": manifest " + name + " is not a non-negative number: " + v);
        }
    }
}
