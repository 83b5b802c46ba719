package dev.coffer.pack;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for the chunks of one pack. The key is derived from the data key (HKDF, salt = pack id); the nonce is
 * the chunk index (so it never repeats under the key: every pack has a fresh data key, and no two chunks share an
 * index); the associated data binds pack id, index, plaintext offset and length, and whether the chunk is the last
 * one, so a chunk moved, dropped, duplicated or taken from another pack fails authentication. Not thread-safe: one per
 * thread.
 */
public final class ChunkCipher implements AutoCloseable {
    private static final byte[] AAD_DOMAIN = "CPK1".getBytes(StandardCharsets.US_ASCII);
    private final byte[] key;
    private final SecretKeySpec keySpec;
    private final PackManifest manifest;
    private final Cipher cipher;

    public ChunkCipher(DataKey dataKey, PackManifest manifest) {
        this.manifest = manifest;
        this.key = dataKey.derive(manifest.packId(), DataKey.CHUNK_LABEL);
        this.keySpec = new SecretKeySpec(key, "AES");
        try {
            this.cipher = AesGcm.cipher();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no AES-GCM here: " + e.getMessage(), e);
        }
    }

    /** Encrypts chunk {@code index}: {@code plaintext} (its whole remaining) into {@code out} (+16 bytes of tag). */
    void seal(int index, ByteBuffer plaintext, ByteBuffer out) {
        checkLength(index, plaintext.remaining());
        try {
            cipher.init(Cipher.ENCRYPT_MODE, keySpec, nonce(index));
            cipher.updateAAD(aad(index));
            cipher.doFinal(plaintext, out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed: " + e.getMessage(), e);
        }
    }

    /**
     * Authenticates and decrypts chunk {@code index} from {@code ciphertext} (its whole remaining) into
     * {@code plaintext}. The ciphertext must be private to the caller (the host must not be able to change it during
     * the call). On failure the plaintext range is wiped before the exception.
     */
    public void open(int index, ByteBuffer ciphertext, ByteBuffer plaintext) {
        ChunkEntry c = chunk(index);
        if (ciphertext.remaining() != c.ciphertextLength()) {
            throw new PackTamperedException("chunk " + index + " (" + c.label() + ") is " + ciphertext.remaining()
                    + " bytes, the manifest says " + c.ciphertextLength());
        }
        int start = plaintext.position();
        try {
            cipher.init(Cipher.DECRYPT_MODE, keySpec, nonce(index));
            cipher.updateAAD(aad(index));
            cipher.doFinal(ciphertext, plaintext);
        } catch (AEADBadTagException e) {
            wipe(plaintext, start, c.length());
            throw new PackTamperedException("chunk " + index + " (" + c.label() + ") failed authentication: the pack is "
                    + "corrupt or was modified");
        } catch (GeneralSecurityException e) {
            wipe(plaintext, start, c.length());
            throw new IllegalStateException("AES-GCM decryption failed: " + e.getMessage(), e);
        }
    }

    private ChunkEntry chunk(int index) {
        if (index < 0 || index >= manifest.chunks().size()) {
            throw new PackFormatException("chunk index " + index + " outside 0.." + (manifest.chunks().size() - 1));
        }
        return manifest.chunks().get(index);
    }

    private void checkLength(int index, int length) {
        if (chunk(index).length() != length) throw new IllegalArgumentException("chunk " + index + " length mismatch");
    }

    private static GCMParameterSpec nonce(int index) {
        byte[] n = new byte[AesGcm.NONCE_BYTES];
        ByteBuffer.wrap(n).putInt(0).putLong(index);
        return new GCMParameterSpec(AesGcm.TAG_BYTES * 8, n);
    }

    private byte[] aad(int index) {
        ChunkEntry c = manifest.chunks().get(index);
        boolean last = index == manifest.chunks().size() - 1;
        return new Wire.Writer().raw(AAD_DOMAIN).raw(manifest.packId()).u32(index).u64(c.offset()).u32(c.length())
                .u8(last ? 1 : 0).toByteArray();
    }

    private static void wipe(ByteBuffer b, int start, int length) {
        int end = Math.min(b.limit(), start + length);
        for (int i = start; i < end; i++) b.put(i, (byte) 0);
        b.position(start);
    }

    /**
     * Wipes this class's copy of the chunk key. {@link SecretKeySpec} and the provider's key schedule keep copies of
     * their own that no public API clears; they become garbage with this object (in the secure world, its heap, which
     * docs/tcb.md lists among what the software TEE cannot hide).
     */
    @Override
    public void close() { Arrays.fill(key, (byte) 0); }
}
