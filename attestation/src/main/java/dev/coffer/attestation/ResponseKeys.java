package dev.coffer.attestation;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KDF;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.hpke.HPKEContext;

/**
 * The answer half of a sealed exchange (docs/sealed-bodies.md), built like Oblivious HTTP's responses (RFC 9458
 * §4.4): the secure world draws a fresh 32-byte response nonce, sent in clear before the first message; both ends
 * derive the AES-256-GCM key and base nonce with HKDF from a secret exported from the request's HPKE context, salted
 * with the encapsulated key and that response nonce. A replayed request therefore never gets the same keys twice.
 * Message {@code i} uses nonce = base XOR i; its associated data names {@code i}, whether it is the last, and the HTTP
 * status the answer travels under: reordering, dropping, replaying, cutting the stream short or changing the status
 * all fail to open.
 */
final class ResponseKeys implements AutoCloseable {
    static final String EXPORT_LABEL = "coffer sealed response v2";
    static final int RESPONSE_NONCE_BYTES = 32;
    private static final byte[] AAD_PREFIX = "coffer sealed response v2".getBytes(StandardCharsets.US_ASCII);
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] secret;
    private final byte[] enc;
    private byte[] key;
    private byte[] baseNonce;
    private long next;
    private boolean finished;

    ResponseKeys(HPKEContext context, byte[] enc) {
        this.secret = context.export(EXPORT_LABEL.getBytes(StandardCharsets.US_ASCII), 32);
        this.enc = enc.clone();
    }

    /** Seals the next message; the first one starts with the response nonce. Nothing follows the last one. */
    synchronized byte[] seal(byte[] plaintext, boolean last, int status) {
        if (finished) throw new IllegalStateException("the sealed answer is complete: nothing can follow its last message");
        byte[] prefix = new byte[0];
        if (key == null) {
            prefix = new byte[RESPONSE_NONCE_BYTES];
            RANDOM.nextBytes(prefix);
            derive(prefix);
        }
        try {
            byte[] ct = cipher(Cipher.ENCRYPT_MODE, next, last, status).doFinal(plaintext);
            next++;
            finished = last;
            byte[] out = Arrays.copyOf(prefix, prefix.length + ct.length);
            System.arraycopy(ct, 0, out, prefix.length, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed: " + e.getMessage(), e);
        }
    }

    /** Opens the next message (the first carries the response nonce); the caller learns whether it was the last. */
    synchronized Opened open(byte[] sealed, int status) {
        if (finished) throw new SealedBodyException("a message arrived after the last one of the answer");
        byte[] ct = sealed;
        byte[] oldKey = key;
        if (key == null) {
            if (sealed.length < RESPONSE_NONCE_BYTES + TAG_BITS / 8) {
                throw new SealedBodyException("the sealed answer is too short to carry its response nonce");
            }
            derive(Arrays.copyOf(sealed, RESPONSE_NONCE_BYTES));
            ct = Arrays.copyOfRange(sealed, RESPONSE_NONCE_BYTES, sealed.length);
        }
        for (boolean last : new boolean[] {false, true}) {
            try {
                byte[] plain = cipher(Cipher.DECRYPT_MODE, next, last, status).doFinal(ct);
                next++;
                finished = last;
                return new Opened(plain, last);
            } catch (AEADBadTagException wrong) {
                // not message `next` with this last flag: try the other, then give up
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM failed: " + e.getMessage(), e);
            }
        }
        if (oldKey == null) key = null; // a forged first message must not fix the keys
        throw new SealedBodyException("sealed answer message " + next + " failed authentication: it was changed, "
                + "reordered, replayed, sent under another HTTP status, or belongs to another request");
    }

    synchronized boolean finished() {
        return finished;
    }

    /** One opened message of an answer. */
    record Opened(byte[] plaintext, boolean last) {
    }

    /** RFC 9458 §4.4: salt = enc || response_nonce, prk = Extract(salt, secret), key and nonce expanded from it. */
    private void derive(byte[] responseNonce) {
        byte[] salt = Arrays.copyOf(enc, enc.length + responseNonce.length);
        System.arraycopy(responseNonce, 0, salt, enc.length, responseNonce.length);
        try {
            KDF hkdf = KDF.getInstance("HKDF-SHA256");
            key = hkdf.deriveData(HKDFParameterSpec.ofExtract().addIKM(secret).addSalt(salt)
                    .thenExpand("key".getBytes(StandardCharsets.US_ASCII), 32));
            baseNonce = hkdf.deriveData(HKDFParameterSpec.ofExtract().addIKM(secret).addSalt(salt)
                    .thenExpand("nonce".getBytes(StandardCharsets.US_ASCII), 12));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256 failed: " + e.getMessage(), e);
        }
    }

    private Cipher cipher(int mode, long seq, boolean last, int status) throws GeneralSecurityException {
        byte[] nonce = baseNonce.clone();
        for (int i = 0; i < 8; i++) nonce[11 - i] ^= (byte) (seq >>> (8 * i));
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        c.updateAAD(ByteBuffer.allocate(AAD_PREFIX.length + 13).put(AAD_PREFIX).putLong(seq).put((byte) (last ? 1 : 0))
                .putInt(status).array());
        return c;
    }

    @Override
    public synchronized void close() {
        Arrays.fill(secret, (byte) 0);
        if (key != null) Arrays.fill(key, (byte) 0);
        if (baseNonce != null) Arrays.fill(baseNonce, (byte) 0);
    }
}
