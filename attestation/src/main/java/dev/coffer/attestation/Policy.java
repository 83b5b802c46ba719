package dev.coffer.attestation;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.pack.KeyId;
import dev.coffer.pack.PackDigest;
import dev.coffer.tee.Digest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An appraisal policy for evidence (RATS): what a relying party accepts. It fails closed: a member left out of a
 * policy file keeps its strict default (hardware TEEs only, debug forbidden, evidence at most 5 minutes old, TLS
 * binding required), an unknown member is an error, and software TEEs ({@code sim}, {@code isolated}) are accepted
 * only when named in {@code allowed_tee}. docs/attestation.md documents every member.
 *
 * @param allowedMeasurements secure-world image measurements accepted; empty accepts any (trust on first use: the
 *                            verdict prints the line that pins the one seen)
 * @param softwarePlatformKeys RFC 7638 thumbprints of the sim/isolated platform keys accepted; empty accepts any
 */
public record Policy(Set<TeeType> allowedTee, List<Digest> allowedMeasurements, int minSecurityVersion,
                     Duration maxAge, boolean allowDebug, Optional<PackDigest> expectedPackDigest,
                     Optional<KeyId> expectedOwnerKey, long minPackVersion, Optional<String> requiredSecretMemory,
                     List<String> softwarePlatformKeys, boolean requireTlsBinding) {
    public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(5);
    private static final Set<String> MEMBERS = Set.of("allowed_tee", "allowed_measurements", "min_security_version",
            "max_age_seconds", "allow_debug", "expected_pack_digest", "expected_owner_key_id", "min_pack_version",
            "required_secret_memory", "software_platform_keys", "require_tls_binding");

    public Policy {
        allowedTee = Set.copyOf(allowedTee);
        allowedMeasurements = List.copyOf(allowedMeasurements);
        softwarePlatformKeys = List.copyOf(softwarePlatformKeys);
        Objects.requireNonNull(maxAge, "maxAge");
        Objects.requireNonNull(expectedPackDigest, "expectedPackDigest");
        Objects.requireNonNull(expectedOwnerKey, "expectedOwnerKey");
        Objects.requireNonNull(requiredSecretMemory, "requiredSecretMemory");
        if (allowedTee.isEmpty()) throw new IllegalArgumentException("a policy that allows no TEE type accepts nothing");
        if (maxAge.isNegative() || maxAge.isZero()) throw new IllegalArgumentException("max_age_seconds must be positive");
        if (minSecurityVersion < 0 || minPackVersion < 0) throw new IllegalArgumentException("minimum versions are >= 0");
    }

    /** Hardware TEEs only, debug off, evidence at most 5 minutes old, TLS binding; pins no measurement or pack. */
    public static Policy defaults() {
        EnumSet<TeeType> hardware = EnumSet.noneOf(TeeType.class);
        for (TeeType t : TeeType.values()) if (t.hardware()) hardware.add(t);
        return new Policy(hardware, List.of(), 0, DEFAULT_MAX_AGE, false, Optional.empty(), Optional.empty(), 0,
                Optional.empty(), List.of(), true);
    }

    /** @throws PolicyException naming the member that is unknown, missing its value or malformed */
    public static Policy parse(String json) {
        try {
            JsonFields p = JsonFields.parse("the policy", json).onlyKnown(MEMBERS);
            Policy d = defaults();
            Set<TeeType> tee = d.allowedTee;
            if (p.has("allowed_tee")) {
                EnumSet<TeeType> listed = EnumSet.noneOf(TeeType.class);
                for (String t : p.strings("allowed_tee")) listed.add(TeeType.parse(t));
                tee = listed;
            }
            List<Digest> measurements = new ArrayList<>();
            for (String m : p.strings("allowed_measurements")) measurements.add(Digest.fromHex(m));
            long maxAge = p.optionalInteger("max_age_seconds").orElse(d.maxAge.toSeconds());
            long svn = p.optionalInteger("min_security_version").orElse(0L);
            if (svn > Integer.MAX_VALUE) throw new IllegalArgumentException("min_security_version is too large");
            return new Policy(tee, measurements, (int) svn, Duration.ofSeconds(maxAge),
                    p.optionalBool("allow_debug").orElse(false),
                    p.optionalString("expected_pack_digest").map(PackDigest::parse),
                    p.optionalString("expected_owner_key_id").map(Policy::keyId),
                    p.optionalInteger("min_pack_version").orElse(0L),
                    p.optionalString("required_secret_memory"), p.strings("software_platform_keys"),
                    p.optionalBool("require_tls_binding").orElse(true));
        } catch (RuntimeException e) {
            throw new PolicyException("invalid policy: " + e.getMessage());
        }
    }

    public static Policy read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the policy " + file + ": " + e.getMessage(), e);
        } catch (PolicyException e) {
            throw new PolicyException(file + ": " + e.getMessage());
        }
    }

    private static KeyId keyId(String hex) {
        try {
            return new KeyId(HexFormat.of().parseHex(hex.strip()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected_owner_key_id is 64 hex digits (coffer pack inspect prints it)");
        }
    }

    /** This policy with one more TEE type accepted (the CLI's {@code --allow-tee}). */
    public Policy allowing(TeeType tee) {
        EnumSet<TeeType> more = EnumSet.copyOf(allowedTee);
        more.add(tee);
        return new Policy(more, allowedMeasurements, minSecurityVersion, maxAge, allowDebug, expectedPackDigest,
                expectedOwnerKey, minPackVersion, requiredSecretMemory, softwarePlatformKeys, requireTlsBinding);
    }

    /** This policy expecting one pack (the CLI's {@code --expect-pack}). */
    public Policy expectingPack(PackDigest digest) {
        return new Policy(allowedTee, allowedMeasurements, minSecurityVersion, maxAge, allowDebug, Optional.of(digest),
                expectedOwnerKey, minPackVersion, requiredSecretMemory, softwarePlatformKeys, requireTlsBinding);
    }

    /** The key broker's view: the evidence reaches it through the serving host, not over a TLS channel it must bind. */
    public Policy withoutTlsBinding() {
        return new Policy(allowedTee, allowedMeasurements, minSecurityVersion, maxAge, allowDebug, expectedPackDigest,
                expectedOwnerKey, minPackVersion, requiredSecretMemory, softwarePlatformKeys, false);
    }

    /** The policy as the JSON a file would hold. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("allowed_tee", allowedTee.stream().sorted().map(TeeType::id).toList());
        m.put("allowed_measurements", allowedMeasurements.stream().map(Digest::hex).toList());
        m.put("min_security_version", minSecurityVersion);
        m.put("max_age_seconds", maxAge.toSeconds());
        m.put("allow_debug", allowDebug);
        expectedPackDigest.ifPresent(p -> m.put("expected_pack_digest", p.hex()));
        expectedOwnerKey.ifPresent(k -> m.put("expected_owner_key_id", k.hex()));
        m.put("min_pack_version", minPackVersion);
        requiredSecretMemory.ifPresent(r -> m.put("required_secret_memory", r));
        m.put("software_platform_keys", softwarePlatformKeys);
        m.put("require_tls_binding", requireTlsBinding);
        return JSONObjectUtils.toJSONString(m);
    }
}
