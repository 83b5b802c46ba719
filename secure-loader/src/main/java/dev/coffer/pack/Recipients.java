package dev.coffer.pack;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * The recipients block: the data key wrapped once per recipient, outside the owner's signature so recipients can be
 * added or removed without touching the chunks or the pack digest. It is still authenticated: each wrapping by its
 * AEAD (HPKE's {@code info} binds the pack id, its {@code aad} the recipient's key id), and the whole block by an
 * HMAC-SHA256 under a key derived from the data key, so whoever can open the pack also sees any change to another
 * recipient's entry.
 */
public record Recipients(List<RecipientEntry> entries, byte[] mac) {
    static final int MAX_ENTRIES = 64;
    private static final int ENC_BYTES = 32;
    private static final int WRAPPED_BYTES = DataKey.LENGTH + AesGcm.TAG_BYTES;
    private static final int SALT_BYTES = 16;
    private static final String HPKE_INFO = "coffer pack v1 data key";
    private static final String RELEASE_INFO = "coffer pack v1 key release";
    private static final String PASSPHRASE_AAD = "coffer pack v1 passphrase";
    private static final byte[] MAC_DOMAIN = {'C', 'P', 'K', 'R'};
    /** Argon2id for new packs: 64 MiB, 3 passes, 1 lane (RFC 9106's second recommendation, lower memory). */
    static final int ARGON_MEMORY_KIB = 64 * 1024;
    static final int ARGON_ITERATIONS = 3;
    // Bounds on what a pack may ask of a machine that opens it (a hostile pack must not take 100 GiB or a day).
    private static final int MAX_ARGON_MEMORY_KIB = 1024 * 1024;
    private static final int MAX_ARGON_ITERATIONS = 64;

    public Recipients {
        entries = List.copyOf(entries);
        mac = mac.clone();
        if (entries.isEmpty()) throw new PackFormatException("a pack needs at least one recipient or passphrase");
        if (entries.size() > MAX_ENTRIES) throw new PackFormatException("more than " + MAX_ENTRIES + " recipients");
    }

    @Override
    public byte[] mac() { return mac.clone(); }

    /**
     * Wraps {@code key} to each recipient (and the passphrase, if given) for the pack {@code packId}, the block's MAC
     * binding {@code manifestDigest}: whoever can open the pack checks that the manifest is the one the owner made, so
     * a manifest re-signed by anyone else is refused before any chunk is used.
     */
    static Recipients wrap(DataKey key, byte[] packId, byte[] manifestDigest, List<RecipientPublicKey> recipients,
                           Credential.Passphrase passphrase) {
        List<RecipientEntry> entries = new ArrayList<>();
        for (RecipientPublicKey r : recipients) entries.add(wrapTo(key, packId, r));
        if (passphrase != null) entries.add(wrapWithPassphrase(key, packId, passphrase));
        return sealed(key, packId, manifestDigest, entries);
    }

    /** The same entries under a MAC that binds {@code manifestDigest} (the writer knows it only at the end). */
    Recipients resealed(DataKey key, byte[] packId, byte[] manifestDigest) {
        return sealed(key, packId, manifestDigest, entries);
    }

    /** The same recipients plus one more. */
    Recipients adding(DataKey key, byte[] packId, byte[] manifestDigest, RecipientPublicKey r) {
        for (RecipientEntry e : entries) {
            if (e instanceof RecipientEntry.Hpke h && h.recipient().equals(r.id())) {
                throw new PackKeyException(r.id().shortHex() + " is already a recipient of this pack");
            }
        }
        List<RecipientEntry> more = new ArrayList<>(entries);
        more.add(wrapTo(key, packId, r));
        return sealed(key, packId, manifestDigest, more);
    }

