package dev.coffer.host.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.attestation.Policy;
import dev.coffer.attestation.Verifier;
import dev.coffer.attestation.fingerprint.ReferenceFingerprints;
import dev.coffer.attestation.fingerprint.ReferenceRecorder;
import dev.coffer.host.net.TlsIdentity;
import dev.coffer.host.server.GenerationScheduler;
import dev.coffer.host.server.PackServing;
import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.synth.ModelShape;
import dev.coffer.inference.synth.SyntheticLlama;
import dev.coffer.pack.Credential;
import dev.coffer.pack.OwnerSigningKey;
import dev.coffer.pack.PackTamperedException;
import dev.coffer.pack.PackWriter;
import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.pack.ReferenceData;
import dev.coffer.secureworld.InferenceApplication;
import dev.coffer.tee.Backend;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Platform fingerprints end to end: the owner's references, signed into the manifest at pack time, match a server
 * that computes like the owner's stack bit for bit, and expose one that computes differently (here: serving the
 * same model quantized otherwise than the references say).
 */
@Timeout(180)
class PlatformProbeTest {
    @TempDir
    static Path dir;
    static Path q8;
    static Path q4;
    static final OwnerSigningKey owner = OwnerSigningKey.generate();
    static final RecipientPrivateKey operator = RecipientPrivateKey.generate();

    @BeforeAll
    static void models() throws Exception {
        q8 = dir.resolve("demo-q8.gguf");
        q4 = dir.resolve("demo-q4.gguf");
        SyntheticLlama.write(new SyntheticLlama.Spec(ModelShape.DEMO, GgmlType.Q8_0, 11, Optional.empty()), q8, 2, x -> { });
        SyntheticLlama.write(new SyntheticLlama.Spec(ModelShape.DEMO, GgmlType.Q4_0, 11, Optional.empty()), q4, 2, x -> { });
    }

    /** A pack of {@code weights} carrying the references recorded on {@code referenceModel}. */
    private static Path pack(String name, Path weights, Path referenceModel, Path... alternatives) throws Exception {
        ReferenceFingerprints refs = ReferenceRecorder.record(referenceModel, 2);
        List<ReferenceData> data = new java.util.ArrayList<>(List.of(new ReferenceData(ReferenceFingerprints.NAME, refs.toJson())));
        Map<String, Path> stacks = new java.util.LinkedHashMap<>();
        stacks.put(refs.stack().weights(), referenceModel);
        for (Path alt : alternatives) {
            ReferenceFingerprints a = ReferenceRecorder.record(alt, 2);
            data.add(new ReferenceData(ReferenceFingerprints.ALTERNATIVE_NAME, a.toJson()));
            stacks.put(a.stack().weights(), alt);
        }
        if (alternatives.length > 0) {
            var border = dev.coffer.attestation.fingerprint.BorderInputs.search(stacks, 7, 80, 12, 4, 2);
            assertThat(border.prompts()).as("the seeded search finds border inputs between Q8_0 and Q4_0").isNotEmpty();
            data.add(new ReferenceData(dev.coffer.attestation.fingerprint.BorderInputs.NAME, border.toJson()));
        }
        Path out = dir.resolve(name);
        PackWriter.encrypt(weights, out, owner, new PackWriter.Options(List.of(operator.publicKey()), Optional.empty(), 1,
                64 << 10, data), x -> { });
        return out;
    }

    private static PackServing serve(Path pack) throws Exception {
        byte[] key = operator.raw();
        return PackServing.start(new PackServing.Config(pack, new PackServing.KeySource.Local(
                () -> Credential.of(RecipientPrivateKey.fromRaw(key.clone()))), 0,
                EnclaveImage.inProcess(InferenceApplication.class.getName()),
                EnclaveSettings.defaults(Backend.SIM, dir.resolve("state")).withSecureMemory(64L << 20).withThreads(2),
                4, 2, 512, "127.0.0.1", 0, TlsIdentity.selfSigned(List.of()), new GenerationScheduler.Limits(2, 4), false),
                line -> { });
    }

