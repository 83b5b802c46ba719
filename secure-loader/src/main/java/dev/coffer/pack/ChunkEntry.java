package dev.coffer.pack;

import java.util.HexFormat;

/**
 * One entry of the chunk table: which plaintext bytes of the model file the chunk holds, a label saying what they
 * are (for progress and errors), and the SHA-256 of its ciphertext (so a pack can be verified without a key).
 */
public record ChunkEntry(long offset, int length, String label, byte[] ciphertextSha256) {
    public ChunkEntry {
        if (offset < 0 || length <= 0) throw new PackFormatException("chunk " + label + " has a bad range " + offset + "+" + length);
        if (ciphertextSha256.length != 32) throw new PackFormatException("a chunk digest is 32 bytes");
        ciphertextSha256 = ciphertextSha256.clone();
    }

    @Override
    public byte[] ciphertextSha256() { return ciphertextSha256.clone(); }

    public long end() { return offset + length; }

    /** Bytes of this chunk in the pack: its plaintext length plus the GCM tag. */
    public long ciphertextLength() { return length + (long) AesGcm.TAG_BYTES; }

    @Override
    public String toString() {
        return label + " [" + offset + ", +" + length + "] " + HexFormat.of().formatHex(ciphertextSha256, 0, 8);
    }
}