    /** Without the recipient whose key id starts with {@code idPrefix} (at least 8 hex digits, exactly one match). */
    Recipients removing(DataKey key, byte[] packId, byte[] manifestDigest, String idPrefix) {
        List<RecipientEntry> left = new ArrayList<>();
        int removed = 0;
        for (RecipientEntry e : entries) {
            if (e instanceof RecipientEntry.Hpke h && h.recipient().matches(idPrefix)) removed++;
            else left.add(e);
        }
        if (removed == 0) throw new PackKeyException("no recipient's key id starts with '" + idPrefix + "' (8+ hex digits; "
                + "see 'coffer pack inspect')");
        if (removed > 1) throw new PackKeyException("'" + idPrefix + "' matches " + removed + " recipients: give more digits");
        if (left.isEmpty()) throw new PackKeyException("refusing to remove the last recipient: nobody could open the pack");
        return sealed(key, packId, manifestDigest, left);
    }

    /**
     * The data key wrapped to one more X25519 key, outside the recipients block: what a key broker hands to an attested
     * secure world. HPKE like a recipient entry, but under its own {@code info} label so that a release can never be
     * taken for an entry or the other way round.
     */
    static byte[] release(DataKey key, byte[] packId, RecipientPublicKey to) {
        byte[] k = key.bytes();
        try {
            byte[][] ctEnc = hpke().seal(to.parameters(), info(RELEASE_INFO, packId), to.id().bytes(), k, null, null, null);
            return new Wire.Writer().bytes(ctEnc[1]).bytes(ctEnc[0]).toByteArray();
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("HPKE seal failed: " + e.getMessage(), e);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    private static DataKey openRelease(byte[] packId, Credential.Released released) {
        RecipientPrivateKey key = released.enclaveKey();
        Wire.Reader r = new Wire.Reader(released.sealedKey(), "released key");
        byte[] enc = r.bytes(64, "encapsulated key");
        byte[] ct = r.bytes(64, "wrapped key");
        r.end();
        byte[] k = null;
        try {
            k = hpke().open(enc, key.keyPair(), info(RELEASE_INFO, packId), key.publicKey().id().bytes(), ct, null, null, null);
            return DataKey.fromBytes(k);
        } catch (InvalidCipherTextException | RuntimeException ex) {
            throw new PackKeyException("the released key does not open with this secure world's key "
                    + key.publicKey().id().shortHex() + ": it was released to another key, for another pack, or modified");
        } finally {
            if (k != null) Arrays.fill(k, (byte) 0);
        }
    }

    /** Unwraps the data key with {@code credential}, then checks it against the manifest and the block's MAC. */
    DataKey unwrap(PackManifest manifest, byte[] manifestDigest, Credential credential) {
        byte[] packId = manifest.packId();
        DataKey key = switch (credential) {
            case Credential.Key k -> unwrapHpke(packId, k.key());
            case Credential.Passphrase p -> unwrapPassphrase(packId, p);
            case Credential.Released r -> openRelease(packId, r);
        };
        if (!key.matches(packId, manifest.keyCommitment())) {
            key.close();
            throw new PackKeyException("the unwrapped key is not this pack's data key: the recipients block belongs to "
                    + "another pack or was modified");
        }
        if (!MessageDigest.isEqual(mac, computeMac(key, packId, manifestDigest, encodeEntries(entries)))) {
            key.close();
            throw new PackTamperedException("the recipients block failed authentication: an entry was added, removed or "
                    + "changed without the data key, or the manifest is not the one the owner made");
        }
        return key;
    }

    private DataKey unwrapHpke(byte[] packId, RecipientPrivateKey recipient) {
        KeyId id = recipient.publicKey().id();
        for (RecipientEntry e : entries) {
            if (e instanceof RecipientEntry.Hpke h && h.recipient().equals(id)) {
                byte[] k = null;
                try {
                    k = hpke().open(h.encapsulatedKey(), recipient.keyPair(), info(packId), id.bytes(), h.wrappedKey(),
                            null, null, null);
                    return DataKey.fromBytes(k);
                } catch (InvalidCipherTextException | RuntimeException ex) {
                    throw new PackTamperedException("the data key wrapped to " + id.shortHex() + " failed authentication:"
                            + " the recipients block was modified");
                } finally {
                    if (k != null) Arrays.fill(k, (byte) 0);
                }
            }
        }
        throw new PackKeyException("key " + id.shortHex() + " is not a recipient of this pack (recipients: "
                + entries + "); ask the owner to add it with 'coffer pack rekey --add-recipient'");
    }

    private DataKey unwrapPassphrase(byte[] packId, Credential.Passphrase passphrase) {
        boolean any = false;
        for (RecipientEntry e : entries) {
            if (e instanceof RecipientEntry.Passphrase p) {
                any = true;
                byte[] kek = stretch(passphrase, p.memoryKiB(), p.iterations(), p.parallelism(), p.salt());
                byte[] k = null;
                try {
                    Cipher c = AesGcm.cipher();
                    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, new byte[12]));
                    c.updateAAD(passphraseAad(packId, p));
                    k = c.doFinal(p.wrappedKey());
                    return DataKey.fromBytes(k);
                } catch (javax.crypto.AEADBadTagException ex) {
                    // wrong passphrase, or this entry was changed: the same failure, try the next one
                } catch (GeneralSecurityException ex) {
                    throw new IllegalStateException("AES-GCM failed: " + ex.getMessage(), ex);
                } finally {
                    Arrays.fill(kek, (byte) 0);
                    if (k != null) Arrays.fill(k, (byte) 0);
                }
            }
        }
        throw new PackKeyException(any ? "wrong passphrase (or its entry in the recipients block was modified)"
                : "this pack has no passphrase entry: open it with a recipient key (--key)");
    }

