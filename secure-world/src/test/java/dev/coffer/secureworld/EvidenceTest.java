package dev.coffer.secureworld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.attestation.Appraisal;
import dev.coffer.attestation.Check;
import dev.coffer.attestation.EnclaveAttester;
import dev.coffer.attestation.Evidence;
import dev.coffer.attestation.Nonce;
import dev.coffer.attestation.Policy;
import dev.coffer.attestation.Verifier;
import dev.coffer.pack.PackFile;
import dev.coffer.pack.PackFixture;
import dev.coffer.tee.Backend;
import dev.coffer.tee.Digest;
import dev.coffer.tee.EcallFailedException;
import dev.coffer.tee.Enclave;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveSettings;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secure world's own evidence, through the sim backend: what it claims, and that verifiers refuse simulation. */
class EvidenceTest {
    @TempDir
    Path temp;

    private Enclave sim() {
        return Enclave.create(EnclaveImage.inProcess(InferenceApplication.class.getName()),
                EnclaveSettings.defaults(Backend.SIM, temp).withSecureMemory(64L << 20).withThreads(2));
    }

    @Test
    void simulationEvidenceIsRefusedUnlessThePolicySaysOtherwise() {
        Digest tlsKey = Digest.sha256("tls".getBytes());
        try (Enclave enclave = sim()) {
            Nonce nonce = Nonce.random();
            Evidence e = Evidence.parse(new EnclaveAttester(enclave).attest(nonce, tlsKey.bytes()).toJson());
            Appraisal strict = new Verifier(Policy.defaults()).appraise(e, nonce, Optional.of(tlsKey));
            assertThat(strict.failures()).extracting(Check::claim).containsExactly("tee", "dbgstat");
            assertThat(new Verifier(Policy.defaults().allowing(dev.coffer.attestation.TeeType.ISOLATED))
                    .appraise(e, nonce, Optional.of(tlsKey)).failures()).extracting(Check::claim)
                    .as("allowing the isolated software TEE does not allow simulation").containsExactly("tee", "dbgstat");
            Appraisal allowed = new Verifier(Policy.parse("{\"allowed_tee\": [\"sim\"], \"allow_debug\": true}"))
                    .appraise(e, nonce, Optional.of(tlsKey));
            assertThat(allowed.accepted()).isTrue();
            assertThat(allowed.claims().measurement()).isEqualTo(enclave.info().identity().measurement());
            assertThat(allowed.claims().enclaveKey()).isPresent();
            assertThat(allowed.claims().pack()).as("no pack prepared yet").isEmpty();
            assertThat(allowed.claims().tlsKeyHash()).contains(tlsKey);
            assertThat(allowed.claims().engine().numerics()).isEqualTo(dev.coffer.inference.Engine.NUMERICS);
        }
    }

    @Test
    void aPreparedPackIsClaimedAndHostDataMustBeAKeyHash() throws Exception {
        PackFixture f = new PackFixture(temp);
        try (Enclave enclave = sim(); PackFile p = PackFile.open(f.packForAlice("demo.cpack"))) {
            enclave.call(InferenceCalls.PACK_PREPARE, new InferenceCalls.PackPrepare(p.header().encode(), 0));
            Nonce nonce = Nonce.random();
            Evidence e = new EnclaveAttester(enclave).attest(nonce, new byte[0]);
            Appraisal a = new Verifier(Policy.parse("{\"allowed_tee\": [\"sim\"], \"allow_debug\": true}")
                    .expectingPack(p.header().digest())).appraise(e, nonce, Optional.empty());
            assertThat(a.failures()).extracting(Check::claim).containsExactly("tls_spki_sha256");
            assertThat(a.claims().pack().orElseThrow().owner()).isEqualTo(p.manifest().owner().id());
            assertThatThrownBy(() -> enclave.evidence(nonce.bytes(), new byte[5])).isInstanceOf(EcallFailedException.class)
                    .hasMessageContaining("32-byte TLS key hash");
            assertThatThrownBy(() -> enclave.call(InferenceCalls.PACK_PREPARE, new InferenceCalls.PackPrepare(
                    p.header().encode(), 5))).isInstanceOf(EcallFailedException.class).hasMessageContaining("version");
            // a plaintext model loaded afterwards is not the prepared pack: the claim goes
            enclave.call(InferenceCalls.LOAD_BEGIN, 10L);
            Nonce again = Nonce.random();
            Evidence e2 = new EnclaveAttester(enclave).attest(again, new byte[0]);
            assertThat(dev.coffer.attestation.EvidenceClaims.parse(e2.claims()).pack()).isEmpty();
        }
    }

    @Test
    void whileAPackIsServedTheHostCanNeitherClaimAnotherNorWriteOverItsWeights() throws Exception {
        PackFixture f = new PackFixture(temp);
        try (Enclave enclave = sim(); PackFile a = PackFile.open(f.packForAlice("a.cpack"));
             PackFile b = PackFile.open(f.packForAlice("b.cpack"))) {
            var runner = new dev.coffer.tee.channel.StagingRing(enclave.staging(), 2, a.maxChunkBytes() + dev.coffer.pack.AesGcm.TAG_BYTES);
            runner.reset();
            byte[] key = f.alice.raw();
            enclave.call(InferenceCalls.PACK_OPEN, new InferenceCalls.PackOpen(a.header().encode(), 1, key, 0, 2,
                    a.maxChunkBytes() + dev.coffer.pack.AesGcm.TAG_BYTES, 0, 0, 0));
            assertThatThrownBy(() -> enclave.call(InferenceCalls.PACK_PREPARE, new InferenceCalls.PackPrepare(
                    b.header().encode(), 0))).isInstanceOf(EcallFailedException.class).hasMessageContaining("while serving");
            assertThatThrownBy(() -> enclave.call(InferenceCalls.LOAD_CHUNK, new InferenceCalls.Chunk(0, 16)))
                    .isInstanceOf(EcallFailedException.class).hasMessageContaining("before load-begin");
            Evidence e = new EnclaveAttester(enclave).attest(Nonce.random(), new byte[0]);
            assertThat(dev.coffer.attestation.EvidenceClaims.parse(e.claims()).pack().orElseThrow().digest())
                    .isEqualTo(a.header().digest());
            enclave.call(InferenceCalls.RELEASE, null);
        }
    }
}
