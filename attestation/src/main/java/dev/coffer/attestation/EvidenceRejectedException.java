package dev.coffer.attestation;

import java.util.List;
import java.util.stream.Collectors;

/** The evidence was read but does not meet the policy; {@link #failures()} names each claim that failed. */
public final class EvidenceRejectedException extends AttestationException {
    private final List<Check> failures;

    public EvidenceRejectedException(List<Check> failures) {
        super("evidence rejected: " + failures.stream().map(Check::toString).collect(Collectors.joining("; ")));
        if (failures.isEmpty()) throw new IllegalArgumentException("a rejection names at least one failed check");
        this.failures = List.copyOf(failures);
    }

    public List<Check> failures() {
        return failures;
    }
}
