package dev.coffer.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.inference.testing.SharedAssets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configfs-tsm attester against a fake {@code /sys/kernel/config/tsm/report} tree that behaves like the kernel:
 * mkdir makes an entry with {@code provider} and {@code generation}, each write to {@code inblob} bumps the
 * generation, {@code outblob} is a report over the current inblob (here: a real public TDX quote with its
 * REPORTDATA replaced), rmdir removes the entry.
 */
class TsmAttesterTest {
    @TempDir
    Path root;

    private final EvidenceFixture fx = new EvidenceFixture();

    /** A kernel stand-in; {@code interloper} simulates another process writing the same entry's inblob. */
    private final class FakeKernel implements TsmAttester.ConfigFs {
        private final byte[] quoteTemplate;
        private final boolean interloper;

        FakeKernel(byte[] quoteTemplate, boolean interloper) {
            this.quoteTemplate = quoteTemplate;
            this.interloper = interloper;
        }

        @Override
        public void mkdir(Path entry) throws IOException {
            Files.createDirectory(entry);
            Files.writeString(entry.resolve("provider"), "tdx_guest\n");
            Files.writeString(entry.resolve("generation"), "0\n");
        }

        @Override
        public void write(Path attribute, byte[] value) throws IOException {
            Files.write(attribute, value);
            Path gen = attribute.resolveSibling("generation");
            long g = Long.parseLong(Files.readString(gen).strip()) + (interloper ? 2 : 1);
            Files.writeString(gen, g + "\n");
        }

        @Override
        public byte[] read(Path attribute) throws IOException {
            if (attribute.getFileName().toString().equals("outblob")) {
                byte[] quote = quoteTemplate.clone();
                System.arraycopy(Files.readAllBytes(attribute.resolveSibling("inblob")), 0, quote, 48 + 520, 64);
                return quote;
            }
            return Files.readAllBytes(attribute);
        }

        @Override
        public void rmdir(Path entry) throws IOException {
            try (var files = Files.list(entry)) {
                for (Path f : files.toList()) Files.delete(f);
            }
            Files.delete(entry);
        }
    }

    private static byte[] tdxQuote() throws IOException {
        return Files.readAllBytes(SharedAssets.require("evidence/tdx/go-tdx-guest_tdx_prod_quote_SPR_E4.dat"));
    }

    @Test
    void aReportBindsTheClaimsAndTheEntryIsRemoved() throws IOException {
        Nonce nonce = Nonce.random();
        TsmAttester attester = new TsmAttester(root, (n, host) -> fx.claims(n).toJson(), new FakeKernel(tdxQuote(), false));
        Evidence e = Evidence.parse(attester.attest(nonce, new byte[0]).toJson());
        try (var left = Files.list(root)) {
            assertThat(left).as("entry removed").isEmpty();
        }
        var tsm = (PlatformEvidence.TsmReport) e.platform();
        assertThat(tsm.provider()).isEqualTo("tdx_guest");
        assertThat(tsm.generation()).isEqualTo(1);
        assertThat(tsm.reportData()).isEqualTo(dev.coffer.tee.enclave.EnclaveRuntime.sha512(e.claims()));
        assertThat(HardwareReports.measurement("tdx_guest", tsm.outblob())).startsWith("6363b8043668a3ad");

        // The binding holds, but the quote's signature chain is not verified yet: the verifier refuses, and says so.
        Verifier verifier = new Verifier(Policy.defaults(), Clock.fixed(EvidenceFixture.NOW, ZoneOffset.UTC));
        Appraisal a = verifier.appraise(e, nonce, Optional.of(EvidenceFixture.TLS_KEY));
        assertThat(a.accepted()).isFalse();
        assertThat(a.failures()).extracting(Check::claim).contains("platform signature").doesNotContain("report_data");
        assertThat(a.failures().getFirst().found()).contains("not implemented");
    }

    @Test
    void anotherWriterBetweenWriteAndReadIsDetected() throws IOException {
        TsmAttester attester = new TsmAttester(root, (n, host) -> fx.claims(n).toJson(), new FakeKernel(tdxQuote(), true));
        assertThatThrownBy(() -> attester.attest(Nonce.random(), new byte[0]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("generation 0 -> 2");
        try (var left = Files.list(root)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void withoutConfigfsTsmTheAttesterSaysWhatIsMissing() {
        TsmAttester attester = new TsmAttester(root.resolve("absent"), (n, host) -> new byte[0]);
        assertThatThrownBy(() -> attester.attest(Nonce.random(), new byte[0]))
                .hasMessageContaining("not a confidential-VM guest with configfs-tsm");
    }

    @Test
    void fieldsOfRealPublicReportsAreReadAtTheirArchitectedOffsets() throws IOException {
        // Known answers from the samples' sources (../shared/evidence/README.md).
        assertThat(HardwareReports.measurement("tdx_guest", tdxQuote())).isEqualTo("6363b8043668a3ad953278e10389574d326c6749"
                + "fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb");
        assertThat(HardwareReports.debug("tdx_guest", tdxQuote())).isFalse();
        byte[] v5 = Files.readAllBytes(SharedAssets.require("evidence/tdx/go-tdx-guest_quote_v5_sample.dat"));
        assertThat(HardwareReports.measurement("tdx_guest", v5)).startsWith("7348651a34b2d2d3462822e3a750ec61");
        assertThat(HexFormat.of().formatHex(HardwareReports.reportData("tdx_guest", v5))).startsWith("945eaacf");
        byte[] debugQuote = Files.readAllBytes(SharedAssets.require("evidence/tdx/trustee_tdx_quote_4.dat"));
        assertThat(HardwareReports.debug("tdx_guest", debugQuote)).as("TD_ATTRIBUTES.DEBUG set").isTrue();
        byte[] snp = Files.readAllBytes(SharedAssets.require("evidence/snp/go-sev-guest_milan_attestation.bin"));
        byte[] expected = new byte[64];
        System.arraycopy(new byte[] {1, 2, 3, 4, 5}, 0, expected, 0, 5);
        assertThat(HardwareReports.reportData("sev_guest", snp)).isEqualTo(expected);
        assertThat(HardwareReports.measurement("sev_guest", snp)).startsWith("b07af9620f3b839b47996422ddec6058");
        assertThat(HardwareReports.debug("sev_guest", snp)).as("guest policy 0xb0000 has DEBUG (bit 19) set").isTrue();
        assertThatThrownBy(() -> HardwareReports.reportData("tdx_guest", Arrays.copyOf(v5, 100)))
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> HardwareReports.reportData("sev_guest", "short".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("1184 bytes");
    }
}
