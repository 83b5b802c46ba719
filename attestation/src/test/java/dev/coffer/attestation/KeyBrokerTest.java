package dev.coffer.attestation;

import static dev.coffer.attestation.EvidenceFixture.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.pack.Credential;
import dev.coffer.pack.DataKey;
import dev.coffer.pack.PackFile;
import dev.coffer.pack.PackFixture;
import dev.coffer.pack.PackHeader;
import dev.coffer.pack.RecipientPrivateKey;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker protocol without transport: request, challenge, evidence, key sealed to the enclave key; refusals. */
class KeyBrokerTest {
    @TempDir
    static Path packs;
    @TempDir
    Path dir;
    static PackFixture packFixture;
    static PackHeader brokerPack;
    static PackHeader alicePack;

    private final EvidenceFixture fx = new EvidenceFixture();
    private final MutableClock clock = new MutableClock(NOW);
    private AuditLog audit;
    private KeyBroker broker;

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @BeforeAll
    static void makePacks() throws Exception {
        packFixture = new PackFixture(packs);
        try (PackFile b = PackFile.open(packFixture.pack("broker.cpack", 3, List.of(packFixture.bob.publicKey()), null));
             PackFile a = PackFile.open(packFixture.packForAlice("alice.cpack"))) {
            brokerPack = b.header();
            alicePack = a.header();
        }
    }

    @BeforeEach
    void startBroker() {
        audit = AuditLog.open(dir.resolve("audit.jsonl"), clock);
        broker = new KeyBroker(RecipientPrivateKey.fromRaw(packFixture.bob.raw()), EvidenceFixture.isolatedPolicy(), audit, clock);
    }

    /** Honest evidence from a secure world that prepared {@code claimed} and holds {@code enclave}. */
    private Evidence evidence(Nonce nonce, PackHeader claimed, RecipientPrivateKey enclave) {
        EvidenceClaims c = fx.claims(nonce);
        EvidenceClaims forPack = new EvidenceClaims(c.nonce(), c.issuedAt(), c.expiresAt(), c.tee(), c.debug(),
                c.measurement(), c.securityVersion(), c.secretMemory(), Optional.of(new EvidenceClaims.PackClaim(
                claimed.digest(), claimed.manifest().owner().id(), claimed.manifest().version())), Optional.of(enclave.publicKey()),
                Optional.empty(), c.engine());
        return fx.evidence(forPack);
    }

    @Test
    void attestedEvidenceGetsTheKeySealedToItsEnclaveKeyAndTheDecisionIsAudited() {
        RecipientPrivateKey enclave = RecipientPrivateKey.generate();
        KeyBroker.Challenge ch = broker.challenge(brokerPack.encode());
        KeyBroker.Release r = broker.release(ch.session(), Evidence.parse(KeyBrokerMessages.parseReleaseRequest(
                KeyBrokerMessages.releaseRequest(ch.session(), evidence(ch.nonce(), brokerPack, enclave))).evidence().toJson()));
        try (DataKey key = brokerPack.unwrap(Credential.released(r.sealedKey(), enclave))) {
            assertThat(key).isNotNull();
        }
        assertThat(r.packDigest()).isEqualTo(brokerPack.digest().hex());
        assertThatThrownBy(() -> brokerPack.unwrap(Credential.released(r.sealedKey(), RecipientPrivateKey.generate())))
                .as("the host relaying it, or anyone else").hasMessageContaining("released to another key");
        assertThat(audit.entries()).isEqualTo(1);
        assertThat(AuditLog.verify(dir.resolve("audit.jsonl")).intact()).isTrue();
    }

    @Test
    void aChallengeAnswersOnceAndNotAfterItExpires() {
        RecipientPrivateKey enclave = RecipientPrivateKey.generate();
        KeyBroker.Challenge ch = broker.challenge(brokerPack.encode());
        Evidence e = evidence(ch.nonce(), brokerPack, enclave);
        broker.release(ch.session(), e);
        assertThatThrownBy(() -> broker.release(ch.session(), e)).isInstanceOf(KeyBrokerException.class)
                .hasMessageContaining("was used already").extracting(x -> ((KeyBrokerException) x).refusal().status).isEqualTo(401);
        KeyBroker.Challenge late = broker.challenge(brokerPack.encode());
        clock.now = clock.now.plus(KeyBroker.CHALLENGE_TTL).plus(Duration.ofSeconds(1));
        assertThatThrownBy(() -> broker.release(late.session(), evidence(late.nonce(), brokerPack, enclave)))
                .hasMessageContaining("expired");
    }