    @Test
    void attestProbeReportsTheNumericsInItsJsonAndExitCode() throws Exception {
        Path ownerPub = dir.resolve("owner.pub");
        if (!java.nio.file.Files.exists(ownerPub)) dev.coffer.pack.KeyFiles.writeOwnerPublicKey(ownerPub, owner.publicKey());
        Path policy = dir.resolve("sim-policy.json");
        java.nio.file.Files.writeString(policy, "{\"allowed_tee\": [\"sim\"], \"allow_debug\": true}");
        for (boolean honest : new boolean[] {true, false}) {
            try (PackServing serving = serve(honest ? pack("cli-honest.cpack", q8, q8) : pack("cli-other.cpack", q4, q8))) {
                var r = dev.coffer.host.cli.CliAccess.run("attest", serving.server().url(), "--policy", policy.toString(),
                        "--probe", "--owner", ownerPub.toString(), "--json");
                assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(honest ? 0 : 1);
                Map<?, ?> numerics = (Map<?, ?>) com.nimbusds.jose.util.JSONObjectUtils.parse(r.out().strip()).get("numerics");
                assertThat(numerics.get("verdict")).isEqualTo(honest ? "match" : "mismatch");
            }
        }
    }

    private static PlatformProbe.Result probe(Path pack) throws Exception {
        try (PackServing serving = serve(pack);
             AttestedServer server = new AttestedServer(URI.create(serving.server().url()),
                     new Verifier(Policy.parse("{\"allowed_tee\": [\"sim\"], \"allow_debug\": true}")), Duration.ofSeconds(30),
                     Clock.systemUTC())) {
            return PlatformProbe.run(server, owner.publicKey());
        }
    }

    @Test
    void theClaimedStackMatchesBitForBit() throws Exception {
        PlatformProbe.Result r = probe(pack("honest.cpack", q8, q8, q4));
        assertThat(r.comparison().positions()).isGreaterThanOrEqualTo(30);
        assertThat(r.comparison().exactMatch()).as("%s", r.comparison()).isTrue();
        assertThat(r.references().stack().weights()).isEqualTo("Q8_0");
        var blackBox = r.blackBox().orElseThrow();
        assertThat(blackBox.stack()).as("text only, the border inputs name the stack").isEqualTo("Q8_0");
        assertThat(blackBox.agreeing()).isEqualTo(blackBox.total());
    }

    @Test
    void numericsOfAnotherQuantizationAreDetected() throws Exception {
        PlatformProbe.Result r = probe(pack("other.cpack", q4, q8, q4));
        assertThat(r.comparison().exactMatch()).isFalse();
        assertThat(r.comparison().exact()).as("%s", r.comparison()).isLessThan(r.comparison().positions());
        assertThat(r.comparison().maxLogprobDifference()).isPositive();
        // the owner also recorded the Q4_0 file's fingerprints: the client can name what the server really runs
        assertThat(r.closestAlternative().orElseThrow().stack().weights()).isEqualTo("Q4_0");
        assertThat(r.alternativeComparison().orElseThrow().exactMatch()).isTrue();
        assertThat(r.blackBox().orElseThrow().stack()).isEqualTo("Q4_0");
        assertThat(r.blackBox().orElseThrow().confidence()).isEqualTo(1.0);
    }

    @Test
    void referencesAreTheOwnersOrNothing() throws Exception {
        Path honest = pack("signed.cpack", q8, q8);
        try (var file = dev.coffer.pack.PackFile.open(honest)) {
            var signed = file.header().signedManifest();
            byte[] changed = signed.manifest();
            // flip a byte inside the reference data (near the end of the manifest, where references are encoded)
            changed[changed.length - 20] ^= 1;
            var tampered = new dev.coffer.pack.SignedManifest(changed, signed.signature());
            assertThatThrownBy(() -> tampered.verify(owner.publicKey())).isInstanceOf(PackTamperedException.class);
            assertThatThrownBy(() -> signed.verify(OwnerSigningKey.generate().publicKey())).isInstanceOf(PackTamperedException.class);
            assertThat(signed.verify(owner.publicKey()).references()).hasSize(1);
        }
    }
}
