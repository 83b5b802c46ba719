package dev.coffer.secureworld;

import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import dev.coffer.inference.tensor.MissingTensorException;
import dev.coffer.inference.tensor.Tensor;
import dev.coffer.inference.tensor.TensorSource;
import dev.coffer.pack.ChunkEntry;
import dev.coffer.pack.RestorePlan;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Weights read in place from secret memory, each handed out only once the chunks holding it are restored: compute
 * waits per tensor. Resident tensors live in the resident region (after the initial pass, the wait is one volatile
 * read); a streamed layer's tensors live in whichever slot holds that layer's current turn.
 */
final class RestoringTensorSource implements TensorSource {
    private record Placement(GgufTensorInfo info, int layer, boolean streamed, long offset, int lastChunk) {}

    private final PackRestoration restoration;
    private final Map<String, Placement> placements = new HashMap<>();

    RestoringTensorSource(GgufFile gguf, PackRestoration restoration) {
        this.restoration = restoration;
        RestorePlan plan = restoration.plan();
        List<ChunkEntry> chunks = plan.manifest().chunks();
        Map<Long, Integer> chunkAtOffset = new HashMap<>();
        for (int i = 0; i < chunks.size(); i++) chunkAtOffset.put(chunks.get(i).offset(), i);
        for (GgufTensorInfo t : gguf.tensors()) {
            long start = gguf.dataOffset() + t.offset();
            Integer first = chunkAtOffset.get(start);
            if (first == null) {
                throw new IllegalStateException("tensor " + t.name() + " does not start a chunk: this pack was not cut "
                        + "at tensor boundaries");
            }
            int last = first;
            while (last + 1 < chunks.size() && chunks.get(last + 1).offset() == chunks.get(last).end()
                    && chunks.get(last).end() < start + t.byteSize()) {
                last++;
            }
            if (chunks.get(last).end() < start + t.byteSize()) {
                throw new IllegalStateException("tensor " + t.name() + " is not covered by consecutive chunks");
            }
            // ... which must also lie back to back in one region (the resident one, or one layer's slot): the tensor
            // is handed out as one slice of it, after its last chunk is in
            for (int c = first + 1; c <= last; c++) {
                if (plan.isStreamed(c) != plan.isStreamed(first) || plan.layerOf(c) != plan.layerOf(first)
                        || plan.packedOffset(c) != plan.packedOffset(c - 1) + chunks.get(c - 1).length()) {
                    throw new IllegalStateException("tensor " + t.name() + " spans chunks placed in different regions");
                }
            }
            placements.put(t.name(), new Placement(t, plan.layerOf(first), plan.isStreamed(first),
                    plan.packedOffset(first), last));
        }
    }

    @Override
    public Tensor tensor(String name) {
        Placement p = placements.get(name);
        if (p == null) throw new MissingTensorException("tensor '" + name + "' is missing");
        MemorySegment region;
        if (p.streamed()) {
            region = restoration.awaitLayer(p.layer()).segment();
        } else {
            restoration.awaitChunk(p.lastChunk());
            region = restoration.resident().segment();
        }
        return new Tensor(name, p.info().type(), p.info().shape(), region.asSlice(p.offset(), p.info().byteSize()));
    }

    @Override
    public boolean contains(String name) {
        return placements.containsKey(name);
    }

    @Override
    public void layerDone(int layer) {
        restoration.layerDone(layer);
    }
}