    @Test
    void evidenceForAnotherChallengeOrPackOrUnderPolicyIsRefusedWithItsReason() {
        RecipientPrivateKey enclave = RecipientPrivateKey.generate();
        KeyBroker.Challenge ch = broker.challenge(brokerPack.encode());
        assertThatThrownBy(() -> broker.release(ch.session(), evidence(Nonce.random(), brokerPack, enclave)))
                .isInstanceOf(KeyBrokerException.class).hasMessageContaining("eat_nonce")
                .extracting(x -> ((KeyBrokerException) x).refusal().status).isEqualTo(403);
        KeyBroker.Challenge ch2 = broker.challenge(brokerPack.encode());
        assertThatThrownBy(() -> broker.release(ch2.session(), evidence(ch2.nonce(), alicePack, enclave)))
                .hasMessageContaining("pack.digest (requested)");
        KeyBroker strict = new KeyBroker(RecipientPrivateKey.fromRaw(packFixture.bob.raw()),
                Policy.parse("{\"allowed_tee\": [\"isolated\"], \"min_pack_version\": 4}"), audit, clock);
        KeyBroker.Challenge ch3 = strict.challenge(brokerPack.encode());
        assertThatThrownBy(() -> strict.release(ch3.session(), evidence(ch3.nonce(), brokerPack, enclave)))
                .hasMessageContaining("pack version (signed manifest): expected >= 4, found 3");
        KeyBroker hardwareOnly = new KeyBroker(RecipientPrivateKey.fromRaw(packFixture.bob.raw()), Policy.defaults(), audit, clock);
        KeyBroker.Challenge ch4 = hardwareOnly.challenge(brokerPack.encode());
        assertThatThrownBy(() -> hardwareOnly.release(ch4.session(), evidence(ch4.nonce(), brokerPack, enclave)))
                .hasMessageContaining("tee: expected one of [tdx, sev-snp, cca], found isolated");
        assertThat(audit.entries()).isEqualTo(4);
        assertThat(AuditLog.verify(dir.resolve("audit.jsonl")).intact()).isTrue();
    }

    @Test
    void floodingOnePacksChallengesEvictsOnlyThatPacksOwn() throws Exception {
        PackHeader otherBrokerPack;
        try (PackFile o = PackFile.open(packFixture.pack("broker-other.cpack", 1, List.of(packFixture.bob.publicKey()), null))) {
            otherBrokerPack = o.header();
        }
        RecipientPrivateKey enclave = RecipientPrivateKey.generate();
        KeyBroker.Challenge other = broker.challenge(otherBrokerPack.encode());
        KeyBroker.Challenge first = broker.challenge(brokerPack.encode());
        for (int i = 0; i < KeyBroker.MAX_OPEN_PER_PACK; i++) broker.challenge(brokerPack.encode());
        assertThatThrownBy(() -> broker.release(first.session(), evidence(first.nonce(), brokerPack, enclave)))
                .hasMessageContaining("no open challenge");
        assertThat(broker.release(other.session(), evidence(other.nonce(), otherBrokerPack, enclave)).packDigest())
                .isEqualTo(otherBrokerPack.digest().hex());
    }

    @Test
    void anAnonymousFloodIsCountedButCannotGrowTheAuditLogWithoutBound() {
        for (int i = 0; i < 50; i++) {
            assertThatThrownBy(() -> broker.release("no-such-session", evidence(Nonce.random(), brokerPack,
                    RecipientPrivateKey.generate()))).isInstanceOf(KeyBrokerException.class);
        }
        assertThat(audit.entries()).isEqualTo(KeyBroker.ANONYMOUS_PER_SECOND);
        clock.now = clock.now.plusSeconds(1);
        assertThatThrownBy(() -> broker.challenge(new byte[] {1, 2, 3})).isInstanceOf(KeyBrokerException.class);
        assertThat(audit.entries()).isEqualTo(KeyBroker.ANONYMOUS_PER_SECOND + 1);
        assertThat(AuditLog.verify(dir.resolve("audit.jsonl")).intact()).isTrue();
        assertThat(java.nio.file.Files.exists(dir.resolve("audit.jsonl"))).isTrue();
        try {
            assertThat(java.nio.file.Files.readString(dir.resolve("audit.jsonl"))).contains("and 40 more such refusals");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aPackTheBrokerCannotOpenOrAGarbledRequestIsRefused() {
        assertThatThrownBy(() -> broker.challenge(alicePack.encode())).isInstanceOf(KeyBrokerException.class)
                .hasMessageContaining("is not a recipient").extracting(x -> ((KeyBrokerException) x).refusal().status)
                .isEqualTo(404);
        byte[] garbled = brokerPack.encode();
        garbled[40] ^= 1;
        assertThatThrownBy(() -> broker.challenge(garbled)).hasMessageContaining("pack header is not valid")
                .extracting(x -> ((KeyBrokerException) x).refusal().status).isEqualTo(400);
        assertThatThrownBy(() -> KeyBrokerMessages.parseReleaseRequest("{\"session\": 1}"))
                .isInstanceOf(KeyBrokerException.class).hasMessageContaining("malformed");
        assertThat(audit.entries()).isEqualTo(2);
    }
}
