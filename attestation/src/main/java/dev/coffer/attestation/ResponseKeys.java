package dev.coffer.attestation;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.hpke.HPKEContext;

/**
 * The response half of a sealed exchange (docs/sealed-bodies.md): an AES-256-GCM key and a base nonce exported from
 * the request's HPKE context, so only the two ends of that one request hold them. Message {@code i} of the answer
 * (the whole body, or SSE event {@code i}) uses nonce = base XOR i, and its associated data names {@code i} and
 * whether it is the last: reordering, dropping, replaying or cutting the stream short all fail to open.
 */
final class ResponseKeys implements AutoCloseable {
    static final String KEY_LABEL = "coffer sealed response key v1";
    static final String NONCE_LABEL = "coffer sealed response nonce v1";
    private static final byte[] AAD_PREFIX = "coffer sealed response v1".getBytes(StandardCharsets.US_ASCII);
    private static final int TAG_BITS = 128;

    private final byte[] key;
    private final byte[] baseNonce;
    private long next;
    private boolean finished;

    ResponseKeys(HPKEContext context) {
        this.key = context.export(KEY_LABEL.getBytes(StandardCharsets.US_ASCII), 32);
        this.baseNonce = context.export(NONCE_LABEL.getBytes(StandardCharsets.US_ASCII), 12);
    }

    /** Seals the next message of the answer; after the last one, nothing more can be sealed. */
    synchronized byte[] seal(byte[] plaintext, boolean last) {
        if (finished) throw new IllegalStateException("the sealed answer is complete: nothing can follow its last message");
        try {
            byte[] out = cipher(Cipher.ENCRYPT_MODE, next, last).doFinal(plaintext);
            next++;
            finished = last;
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed: " + e.getMessage(), e);
        }
    }

    /** Opens the next message; the caller learns whether it was the last. */
    synchronized Opened open(byte[] sealed) {
        if (finished) throw new SealedBodyException("a message arrived after the last one of the answer");
        for (boolean last : new boolean[] {false, true}) {
            try {
                byte[] plain = cipher(Cipher.DECRYPT_MODE, next, last).doFinal(sealed);
                next++;
                finished = last;
                return new Opened(plain, last);
            } catch (AEADBadTagException wrong) {
                // not message `next` with this last flag: try the other, then give up
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM failed: " + e.getMessage(), e);
            }
        }
        throw new SealedBodyException("sealed answer message " + next + " failed authentication: it was changed, "
                + "reordered, replayed or belongs to another request");
    }

    synchronized boolean finished() {
        return finished;
    }

    /** One opened message of an answer. */
    record Opened(byte[] plaintext, boolean last) {
    }

    private Cipher cipher(int mode, long seq, boolean last) throws GeneralSecurityException {
        byte[] nonce = baseNonce.clone();
        for (int i = 0; i < 8; i++) nonce[11 - i] ^= (byte) (seq >>> (8 * i));
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        c.updateAAD(ByteBuffer.allocate(AAD_PREFIX.length + 9).put(AAD_PREFIX).putLong(seq).put((byte) (last ? 1 : 0)).array());
        return c;
    }

    @Override
    public void close() {
        Arrays.fill(key, (byte) 0);
        Arrays.fill(baseNonce, (byte) 0);
    }
}