    private static RecipientEntry.Hpke wrapTo(DataKey key, byte[] packId, RecipientPublicKey r) {
        byte[] k = key.bytes();
        try {
            byte[][] ctEnc = hpke().seal(r.parameters(), info(packId), r.id().bytes(), k, null, null, null);
            return new RecipientEntry.Hpke(r.id(), ctEnc[1], ctEnc[0]);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("HPKE seal failed: " + e.getMessage(), e);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    private static RecipientEntry.Passphrase wrapWithPassphrase(DataKey key, byte[] packId, Credential.Passphrase pass) {
        byte[] salt = new byte[SALT_BYTES];
        new SecureRandom().nextBytes(salt);
        byte[] kek = stretch(pass, ARGON_MEMORY_KIB, ARGON_ITERATIONS, 1, salt);
        byte[] k = key.bytes();
        try {
            RecipientEntry.Passphrase unsealed = new RecipientEntry.Passphrase(ARGON_MEMORY_KIB, ARGON_ITERATIONS, 1, salt, new byte[0]);
            Cipher c = AesGcm.cipher();
            // A zero nonce is safe: this key-encryption key is used once (a fresh random salt gives a fresh key).
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, new byte[12]));
            c.updateAAD(passphraseAad(packId, unsealed));
            return new RecipientEntry.Passphrase(ARGON_MEMORY_KIB, ARGON_ITERATIONS, 1, salt, c.doFinal(k));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed: " + e.getMessage(), e);
        } finally {
            Arrays.fill(kek, (byte) 0);
            Arrays.fill(k, (byte) 0);
        }
    }

