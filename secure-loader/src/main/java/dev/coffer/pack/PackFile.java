package dev.coffer.pack;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * A pack on disk, opened read-only: its checked header and its chunks' ciphertext, mapped. Opening checks the file's
 * length against the chunk table, so a truncated or extended pack is refused before anything else.
 */
public final class PackFile implements AutoCloseable {
    private final Path path;
    private final PackHeader header;
    private final Arena arena;
    private final MemorySegment file;
    private final long[] positions;

    private PackFile(Path path, PackHeader header, Arena arena, MemorySegment file, long[] positions) {
        this.path = path;
        this.header = header;
        this.arena = arena;
        this.file = file;
        this.positions = positions;
    }

    public static PackFile open(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            PackHeader header = PackHeader.read(ch);
            List<ChunkEntry> chunks = header.manifest().chunks();
            long[] positions = new long[chunks.size()];
            long pos = header.length();
            for (int i = 0; i < chunks.size(); i++) {
                positions[i] = pos;
                pos += chunks.get(i).ciphertextLength();
            }
            long size = ch.size();
            if (size != pos) {
                throw new PackFormatException(path + " is " + size + " bytes but its manifest describes " + pos + ": the "
                        + "pack is " + (size < pos ? "truncated" : "followed by extra bytes") + " (copy it again)");
            }
            Arena arena = Arena.ofShared();
            return new PackFile(path, header, arena, ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), positions);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path + " (pack not found)");
        }
    }

    public Path path() { return path; }

    public PackHeader header() { return header; }

    public PackManifest manifest() { return header.manifest(); }

    public long size() { return file.byteSize(); }

    /** The ciphertext of chunk {@code i} (plaintext length + 16), a slice of the read-only mapping. */
    public MemorySegment ciphertext(int i) {
        return file.asSlice(positions[i], manifest().chunks().get(i).ciphertextLength());
    }

    /** Where chunk {@code i}'s ciphertext starts in the file. */
    public long position(int i) { return positions[i]; }

    /** Checks every chunk's ciphertext against the signed digests (no key needed). */
    public void verifyDigests(LongConsumer progress) {
        MessageDigest sha = PackWriter.sha256();
        List<ChunkEntry> chunks = manifest().chunks();
        for (int i = 0; i < chunks.size(); i++) {
            sha.update(ciphertext(i).asByteBuffer());
            if (!MessageDigest.isEqual(sha.digest(), chunks.get(i).ciphertextSha256())) {
                throw new PackTamperedException("chunk " + i + " (" + chunks.get(i).label() + ") does not match its "
                        + "signed digest: the pack is corrupt or was modified");
            }
            progress.accept(chunks.get(i).ciphertextLength());
        }
    }

    /** The owner's escape hatch: writes the plaintext model; refuses to overwrite {@code out}. */
    public void decryptTo(Path out, Credential credential, LongConsumer progress) throws IOException {
        if (Files.exists(out)) throw new FileAlreadyExistsException(out + " already exists: refusing to overwrite it");
        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), "." + out.getFileName(), ".partial");
        try (DataKey key = header.unwrap(credential); ChunkCipher cipher = new ChunkCipher(key, manifest());
             FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            List<ChunkEntry> chunks = manifest().chunks();
            ByteBuffer ct = ByteBuffer.allocateDirect(maxChunkBytes() + AesGcm.TAG_BYTES);
            ByteBuffer pt = ByteBuffer.allocateDirect(maxChunkBytes());
            for (int i = 0; i < chunks.size(); i++) {
                ct.clear();
                ct.put(ciphertext(i).asByteBuffer()).flip(); // a private copy: authenticated bytes are the bytes used
                pt.clear();
                cipher.open(i, ct, pt);
                pt.flip();
                for (long p = chunks.get(i).offset(); pt.hasRemaining(); ) p += ch.write(pt, p);
                progress.accept(chunks.get(i).length());
            }
            ch.force(true);
            Files.createLink(out, tmp); // atomic and never replaces: a file that appeared meanwhile wins
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Rewrites this pack with another recipients block (same manifest, same chunks, same digest) into {@code out}. */
    public void rewriteRecipients(Path out, Recipients recipients, LongConsumer progress) throws IOException {
        rewriteHeader(out, header.withRecipients(recipients), progress);
    }

    /** Writes {@code rekeyed} followed by this pack's chunks, unchanged, into {@code out} (atomically). */
    void rewriteHeader(Path out, PackHeader rekeyed, LongConsumer progress) throws IOException {
        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), "." + out.getFileName(), ".partial");
        try (FileChannel dst = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ByteBuffer h = ByteBuffer.wrap(rekeyed.encode());
            long pos = 0;
            while (h.hasRemaining()) pos += dst.write(h, pos);
            for (int i = 0; i < positions.length; i++) {
                ByteBuffer c = ciphertext(i).asByteBuffer();
                while (c.hasRemaining()) pos += dst.write(c, pos);
                progress.accept(manifest().chunks().get(i).ciphertextLength());
            }
            dst.force(true);
            if (Files.exists(out)) Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(out));
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The largest chunk's plaintext length. */
    public int maxChunkBytes() {
        return manifest().maxChunkBytes();
    }

    @Override
    public void close() { arena.close(); }
}
