package dev.coffer.host.client;

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
    /** The references, what the server answered, and how they compare. */
    public record Result(ReferenceFingerprints references, List<ProbeTrace> observed, FingerprintComparison comparison) {
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
        return new Result(refs, observed, FingerprintComparison.compare(refs.probes(), observed));
    }
}
