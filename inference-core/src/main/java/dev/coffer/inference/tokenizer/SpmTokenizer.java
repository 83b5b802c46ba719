package dev.coffer.inference.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

/**
 * SentencePiece-style tokenization as llama.cpp's {@code llm_tokenizer_spm}: spaces become U+2581 (with one
 * prepended at the start of the text and after each special token when the vocabulary adds a space prefix),
 * the text starts as one symbol per character, and the adjacent pair whose concatenation is the vocabulary
 * token with the highest score is merged until no pair forms a token. Symbols left that are not tokens are
 * spelled as byte tokens {@code <0xXX>}.
 */
final class SpmTokenizer extends VocabularyTokenizer {
    private static final String HEX = "0123456789ABCDEF";

    SpmTokenizer(Vocabulary vocab) {
        super(vocab);
    }

    /** A candidate merge of the symbols {@code left} and {@code right}, {@code size} chars long when pushed. */
    private record Bigram(int left, int right, float score, int size) {}

    @Override
    void encodeText(String fragment, boolean afterSpecial, IntList out) {
        String text = (vocab.addSpacePrefix && afterSpecial ? " " : "") + fragment;
        text = text.replace(' ', '\u2581');
        if (text.isEmpty()) return;

        // Symbols as a doubly linked list over char spans; a merged-away symbol has length 0.
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = at;
            len[i] = Character.charCount(text.codePointAt(at));
            at += len[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }

        // Highest score first; among equal scores the leftmost pair (llama_bigram_spm's comparator).
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> {
            int c = Float.compare(b.score(), a.score());
            return c != 0 ? c : Integer.compare(a.left(), b.left());
        });
        for (int i = 1; i < n; i++) tryAddBigram(text, start, len, i - 1, i, queue);

        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            int l = b.left();
            int r = b.right();
            if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != b.size()) continue; // outdated
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            tryAddBigram(text, start, len, prev[l], l, queue);
            tryAddBigram(text, start, len, l, next[l], queue);
        }

        for (int i = 0; i != -1; i = next[i]) {
            String symbol = text.substring(start[i], start[i] + len[i]);
            int id = vocab.id(symbol);
            if (id != Vocabulary.NONE) {
                out.add(id);
            } else {
                // Only single characters can get here: every merge produced a token.
                for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) out.add(byteToken(b & 0xFF));
            }
        }
    }

    private void tryAddBigram(String text, int[] start, int[] len, int left, int right, PriorityQueue<Bigram> queue) {
        if (left == -1 || right == -1) return;
        int size = len[left] + len[right];
        int id = vocab.id(text.substring(start[left], start[left] + size));
        if (id == Vocabulary.NONE) return;
        queue.add(new Bigram(left, right, vocab.scores[id], size));
    }

    /**
     * llama.cpp's byte_to_token: {@code <0xXX>}, else the byte itself as a token. Where llama.cpp would throw
     * (a vocabulary without byte fallback), we fall back to the unknown token.
     */
    private int byteToken(int b) {
        int id = vocab.id("<0x" + HEX.charAt(b >> 4) + HEX.charAt(b & 15) + ">");
        if (id == Vocabulary.NONE && b < 0x80) id = vocab.id(String.valueOf((char) b));
        if (id == Vocabulary.NONE) id = vocab.unk;
        if (id == Vocabulary.NONE) {
            throw new UnsupportedTokenizerException("vocabulary has no byte token for 0x"
                    + Integer.toHexString(b) + " and no unknown token, so this text cannot be tokenized");
        }
        return id;
    }
}
