package dev.coffer.attestation;

import dev.coffer.pack.PackDigest;
import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.tee.Digest;
import dev.coffer.tee.EnclaveIdentity;
import dev.coffer.tee.Platform;
import java.time.Instant;
import java.util.Optional;

/** Evidence made the way a secure world and its software platform make it, with every field adjustable. */
final class EvidenceFixture {
    static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    static final Digest MEASUREMENT = Digest.sha256("secure-world.jar".getBytes());
    static final Digest TLS_KEY = Digest.sha256("server A's TLS key".getBytes());
    static final PackDigest PACK = new PackDigest(Digest.sha256("manifest".getBytes()).bytes());
    static final dev.coffer.pack.KeyId OWNER = new dev.coffer.pack.KeyId(Digest.sha256("owner".getBytes()).bytes());

    final Platform platform = Platform.ephemeral();
    final RecipientPrivateKey enclaveKey = RecipientPrivateKey.generate();

    EvidenceClaims claims(Nonce nonce) {
        return new EvidenceClaims(nonce, NOW, NOW.plusSeconds(EvidenceClaims.LIFETIME_SECONDS), TeeType.ISOLATED, false,
                MEASUREMENT, 3, "memfd_secret", Optional.of(new EvidenceClaims.PackClaim(PACK, OWNER, 2)),
                Optional.of(enclaveKey.publicKey()), Optional.of(TLS_KEY),
                new EvidenceClaims.Engine("coffer", "0.1.0", "coffer-canonical-v1"));
    }

    /** Evidence whose platform report says what the claims say (the honest case). */
    Evidence evidence(EvidenceClaims c) {
        return signedBy(platform, c, c.toJson());
    }

    Evidence signedBy(Platform signer, EvidenceClaims c, byte[] claimBytes) {
        var report = signer.sign(c.tee().id(), c.debug(), new EnclaveIdentity(c.measurement(), Digest.zero(), 1,
                c.securityVersion()), c.secretMemory(), Digest.zero(), dev.coffer.tee.enclave.EnclaveRuntime.sha512(claimBytes));
        return new Evidence(claimBytes, new PlatformEvidence.SoftwareReport(report, platform.publicKey()));
    }

    static Policy isolatedPolicy() {
        return Policy.defaults().allowing(TeeType.ISOLATED);
    }
}
