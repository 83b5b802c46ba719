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
    void aSignedImageNamesItsSignerAndAnyChangeAfterSigningIsRefused() throws Exception {
        Path jar = TestImages.probeImage(a, 1);
        EnclaveImage unsigned = EnclaveImage.fromJar(jar);
        assertThat(unsigned.identity().signer()).isEqualTo(Digest.zero());

        ImageSigningKey key = ImageSigningKey.generate(b.resolve("keys"));
        assertThat(key.sign(jar)).isEqualTo(key.signer());
        EnclaveImage signed = EnclaveImage.fromJar(jar);
        assertThat(signed.identity().signer()).isEqualTo(key.signer()).isNotEqualTo(Digest.zero());
        assertThat(signed.measurement()).as("the signature is not part of the measurement").isEqualTo(unsigned.measurement());
        assertThat(ImageSigningKey.load(b.resolve("keys/signer.pk8")).signer()).isEqualTo(key.signer());
        assertThatThrownBy(() -> ImageSigningKey.generate(b.resolve("keys"))).hasMessageContaining("never overwritten");

        Path sig = ImageSignature.fileFor(jar);
        byte[] good = Files.readAllBytes(sig);
        byte[] flipped = good.clone();
        flipped[flipped.length - 3] ^= 1;
        Files.write(sig, flipped);
        assertThatThrownBy(() -> EnclaveImage.fromJar(jar)).isInstanceOf(EnclaveException.class).hasMessageContaining("does not match");
        Files.write(sig, java.util.Arrays.copyOf(good, 20));
        assertThatThrownBy(() -> EnclaveImage.fromJar(jar)).isInstanceOf(EnclaveException.class).hasMessageContaining("damaged");
        Files.write(sig, good);
        TestImages.probeImage(a, 1); // rebuilt: same bytes, the signature still holds
        assertThat(EnclaveImage.fromJar(jar).identity().signer()).isEqualTo(key.signer());
        Files.write(jar, TestImages.withTrailingByte(Files.readAllBytes(jar)));
        assertThatThrownBy(() -> EnclaveImage.fromJar(jar)).hasMessageContaining("changed after signing");

        Files.setPosixFilePermissions(b.resolve("keys/signer.pk8"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> ImageSigningKey.load(b.resolve("keys/signer.pk8"))).hasMessageContaining("readable by others");
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
