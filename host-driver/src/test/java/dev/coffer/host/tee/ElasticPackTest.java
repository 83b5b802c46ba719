package dev.coffer.host.tee;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.inference.sampling.SamplerConfig;
import dev.coffer.inference.testing.SharedAssets;
import dev.coffer.pack.Credential;
import dev.coffer.pack.KeyFiles;
import dev.coffer.pack.PackFile;
import dev.coffer.pack.PackFixture;
import dev.coffer.pack.RestorePlan;
import dev.coffer.secureworld.InferenceCalls;
import dev.coffer.tee.Backend;
import dev.coffer.tee.Enclave;
import dev.coffer.tee.EnclaveSettings;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Elastic secret memory: released after an idle timeout, zeroized and unmapped, restored by the next request. */
class ElasticPackTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void idleReleasesAllSecretMemoryAndTheNextRequestRestoresTheSameModel() throws Exception {
        PackFixture f = new PackFixture(dir);
        Path pack = f.packForAlice("demo.cpack");
        Path keyFile = dir.resolve("recipient.key");
        KeyFiles.writeRecipientKey(keyFile, f.alice);
        var image = SecureWorldImages.load(SharedAssets.repoRoot().resolve("secure-world/target/coffer-secure-world.jar"));
        EnclaveSettings settings = EnclaveSettings.defaults(Backend.ISOLATED, dir.resolve("state"))
                .withSecureMemory(64L << 20).withThreads(2).withStaging(16 << 20);
        InferenceCalls.Start request = new InferenceCalls.Start("Once upon a time", 16, true, SamplerConfig.greedy());
        try (Enclave enclave = Enclave.create(image, settings); PackFile p = PackFile.open(pack);
             ElasticPack elastic = new ElasticPack(enclave, p, RestorePlan.resident(p.manifest()),
                     () -> Credential.of(KeyFiles.readRecipientKey(keyFile)), 64, 4, 2,
                     Duration.ofMillis(300))) {
            String first = text(elastic, request);
            assertThat(elastic.lastLoad().restored()).isTrue();
            assertThat(enclave.memory().used()).isPositive();
            // a request within the idle time finds the model in place
            assertThat(text(elastic, request)).isEqualTo(first);
            assertThat(elastic.lastLoad().restored()).isFalse();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (elastic.releases() == 0 && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(elastic.releases()).isEqualTo(1);
            assertThat(enclave.memory().used()).isZero();
            // the next request restores again, from the pack, and computes the same text
            assertThat(text(elastic, request)).isEqualTo(first);
            assertThat(elastic.lastLoad().restored()).isTrue();
            assertThat(elastic.lastLoad().seconds()).isPositive();
        }
    }

    private static String text(ElasticPack elastic, InferenceCalls.Start request) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        elastic.generate(request, bytes -> {
            out.writeBytes(bytes);
            return true;
        });
        return out.toString(StandardCharsets.UTF_8);
    }
}
