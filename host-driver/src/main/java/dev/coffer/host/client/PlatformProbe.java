package dev.coffer.host.client;

import dev.coffer.attestation.fingerprint.BorderInputs;
import dev.coffer.attestation.fingerprint.FingerprintComparison;
import dev.coffer.attestation.fingerprint.ReferenceFingerprints;
import dev.coffer.inference.fingerprint.ProbeTrace;
import dev.coffer.pack.OwnerPublicKey;
import dev.coffer.pack.PackManifest;
import dev.coffer.pack.ReferenceData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's platform-fingerprint check (HSPI white-box): take the owner's reference fingerprints from the pack's
 * signed manifest (checked against the owner's key and the attested pack digest), send the same probes through the
 * normal sealed API, and compare the log-probabilities bit for bit.
 */
public final class PlatformProbe {
    /**
     * The references, what the server answered, how they compare and, when they differ, the closest of the
     * alternative stacks the owner recorded (the same model quantized otherwise) with its comparison.
     */
    public record Result(ReferenceFingerprints references, List<ProbeTrace> observed, FingerprintComparison comparison,
                         java.util.Optional<ReferenceFingerprints> closestAlternative,
                         java.util.Optional<FingerprintComparison> alternativeComparison,
                         java.util.Optional<BorderInputs.Verdict> blackBox) {
    }

    private PlatformProbe() {
    }

    public static Result run(AttestedServer server, OwnerPublicKey owner) throws IOException {
        PackManifest manifest = server.manifest(owner);
        ReferenceData data = manifest.references().stream().filter(r -> r.name().equals(ReferenceFingerprints.NAME))
                .findFirst().orElseThrow(() -> new IOException("the pack carries no reference fingerprints (it was made "
                        + "with --no-fingerprint, or before fingerprints existed)"));
        ReferenceFingerprints refs = ReferenceFingerprints.parse(data.data());
        List<ProbeTrace> observed = new ArrayList<>();
        for (ProbeTrace reference : refs.probes()) {
            String request = FingerprintComparison.probeRequest(reference.prompt(), refs.maxTokens(), refs.top());
            AttestedServer.SealedReply r = server.postSealed("/v1/chat/completions", request.getBytes(StandardCharsets.UTF_8));
            String body = new String(r.body(), StandardCharsets.UTF_8);
            if (r.status() != 200) throw new IOException("a probe failed with HTTP " + r.status() + ": " + body);
            observed.add(FingerprintComparison.traceOf(reference.prompt(), body));
        }
        FingerprintComparison claimed = FingerprintComparison.compare(refs.probes(), observed);
        ReferenceFingerprints best = null;
        FingerprintComparison bestComparison = null;
        if (!claimed.exactMatch()) {
            for (ReferenceData alt : manifest.references()) {
                if (!alt.name().equals(ReferenceFingerprints.ALTERNATIVE_NAME)) continue;
                ReferenceFingerprints a = ReferenceFingerprints.parse(alt.data());
                if (a.probes().size() != observed.size()) continue;
                FingerprintComparison c = FingerprintComparison.compare(a.probes(), observed);
                if (bestComparison == null || c.exact() > bestComparison.exact()
                        || (c.exact() == bestComparison.exact() && c.maxLogprobDifference() < bestComparison.maxLogprobDifference())) {
                    best = a;
                    bestComparison = c;
                }
            }
        }
        java.util.Optional<BorderInputs.Verdict> blackBox = java.util.Optional.empty();
        for (ReferenceData d : manifest.references()) {
            if (d.name().equals(BorderInputs.NAME)) blackBox = java.util.Optional.of(blackBox(server, BorderInputs.parse(d.data())));
        }
        return new Result(refs, observed, claimed, java.util.Optional.ofNullable(best), java.util.Optional.ofNullable(bestComparison),
                blackBox);
    }

    /** Text only, as a black-box client sees it: the greedy answers to the border inputs, matched to the stacks. */
    private static BorderInputs.Verdict blackBox(AttestedServer server, BorderInputs border) throws IOException {
        List<String> answers = new ArrayList<>();
        for (String prompt : border.prompts()) {
            String request = com.nimbusds.jose.util.JSONObjectUtils.toJSONString(java.util.Map.of("messages",
                    List.of(java.util.Map.of("role", "user", "content", prompt)), "max_tokens", border.maxTokens(), "temperature", 0));
            AttestedServer.SealedReply r = server.postSealed("/v1/chat/completions", request.getBytes(StandardCharsets.UTF_8));
            String body = new String(r.body(), StandardCharsets.UTF_8);
            if (r.status() != 200) throw new IOException("a border-input probe failed with HTTP " + r.status() + ": " + body);
            try {
                var choice = (java.util.Map<?, ?>) ((List<?>) com.nimbusds.jose.util.JSONObjectUtils.parse(body).get("choices")).getFirst();
                answers.add((String) ((java.util.Map<?, ?>) choice.get("message")).get("content"));
            } catch (java.text.ParseException | RuntimeException e) {
                throw new IOException("not a chat completion: " + e.getMessage(), e);
            }
        }
        return border.classify(answers);
    }
}
