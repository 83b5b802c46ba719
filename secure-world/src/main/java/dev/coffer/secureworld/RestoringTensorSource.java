package dev.coffer.secureworld;

import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import dev.coffer.inference.tensor.GgufTensorSource;
import dev.coffer.inference.tensor.Tensor;
import dev.coffer.inference.tensor.TensorSource;
import dev.coffer.pack.ChunkEntry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Weights read in place from the model image in secret memory, each handed out only once the chunks holding its
 * bytes are restored: compute waits per tensor. After restoration the wait is one volatile read.
 */
final class RestoringTensorSource implements TensorSource {
    private final GgufTensorSource image;
    private final PackRestoration restoration;
    private final Map<String, Integer> lastChunk = new HashMap<>();

    RestoringTensorSource(GgufFile gguf, List<ChunkEntry> chunks, PackRestoration restoration) {
        this.image = new GgufTensorSource(gguf);
        this.restoration = restoration;
        for (GgufTensorInfo t : gguf.tensors()) {
            long start = gguf.dataOffset() + t.offset();
            long end = start + t.byteSize();
            int last = -1;
            for (int i = 0; i < chunks.size(); i++) {
                ChunkEntry c = chunks.get(i);
                if (c.offset() < end && c.end() > start) last = i;
            }
            if (last < 0 && t.byteSize() > 0) throw new IllegalStateException("tensor " + t.name() + " is in no chunk");
            lastChunk.put(t.name(), last);
        }
    }

    /** How many leading chunks hold the GGUF header (metadata, tokenizer, tensor table). */
    static int headerChunks(List<ChunkEntry> chunks) {
        int n = 0;
        while (n < chunks.size() && chunks.get(n).label().startsWith("header")) n++;
        return Math.max(1, n);
    }

    @Override
    public Tensor tensor(String name) {
        Integer last = lastChunk.get(name);
        if (last != null && last >= 0) restoration.awaitChunk(last);
        return image.tensor(name);
    }

    @Override
    public boolean contains(String name) {
        return image.contains(name);
    }
}
