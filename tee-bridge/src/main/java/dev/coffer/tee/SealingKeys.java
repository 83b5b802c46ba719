package dev.coffer.tee;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secure world's two sealing keys, derived by the platform from its sealing secret and the enclave's identity
 * (like SGX's EGETKEY: the enclave never sees the platform secret). Seals with AES-256-GCM; the blob header (version,
 * policy, nonce) is authenticated with the caller's associated data. Never printed; {@link #destroy} zeroizes.
 */
public final class SealingKeys implements AutoCloseable {
    private static final int VERSION = 1;
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] unique;
    private final byte[] product;
    private boolean destroyed;

    SealingKeys(byte[] unique, byte[] product) {
        if (unique.length != 32 || product.length != 32) throw new IllegalArgumentException("sealing keys are 32 bytes");
        this.unique = unique.clone();
        this.product = product.clone();
    }

    public byte[] seal(SealPolicy policy, byte[] plaintext, byte[] associatedData) {
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        byte[] header = {(byte) VERSION, (byte) policy.code};
        try {
            Cipher c = cipher(Cipher.ENCRYPT_MODE, policy, nonce);
            c.updateAAD(header);
            c.updateAAD(associatedData);
            byte[] ct = c.doFinal(plaintext);
            byte[] out = new byte[header.length + NONCE + ct.length];
            System.arraycopy(header, 0, out, 0, header.length);
            System.arraycopy(nonce, 0, out, header.length, NONCE);
            System.arraycopy(ct, 0, out, header.length + NONCE, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM sealing failed", e);
        }
    }

    /** @throws UnsealException when the blob is not for this identity or was modified */
    public byte[] unseal(byte[] sealed, byte[] associatedData) {
        if (sealed.length < 2 + NONCE + TAG_BITS / 8) throw new UnsealException("sealed blob too short: " + sealed.length + " bytes");
        if (sealed[0] != VERSION) throw new UnsealException("unsupported sealed blob version " + sealed[0]);
        SealPolicy policy = SealPolicy.of(sealed[1]);
        byte[] nonce = Arrays.copyOfRange(sealed, 2, 2 + NONCE);
        try {
            Cipher c = cipher(Cipher.DECRYPT_MODE, policy, nonce);
            c.updateAAD(sealed, 0, 2);
            c.updateAAD(associatedData);
            return c.doFinal(sealed, 2 + NONCE, sealed.length - 2 - NONCE);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new UnsealException("cannot unseal: the blob was sealed for another enclave identity or platform "
                    + "(policy " + policy + "), or it was modified");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unsealing failed", e);
        }
    }

    private Cipher cipher(int mode, SealPolicy policy, byte[] nonce) throws GeneralSecurityException {
        if (destroyed) throw new IllegalStateException("sealing keys were destroyed");
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(policy == SealPolicy.UNIQUE ? unique : product, "AES"),
                new GCMParameterSpec(TAG_BITS, nonce));
        return c;
    }

    void write(MessageWriter out) {
        out.writeFixed(unique).writeFixed(product);
    }

    static SealingKeys read(MessageReader in) {
        byte[] u = in.readFixed("unique sealing key", 32);
        byte[] p = in.readFixed("product sealing key", 32);
        try {
            return new SealingKeys(u, p);
        } finally {
            Arrays.fill(u, (byte) 0);
            Arrays.fill(p, (byte) 0);
        }
    }

    public void destroy() {
        Arrays.fill(unique, (byte) 0);
        Arrays.fill(product, (byte) 0);
        destroyed = true;
    }

    @Override
    public void close() {
        destroy();
    }

    @Override
    public String toString() {
        return "SealingKeys[redacted]";
    }
}
