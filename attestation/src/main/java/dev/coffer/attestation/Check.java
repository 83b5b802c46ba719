package dev.coffer.attestation;

import java.util.Objects;

/** One line of an appraisal: which claim was checked, what the policy expected, what the evidence said. */
public record Check(String claim, String expected, String found, boolean passed) {
    public Check {
        Objects.requireNonNull(claim, "claim");
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(found, "found");
    }

    static Check of(String claim, String expected, String found, boolean passed) {
        return new Check(claim, expected, found, passed);
    }

    @Override
    public String toString() {
        return claim + ": expected " + expected + ", found " + found;
    }
}
