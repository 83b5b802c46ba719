package dev.coffer.inference.tokenizer;

import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * GPT-2 byte-level BPE as llama.cpp's {@code llm_tokenizer_bpe}: the pre-tokenizer splits the text into words,
 * each word is spelled in {@link ByteLevel} characters, and within a word the adjacent pair with the lowest
 * merge rank ({@code tokenizer.ggml.merges} order) is merged until no pair has a rank.
 */
final class BpeTokenizer extends VocabularyTokenizer {
    private final PreTokenizer preTokenizer;
    /** "left right" -> rank. */
    private final Map<String, Integer> ranks;

    BpeTokenizer(Vocabulary vocab, PreTokenizer preTokenizer) {
        super(vocab);
        this.preTokenizer = preTokenizer;
        this.ranks = rankMerges(vocab.merges);
    }

    private static Map<String, Integer> rankMerges(String[] merges) {
        Map<String, Integer> ranks = new HashMap<>(merges.length * 2);
        for (int i = 0; i < merges.length; i++) {
            String m = merges[i];
            // llama.cpp splits at the first space after the first character; a line without one ranks ("", "").
            int space = m.indexOf(' ', 1);
            String key = space < 0 ? " " : m.substring(0, space) + ' ' + m.substring(space + 1);
            ranks.putIfAbsent(key, i);
        }
        return ranks;
    }

    /** A candidate merge; {@code text} is what the two symbols spelled when it was pushed. */
    private record Bigram(int left, int right, String text, int rank) {}

    @Override
    void encodeText(String fragment, boolean afterSpecial, IntList out) {
        for (String word : preTokenizer.split(fragment)) {
            encodeWord(ByteLevel.encode(word), out);
        }
    }

    private void encodeWord(String word, IntList out) {
        if (word.isEmpty()) return;
        if (vocab.ignoreMerges) {
            int id = vocab.id(word);
            if (id != Vocabulary.NONE) {
                out.add(id);
                return;
            }
        }
        // Byte-level characters are all in the BMP: one char per initial symbol.
        int n = word.length();
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            start[i] = i;
            len[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Lowest rank first; among equal ranks the leftmost pair (llm_bigram_bpe's comparator).
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> {
            int c = Integer.compare(a.rank(), b.rank());
            return c != 0 ? c : Integer.compare(a.left(), b.left());
        });
        for (int i = 1; i < n; i++) addBigram(word, start, len, i - 1, i, queue);

        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            int l = b.left();
            int r = b.right();
            if (len[l] == 0 || len[r] == 0) continue;
            if (len[l] + len[r] != b.text().length()
                    || !word.regionMatches(start[l], b.text(), 0, b.text().length())) {
                continue; // outdated: one of the symbols changed since the pair was pushed
            }
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            addBigram(word, start, len, prev[l], l, queue);
            addBigram(word, start, len, l, next[l], queue);
        }

        for (int i = 0; i != -1; i = next[i]) {
            String symbol = word.substring(start[i], start[i] + len[i]);
            int id = vocab.id(symbol);
            if (id != Vocabulary.NONE) {
                out.add(id);
                continue;
            }
            // llama.cpp looks each UTF-8 byte of the symbol up as a one-byte token and drops those it lacks;
            // only ASCII bytes can be such a token.
            for (byte b : symbol.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                if (b >= 0) {
                    int byteId = vocab.id(String.valueOf((char) b));
                    if (byteId != Vocabulary.NONE) out.add(byteId);
                }
            }
        }
    }

    private void addBigram(String word, int[] start, int[] len, int left, int right, PriorityQueue<Bigram> queue) {
        if (left == -1 || right == -1) return;
        String l = word.substring(start[left], start[left] + len[left]);
        String r = word.substring(start[right], start[right] + len[right]);
        Integer rank = ranks.get(l + ' ' + r);
        if (rank == null) return;
        queue.add(new Bigram(left, right, l + r, rank));
    }
}
