package dev.coffer.pack;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * {@code coffer pack encrypt}: turns a GGUF model into a pack, offline, on the owner's machine. A fresh data key and
 * pack id each time; chunks in compute order; the manifest signed last, once the chunk digests are known. The pack is
 * written to a temporary file beside the output and moved into place only when complete, so a crash leaves no
 * half-written pack under the final name; an existing output is never overwritten.
 */
public final class PackWriter {
    /** What to encrypt for: recipients (at least one, or a passphrase), pack version and chunk size. */
    public record Options(List<RecipientPublicKey> recipients, Optional<Credential.Passphrase> passphrase, long version,
                          int chunkBytes, List<ReferenceData> references) {
        public Options {
            recipients = List.copyOf(recipients);
            references = List.copyOf(references);
            if (recipients.isEmpty() && passphrase.isEmpty()) {
                throw new PackKeyException("a pack needs at least one recipient (--recipient) or a passphrase");
            }
            if (version < 0) throw new IllegalArgumentException("pack version must be >= 0");
        }

        public static Options forRecipients(List<RecipientPublicKey> recipients) {
            return new Options(recipients, Optional.empty(), 1, ChunkPlan.DEFAULT_CHUNK_BYTES, List.of());
        }
    }

    private PackWriter() {}

    /** Encrypts {@code gguf} into {@code out}; {@code progress} receives plaintext bytes as they are done. */
    public static PackHeader encrypt(Path gguf, Path out, OwnerSigningKey owner, Options options, LongConsumer progress)
            throws IOException {
        if (Files.exists(out)) throw new FileAlreadyExistsException(out + " already exists: refusing to overwrite it");
        try (GgufFile model = GgufFile.open(gguf); DataKey key = DataKey.generate()) {
            MemorySegment file = model.segment();
            long size = file.byteSize();
            List<ChunkPlan.Piece> plan = ChunkPlan.of(model, size, options.chunkBytes());
            byte[] packId = new byte[PackManifest.PACK_ID_BYTES];
            new SecureRandom().nextBytes(packId);
            List<ChunkEntry> placeholders = new ArrayList<>();
            for (ChunkPlan.Piece p : plan) placeholders.add(new ChunkEntry(p.offset(), p.length(), p.label(), new byte[32]));
            PackManifest draft = new PackManifest(packId, options.version(), Instant.now().getEpochSecond(), describe(model),
                    owner.publicKey(), key.derive(packId, DataKey.COMMITMENT_LABEL), size, placeholders, options.references());
            // The MAC binds the final manifest's digest, known once the chunks are encrypted: sized now, sealed at the end.
            Recipients recipients = Recipients.wrap(key, packId, new byte[32], options.recipients(),
                    options.passphrase().orElse(null));
            long headerLength = PackHeader.sign(draft, owner, recipients).length();

            Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), "." + out.getFileName(), ".partial");
            try {
                List<ChunkEntry> filled = new ArrayList<>(plan.size());
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                     ChunkCipher cipher = new ChunkCipher(key, draft)) {
                    ByteBuffer ct = ByteBuffer.allocateDirect(options.chunkBytes() + AesGcm.TAG_BYTES);
                    MessageDigest sha = sha256();
                    long pos = headerLength;
                    for (int i = 0; i < plan.size(); i++) {
                        ChunkPlan.Piece p = plan.get(i);
                        ct.clear();
                        cipher.seal(i, file.asSlice(p.offset(), p.length()).asByteBuffer(), ct);
                        ct.flip();
                        sha.update(ct.duplicate());
                        while (ct.hasRemaining()) pos += ch.write(ct, pos);
                        filled.add(new ChunkEntry(p.offset(), p.length(), p.label(), sha.digest()));
                        progress.accept(p.length());
                    }
                    PackHeader signed = PackHeader.sign(draft.withChunks(filled), owner, recipients);
                    PackHeader header = signed.withRecipients(recipients.resealed(key, packId, signed.digest().bytes()));
                    ByteBuffer h = ByteBuffer.wrap(header.encode());
                    if (h.remaining() != headerLength) throw new IllegalStateException("header length changed while signing");
                    for (long p = 0; h.hasRemaining(); ) p += ch.write(h, p);
                    ch.force(true);
                    Files.createLink(out, tmp); // atomic and never replaces: a file that appeared meanwhile wins
                    return header;
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static ModelDescription describe(GgufFile g) {
        String arch = g.findString("general.architecture").orElse("unknown");
        long params = 0;
        Map<GgmlType, Long> bytesByType = new EnumMap<>(GgmlType.class);
        for (GgufTensorInfo t : g.tensors()) {
            params += t.elementCount();
            bytesByType.merge(t.type(), t.byteSize(), Long::sum);
        }
        String quant = bytesByType.entrySet().stream().max(Map.Entry.comparingByValue())
                .map(e -> e.getKey().name() + (bytesByType.size() > 1 ? " (mostly)" : "")).orElse("none");
        int ctx = g.findInt(arch + ".context_length").orElse(0);
        return new ModelDescription(g.findString("general.name").orElse("model"), arch, quant, params, ctx, g.tensors().size());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
