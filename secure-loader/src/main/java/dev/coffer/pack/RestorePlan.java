package dev.coffer.pack;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which chunks stay in secret memory and which are restored again for every step, and in which order: first every
 * chunk once (the initial pass, in compute order, streamed by the host), then, when some layers are streamed, the
 * chunks of those layers over and over, one round per forward step (from the secure world's own copy of their
 * ciphertext). Host and secure world both derive the order from the signed manifest and this plan's two numbers, so
 * the host cannot reorder anything (and every chunk's AEAD binds its index anyway).
 *
 * <p>Streamed layers are the last {@code streamedLayers} ones (LLM-in-a-flash's sliding window, by layer): each one,
 * when its turn comes, is decrypted into one of {@code slots} slot regions, used, then zeroized and its slot reused.
 */
public final class RestorePlan {
    private static final Pattern LAYER = Pattern.compile("blk\\.(\\d+)\\..*");

    private final PackManifest manifest;
    private final int layers;
    private final int streamedLayers;
    private final int slots;
    private final int[] layerOfChunk;     // -1 for chunks no layer owns
    private final int[] streamedChunks;   // chunk indices of streamed layers, in manifest order
    private final long[] packedOffset;    // resident chunks: offset in the resident region; streamed: in its layer's slot
    private final long residentBytes;
    private final long slotBytes;
    private final long[] layerBytes;      // streamed layers: bytes of their chunks

    public RestorePlan(PackManifest manifest, int streamedLayers, int slots) {
        this.manifest = manifest;
        List<ChunkEntry> chunks = manifest.chunks();
        layerOfChunk = new int[chunks.size()];
        int maxLayer = -1;
        for (int i = 0; i < chunks.size(); i++) {
            Matcher m = LAYER.matcher(chunks.get(i).label());
            int layer = -1;
            if (m.matches()) {
                try {
                    layer = Integer.parseInt(m.group(1));
                } catch (NumberFormatException e) {
                    layer = Integer.MAX_VALUE;
                }
                // a layer number beyond what the chunks could hold is a hostile label, not a model
                if (layer >= chunks.size()) throw new PackFormatException("chunk " + i + " names layer " + m.group(1));
            }
            layerOfChunk[i] = layer;
            maxLayer = Math.max(maxLayer, layerOfChunk[i]);
        }
        this.layers = maxLayer + 1;
        if (streamedLayers < 0 || streamedLayers > layers) {
            throw new IllegalArgumentException("streamed layers must be 0.." + layers + ": " + streamedLayers);
        }
        if (streamedLayers > 0 && (slots < 1 || slots > streamedLayers)) {
            throw new IllegalArgumentException("layer slots must be 1.." + streamedLayers + ": " + slots);
        }
        this.streamedLayers = streamedLayers;
        this.slots = streamedLayers == 0 ? 0 : slots;
        packedOffset = new long[chunks.size()];
        long resident = 0;
        long[] layerFill = new long[Math.max(layers, 1)];
        List<Integer> streamed = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            int l = layerOfChunk[i];
            if (isStreamedLayer(l)) {
                packedOffset[i] = layerFill[l];
                layerFill[l] += chunks.get(i).length();
                streamed.add(i);
            } else {
                packedOffset[i] = resident;
                resident += chunks.get(i).length();
            }
        }
        this.residentBytes = resident;
        this.slotBytes = Arrays.stream(layerFill).max().orElse(0);
        this.layerBytes = layerFill;
        this.streamedChunks = streamed.stream().mapToInt(Integer::intValue).toArray();
        // Each streamed layer's chunks must be consecutive in the manifest, and the layers in order: a layer is
        // announced as ready when its last chunk is in, and its slot is the only place its tensors live.
        for (int j = 1; j < streamedChunks.length; j++) {
            int a = streamedChunks[j - 1];
            int b = streamedChunks[j];
            if (layerOfChunk[b] < layerOfChunk[a] || (layerOfChunk[b] == layerOfChunk[a] && b != a + 1)) {
                throw new PackFormatException("the chunks of the layers to stream are not consecutive and in layer "
                        + "order in this pack: it cannot be streamed under a memory budget");
            }
        }
    }

    /** All layers resident: one pass, nothing streamed. */
    public static RestorePlan resident(PackManifest manifest) {
        return new RestorePlan(manifest, 0, 0);
    }

    /** {@link #forBudget} with the budget as a share of the model's weights, 0 < {@code percent} <= 100. */
    public static RestorePlan forShare(PackManifest manifest, double percent) {
        if (!(percent > 0 && percent <= 100)) {
            throw new IllegalArgumentException("a weight budget must be a share of 0..100%: " + percent);
        }
        return forBudget(manifest, (long) (resident(manifest).weightBytes() * percent / 100));
    }

    /**
     * The fewest streamed layers (through two slots, so one can be restored while the other is used) that keep the
     * weights within {@code weightBytes}; every layer resident when the whole model fits; every layer through a
     * single slot as a last resort.
     */
    public static RestorePlan forBudget(PackManifest manifest, long weightBytes) {
        RestorePlan all = resident(manifest);
        if (all.residentBytes() <= weightBytes) return all;
        for (int k = 1; k <= all.layers(); k++) {
            RestorePlan p = new RestorePlan(manifest, k, Math.min(2, k));
            if (p.residentBytes() + p.slots() * p.slotBytes() <= weightBytes) return p;
        }
        RestorePlan smallest = new RestorePlan(manifest, all.layers(), 1);
        if (smallest.weightBytes() <= weightBytes) return smallest; // one slot: restoring and computing a layer alternate
        throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                "a weight budget of %.1f MiB is too small for this model: even streaming every layer through one slot "
                        + "needs %.1f MiB", weightBytes / 1048576.0,
                (smallest.residentBytes() + smallest.slotBytes()) / 1048576.0));
    }

    /** Whether layer {@code layer} is restored again for every step. */
    public boolean isStreamedLayer(int layer) {
        return layer >= 0 && layer >= layers - streamedLayers;
    }

    public PackManifest manifest() { return manifest; }

    public int layers() { return layers; }

    public int streamedLayers() { return streamedLayers; }

    public int slots() { return slots; }

    /** Bytes of secret memory the resident chunks take (header, embeddings, resident layers, output). */
    public long residentBytes() { return residentBytes; }

    /** Bytes of one layer slot (the largest streamed layer). */
    public long slotBytes() { return slotBytes; }

    /** Bytes of streamed layer {@code layer}'s chunks (0 for a resident layer). */
    public long layerBytes(int layer) { return layer >= 0 && layer < layerBytes.length ? layerBytes[layer] : 0; }

    /** Weight bytes restored again for every step. */
    public long streamedBytesPerStep() {
        long s = 0;
        for (int c : streamedChunks) s += manifest.chunks().get(c).length();
        return s;
    }

    /** Secret memory for the weights under this plan. */
    public long weightBytes() { return residentBytes + slots * slotBytes; }

    public int chunkCount() { return manifest.chunks().size(); }

    /** The chunk the host streams as item {@code seq} (0, 1, 2, ...); past the initial pass only when streaming. */
    public int chunkAt(long seq) {
        int c = chunkCount();
        if (seq < c) return (int) seq;
        if (streamedChunks.length == 0) throw new IndexOutOfBoundsException("nothing is streamed after the initial pass");
        return streamedChunks[(int) ((seq - c) % streamedChunks.length)];
    }

    /** The layer chunk {@code i} belongs to, or -1. */
    public int layerOf(int chunk) { return layerOfChunk[chunk]; }

    public boolean isStreamed(int chunk) { return isStreamedLayer(layerOfChunk[chunk]); }

    /** Whether chunk {@code i} opens its streamed layer (the first of that layer's chunks). */
    public boolean opensLayer(int chunk) {
        return isStreamed(chunk) && packedOffset[chunk] == 0;
    }

    /** Whether chunk {@code i} closes its streamed layer (the last of that layer's chunks). */
    public boolean closesLayer(int chunk) {
        if (!isStreamed(chunk)) return false;
        return chunk + 1 >= chunkCount() || layerOfChunk[chunk + 1] != layerOfChunk[chunk];
    }

    /** Where chunk {@code i} goes: in the resident region, or in its layer's slot. */
    public long packedOffset(int chunk) { return packedOffset[chunk]; }

    /** Which streamed layer is the {@code o}-th to be restored (and used) since the start: they cycle in order. */
    public int streamedLayer(long occurrence) {
        return layers - streamedLayers + (int) (occurrence % streamedLayers);
    }
}
