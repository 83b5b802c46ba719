package dev.coffer.attestation;

import dev.coffer.pack.Credential;
import dev.coffer.pack.PackException;
import dev.coffer.pack.PackHeader;
import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.pack.RecipientPublicKey;
import dev.coffer.attestation.KeyBrokerException.Refusal;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The key broker's protocol, without transport (host-driver carries it over HTTPS), after Trustee's KBS
 * request → challenge → evidence → secret flow. The broker is an ordinary recipient of the packs it serves and keeps
 * no per-pack keys: a request carries the pack's header (signed manifest and recipients block), the broker answers
 * with a one-time challenge, and for evidence that answers it and meets the policy it unwraps the data key with its
 * own key and returns it sealed (HPKE) to the enclave key named in that evidence; nobody else, the host that relays
 * the messages included, can open it. Every decision, either way, goes to the audit log.
 */
public final class KeyBroker {
    /** How long a challenge stays open. */
    public static final Duration CHALLENGE_TTL = Duration.ofSeconds(60);
    /** Open challenges kept at most (the oldest are dropped first). */
    static final int MAX_OPEN_CHALLENGES = 1024;
    /** Open challenges kept at most per pack. */
    static final int MAX_OPEN_PER_PACK = 64;
    private static final SecureRandom RANDOM = new SecureRandom();

    public record Challenge(String session, Nonce nonce) {
    }

    /** The data key sealed to the enclave key (for {@code Credential.released} inside the secure world). */
    public record Release(byte[] sealedKey, String packDigest) {
        public Release {
            sealedKey = sealedKey.clone();
        }

        @Override
        public byte[] sealedKey() {
            return sealedKey.clone();
        }
    }

    private record Open(PackHeader header, Nonce nonce, Instant expires) {
    }

    private final RecipientPrivateKey brokerKey;
    private final Verifier verifier;
    private final AuditLog audit;
    private final Clock clock;
    private final Map<String, Open> open = new LinkedHashMap<>();

    /** The policy's TLS binding is dropped: evidence reaches the broker relayed by the serving host. */
    public KeyBroker(RecipientPrivateKey brokerKey, Policy policy, AuditLog audit, Clock clock) {
        this.brokerKey = brokerKey;
        this.verifier = new Verifier(policy.withoutTlsBinding(), clock);
        this.audit = audit;
        this.clock = clock;
    }

    /** The policy as the broker applies it (without TLS binding). */
    public Policy policy() {
        return verifier.policy();
    }

    public RecipientPublicKey publicKey() {
        return brokerKey.publicKey();
    }

    /** Step 1: a secure world's host asks for a pack's key; the answer is a challenge for fresh evidence. */
    public Challenge challenge(byte[] packHeader) {
        PackHeader header;
        try {
            header = PackHeader.parse(packHeader); // outside the lock: parsing a large header must not hold others up
        } catch (RuntimeException e) { // PackException, or anything a malformed header makes the parser throw
            throw refuse(Refusal.MALFORMED, "", "", "the request's pack header is not valid: " + e.getMessage());
        }
        String digest = header.digest().hex();
        if (!isRecipient(header)) {
            throw refuse(Refusal.NOT_A_RECIPIENT, digest, "", "this broker (key " + publicKey().id().shortHex()
                    + ") is not a recipient of pack " + digest + ": the owner encrypts with --recipient BROKER.pub");
        }
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        String session = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
        Nonce nonce = Nonce.random();
        synchronized (this) {
            Instant now = clock.instant();
            open.values().removeIf(o -> o.expires.isBefore(now));
            // Whoever holds a pack's header can only crowd out that pack's own challenges, not other packs'.
            long forPack = open.values().stream().filter(o -> o.header.digest().equals(header.digest())).count();
            for (Iterator<Map.Entry<String, Open>> it = open.entrySet().iterator(); it.hasNext()
                    && (forPack >= MAX_OPEN_PER_PACK || open.size() >= MAX_OPEN_CHALLENGES); ) {
                Map.Entry<String, Open> e = it.next();
                boolean samePack = e.getValue().header.digest().equals(header.digest());
                if (samePack || open.size() >= MAX_OPEN_CHALLENGES) {
                    it.remove();
                    if (samePack) forPack--;
                }
            }
            open.put(session, new Open(header, nonce, now.plus(CHALLENGE_TTL)));
        }
        return new Challenge(session, nonce);
    }

