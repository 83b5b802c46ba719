package dev.coffer.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ReportTest {
    private final Platform platform = Platform.ephemeral();
    private final EnclaveIdentity identity = new EnclaveIdentity(Digest.sha256(new byte[] {1}), Digest.zero(), 3, 2);

    private Report report(boolean debug) {
        byte[] data = new byte[Report.REPORT_DATA_BYTES];
        data[0] = 42;
        return platform.sign("isolated", debug, identity, "memfd_secret", Digest.sha256(new byte[] {2}), data);
    }

    @Test
    void aSignedReportIsAStandardJwsThatDecodesToWhatWasSigned() {
        Report r = report(false);
        assertThat(r.token().split("\\.")).hasSize(3);
        String header = new String(Base64.getUrlDecoder().decode(r.token().split("\\.")[0]), StandardCharsets.UTF_8);
        assertThat(header).contains("\"alg\":\"EdDSA\"").contains("\"typ\":\"" + Report.TYPE + "\"");
        Report back = Report.decode(r.encode());
        assertThat(back.verify(platform.publicKey())).isTrue();
        assertThat(back.identity()).isEqualTo(identity);
        assertThat(back.debug()).isFalse();
        assertThat(back.reportData()[0]).isEqualTo((byte) 42);
        assertThat(back.keyId()).isEqualTo(JdkEdDsa.thumbprint(platform.publicKey()));
    }

    @Test
    void aChangedPayloadOrSignatureOrKeyFailsVerification() {
        Report r = report(true);
        String[] parts = r.token().split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String downgraded = Base64.getUrlEncoder().withoutPadding().encodeToString(
                payload.replace("\"debug\":true", "\"debug\":false").getBytes(StandardCharsets.UTF_8));
        Report forged = Report.decode(parts[0] + "." + downgraded + "." + parts[2]);
        assertThat(forged.debug()).isFalse();
        assertThat(forged.verify(platform.publicKey())).as("debug flag flipped").isFalse();

        byte[] sig = Base64.getUrlDecoder().decode(parts[2]);
        sig[5] ^= 0x10;
        assertThat(Report.decode(parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(sig)).verify(platform.publicKey())).isFalse();
        assertThat(r.verify(Platform.ephemeral().publicKey())).as("another platform").isFalse();
    }

    @Test
    void unsignedOrForeignTokensAreNotReports() {
        Report r = report(false);
        String[] parts = r.token().split("\\.");
        String none = Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("{\"alg\":\"none\",\"typ\":\"" + Report.TYPE + "\"}").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Report.decode(none + "." + parts[1] + ".")).isInstanceOf(MalformedMessageException.class);
        String hs = Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("{\"alg\":\"HS256\",\"typ\":\"" + Report.TYPE + "\"}").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Report.decode(hs + "." + parts[1] + "." + parts[2]))
                .isInstanceOf(MalformedMessageException.class).hasMessageContaining("not a platform report");
        assertThatThrownBy(() -> Report.decode("garbage")).isInstanceOf(MalformedMessageException.class);
    }
}
