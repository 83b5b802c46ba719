package dev.coffer.host.cli;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.attestation.Appraisal;
import dev.coffer.attestation.Check;
import dev.coffer.attestation.EvidenceClaims;
import dev.coffer.attestation.Policy;
import dev.coffer.attestation.TeeType;
import dev.coffer.attestation.Verifier;
import dev.coffer.host.client.AttestedServer;
import dev.coffer.host.client.PlatformProbe;
import dev.coffer.host.net.TlsTrust;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "attest", mixinStandardHelpOptions = true,
        description = {"Check, before sending any prompt, which platform serves a Coffer server: fetch its evidence for "
                + "a fresh nonce, verify it against a policy, and check that it binds the TLS key of this very "
                + "connection. Exit code 0 only when the policy holds.",
            "",
            "The server's self-signed certificate is trusted only because verified evidence names its key (RA-TLS "
                + "style): nothing but the attestation request is sent before that holds.",
            "Without --policy: hardware TEEs only (tdx, sev-snp, cca), debug off, evidence at most 5 minutes old; no "
                + "measurement or pack is pinned, but both are printed with the policy lines that pin them."})
final class AttestCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "URL", description = "the server, e.g. https://127.0.0.1:8443")
    URI server;

    @CommandLine.Mixin
    PolicyOptions policyOptions;

    @Option(names = "--tls-ca", paramLabel = "F",
            description = "also require the server's certificate to chain to this CA (PEM), with host name checks")
    Path tlsCa;

    @Option(names = "--timeout", defaultValue = "30", paramLabel = "SECONDS", description = "network timeout (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--json", description = "print the verdict as one JSON object instead of a table")
    boolean json;

    @Option(names = "--probe",
            description = {"also check the served numerics: send the owner's probe prompts (from the pack's signed",
                "manifest) through the sealed API and compare the log-probabilities with the owner's reference",
                "fingerprints bit for bit (needs --owner)"})
    boolean probe;

    @Option(names = "--owner", paramLabel = "OWNER.pub", description = "the model owner's public key (for --probe)")
    Path owner;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Policy policy = policyOptions.policy(spec);
        TlsTrust trust = tlsCa == null ? TlsTrust.untilAttested() : TlsTrust.certificateAuthority(tlsCa);
        if (probe && owner == null) throw new CommandLine.ParameterException(spec.commandLine(), "--probe needs --owner OWNER.pub");
        Appraisal appraisal = AttestedServer.attest(server, new Verifier(policy), trust, Duration.ofSeconds(timeoutSeconds));
        PrintStream out = System.out;
        java.util.Optional<PlatformProbe.Result> probed = java.util.Optional.empty();
        if (probe && appraisal.accepted()) {
            // Probes go only to an attested server: through a fresh verification pinned to its TLS key.
            try (AttestedServer attested = new AttestedServer(server, new Verifier(policy), Duration.ofSeconds(timeoutSeconds),
                    java.time.Clock.systemUTC(), trust)) {
                probed = java.util.Optional.of(PlatformProbe.run(attested, dev.coffer.pack.KeyFiles.readOwnerPublicKey(owner)));
            }
        }
        if (json) {
            out.println(toJson(appraisal, policy, probed));
        } else {
            printTable(out, appraisal, policy);
            probed.ifPresent(r -> printNumerics(out, r));
        }
        if (!appraisal.accepted()) return 1;
        return probed.map(r -> r.comparison().exactMatch() ? 0 : 1).orElse(0);
    }

    private static void printNumerics(PrintStream out, PlatformProbe.Result r) {
        r.blackBox().ifPresent(v -> out.printf(Locale.ROOT, "black-box (greedy text of %d border inputs): most like %s, "
                + "%d/%d answers agree (confidence %.2f)%n", v.total(), v.stack(), v.agreeing(), v.total(), v.confidence()));
        var c = r.comparison();
        var s = r.references().stack();
        if (c.exactMatch()) {
            out.printf(Locale.ROOT, "NUMERICS: MATCH - %d/%d probe positions bit-identical to the owner's references "
                    + "(%s %s, numerics %s, weights %s)%n", c.exact(), c.positions(), s.engine(), s.version(), s.numerics(), s.weights());
        } else {
            out.printf(Locale.ROOT, "NUMERICS: MISMATCH - %d/%d positions bit-identical, %d/%d same token, largest "
                    + "log-probability difference %.3g: this server does not compute like the owner's stack (%s, %s, %s)%n",
                    c.exact(), c.positions(), c.sameToken(), c.positions(), c.maxLogprobDifference(), s.engine(),
                    s.numerics(), s.weights());
            r.closestAlternative().ifPresent(a -> {
                var ac = r.alternativeComparison().orElseThrow();
                out.printf(Locale.ROOT, "  closest stack the owner recorded: %s (%d/%d positions bit-identical)%s%n",
                        a.stack().weights(), ac.exact(), ac.positions(), ac.exactMatch()
                                ? ": the server appears to serve the model quantized as " + a.stack().weights() : "");
            });
        }
    }

    private void printTable(PrintStream out, Appraisal a, Policy policy) {
        EvidenceClaims c = a.claims();
        out.printf(Locale.ROOT, "server      %s%n", server);
        out.printf(Locale.ROOT, "tee         %s%s, debug %s, secret memory %s%n", c.tee().id(),
                c.tee().hardware() ? "" : " (software TEE)", c.debug() ? "ENABLED" : "disabled", c.secretMemory());
        out.printf(Locale.ROOT, "measurement %s (svn %d)%n", c.measurement().hex(), c.securityVersion());
        c.pack().ifPresentOrElse(p -> out.printf(Locale.ROOT, "pack        %s (version %d, owner %s)%n", p.digest().hex(),
                p.version(), p.owner().hex()), () -> out.println("pack        none"));
        c.enclaveKey().ifPresent(k -> out.printf(Locale.ROOT, "enclave key %s (prompts are sealed to it)%n", k.id().hex()));
        out.printf(Locale.ROOT, "engine      %s %s, numerics %s%n", c.engine().name(), c.engine().version(), c.engine().numerics());
        out.println();
        int width = a.checks().stream().mapToInt(ch -> ch.claim().length()).max().orElse(10);
        for (Check ch : a.checks()) {
            out.printf(Locale.ROOT, "  %s %-" + width + "s  %s%n", ch.passed() ? "ok  " : "FAIL", ch.claim(),
                    ch.passed() ? ch.found() : "expected " + ch.expected() + ", found " + ch.found());
        }
        out.println();
        if (!a.accepted()) {
            out.println("VERDICT: REJECTED - do not send prompts to this server (" + a.failures().size() + " check"
                    + (a.failures().size() == 1 ? "" : "s") + " failed)");
            return;
        }
        out.println("VERDICT: ACCEPTED");
        if (c.tee() == TeeType.SIM) {
            out.println("WARNING: the TEE is 'sim', a SIMULATION accepted because you allowed it: there is no isolation "
                    + "at all; the host reads everything. For development only.");
        } else if (a.softwareTee()) {
            out.println("WARNING: the TEE is '" + c.tee().id() + "', a SOFTWARE TEE accepted because you allowed it: "
                    + "whoever controls that host can forge this evidence and read your prompts. Use hardware TEEs for "
                    + "anything confidential.");
        }
        List<String> pins = a.pinLines(policy);
        if (!pins.isEmpty()) {
            out.println();
            out.println("Trust on first use: nothing pinned " + String.join(", ", pins.stream()
                    .map(l -> l.substring(1, l.indexOf('"', 1))).toList()) + ".");
            out.println("To require exactly what you saw next time, save this policy and pass --policy FILE:");
            out.println("  " + a.pinned(policy).toJson());
        }
    }

    private String toJson(Appraisal a, Policy policy, java.util.Optional<PlatformProbe.Result> probed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("server", server.toString());
        m.put("verdict", a.accepted() ? "accepted" : "rejected");
        m.put("software_tee", a.softwareTee());
        List<Object> checks = new ArrayList<>();
        for (Check ch : a.checks()) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("claim", ch.claim());
            cm.put("expected", ch.expected());
            cm.put("found", ch.found());
            cm.put("passed", ch.passed());
            checks.add(cm);
        }
        m.put("checks", checks);
        try {
            m.put("claims", JSONObjectUtils.parse(new String(a.claims().toJson(), java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
        }
        m.put("pin", a.pinLines(policy));
        probed.ifPresent(r -> {
            Map<String, Object> n = new LinkedHashMap<>();
            var c = r.comparison();
            n.put("verdict", c.exactMatch() ? "match" : "mismatch");
            n.put("positions", c.positions());
            n.put("bit_identical", c.exact());
            n.put("same_token", c.sameToken());
            n.put("max_logprob_difference", c.maxLogprobDifference());
            n.put("stack", Map.of("engine", r.references().stack().engine(), "version", r.references().stack().version(),
                    "numerics", r.references().stack().numerics(), "weights", r.references().stack().weights()));
            r.blackBox().ifPresent(v -> n.put("black_box", Map.of("stack", v.stack(), "agreeing", v.agreeing(),
                    "total", v.total(), "confidence", v.confidence())));
            r.closestAlternative().ifPresent(alt -> n.put("closest_alternative", Map.of("weights", alt.stack().weights(),
                    "bit_identical", r.alternativeComparison().orElseThrow().exact())));
            m.put("numerics", n);
        });
        return JSONObjectUtils.toJSONString(m);
    }
}
