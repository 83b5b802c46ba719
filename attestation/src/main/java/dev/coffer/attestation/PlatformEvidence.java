package dev.coffer.attestation;

import dev.coffer.tee.JdkEdDsa;
import dev.coffer.tee.Report;
import java.security.PublicKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The platform's half of evidence: what signs the measurement and the 64 report-data bytes (the hash of the
 * claims). A software platform's JWS report with the key that signed it, or a hardware report read through Linux's
 * configfs-tsm interface.
 */
public sealed interface PlatformEvidence {
    /** The 64 bytes the secure world asked the platform to bind. */
    byte[] reportData();

    Map<String, Object> toJson();

    /** tee-bridge's sim or isolated platform report (a JWS) and the platform key it names. Whether that key is
     *  trusted is the policy's business: it travels with the evidence only so that every client can check it. */
    record SoftwareReport(Report report, PublicKey platformKey) implements PlatformEvidence {
        public static final String FORMAT = Report.TYPE;

        public SoftwareReport {
            Objects.requireNonNull(report, "report");
            Objects.requireNonNull(platformKey, "platformKey");
        }

        @Override
        public byte[] reportData() {
            return report.reportData();
        }

        /** The RFC 7638 thumbprint of the platform key (what policies pin). */
        public String platformKeyThumbprint() {
            return JdkEdDsa.thumbprint(platformKey);
        }

        @Override
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("format", FORMAT);
            m.put("report", report.token());
            m.put("key", Map.of("kty", "OKP", "crv", "Ed25519", "x",
                    Base64.getUrlEncoder().withoutPadding().encodeToString(JdkEdDsa.raw(platformKey))));
            return m;
        }
    }

    /** A hardware report from {@code /sys/kernel/config/tsm/report}: the provider's binary report (a TDX quote, an
     *  SEV-SNP report, an Arm CCA token), optional auxiliary data (certificates) and the generation counter. */
    record TsmReport(String provider, byte[] outblob, byte[] auxblob, long generation) implements PlatformEvidence {
        public static final String FORMAT = "linux-tsm-report";

        public TsmReport {
            Objects.requireNonNull(provider, "provider");
            outblob = outblob.clone();
            auxblob = auxblob.clone();
        }

        @Override
        public byte[] outblob() {
            return outblob.clone();
        }

        @Override
        public byte[] auxblob() {
            return auxblob.clone();
        }

        /** What the hardware report says it binds, read at the provider's fixed offset. */
        @Override
        public byte[] reportData() {
            return HardwareReports.reportData(provider, outblob);
        }

        @Override
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("format", FORMAT);
            m.put("provider", provider);
            m.put("outblob", Base64.getUrlEncoder().withoutPadding().encodeToString(outblob));
            if (auxblob.length > 0) m.put("auxblob", Base64.getUrlEncoder().withoutPadding().encodeToString(auxblob));
            m.put("generation", generation);
            return m;
        }
    }

    static PlatformEvidence parse(JsonFields p) {
        String format = p.string("format");
        return switch (format) {
            case SoftwareReport.FORMAT -> {
                p.onlyKnown(Set.of("format", "report", "key"));
                JsonFields jwk = p.object("key");
                if (!"OKP".equals(jwk.string("kty")) || !"Ed25519".equals(jwk.string("crv"))) {
                    throw new IllegalArgumentException("the platform key is not an Ed25519 JWK");
                }
                yield new SoftwareReport(Report.decode(p.string("report")), JdkEdDsa.publicKey(jwk.base64Url("x")));
            }
            case TsmReport.FORMAT -> {
                p.onlyKnown(Set.of("format", "provider", "outblob", "auxblob", "generation"));
                yield new TsmReport(p.string("provider"), p.base64Url("outblob"),
                        p.has("auxblob") ? p.base64Url("auxblob") : new byte[0], p.integer("generation"));
            }
            default -> throw new IllegalArgumentException("unknown platform evidence format '" + format + "'");
        };
    }
}
