package dev.coffer.inference.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** What both tokenizer models share: special-token handling, BOS/EOS, pieces and decoding. */
abstract sealed class VocabularyTokenizer implements Tokenizer permits SpmTokenizer, BpeTokenizer {
    final Vocabulary vocab;

    VocabularyTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
    }

    /** Tokenizes one run of text between special tokens; {@code afterSpecial} is true at the start of the text. */
    abstract void encodeText(String text, boolean afterSpecial, IntList out);

    @Override
    public final int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        IntList out = new IntList();
        if (addSpecial && vocab.addBos) out.add(vocab.bos);
        boolean afterSpecial = true;
        for (Vocabulary.Fragment f : vocab.partition(text, parseSpecial)) {
            if (f.isToken()) {
                out.add(f.token());
                afterSpecial = true;
            } else {
                encodeText(text.substring(f.offset(), f.offset() + f.length()), afterSpecial, out);
                afterSpecial = false;
            }
        }
        if (addSpecial && vocab.addEos) out.add(vocab.eos);
        return out.toArray();
    }

    @Override
    public final byte[] tokenBytes(int id) {
        checkId(id);
        return vocab.pieceBytes(id).clone();
    }

    @Override
    public final String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean stripSpace = vocab.model == Vocabulary.Model.SPM && vocab.addSpacePrefix;
        for (int id : ids) {
            checkId(id);
            byte[] piece = vocab.pieceBytes(id);
            if (piece.length == 0) continue; // BOS and other control tokens: the strip still applies after them
            int from = stripSpace && piece[0] == ' ' ? 1 : 0;
            stripSpace = false;
            out.write(piece, from, piece.length - from);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public final int vocabSize() { return vocab.size(); }

    @Override
    public final int bos() { return vocab.bos; }

    @Override
    public final int eos() { return vocab.eos; }

    @Override
    public final boolean isEndOfGeneration(int id) { return vocab.isEndOfGeneration(id); }

    @Override
    public final String tokenText(int id) {
        checkId(id);
        return vocab.texts[id];
    }

    private void checkId(int id) {
        if (id < 0 || id >= vocab.size()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab.size() + ")");
        }
    }
}
