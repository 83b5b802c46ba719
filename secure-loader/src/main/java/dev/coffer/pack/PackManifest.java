package dev.coffer.pack;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The signed part of a pack (docs/pack-format.md): its id and version, the model it holds, the owner's key, a
 * commitment to the data key, the chunk table in compute order, and reference data. The chunks' plaintext ranges
 * tile the model file exactly (no gap, no overlap), chunk 0 starting at byte 0 (the GGUF header and tokenizer).
 */
public record PackManifest(byte[] packId, long version, long createdEpochSecond, ModelDescription model,
                           OwnerPublicKey owner, byte[] keyCommitment, long plaintextSize, List<ChunkEntry> chunks,
                           List<ReferenceData> references) {
    static final byte[] MAGIC = {'C', 'P', 'K', 'M'};
    public static final int FORMAT_VERSION = 1;
    public static final int PACK_ID_BYTES = 16;
    static final int MAX_CHUNKS = 1 << 20;
    static final int MAX_CHUNK_BYTES = 256 << 20;
    static final int MAX_REFERENCES = 64;
    static final int MAX_REFERENCE_BYTES = 16 << 20;
    static final int MAX_TEXT = 1024;

    public PackManifest {
        if (packId.length != PACK_ID_BYTES) throw new PackFormatException("a pack id is 16 bytes");
        if (keyCommitment.length != 32) throw new PackFormatException("a key commitment is 32 bytes");
        if (version < 0) throw new PackFormatException("pack version must be >= 0");
        packId = packId.clone();
        keyCommitment = keyCommitment.clone();
        chunks = List.copyOf(chunks);
        references = List.copyOf(references);
        checkTiling(chunks, plaintextSize);
    }

    @Override
    public byte[] packId() { return packId.clone(); }

    @Override
    public byte[] keyCommitment() { return keyCommitment.clone(); }

    public String packIdHex() { return java.util.HexFormat.of().formatHex(packId); }

    /** The largest chunk's plaintext length (a staging slot holds it plus the tag). */
    public int maxChunkBytes() {
        return chunks.stream().mapToInt(ChunkEntry::length).max().orElse(0);
    }

    /**
     * How many leading chunks hold the GGUF header (metadata, tokenizer, tensor table), checked to be the file's first
     * bytes back to back, as a restorer packs them from 0: a manifest that says otherwise is refused here rather than
     * parsed from the wrong bytes.
     */
    public int headerChunks() {
        int n = 0;
        long end = 0;
        while (n < chunks.size() && chunks.get(n).label().startsWith(ChunkPlan.HEADER_LABEL)) {
            if (chunks.get(n).offset() != end) throw new PackFormatException("the pack's header chunks are not the start of the model file");
            end += chunks.get(n).length();
            n++;
        }
        return Math.max(1, n); // chunk 0 starts at 0 (checked on construction): at least it holds the header
    }

    /** Bytes of the GGUF header: the first {@link #headerChunks()} chunks. */
    public long headerBytes() {
        return chunks.get(headerChunks() - 1).end();
    }

    private static void checkTiling(List<ChunkEntry> chunks, long size) {
        if (chunks.isEmpty()) throw new PackFormatException("the chunk table is empty");
        if (chunks.getFirst().offset() != 0) throw new PackFormatException("chunk 0 must start at byte 0 (the header)");
        List<ChunkEntry> byOffset = new ArrayList<>(chunks);
        byOffset.sort(Comparator.comparingLong(ChunkEntry::offset));
        long next = 0;
        for (ChunkEntry c : byOffset) {
            if (c.offset() != next) {
                throw new PackFormatException("the chunk table does not tile the model: " + (c.offset() < next
                        ? "chunks overlap at byte " + c.offset() : "bytes " + next + ".." + c.offset() + " are in no chunk"));
            }
            next = c.end();
        }
        if (next != size) throw new PackFormatException("the chunks cover " + next + " bytes, the model has " + size);
    }

    byte[] encode() {
        Wire.Writer w = new Wire.Writer().raw(MAGIC).u16(FORMAT_VERSION).raw(packId).u64(version).u64(createdEpochSecond)
                .string(model.name()).string(model.architecture()).string(model.quantization()).u64(model.parameters())
                .u32(model.contextLength()).u32(model.tensors())
                .raw(owner.raw()).raw(keyCommitment).u64(plaintextSize).u32(chunks.size());
        for (ChunkEntry c : chunks) w.u64(c.offset()).u32(c.length()).string(c.label()).raw(c.ciphertextSha256());
        w.u32(references.size());
        for (ReferenceData r : references) w.string(r.name()).bytes(r.data());
        return w.toByteArray();
    }

    static PackManifest decode(byte[] bytes) {
        Wire.Reader r = new Wire.Reader(bytes, "manifest");
        if (!java.util.Arrays.equals(r.raw(4), MAGIC)) throw new PackFormatException("manifest: bad magic");
        int format = r.u16();
        if (format != FORMAT_VERSION) {
            throw new PackFormatException("pack format version " + format + " is not supported by this build (it reads "
                    + FORMAT_VERSION + "); use a newer coffer");
        }
        byte[] id = r.raw(PACK_ID_BYTES);
        long version = r.u64();
        long created = r.u64();
        ModelDescription model = new ModelDescription(r.string(MAX_TEXT, "model name"), r.string(MAX_TEXT, "architecture"),
                r.string(MAX_TEXT, "quantization"), r.u64(), r.length(Integer.MAX_VALUE, "context length"),
                r.length(Integer.MAX_VALUE, "tensor count"));
        OwnerPublicKey owner = OwnerPublicKey.fromRaw(r.raw(32));
        byte[] commitment = r.raw(32);
        long size = r.u64();
        int n = r.length(MAX_CHUNKS, "chunk count");
        List<ChunkEntry> chunks = new ArrayList<>(Math.min(n, 4096));
        for (int i = 0; i < n; i++) {
            long off = r.u64();
            int len = r.length(MAX_CHUNK_BYTES, "chunk length");
            chunks.add(new ChunkEntry(off, len, r.string(MAX_TEXT, "chunk label"), r.raw(32)));
        }
        int nr = r.length(MAX_REFERENCES, "reference count");
        List<ReferenceData> refs = new ArrayList<>();
        for (int i = 0; i < nr; i++) refs.add(new ReferenceData(r.string(MAX_TEXT, "reference name"), r.bytes(MAX_REFERENCE_BYTES, "reference data")));
        r.end();
        return new PackManifest(id, version, created, model, owner, commitment, size, chunks, refs);
    }

    /** A copy with the chunk table's digests filled in (the writer knows them only after encrypting). */
    PackManifest withChunks(List<ChunkEntry> filled) {
        return new PackManifest(packId, version, createdEpochSecond, model, owner, keyCommitment, plaintextSize, filled, references);
    }

    @Override
    public String toString() {
        return "pack " + packIdHex() + " v" + version + " of " + model.name() + " (" + chunks.size() + " chunks)";
    }
}
