package dev.coffer.attestation;

import static dev.coffer.attestation.EvidenceFixture.NOW;
import static dev.coffer.attestation.EvidenceFixture.TLS_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.pack.PackDigest;
import dev.coffer.tee.Digest;
import dev.coffer.tee.Platform;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every attack the issue lists is refused, each with its own reason (the claim that failed). */
class VerifierTest {
    private final EvidenceFixture fx = new EvidenceFixture();
    private final Nonce nonce = Nonce.random();

    private static Verifier verifier(Policy policy) {
        return new Verifier(policy, Clock.fixed(NOW.plusSeconds(5), ZoneOffset.UTC));
    }

    private List<String> failedClaims(Policy policy, Evidence e, Nonce expected, Optional<Digest> channel) {
        Appraisal a = verifier(policy).appraise(Evidence.parse(e.toJson()), expected, channel);
        return a.failures().stream().map(Check::claim).toList();
    }

    private List<String> failedClaims(EvidenceClaims c) {
        return failedClaims(EvidenceFixture.isolatedPolicy(), fx.evidence(c), nonce, Optional.of(TLS_KEY));
    }

    @Test
    void honestIsolatedEvidenceIsAcceptedWhenThePolicyAllowsSoftwareTees() {
        Appraisal a = verifier(EvidenceFixture.isolatedPolicy()).appraise(fx.evidence(fx.claims(nonce)), nonce,
                Optional.of(TLS_KEY));
        assertThat(a.failures()).isEmpty();
        assertThat(a.accepted()).isTrue();
        assertThat(a.softwareTee()).isTrue();
        assertThat(a.claims().enclaveKey()).contains(fx.enclaveKey.publicKey());
        assertThat(a.pinLines(EvidenceFixture.isolatedPolicy())).containsExactly(
                "\"allowed_measurements\": [\"" + EvidenceFixture.MEASUREMENT.hex() + "\"]",
                "\"expected_pack_digest\": \"" + EvidenceFixture.PACK.hex() + "\"",
                "\"expected_owner_key_id\": \"" + EvidenceFixture.OWNER.hex() + "\"",
                "\"min_security_version\": 3",
                "\"software_platform_keys\": [\"" + a.platformKey().orElseThrow() + "\"]");
    }

    @Test
    void replayedNonce() {
        Evidence old = fx.evidence(fx.claims(Nonce.random()));
        assertThat(failedClaims(EvidenceFixture.isolatedPolicy(), old, nonce, Optional.of(TLS_KEY)))
                .containsExactly("eat_nonce");
    }

    @Test
    void missingNonce() {
        String json = new String(fx.claims(nonce).toJson(), StandardCharsets.UTF_8);
        byte[] noNonce = json.replaceFirst("\"eat_nonce\":\"[^\"]*\",", "").getBytes(StandardCharsets.UTF_8);
        Evidence e = fx.signedBy(fx.platform, fx.claims(nonce), noNonce);
        assertThatThrownBy(() -> verifier(EvidenceFixture.isolatedPolicy()).appraise(e, nonce, Optional.of(TLS_KEY)))
                .isInstanceOf(MalformedEvidenceException.class).hasMessageContaining("\"eat_nonce\" is missing");
    }

    @Test
    void expiredEvidence() {
        Evidence e = fx.evidence(fx.claims(nonce));
        Verifier later = new Verifier(EvidenceFixture.isolatedPolicy(),
                Clock.fixed(NOW.plus(Duration.ofMinutes(6)), ZoneOffset.UTC));
        assertThat(later.appraise(e, nonce, Optional.of(TLS_KEY)).failures().stream().map(Check::claim))
                .containsExactly("iat", "exp");
        Policy strict = Policy.parse("{\"allowed_tee\": [\"isolated\"], \"max_age_seconds\": 60}");
        Verifier twoMinutes = new Verifier(strict, Clock.fixed(NOW.plus(Duration.ofMinutes(2)), ZoneOffset.UTC));
        assertThat(twoMinutes.appraise(e, nonce, Optional.of(TLS_KEY)).failures()).singleElement()
                .satisfies(c -> assertThat(c.toString()).startsWith("iat: expected within the last 60 s").endsWith("(too old)"));
    }

    @Test
    void evidenceFromTheFutureIsRefused() {
        EvidenceClaims c = fx.claims(nonce);
        EvidenceClaims future = new EvidenceClaims(c.nonce(), NOW.plusSeconds(3600), NOW.plusSeconds(3900), c.tee(),
                c.debug(), c.measurement(), c.securityVersion(), c.secretMemory(), c.pack(), c.enclaveKey(),
                c.tlsKeyHash(), c.engine());
        assertThat(failedClaims(future)).containsExactly("iat");
    }

