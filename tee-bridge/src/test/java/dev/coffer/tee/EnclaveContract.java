package dev.coffer.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.tee.channel.FrameKind.Status;
import dev.coffer.tee.testapp.ProbeCalls;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every backend must do the same way. Subclasses say how to create the enclave. */
abstract class EnclaveContract {
    @TempDir
    Path temp;

    Enclave enclave;

    abstract Enclave create(Path temp, int securityVersion);

    @BeforeEach
    void createEnclave() {
        enclave = create(temp, 1);
    }

    @AfterEach
    void terminateEnclave() {
        if (enclave != null) enclave.terminate();
    }

    @Test
    void callsRoundTripAndEachIsOneCrossing() {
        long before = enclave.stats().ecalls();
        byte[] data = "hello, secure world".getBytes(StandardCharsets.UTF_8);
        assertThat(enclave.call(ProbeCalls.ECHO, data)).isEqualTo(data);
        assertThat(enclave.call(ProbeCalls.ECHO, new byte[0])).isEmpty();
        assertThat(enclave.stats().ecalls() - before).isEqualTo(2);
    }

    @Test
    void unknownAndMalformedCallsAreRejectedAndTheSecureWorldGoesOn() {
        AbstractEnclave raw = (AbstractEnclave) enclave;
        assertThat(raw.rawCall(999, new byte[0]).status()).isEqualTo(Status.REJECTED);
        assertThat(raw.rawCall(50, new byte[0]).status()).isEqualTo(Status.REJECTED); // reserved, unused id
        // echo's payload claims 1000 bytes but carries 3
        byte[] lying = {(byte) 0xe8, 0x03, 0, 0, 1, 2, 3};
        var r = raw.rawCall(ProbeCalls.ECHO.id(), lying);
        assertThat(r.status()).isEqualTo(Status.REJECTED);
        assertThat(new String(r.payload(), StandardCharsets.UTF_8)).contains("too short");
        // trailing garbage after a complete value
        assertThat(raw.rawCall(ProbeCalls.ECHO.id(), new byte[] {0, 0, 0, 0, 9}).status()).isEqualTo(Status.REJECTED);
        assertThat(enclave.call(ProbeCalls.ECHO, new byte[] {42})).containsExactly(42);
    }

    @Test
    void aFailingHandlerIsReportedAndTheSecureWorldGoesOn() {
        assertThatThrownBy(() -> enclave.call(ProbeCalls.FAIL, "no luck"))
                .isInstanceOf(EcallFailedException.class)
                .hasMessageContaining("fail failed in the secure world: IllegalStateException: no luck");
        assertThat(enclave.call(ProbeCalls.ECHO, new byte[] {1})).containsExactly(1);
    }

    @Test
    void evidenceBindsTheClaimsToASignedReport() throws Exception {
        byte[] nonce = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        Evidence e = enclave.evidence(nonce, new byte[] {7, 8});
        assertThat(e.verify(enclave.platformKey())).isTrue();
        assertThat(new String(e.claims(), StandardCharsets.US_ASCII))
                .isEqualTo("probe=yes;nonce=30313233343536373839616263646566;host=0708");
        assertThat(e.report().teeType()).isEqualTo(enclave.info().backend().teeType());
        assertThat(e.report().identity()).isEqualTo(enclave.info().identity());
        assertThat(e.report().memoryMode()).isEqualTo("memfd_secret");
        assertThat(e.report().debug()).isEqualTo(enclave.info().debug());
        assertThat(e.report().keyId()).isEqualTo(JdkEdDsa.thumbprint(enclave.platformKey()));

        byte[] forgedClaims = e.claims();
        forgedClaims[6] ^= 1;
        assertThat(new Evidence(forgedClaims, e.report()).verify(enclave.platformKey())).as("claims changed").isFalse();
        assertThat(e.verify(java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic()))
                .as("another platform's key").isFalse();
        assertThatThrownBy(() -> enclave.evidence(new byte[3], new byte[0])).isInstanceOf(EcallFailedException.class)
                .hasMessageContaining("nonce must be 8..64 bytes");
        assertThatThrownBy(() -> enclave.evidence(nonce, new byte[1025])).isInstanceOf(EcallFailedException.class)
                .hasMessageContaining("host data must be at most 1 KiB");
    }

    @Test
    void sealedDataOpensOnlyUnmodifiedAndInside() {
        byte[] secret = "model key 32 bytes long........!".getBytes(StandardCharsets.US_ASCII);
        for (SealPolicy policy : SealPolicy.values()) {
            byte[] sealed = enclave.call(ProbeCalls.SEAL, new ProbeCalls.Sealing(policy.ordinal(), secret));
            assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("model key");
            assertThat(enclave.call(ProbeCalls.UNSEAL, sealed)).isEqualTo(secret);
            for (int i : new int[] {1, 5, sealed.length - 1}) {
                byte[] flipped = sealed.clone();
                flipped[i] ^= 1;
                assertThatThrownBy(() -> enclave.call(ProbeCalls.UNSEAL, flipped)).isInstanceOf(EcallFailedException.class)
                        .hasMessageContaining("Unseal");
            }
            assertThatThrownBy(() -> enclave.call(ProbeCalls.UNSEAL, Arrays.copyOf(sealed, 20)))
                    .isInstanceOf(EcallFailedException.class);
        }
    }

    @Test
    void stagingIsSharedWithTheSecureWorld() {
        var staging = enclave.staging();
        long expected = 0;
        for (int i = 0; i < 10_000; i++) {
            staging.set(ValueLayout.JAVA_BYTE, i, (byte) i);
            expected += i & 0xff;
        }
        assertThat(enclave.call(ProbeCalls.STAGING_SUM, 10_000L)).isEqualTo(expected);
    }

    @Test
    void secretMemoryIsMemfdSecretAndWithinTheBudget() {
        enclave.call(ProbeCalls.WRITE_CANARY, 1L << 20);
        assertThat(enclave.call(ProbeCalls.CHECK_CANARY, null)).isEqualTo("intact");
        SecretMemoryFigures m = enclave.memory();
        assertThat(m.mode()).isEqualTo("memfd_secret");
        assertThat(m.used()).isGreaterThanOrEqualTo(1L << 20);
        assertThatThrownBy(() -> enclave.call(ProbeCalls.WRITE_CANARY, m.budget() + 4096))
                .isInstanceOf(EcallFailedException.class).hasMessageContaining("budget exhausted");
    }

    @Test
    void aTerminatedEnclaveRefusesCalls() {
        enclave.terminate();
        enclave.terminate();
        assertThatThrownBy(() -> enclave.call(ProbeCalls.ECHO, new byte[0])).isInstanceOf(EnclaveLostException.class);
    }
}
