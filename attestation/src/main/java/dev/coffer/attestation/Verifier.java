package dev.coffer.attestation;

import dev.coffer.tee.Digest;
import dev.coffer.tee.Report;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * RATS's verifier: appraises evidence against a {@link Policy}. Checks, in order: the platform's signature (and, for
 * software platforms, whether its key is pinned), that the report data is the SHA-512 of the claims, that the
 * claims agree with what the platform itself reports, then freshness (nonce, issue and expiry time), TEE type,
 * debug, measurement, security version, secret-memory mode, pack and owner, and the TLS channel binding. Every
 * check is run and listed, so a rejection names each claim that failed, with the expected and the found value.
 *
 * <p>Hardware reports (TDX quotes, SEV-SNP reports from configfs-tsm) are read for their binding but their
 * signature chains are not verified yet: evidence resting on them is refused, never accepted unchecked.
 */
public final class Verifier {
    /** How far a secure world's clock may run ahead of the verifier's. */
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
    private final Policy policy;
    private final Clock clock;

    public Verifier(Policy policy, Clock clock) {
        this.policy = policy;
        this.clock = clock;
    }

    public Verifier(Policy policy) {
        this(policy, Clock.systemUTC());
    }

    public Policy policy() {
        return policy;
    }

    /**
     * @param expected     the challenge this verifier sent
     * @param channelKey   SHA-256 of the SubjectPublicKeyInfo of the TLS key the evidence arrived over, if any
     * @throws MalformedEvidenceException when the claims cannot be read
     */
    public Appraisal appraise(Evidence evidence, Nonce expected, Optional<Digest> channelKey) {
        EvidenceClaims claims = EvidenceClaims.parse(evidence.claims());
        List<Check> checks = new ArrayList<>();
        Optional<String> platformKey = Optional.empty();
        switch (evidence.platform()) {
            case PlatformEvidence.SoftwareReport s -> {
                platformKey = Optional.of(s.platformKeyThumbprint());
                platformChecks(checks, s, claims);
            }
            case PlatformEvidence.TsmReport t -> hardwareChecks(checks, t, claims);
        }
        boolean bound = bindsClaims(evidence);
        checks.add(Check.of("report_data", "SHA-512 of the claims", bound ? "SHA-512 of the claims" : "another value", bound));
        claimChecks(checks, claims, expected, channelKey);
        return new Appraisal(claims, checks, platformKey);
    }

    private static boolean bindsClaims(Evidence evidence) {
        try {
            return MessageDigest.isEqual(evidence.platform().reportData(), dev.coffer.tee.enclave.EnclaveRuntime.sha512(evidence.claims()));
        } catch (IllegalArgumentException unreadable) {
            return false;
        }
    }

    private void platformChecks(List<Check> checks, PlatformEvidence.SoftwareReport s, EvidenceClaims claims) {
        Report r = s.report();
        boolean signed = r.verify(s.platformKey());
        checks.add(Check.of("platform signature", "valid EdDSA signature by the platform key",
                signed ? "valid" : "invalid (signed by another key, or changed)", signed));
        String thumb = s.platformKeyThumbprint();
        if (!policy.softwarePlatformKeys().isEmpty()) {
            checks.add(Check.of("platform key", "one of " + policy.softwarePlatformKeys(), thumb,
                    policy.softwarePlatformKeys().contains(thumb)));
        }
        agree(checks, "tee", r.teeType(), claims.tee().id());
        agree(checks, "dbgstat", debugText(r.debug()), debugText(claims.debug()));
        agree(checks, "measurement", r.identity().measurement().hex(), claims.measurement().hex());
        agree(checks, "svn", Integer.toString(r.identity().securityVersion()), Integer.toString(claims.securityVersion()));
        agree(checks, "secret_memory", r.memoryMode(), claims.secretMemory());
    }