    @Test
    void debugOn() {
        EvidenceClaims c = fx.claims(nonce);
        EvidenceClaims debug = new EvidenceClaims(c.nonce(), c.issuedAt(), c.expiresAt(), c.tee(), true,
                c.measurement(), c.securityVersion(), c.secretMemory(), c.pack(), c.enclaveKey(), c.tlsKeyHash(), c.engine());
        assertThat(failedClaims(debug)).containsExactly("dbgstat");
        Policy allowDebug = Policy.parse("{\"allowed_tee\": [\"isolated\"], \"allow_debug\": true}");
        assertThat(failedClaims(allowDebug, fx.evidence(debug), nonce, Optional.of(TLS_KEY))).isEmpty();
    }

    @Test
    void claimsThatDisagreeWithThePlatformAreRefused() {
        EvidenceClaims c = fx.claims(nonce);
        // The platform reports a debug enclave; the claims say otherwise.
        var report = fx.platform.sign("isolated", true, new dev.coffer.tee.EnclaveIdentity(c.measurement(),
                Digest.zero(), 1, 3), "mlock", Digest.zero(), dev.coffer.tee.enclave.EnclaveRuntime.sha512(c.toJson()));
        Evidence e = new Evidence(c.toJson(), new PlatformEvidence.SoftwareReport(report, fx.platform.publicKey()));
        assertThat(failedClaims(EvidenceFixture.isolatedPolicy(), e, nonce, Optional.of(TLS_KEY)))
                .containsExactly("dbgstat (platform vs claims)", "secret_memory (platform vs claims)");
    }

    @Test
    void wrongMeasurement() {
        Policy pinned = Policy.parse("{\"allowed_tee\": [\"isolated\"], \"allowed_measurements\": [\""
                + Digest.sha256("another image".getBytes()).hex() + "\"]}");
        assertThat(failedClaims(pinned, fx.evidence(fx.claims(nonce)), nonce, Optional.of(TLS_KEY)))
                .containsExactly("measurement");
    }

    @Test
    void securityVersionTooLow() {
        Policy min = Policy.parse("{\"allowed_tee\": [\"isolated\"], \"min_security_version\": 4}");
        Appraisal a = verifier(min).appraise(fx.evidence(fx.claims(nonce)), nonce, Optional.of(TLS_KEY));
        assertThat(a.failures()).singleElement().hasToString("svn: expected >= 4, found 3");
    }

    @Test
    void wrongPackDigestOwnerOrVersion() {
        Policy other = EvidenceFixture.isolatedPolicy().expectingPack(new PackDigest(Digest.sha256("other".getBytes()).bytes()));
        assertThat(failedClaims(other, fx.evidence(fx.claims(nonce)), nonce, Optional.of(TLS_KEY)))
                .containsExactly("pack.digest");
        Policy owner = Policy.parse("{\"allowed_tee\": [\"isolated\"], \"expected_owner_key_id\": \""
                + Digest.sha256("mallory".getBytes()).hex() + "\", \"min_pack_version\": 3}");
        assertThat(failedClaims(owner, fx.evidence(fx.claims(nonce)), nonce, Optional.of(TLS_KEY)))
                .containsExactly("pack.owner_key_id", "pack.version");
    }

    @Test
    void signatureByAnotherKey() {
        EvidenceClaims c = fx.claims(nonce);
        Evidence forged = fx.signedBy(Platform.ephemeral(), c, c.toJson());
        assertThat(failedClaims(EvidenceFixture.isolatedPolicy(), forged, nonce, Optional.of(TLS_KEY)))
                .containsExactly("platform signature");
    }

    @Test
    void aPinnedPlatformKeyRefusesEvidenceFromAnotherPlatform() {
        Appraisal honest = verifier(EvidenceFixture.isolatedPolicy()).appraise(fx.evidence(fx.claims(nonce)), nonce,
                Optional.of(TLS_KEY));
        Policy pinned = Policy.parse("{\"allowed_tee\": [\"isolated\"], \"software_platform_keys\": [\""
                + honest.platformKey().orElseThrow() + "\"]}");
        assertThat(failedClaims(pinned, fx.evidence(fx.claims(nonce)), nonce, Optional.of(TLS_KEY))).isEmpty();
        EvidenceFixture otherHost = new EvidenceFixture();
        assertThat(failedClaims(pinned, otherHost.evidence(otherHost.claims(nonce)), nonce, Optional.of(TLS_KEY)))
                .containsExactly("platform key");
    }

