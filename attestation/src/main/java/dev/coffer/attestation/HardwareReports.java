package dev.coffer.attestation;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Fields read out of hardware reports at their architected offsets (Intel TDX DCAP quote v4/v5, AMD SEV-SNP
 * attestation report). Reading is not verifying: the signatures and certificate chains of these reports are not
 * checked yet (see {@link Verifier}), so evidence that rests on them is refused.
 */
final class HardwareReports {
    static final String TDX = "tdx_guest";
    static final String SEV_SNP = "sev_guest";
    private static final int TDX_HEADER = 48;
    private static final int TDX_BODY_V5 = TDX_HEADER + 6; // v5 puts body type (2) and body size (4) first
    private static final int TD_ATTRIBUTES = 120;
    private static final int TD_MRTD = 136;
    private static final int TD_REPORT_DATA = 520;
    private static final int SNP_POLICY = 0x08;
    private static final int SNP_REPORT_DATA = 0x50;
    private static final int SNP_MEASUREMENT = 0x90;
    private static final int SNP_REPORT_BYTES = 0x4A0;

    private HardwareReports() {
    }

    static byte[] reportData(String provider, byte[] report) {
        return switch (provider) {
            case TDX -> slice(report, tdBody(report) + TD_REPORT_DATA, 64);
            case SEV_SNP -> slice(snp(report), SNP_REPORT_DATA, 64);
            default -> throw unsupported(provider);
        };
    }

    /** MRTD (TDX) or MEASUREMENT (SEV-SNP), 48 bytes, as hex. */
    static String measurement(String provider, byte[] report) {
        return HexFormat.of().formatHex(switch (provider) {
            case TDX -> slice(report, tdBody(report) + TD_MRTD, 48);
            case SEV_SNP -> slice(snp(report), SNP_MEASUREMENT, 48);
            default -> throw unsupported(provider);
        });
    }

    /** TD_ATTRIBUTES.DEBUG (bit 0) or the SNP guest policy's DEBUG bit (19). */
    static boolean debug(String provider, byte[] report) {
        return switch (provider) {
            case TDX -> (slice(report, tdBody(report) + TD_ATTRIBUTES, 1)[0] & 1) != 0;
            case SEV_SNP -> (le(snp(report), SNP_POLICY) >>> 19 & 1) != 0;
            default -> throw unsupported(provider);
        };
    }

    static TeeType teeType(String provider) {
        return switch (provider) {
            case TDX -> TeeType.TDX;
            case SEV_SNP -> TeeType.SEV_SNP;
            case "arm_cca_guest" -> TeeType.CCA;
            default -> throw unsupported(provider);
        };
    }

    private static int tdBody(byte[] quote) {
        if (quote.length < TDX_HEADER) throw new IllegalArgumentException("a TDX quote is longer than " + quote.length + " bytes");
        int version = (quote[0] & 0xff) | (quote[1] & 0xff) << 8;
        int teeType = (int) le(quote, 4);
        if (teeType != 0x81) throw new IllegalArgumentException("not a TDX quote (TEE type " + Integer.toHexString(teeType) + ")");
        return switch (version) {
            case 4 -> TDX_HEADER;
            case 5 -> TDX_BODY_V5;
            default -> throw new IllegalArgumentException("TDX quote version " + version + " is not supported (4 or 5)");
        };
    }

    private static byte[] snp(byte[] report) {
        if (report.length < SNP_REPORT_BYTES) {
            throw new IllegalArgumentException("an SEV-SNP report has 1184 bytes, not " + report.length);
        }
        return report;
    }

    private static long le(byte[] b, int offset) {
        if (offset + 8 > b.length) throw new IllegalArgumentException("the report is truncated");
        return ByteBuffer.wrap(b, offset, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static byte[] slice(byte[] b, int offset, int length) {
        if (offset + length > b.length) throw new IllegalArgumentException("the report is truncated");
        return Arrays.copyOfRange(b, offset, offset + length);
    }

    private static IllegalArgumentException unsupported(String provider) {
        return new IllegalArgumentException("reports of provider '" + provider + "' are not read yet (tdx_guest, sev_guest)");
    }
}