    /** Step 2: evidence for the challenge; the key, sealed to the enclave key, if the policy holds. One use only. */
    public Release release(String session, Evidence evidence) {
        Open o;
        synchronized (this) {
            o = open.remove(session);
        }
        if (o == null || o.expires.isBefore(clock.instant())) {
            throw refuse(Refusal.NO_CHALLENGE, o == null ? "" : o.header.digest().hex(), "",
                    "no open challenge '" + Nonce.abbreviate(session) + "': it is unknown, was used already, or expired "
                            + "(challenges live " + CHALLENGE_TTL.toSeconds() + " s): ask again");
        }
        String digest = o.header.digest().hex();
        Appraisal a;
        try {
            a = verifier.appraise(evidence, o.nonce, Optional.empty());
        } catch (MalformedEvidenceException e) {
            throw refuse(Refusal.MALFORMED, digest, "", e.getMessage());
        }
        EvidenceClaims c = a.claims();
        List<Check> failures = new java.util.ArrayList<>(a.failures());
        String claimedPack = c.pack().map(p -> p.digest().hex()).orElse("no pack");
        if (!claimedPack.equals(digest)) {
            failures.add(Check.of("pack.digest (requested)", digest, claimedPack, false));
        }
        long minVersion = verifier.policy().minPackVersion();
        if (o.header.manifest().version() < minVersion) {
            failures.add(Check.of("pack version (signed manifest)", ">= " + minVersion,
                    Long.toString(o.header.manifest().version()), false));
        }
        if (c.enclaveKey().isEmpty()) failures.add(Check.of("cnf", "an enclave key to seal to", "none", false));
        String measurement = c.measurement().hex();
        if (!failures.isEmpty()) {
            throw refuse(Refusal.POLICY, digest, measurement, "evidence refused: "
                    + failures.stream().map(Check::toString).collect(Collectors.joining("; ")));
        }
        byte[] sealed;
        try (Credential broker = Credential.of(RecipientPrivateKey.fromRaw(brokerKey.raw()))) {
            sealed = o.header.releaseTo(broker, c.enclaveKey().get());
        } catch (PackException e) {
            throw refuse(Refusal.NOT_A_RECIPIENT, digest, measurement, "cannot unwrap the pack's key: " + e.getMessage());
        }
        audit.append(digest, measurement, AuditLog.Verdict.RELEASED, "released to enclave key "
                + c.enclaveKey().get().id().shortHex() + (a.softwareTee() ? " (software TEE " + c.tee().id() + ")" : ""));
        return new Release(sealed, digest);
    }

    private boolean isRecipient(PackHeader header) {
        return header.recipients().entries().stream().anyMatch(e -> e instanceof dev.coffer.pack.RecipientEntry.Hpke h
                && h.recipient().equals(publicKey().id()));
    }

    /**
     * Every refusal is audited. Refusals about no pack at all (unreadable requests, unknown challenges) need no
     * credentials to provoke, so they are written at most {@value #ANONYMOUS_PER_SECOND} a second; the ones in
     * between are counted and the count goes into the next such entry: an anonymous flood cannot make the log grow
     * (or the disk sync) without bound, and nothing goes unrecorded.
     */
    private KeyBrokerException refuse(Refusal refusal, String pack, String measurement, String reason) {
        String line = refusal.status + " " + reason;
        if (pack.isEmpty()) {
            synchronized (anonymous) {
                long second = clock.millis() / 1000;
                if (second != anonymous.second) {
                    anonymous.second = second;
                    anonymous.written = 0;
                }
                if (anonymous.written >= ANONYMOUS_PER_SECOND) {
                    anonymous.suppressed++;
                    return new KeyBrokerException(refusal, reason);
                }
                anonymous.written++;
                if (anonymous.suppressed > 0) {
                    line += " (and " + anonymous.suppressed + " more such refusals since the last entry)";
                    anonymous.suppressed = 0;
                }
            }
        }
        audit.append(pack, measurement, AuditLog.Verdict.REFUSED, line);
        return new KeyBrokerException(refusal, reason);
    }

    /** Anonymous refusals audited at most this often per second. */
    static final int ANONYMOUS_PER_SECOND = 10;

    private static final class AnonymousRefusals {
        long second = -1;
        int written;
        long suppressed;
    }

    private final AnonymousRefusals anonymous = new AnonymousRefusals();
}
