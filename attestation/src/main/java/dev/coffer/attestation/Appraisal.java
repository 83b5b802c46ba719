package dev.coffer.attestation;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The verifier's result (RATS attestation result): every check with its expected and found value, the claims that
 * were appraised, and for trust on first use the policy lines that would pin what was seen. Accepted only when every
 * check passed.
 *
 * @param platformKey the software platform key's thumbprint, when the platform is a software one
 */
public record Appraisal(EvidenceClaims claims, List<Check> checks, Optional<String> platformKey) {
    public Appraisal {
        checks = List.copyOf(checks);
    }

    public boolean accepted() {
        return checks.stream().allMatch(Check::passed);
    }

    public List<Check> failures() {
        return checks.stream().filter(c -> !c.passed()).toList();
    }

    /** True when a software TEE (sim or isolated) was accepted: its operator could have forged the evidence. */
    public boolean softwareTee() {
        return !claims.tee().hardware();
    }

    /** @throws EvidenceRejectedException naming every failed check */
    public Appraisal orThrow() {
        if (!accepted()) throw new EvidenceRejectedException(failures());
        return this;
    }

    /** {@code policy} with everything it left open pinned to what this evidence showed (a policy file to keep). */
    public Policy pinned(Policy policy) {
        return new Policy(policy.allowedTee(), policy.allowedMeasurements().isEmpty() ? List.of(claims.measurement())
                : policy.allowedMeasurements(), Math.max(policy.minSecurityVersion(), claims.securityVersion()),
                policy.maxAge(), policy.allowDebug(),
                policy.expectedPackDigest().or(() -> claims.pack().map(EvidenceClaims.PackClaim::digest)),
                policy.expectedOwnerKey().or(() -> claims.pack().map(EvidenceClaims.PackClaim::owner)),
                policy.minPackVersion(), policy.requiredSecretMemory().or(() -> Optional.of(claims.secretMemory())),
                policy.softwarePlatformKeys().isEmpty() ? platformKey.map(List::of).orElse(List.of())
                        : policy.softwarePlatformKeys(), policy.requireTlsBinding());
    }

    /** Policy lines that pin what this evidence showed and the policy left open (trust on first use, explicit). */
    public List<String> pinLines(Policy policy) {
        List<String> lines = new ArrayList<>();
        if (policy.allowedMeasurements().isEmpty()) {
            lines.add("\"allowed_measurements\": [\"" + claims.measurement().hex() + "\"]");
        }
        claims.pack().ifPresent(p -> {
            if (policy.expectedPackDigest().isEmpty()) lines.add("\"expected_pack_digest\": \"" + p.digest().hex() + "\"");
            if (policy.expectedOwnerKey().isEmpty()) lines.add("\"expected_owner_key_id\": \"" + p.owner().hex() + "\"");
        });
        if (policy.minSecurityVersion() < claims.securityVersion()) {
            lines.add("\"min_security_version\": " + claims.securityVersion());
        }
        platformKey.ifPresent(k -> {
            if (policy.softwarePlatformKeys().isEmpty()) lines.add("\"software_platform_keys\": [\"" + k + "\"]");
        });
        return lines;
    }
}
