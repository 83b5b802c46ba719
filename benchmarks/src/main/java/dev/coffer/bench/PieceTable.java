package dev.coffer.bench;

import dev.coffer.inference.gguf.GgufFile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Maps the text java-llama.cpp streams for each generated token back to the token's id. java-llama.cpp 4.2.0 never
 * reports generated ids (its {@code LlamaOutput} carries text only, and asking for {@code n_probs} aborts the JVM in
 * its JNI code), so ids have to be recovered from pieces.
 *
 * <p>A piece is usually unique. Two cases are not: SentencePiece byte tokens ({@code <0x2C>}) render as the same
 * text as the ordinary token for that character ({@code ","}), and control tokens all render as "". For a clash the
 * table picks the ordinary token (a SentencePiece model is trained on text that never contains a byte token for a
 * character with its own piece) and, for "", the end-of-sequence token; callers count these choices as inferred.
 */
public final class PieceTable {
    private static final int TYPE_NORMAL = 1;

    private final Map<String, List<Integer>> idsByPiece = new HashMap<>();
    private final int[] tokenTypes;
    private final int eos;

    /**
     * @param vocabSize number of ids
     * @param pieceOf   the text the peer streams for one id (control tokens: "")
     * @param gguf      the model file, for token types and the EOS id
     */
    public PieceTable(int vocabSize, IntFunction<String> pieceOf, GgufFile gguf) {
        this.tokenTypes = gguf.has("tokenizer.ggml.token_type") ? gguf.getIntArray("tokenizer.ggml.token_type")
                : new int[0];
        this.eos = gguf.findInt("tokenizer.ggml.eos_token_id").orElse(-1);
        for (int id = 0; id < vocabSize; id++) {
            idsByPiece.computeIfAbsent(pieceOf.apply(id), k -> new ArrayList<>()).add(id);
        }
    }

    /** The id for a streamed piece and whether the choice was inferred; id -1 when no token has this text. */
    public Lookup lookup(String piece) {
        List<Integer> ids = idsByPiece.get(piece);
        if (ids == null) return new Lookup(-1, false);
        if (ids.size() == 1) return new Lookup(ids.getFirst(), false);
        if (piece.isEmpty() && ids.contains(eos)) return new Lookup(eos, true);
        List<Integer> normal = ids.stream().filter(id -> id < tokenTypes.length && tokenTypes[id] == TYPE_NORMAL)
                .toList();
        return normal.size() == 1 ? new Lookup(normal.getFirst(), true) : new Lookup(-1, false);
    }

    /** @param inferred true when several ids share the piece and one was chosen by the rule above */
    public record Lookup(int id, boolean inferred) {}
}