    private static void hardwareChecks(List<Check> checks, PlatformEvidence.TsmReport t, EvidenceClaims claims) {
        checks.add(Check.of("platform signature", "a " + t.provider() + " report verified to the vendor's root",
                "not verified: hardware report verification is not implemented in this version", false));
        try {
            agree(checks, "tee", HardwareReports.teeType(t.provider()).id(), claims.tee().id());
            agree(checks, "dbgstat", debugText(HardwareReports.debug(t.provider(), t.outblob())), debugText(claims.debug()));
        } catch (IllegalArgumentException e) {
            checks.add(Check.of("platform report", "a readable " + t.provider() + " report", e.getMessage(), false));
        }
    }

    /** The claims must say what the platform says. */
    private static void agree(List<Check> checks, String claim, String platform, String claimed) {
        checks.add(Check.of(claim + " (platform vs claims)", platform, claimed, platform.equals(claimed)));
    }

    private void claimChecks(List<Check> checks, EvidenceClaims c, Nonce expected, Optional<Digest> channelKey) {
        checks.add(Check.of("eat_nonce", expected.base64Url(), c.nonce().base64Url() + (c.nonce().equals(expected)
                ? "" : " (replayed or for another challenge)"), c.nonce().equals(expected)));
        Instant now = clock.instant();
        boolean notFuture = !c.issuedAt().isAfter(now.plus(CLOCK_SKEW));
        boolean young = !c.issuedAt().isBefore(now.minus(policy.maxAge()));
        checks.add(Check.of("iat", "within the last " + policy.maxAge().toSeconds() + " s of " + now, c.issuedAt()
                + (notFuture ? young ? "" : " (too old)" : " (in the future)"), notFuture && young));
        checks.add(Check.of("exp", "after " + now, c.expiresAt() + (c.expiresAt().isAfter(now) ? "" : " (expired)"),
                c.expiresAt().isAfter(now)));
        checks.add(Check.of("tee", "one of " + policy.allowedTee().stream().sorted().map(TeeType::id).toList(),
                c.tee().id(), policy.allowedTee().contains(c.tee())));
        checks.add(Check.of("dbgstat", policy.allowDebug() ? "any" : "disabled", debugText(c.debug()),
                policy.allowDebug() || !c.debug()));
        if (!policy.allowedMeasurements().isEmpty()) {
            checks.add(Check.of("measurement", "one of " + policy.allowedMeasurements(), c.measurement().hex(),
                    policy.allowedMeasurements().contains(c.measurement())));
        }
        checks.add(Check.of("svn", ">= " + policy.minSecurityVersion(), Integer.toString(c.securityVersion()),
                c.securityVersion() >= policy.minSecurityVersion()));
        policy.requiredSecretMemory().ifPresent(m -> checks.add(Check.of("secret_memory", m, c.secretMemory(),
                m.equals(c.secretMemory()))));
        policy.expectedPackDigest().ifPresent(d -> checks.add(Check.of("pack.digest", d.hex(),
                c.pack().map(p -> p.digest().hex()).orElse("no pack"), c.pack().map(p -> p.digest().equals(d)).orElse(false))));
        policy.expectedOwnerKey().ifPresent(k -> checks.add(Check.of("pack.owner_key_id", k.hex(),
                c.pack().map(p -> p.owner().hex()).orElse("no pack"), c.pack().map(p -> p.owner().equals(k)).orElse(false))));
        if (policy.minPackVersion() > 0) {
            checks.add(Check.of("pack.version", ">= " + policy.minPackVersion(),
                    c.pack().map(p -> Long.toString(p.version())).orElse("no pack"),
                    c.pack().map(p -> p.version() >= policy.minPackVersion()).orElse(false)));
        }
        if (policy.requireTlsBinding()) {
            String want = channelKey.map(Digest::hex).orElse("a TLS channel to bind to");
            String found = c.tlsKeyHash().map(Digest::hex).orElse("no TLS key claimed");
            boolean ok = channelKey.isPresent() && c.tlsKeyHash().isPresent() && channelKey.get().equals(c.tlsKeyHash().get());
            checks.add(Check.of("tls_spki_sha256", want, found + (ok ? "" : " (not the key of this connection)"), ok));
        }
    }

    private static String debugText(boolean debug) {
        return debug ? "enabled" : "disabled";
    }
}
