package dev.coffer.pack;

import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a GGUF file is cut into chunks, in the order the forward pass needs them: the header (metadata and
 * tokenizer), tensors no layer owns, the token embeddings, then layer by layer in the order a layer uses its weights,
 * then the output norm and head. A chunk never spans two tensors (so a tensor is ready when its own chunks are), the
 * alignment padding after a tensor rides with it, and large tensors are cut into pieces of at most the chunk size.
 */
public final class ChunkPlan {
    /** Default piece size: large enough for fast AEAD calls, small enough that compute can start early. */
    public static final int DEFAULT_CHUNK_BYTES = 4 << 20;
    /** The label of the chunks holding the GGUF header (pieces: "header 2/3"). */
    public static final String HEADER_LABEL = "header";
    private static final Pattern LAYER = Pattern.compile("blk\\.(\\d+)\\.(.+)");
    private static final List<String> LAYER_ORDER = List.of("attn_norm.weight", "attn_q.weight", "attn_k.weight",
            "attn_v.weight", "attn_output.weight", "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight");

    /** A planned chunk: plaintext range of the model file and what it holds. */
    public record Piece(long offset, int length, String label) {}

    private ChunkPlan() {}

    public static List<Piece> of(GgufFile gguf, long fileSize, int chunkBytes) {
        if (chunkBytes < 4096 || chunkBytes > PackManifest.MAX_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunk size must be 4 KiB..256 MiB: " + chunkBytes);
        }
        List<GgufTensorInfo> byOffset = new ArrayList<>(gguf.tensors());
        byOffset.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        record Span(String name, long start, long end) {}
        List<Span> spans = new ArrayList<>();
        for (int i = 0; i < byOffset.size(); i++) {
            GgufTensorInfo t = byOffset.get(i);
            long start = gguf.dataOffset() + t.offset();
            long end = i + 1 < byOffset.size() ? gguf.dataOffset() + byOffset.get(i + 1).offset() : fileSize;
            if (end < start + t.byteSize()) throw new IllegalArgumentException("tensor " + t.name() + " overlaps the next");
            spans.add(new Span(t.name(), start, end));
        }
        long headerEnd = spans.isEmpty() ? fileSize : spans.getFirst().start();
        spans.sort(Comparator.comparing((Span s) -> rank(s.name())).thenComparingLong(Span::start));
        List<Piece> pieces = new ArrayList<>();
        cut(pieces, 0, headerEnd, HEADER_LABEL, chunkBytes);
        for (Span s : spans) cut(pieces, s.start(), s.end(), s.name(), chunkBytes);
        return pieces;
    }

    private static void cut(List<Piece> pieces, long start, long end, String label, int chunkBytes) {
        int n = (int) ((end - start + chunkBytes - 1) / chunkBytes);
        for (long off = start, i = 0; off < end; off += chunkBytes, i++) {
            pieces.add(new Piece(off, (int) Math.min(chunkBytes, end - off), n > 1 ? label + " " + (i + 1) + "/" + n : label));
        }
    }

    /** Sort key in compute order: [group, layer, position in the layer]. */
    private static Rank rank(String name) {
        Matcher m = LAYER.matcher(name);
        if (m.matches()) {
            int pos = LAYER_ORDER.indexOf(m.group(2));
            return new Rank(2, Integer.parseInt(m.group(1)), pos < 0 ? LAYER_ORDER.size() : pos);
        }
        return switch (name) {
            case "token_embd.weight" -> new Rank(1, 0, 0);
            case "output_norm.weight" -> new Rank(3, 0, 0);
            case "output.weight" -> new Rank(3, 0, 1);
            default -> new Rank(0, 0, 0);
        };
    }

    private record Rank(int group, int layer, int position) implements Comparable<Rank> {
        @Override
        public int compareTo(Rank o) {
            return Comparator.comparingInt(Rank::group).thenComparingInt(Rank::layer).thenComparingInt(Rank::position)
                    .compare(this, o);
        }
    }
}
