package dev.coffer.host.cli;

import dev.coffer.attestation.Policy;
import dev.coffer.attestation.TeeType;
import dev.coffer.pack.PackDigest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The appraisal policy a client command applies (shared by attest and proxy). */
final class PolicyOptions {
    @Option(names = "--policy", paramLabel = "F", description = "appraisal policy (JSON, see docs/attestation.md)")
    Path policyFile;

    @Option(names = "--allow-tee", paramLabel = "TYPE",
            description = "also accept this TEE type (e.g. isolated: a software TEE; the verdict says so loudly)")
    List<String> allowTee = new ArrayList<>();

    @Option(names = "--expect-pack", paramLabel = "DIGEST", description = "the pack digest the server must serve")
    String expectPack;

    /** The policy file (or the strict default), with the command line's relaxations and pins applied. */
    Policy policy(CommandLine.Model.CommandSpec spec) {
        Policy p = policyFile == null ? Policy.defaults() : Policy.read(policyFile);
        for (String t : allowTee) {
            try {
                p = p.allowing(TeeType.parse(t));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--allow-tee: " + e.getMessage());
            }
        }
        if (expectPack != null) {
            try {
                p = p.expectingPack(PackDigest.parse(expectPack));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--expect-pack: " + e.getMessage());
            }
        }
        return p;
    }
}