    private static byte[] stretch(Credential.Passphrase pass, int memoryKiB, int iterations, int lanes, byte[] salt) {
        Argon2BytesGenerator argon = new Argon2BytesGenerator();
        argon.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKiB).withIterations(iterations).withParallelism(lanes).withSalt(salt).build());
        byte[] kek = new byte[32];
        argon.generateBytes(pass.bytes(), kek);
        return kek;
    }

    private static byte[] passphraseAad(byte[] packId, RecipientEntry.Passphrase p) {
        return new Wire.Writer().raw(PASSPHRASE_AAD.getBytes(StandardCharsets.US_ASCII)).raw(packId).u32(p.memoryKiB())
                .u32(p.iterations()).u8(p.parallelism()).raw(p.salt()).toByteArray();
    }

    private static HPKE hpke() {
        return new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
    }

    private static byte[] info(byte[] packId) {
        return info(HPKE_INFO, packId);
    }

    private static byte[] info(String labelText, byte[] packId) {
        byte[] label = labelText.getBytes(StandardCharsets.US_ASCII);
        byte[] info = Arrays.copyOf(label, label.length + packId.length);
        System.arraycopy(packId, 0, info, label.length, packId.length);
        return info;
    }

    private static Recipients sealed(DataKey key, byte[] packId, byte[] manifestDigest, List<RecipientEntry> entries) {
        return new Recipients(entries, computeMac(key, packId, manifestDigest, encodeEntries(entries)));
    }

    private static byte[] computeMac(DataKey key, byte[] packId, byte[] manifestDigest, byte[] encodedEntries) {
        byte[] macKey = key.derive(packId, DataKey.RECIPIENTS_MAC_LABEL);
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(macKey, "HmacSHA256"));
            m.update(MAC_DOMAIN);
            m.update(packId);
            m.update(manifestDigest);
            return m.doFinal(encodedEntries);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 failed: " + e.getMessage(), e);
        } finally {
            Arrays.fill(macKey, (byte) 0);
        }
    }

    private static byte[] encodeEntries(List<RecipientEntry> entries) {
        Wire.Writer w = new Wire.Writer().u16(entries.size());
        for (RecipientEntry e : entries) {
            switch (e) {
                case RecipientEntry.Hpke h -> w.u8(RecipientEntry.HPKE).raw(h.recipient().bytes()).raw(h.encapsulatedKey())
                        .raw(h.wrappedKey());
                case RecipientEntry.Passphrase p -> w.u8(RecipientEntry.PASSPHRASE).u32(p.memoryKiB()).u32(p.iterations())
                        .u8(p.parallelism()).raw(p.salt()).raw(p.wrappedKey());
            }
        }
        return w.toByteArray();
    }

    byte[] encode() {
        return new Wire.Writer().raw(encodeEntries(entries)).raw(mac).toByteArray();
    }

    static Recipients decode(byte[] bytes) {
        Wire.Reader r = new Wire.Reader(bytes, "recipients block");
        int n = r.u16();
        if (n == 0 || n > MAX_ENTRIES) throw new PackFormatException("recipients block: " + n + " entries (1.." + MAX_ENTRIES + ")");
        List<RecipientEntry> entries = new ArrayList<>(n);
        boolean passphrase = false;
        for (int i = 0; i < n; i++) {
            int kind = r.u8();
            switch (kind) {
                case RecipientEntry.HPKE -> entries.add(new RecipientEntry.Hpke(new KeyId(r.raw(KeyId.LENGTH)),
                        r.raw(ENC_BYTES), r.raw(WRAPPED_BYTES)));
                case RecipientEntry.PASSPHRASE -> {
                    if (passphrase) throw new PackFormatException("recipients block: more than one passphrase entry");
                    passphrase = true;
                    long mem = r.u32();
                    long it = r.u32();
                    int lanes = r.u8();
                    if (mem < 8L * lanes || mem > MAX_ARGON_MEMORY_KIB || it < 1 || it > MAX_ARGON_ITERATIONS || lanes < 1
                            || lanes > 16) {
                        throw new PackFormatException("recipients block: Argon2id parameters out of bounds (" + mem
                                + " KiB, " + it + " passes, " + lanes + " lanes)");
                    }
                    entries.add(new RecipientEntry.Passphrase((int) mem, (int) it, lanes, r.raw(SALT_BYTES), r.raw(WRAPPED_BYTES)));
                }
                default -> throw new PackFormatException("recipients block: unknown entry kind " + kind);
            }
        }
        byte[] mac = r.raw(32);
        r.end();
        return new Recipients(entries, mac);
    }
}