    @Test
    void tlsKeyMismatch() {
        Evidence fromA = fx.evidence(fx.claims(nonce));
        Digest serverB = Digest.sha256("server B's TLS key".getBytes());
        assertThat(failedClaims(EvidenceFixture.isolatedPolicy(), fromA, nonce, Optional.of(serverB)))
                .containsExactly("tls_spki_sha256");
        assertThat(failedClaims(EvidenceFixture.isolatedPolicy(), fromA, nonce, Optional.empty()))
                .as("no channel to bind").containsExactly("tls_spki_sha256");
        assertThat(failedClaims(EvidenceFixture.isolatedPolicy().withoutTlsBinding(), fromA, nonce, Optional.empty()))
                .isEmpty();
    }

    @Test
    void simulationAndSoftwareTeesUnderTheDefaultPolicy() {
        EvidenceClaims c = fx.claims(nonce);
        EvidenceClaims sim = new EvidenceClaims(c.nonce(), c.issuedAt(), c.expiresAt(), TeeType.SIM, c.debug(),
                c.measurement(), c.securityVersion(), c.secretMemory(), c.pack(), c.enclaveKey(), c.tlsKeyHash(), c.engine());
        assertThat(failedClaims(Policy.defaults(), fx.evidence(sim), nonce, Optional.of(TLS_KEY))).containsExactly("tee");
        assertThat(failedClaims(EvidenceFixture.isolatedPolicy(), fx.evidence(sim), nonce, Optional.of(TLS_KEY)))
                .as("allowing isolated does not allow sim").containsExactly("tee");
        assertThat(failedClaims(Policy.defaults(), fx.evidence(c), nonce, Optional.of(TLS_KEY))).containsExactly("tee");
    }

    @Test
    void claimsChangedAfterSigningBreakTheBinding() {
        Evidence e = fx.evidence(fx.claims(nonce));
        byte[] changed = new String(e.claims(), StandardCharsets.UTF_8).replace("\"svn\":3", "\"svn\":9")
                .getBytes(StandardCharsets.UTF_8);
        Evidence tampered = new Evidence(changed, e.platform());
        assertThat(failedClaims(EvidenceFixture.isolatedPolicy(), tampered, nonce, Optional.of(TLS_KEY)))
                .containsExactly("svn (platform vs claims)", "report_data");
    }

    private static List<String> decoded(Evidence e) {
        var s = (PlatformEvidence.SoftwareReport) e.platform();
        List<String> parts = new java.util.ArrayList<>();
        parts.add(java.util.HexFormat.of().formatHex(e.claims()));
        for (String part : s.report().token().split("\\.")) {
            parts.add(java.util.HexFormat.of().formatHex(java.util.Base64.getUrlDecoder().decode(part)));
        }
        parts.add(s.platformKeyThumbprint());
        return parts;
    }

    @Test
    void fuzzedEvidenceIsNeverAccepted() {
        String json = fx.evidence(fx.claims(nonce)).toJson();
        Random random = new Random(42);
        int malformed = 0;
        int rejected = 0;
        for (int i = 0; i < 2000; i++) {
            char[] chars = json.toCharArray();
            int flips = 1 + random.nextInt(3);
            for (int f = 0; f < flips; f++) chars[random.nextInt(chars.length)] = (char) (32 + random.nextInt(95));
            String mutated = new String(chars);
            if (mutated.equals(json)) continue;
            try {
                Appraisal a = verifier(EvidenceFixture.isolatedPolicy()).appraise(Evidence.parse(mutated), nonce,
                        Optional.of(TLS_KEY));
                if (a.accepted()) {
                    // Only a change that leaves the decoded evidence identical may pass (JSON whitespace, or the
                    // unused low bits of a base64url character).
                    assertThat(decoded(Evidence.parse(mutated))).isEqualTo(decoded(Evidence.parse(json)));
                } else {
                    rejected++;
                }
            } catch (MalformedEvidenceException e) {
                malformed++;
            }
        }
        assertThat(malformed).isGreaterThan(500);
        assertThat(rejected).isGreaterThan(100);
        for (int n = 0; n < json.length(); n += 97) {
            String truncated = json.substring(0, n);
            assertThatThrownBy(() -> Evidence.parse(truncated)).isInstanceOf(MalformedEvidenceException.class);
        }
    }
}
