package dev.coffer.pack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * The front of a pack file, everything before the chunks: file magic, the manifest with the owner's signature, and
 * the recipients block. Parsing checks the signature against the owner key inside the manifest; who that owner must
 * be is the caller's policy ({@link #requireOwner}). The secure world receives these bytes whole.
 *
 * <pre>
 * "COFFERPK" | u32 n | manifest (n bytes) | Ed25519 signature (64) | u32 m | recipients block (m bytes) | chunks...
 * </pre>
 */
public final class PackHeader {
    static final byte[] FILE_MAGIC = {'C', 'O', 'F', 'F', 'E', 'R', 'P', 'K'};
    static final int SIGNATURE_BYTES = 64;
    static final int MAX_MANIFEST_BYTES = 256 << 20;
    static final int MAX_RECIPIENTS_BYTES = 1 << 20;

    private final byte[] manifestBytes;
    private final byte[] signature;
    private final PackManifest manifest;
    private final Recipients recipients;

    private PackHeader(byte[] manifestBytes, byte[] signature, PackManifest manifest, Recipients recipients) {
        this.manifestBytes = manifestBytes;
        this.signature = signature;
        this.manifest = manifest;
        this.recipients = recipients;
    }

    /** Signs {@code manifest} with the owner's key. */
    static PackHeader sign(PackManifest manifest, OwnerSigningKey owner, Recipients recipients) {
        if (!owner.publicKey().equals(manifest.owner())) throw new IllegalArgumentException("manifest names another owner");
        byte[] bytes = manifest.encode();
        return new PackHeader(bytes, owner.sign(bytes), manifest, recipients);
    }

    /** Parses and checks a complete header (as the secure world receives it). */
    public static PackHeader parse(byte[] header) {
        ByteBuffer b = ByteBuffer.wrap(header);
        byte[] manifestBytes = take(b, prefix(b, FILE_MAGIC.length + 4, MAX_MANIFEST_BYTES, "manifest"), "manifest");
        byte[] signature = take(b, SIGNATURE_BYTES, "signature");
        byte[] recipientBytes = take(b, lengthField(b, MAX_RECIPIENTS_BYTES, "recipients block"), "recipients block");
        if (b.hasRemaining()) throw new PackFormatException("pack header: " + b.remaining() + " unexpected bytes after it");
        return verified(manifestBytes, signature, recipientBytes);
    }

    /** Reads and checks the header at the start of a pack file. */
    public static PackHeader read(FileChannel ch) throws IOException {
        ByteBuffer head = readFully(ch, 0, FILE_MAGIC.length + 4, "file header");
        int n = prefix(head, FILE_MAGIC.length + 4, MAX_MANIFEST_BYTES, "manifest");
        long pos = FILE_MAGIC.length + 4;
        byte[] manifestBytes = readFully(ch, pos, n, "manifest").array();
        pos += n;
        byte[] signature = readFully(ch, pos, SIGNATURE_BYTES, "signature").array();
        pos += SIGNATURE_BYTES;
        int m = lengthField(readFully(ch, pos, 4, "recipients length"), MAX_RECIPIENTS_BYTES, "recipients block");
        byte[] recipientBytes = readFully(ch, pos + 4, m, "recipients block").array();
        return verified(manifestBytes, signature, recipientBytes);
    }

    private static PackHeader verified(byte[] manifestBytes, byte[] signature, byte[] recipientBytes) {
        PackManifest manifest = PackManifest.decode(manifestBytes);
        if (!manifest.owner().verifies(manifestBytes, signature)) {
            throw new PackTamperedException("the manifest's signature does not verify: the pack is corrupt or was modified");
        }
        return new PackHeader(manifestBytes, signature, manifest, Recipients.decode(recipientBytes));
    }

    /** @throws PackTamperedException when another key signed this pack */
    public PackHeader requireOwner(OwnerPublicKey expected) {
        if (!manifest.owner().equals(expected)) {
            throw new PackTamperedException("the pack is signed by owner key " + manifest.owner().id().shortHex()
                    + ", not by the expected " + expected.id().shortHex());
        }
        return this;
    }

    /** @throws PackRollbackException when the pack's version is below {@code minimum} */
    public PackHeader requireVersion(long minimum) {
        if (manifest.version() < minimum) {
            throw new PackRollbackException("pack version " + manifest.version() + " is older than the required minimum "
                    + minimum + ": refusing a rollback to an older pack");
        }
        return this;
    }

    public PackManifest manifest() { return manifest; }

    /** The manifest and its signature, to publish (see {@link SignedManifest}). */
    public SignedManifest signedManifest() { return new SignedManifest(manifestBytes, signature); }

    public Recipients recipients() { return recipients; }

    public PackDigest digest() { return PackDigest.of(manifestBytes); }

    /** The same signed manifest with another recipients block (rekeying). */
    PackHeader withRecipients(Recipients r) { return new PackHeader(manifestBytes, signature, manifest, r); }

    /** Unwraps the data key (see {@link Recipients#unwrap}). */
    public DataKey unwrap(Credential credential) {
        return recipients.unwrap(manifest, digest().bytes(), credential);
    }

    /**
     * What a key broker does after appraising a secure world: unwraps the data key with its own credential (all the
     * checks of {@link #unwrap}) and seals it to {@code enclaveKey} for {@link Credential#released}.
     */
    public byte[] releaseTo(Credential broker, RecipientPublicKey enclaveKey) {
        try (DataKey key = unwrap(broker)) {
            return Recipients.release(key, manifest.packId(), enclaveKey);
        }
    }

    public byte[] encode() {
        byte[] r = recipients.encode();
        return new Wire.Writer().raw(FILE_MAGIC).bytes(manifestBytes).raw(signature).bytes(r).toByteArray();
    }

    /** Bytes of the encoded header: where the first chunk starts. */
    public long length() {
        return FILE_MAGIC.length + 4L + manifestBytes.length + SIGNATURE_BYTES + 4 + recipients.encode().length;
    }

    private static int prefix(ByteBuffer b, int need, int max, String what) {
        if (b.remaining() < need) throw new PackFormatException("not a Coffer pack: too short");
        byte[] magic = new byte[FILE_MAGIC.length];
        b.get(magic);
        if (!Arrays.equals(magic, FILE_MAGIC)) throw new PackFormatException("not a Coffer pack (bad magic)");
        return lengthField(b, max, what);
    }

    private static int lengthField(ByteBuffer b, int max, String what) {
        if (b.remaining() < 4) throw new PackFormatException("pack header is truncated before the " + what + " length");
        long n = b.getInt() & 0xFFFFFFFFL;
        if (n > max) throw new PackFormatException("pack header: the " + what + " claims " + n + " bytes (limit " + max + ")");
        return (int) n;
    }

    private static byte[] take(ByteBuffer b, int n, String what) {
        if (b.remaining() < n) throw new PackFormatException("pack header is truncated in the " + what);
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static ByteBuffer readFully(FileChannel ch, long pos, int n, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) throw new PackFormatException("the pack is truncated in its " + what);
        }
        return b.flip();
    }
}
