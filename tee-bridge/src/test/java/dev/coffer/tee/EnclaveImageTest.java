package dev.coffer.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnclaveImageTest {
    @TempDir
    Path a;
    @TempDir
    Path b;

    @Test
    void theSameImageBuiltTwiceHasTheSameMeasurementAndAnyChangeChangesIt() throws Exception {
        EnclaveImage first = EnclaveImage.fromJar(TestImages.probeImage(a, 1));
        EnclaveImage again = EnclaveImage.fromJar(TestImages.probeImage(b, 1));
        EnclaveImage update = EnclaveImage.fromJar(TestImages.probeImage(b, 2));
        assertThat(again.measurement()).isEqualTo(first.measurement());
        assertThat(update.measurement()).isNotEqualTo(first.measurement());
        assertThat(first.identity().productId()).isEqualTo(7);
        assertThat(update.identity().securityVersion()).isEqualTo(2);
        assertThat(first.applicationClass()).isEqualTo("dev.coffer.tee.testapp.ProbeApplication");

        Path jar = TestImages.probeImage(a, 1);
        byte[] bytes = Files.readAllBytes(jar);
        bytes[bytes.length / 2] ^= 1; // one bit of the image
        Path tampered = a.resolve("tampered.jar");
        Files.write(tampered, bytes);
        assertThat(Digest.sha256(Files.readAllBytes(tampered))).isNotEqualTo(Digest.sha256(Files.readAllBytes(jar)));
        try {
            assertThat(EnclaveImage.fromJar(tampered).measurement()).isNotEqualTo(first.measurement());
        } catch (EnclaveException unreadable) {
            // a flipped bit in the manifest or central directory makes the jar unreadable: also a refusal
        }
    }

    @Test
    void aJarThatIsNotAnImageIsRefusedClearly() throws Exception {
        assertThatThrownBy(() -> EnclaveImage.fromJar(a.resolve("missing.jar")))
                .isInstanceOf(EnclaveException.class).hasMessageContaining("does not exist");
        Path junk = a.resolve("junk.jar");
        Files.writeString(junk, "not a jar");
        assertThatThrownBy(() -> EnclaveImage.fromJar(junk)).isInstanceOf(EnclaveException.class)
                .hasMessageContaining("cannot read enclave image");
    }
}
