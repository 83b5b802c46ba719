package dev.coffer.host.tee;

import dev.coffer.tee.EnclaveImage;
import java.nio.file.Path;

/** Where the host finds the secure world's image jar: {@code --image}, else the build's
 *  {@code secure-world/target/coffer-secure-world.jar} under the Coffer home. */
public final class SecureWorldImages {
    private SecureWorldImages() {
    }

    public static Path defaultJar(Path cofferHome) {
        return cofferHome.resolve("secure-world").resolve("target").resolve("coffer-secure-world.jar");
    }

    public static EnclaveImage load(Path jar) {
        return EnclaveImage.fromJar(jar);
    }
}
