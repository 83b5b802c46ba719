package dev.coffer.inference.tokenizer;

import dev.coffer.inference.gguf.GgufArray;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufFormatException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The token list of a GGUF file with everything llama.cpp derives from it ({@code llama_vocab::impl::load}):
 * per-token attributes, special token ids and their defaults, add-BOS/EOS flags, the end-of-generation set and
 * the special tokens that are cut out of the text before tokenization.
 */
final class Vocabulary {
    /** Which tokenizer the file asks for ({@code tokenizer.ggml.model}). */
    enum Model { SPM, BPE }

    // Token attributes (llama.h llama_token_attr); a token may carry several.
    static final int UNDEFINED = 0;
    static final int UNKNOWN = 1;
    static final int UNUSED = 1 << 1;
    static final int NORMAL = 1 << 2;
    static final int CONTROL = 1 << 3;
    static final int USER_DEFINED = 1 << 4;
    static final int BYTE = 1 << 5;
    static final int LSTRIP = 1 << 7;
    static final int RSTRIP = 1 << 8;

    static final int NONE = -1;

    private static final String KEY = "tokenizer.ggml.";

    // Texts llama.cpp recognises as end-of-turn / end-of-generation / fill-in-the-middle tokens (marked control).
    private static final Set<String> EOT_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>");
    private static final Set<String> EOG_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<｜end▁of▁sentence｜>");
    private static final Set<String> FIM_TEXTS = Set.of("<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
            "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>",
            "<SUF>", "▁<SUF>", "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
            "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
            "<reponame>", "<|file_sep|>");
    private static final Set<String> FIM_EOG_TEXTS = Set.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>",
            "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>");

    final Model model;
    final String pre;
    final String[] texts;
    final float[] scores;
    /** BPE merge rules "left right", highest priority first; empty for SentencePiece. */
    final String[] merges;
    final int[] attrs;
    final Map<String, Integer> ids;
    final int bos;
    final int eos;
    final int unk;
    final boolean addBos;
    final boolean addEos;
    final boolean addSpacePrefix;
    final boolean ignoreMerges;
    private final BitSet endOfGeneration = new BitSet();
    /** Control, user-defined and unknown tokens, longest text first: the order in which they are cut out. */
    private final int[] specialTokens;
    private final byte[][] pieces;

    private Vocabulary(GgufFile f) {
        String modelName = f.getString(KEY + "model");
        model = switch (modelName) {
            case "llama" -> Model.SPM;
            case "gpt2" -> Model.BPE;
            default -> throw new UnsupportedTokenizerException("tokenizer.ggml.model '" + modelName + "' is not "
                    + "supported; supported: llama (SentencePiece) and gpt2 (byte-level BPE)");
        };
        pre = f.findString(KEY + "pre").orElse("default");
        texts = f.getStringArray(KEY + "tokens");
        int n = texts.length;
        if (n == 0) throw new GgufFormatException(f.source() + ": " + KEY + "tokens is empty - no vocabulary");

        ids = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            if (texts[i].isEmpty()) texts[i] = "[EMPTY_" + i + "]"; // as llama.cpp, so the map stays one-to-one
            Integer previous = ids.putIfAbsent(texts[i], i);
            if (previous != null) {
                throw new GgufFormatException(f.source() + ": duplicate token in vocabulary: '" + texts[i]
                        + "' has ids " + previous + " and " + i);
            }
        }
        scores = readScores(f, n);
        if (model == Model.BPE && !f.has(KEY + "merges")) {
            throw new GgufFormatException(f.source() + ": " + KEY + "merges is missing - a gpt2 tokenizer needs it");
        }
        merges = model == Model.BPE ? f.getStringArray(KEY + "merges") : new String[0];
        attrs = readAttributes(f, n);

        int defaultBos = model == Model.SPM ? 1 : 11;
        int defaultEos = model == Model.SPM ? 2 : 11;
        int defaultUnk = model == Model.SPM ? 0 : NONE;
        bos = specialId(f, "bos_token_id", defaultBos, n);
        eos = specialId(f, "eos_token_id", defaultEos, n);
        unk = specialId(f, "unknown_token_id", defaultUnk, n);
        int eot = specialId(f, "eot_token_id", NONE, n);
        int eom = specialId(f, "eom_token_id", NONE, n);

        boolean bosByDefault = model == Model.SPM;
        boolean ignore = false;
        if (model == Model.BPE && Set.of("llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral").contains(pre)) {
            bosByDefault = true;
            ignore = true;
        }
        ignoreMerges = ignore;
        addBos = f.findBoolean(KEY + "add_bos_token").orElse(bosByDefault);
        addEos = f.findBoolean(KEY + "add_eos_token").orElse(false);
        addSpacePrefix = f.findBoolean(KEY + "add_space_prefix").orElse(model == Model.SPM);
        if (addBos && bos == NONE) {
            throw new GgufFormatException(f.source() + ": " + KEY + "add_bos_token is true, but no BOS token is set");
        }
        if (addEos && eos == NONE) {
            throw new GgufFormatException(f.source() + ": " + KEY + "add_eos_token is true, but no EOS token is set");
        }

        // llama.cpp finds end-of-turn and fill-in-the-middle tokens by their text and forces them to be control
        // tokens, which also decides whether they are cut out of text when parse_special is false.
        for (int id = 0; id < n; id++) {
            String t = texts[id];
            if (eot == NONE && EOT_TEXTS.contains(t)) {
                eot = id;
                attrs[id] |= CONTROL;
            }
            if (eom == NONE && t.equals("<|eom_id|>")) {
                eom = id;
                attrs[id] |= CONTROL;
            }
            if (FIM_TEXTS.contains(t)) attrs[id] |= CONTROL;
            if (EOG_TEXTS.contains(t) || FIM_EOG_TEXTS.contains(t)) {
                endOfGeneration.set(id);
                attrs[id] |= CONTROL;
            }
        }
        for (int id : new int[] {eos, eot, eom}) {
            if (id != NONE) endOfGeneration.set(id);
        }

        specialTokens = IntStream.range(0, n)
                .filter(id -> (attrs[id] & (CONTROL | USER_DEFINED | UNKNOWN)) != 0)
                .boxed()
                .sorted(Comparator.comparingInt((Integer id) -> -utf8Length(texts[id])).thenComparingInt(id -> id))
                .mapToInt(Integer::intValue)
                .toArray();

        // Phi-3's converter does not record that its special tokens swallow the white space after them.
        String name = f.findString("general.name").orElse("").toLowerCase(Locale.ROOT);
        if (name.contains("phi-3") || name.contains("phi3")) {
            for (int id : specialTokens) attrs[id] |= RSTRIP;
            setAttr("</s>", RSTRIP, true);
            for (String t : new String[] {"<unk>", "<s>", "<|endoftext|>"}) setAttr(t, RSTRIP, false);
        }

        pieces = new byte[n][];
        for (int id = 0; id < n; id++) pieces[id] = piece(id);
    }

    static Vocabulary fromGguf(GgufFile f) {
        return new Vocabulary(f);
    }

    int size() { return texts.length; }

    int id(String text) {
        Integer id = ids.get(text);
        return id == null ? NONE : id;
    }

    boolean isEndOfGeneration(int id) { return id >= 0 && endOfGeneration.get(id); }

    /** The bytes a token stands for in output text; empty for control and unknown tokens. */
    byte[] pieceBytes(int id) { return pieces[id]; }

    private void setAttr(String text, int attr, boolean on) {
        int id = id(text);
        if (id == NONE) return;
        attrs[id] = on ? attrs[id] | attr : attrs[id] & ~attr;
    }

    /** llama.cpp's token_to_piece(special = false). */
    private byte[] piece(int id) {
        int attr = attrs[id];
        String text = texts[id];
        if ((attr & (CONTROL | UNKNOWN)) != 0) return new byte[0];
        if ((attr & USER_DEFINED) != 0) return text.getBytes(StandardCharsets.UTF_8);
        if ((attr & NORMAL) != 0) {
            if (model == Model.SPM) return text.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
            return byteLevelDecode(text);
        }
        if ((attr & BYTE) != 0) {
            if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
                return new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
            }
            // Not spelled <0xXX>: llama.cpp would misread it; take the text for what it says instead.
            return model == Model.BPE ? byteLevelDecode(text) : text.getBytes(StandardCharsets.UTF_8);
        }
        return new byte[0]; // unused or undefined tokens render as nothing, as in llama.cpp
    }

    /** Maps each character back to its byte; characters outside the map become llama.cpp's UNK_BYTE marker. */
    private static byte[] byteLevelDecode(String text) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(text.length());
        text.codePoints().forEach(cp -> {
            int b = ByteLevel.byteOf(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder marker = new StringBuilder("[UNK_BYTE_0x");
                for (byte u : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    marker.append(String.format("%02x", u & 0xFF));
                }
                marker.append(text).append(']');
                out.writeBytes(marker.toString().getBytes(StandardCharsets.UTF_8));
            }
        });
        return out.toByteArray();
    }

    /** A piece of input: either text to tokenize ({@code token == NONE}) or a special token cut out of it. */
    record Fragment(int token, int offset, int length) {
        boolean isToken() { return token != NONE; }
    }

    /**
     * Cuts special tokens out of {@code text} (llama.cpp's tokenizer_st_partition): longest token text first,
     * every occurrence, left to right. User-defined tokens are always cut out; control and unknown tokens only
     * when {@code parseSpecial}. Tokens marked lstrip/rstrip swallow adjacent ASCII white space.
     */
    List<Fragment> partition(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) return fragments;
        fragments.add(new Fragment(NONE, 0, text.length()));
        for (int id : specialTokens) {
            int attr = attrs[id];
            if (!parseSpecial && (attr & (CONTROL | UNKNOWN)) != 0) continue;
            String special = texts[id];
            if (text.indexOf(special) < 0) continue; // cheap test before rebuilding the list
            List<Fragment> next = new ArrayList<>(fragments.size() + 4);
            for (Fragment f : fragments) {
                if (f.isToken()) {
                    next.add(f);
                } else {
                    cut(text, f, id, special, attr, next);
                }
            }
            fragments = next;
        }
        return fragments;
    }

    private static void cut(String text, Fragment f, int id, String special, int attr, List<Fragment> out) {
        int base = f.offset();
        int len = f.length();
        while (true) {
            int match = text.indexOf(special, base);
            if (match < 0 || match + special.length() > base + len) {
                if (len > 0) out.add(new Fragment(NONE, base, len));
                return;
            }
            int leftLen = match - base;
            if ((attr & LSTRIP) != 0) {
                while (leftLen > 0 && isCSpace(text.charAt(base + leftLen - 1))) leftLen--;
            }
            if (leftLen > 0) out.add(new Fragment(NONE, base, leftLen));
            out.add(new Fragment(id, match, special.length()));
            int rightOff = match + special.length();
            int rightLen = base + len - rightOff;
            if (rightLen <= 0) return;
            if ((attr & RSTRIP) != 0) {
                while (rightLen > 0 && isCSpace(text.charAt(rightOff))) {
                    rightOff++;
                    rightLen--;
                }
            }
            base = rightOff;
            len = rightLen;
        }
    }

    /** C's isspace in the "C" locale. */
    private static boolean isCSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static float[] readScores(GgufFile f, int n) {
        if (!f.has(KEY + "scores")) return new float[n];
        GgufArray a = f.getArray(KEY + "scores");
        float[] out = new float[n];
        if (a.length() < n) {
            throw new GgufFormatException(f.source() + ": " + KEY + "scores has " + a.length() + " entries for " + n
                    + " tokens");
        }
        if (a.values() instanceof float[] v) {
            System.arraycopy(v, 0, out, 0, n);
        } else if (a.values() instanceof long[] v) {
            for (int i = 0; i < n; i++) out[i] = v[i];
        } else {
            throw new GgufFormatException(f.source() + ": " + KEY + "scores must be float32 or int32, found " + a);
        }
        return out;
    }

    private static int[] readAttributes(GgufFile f, int n) {
        int[] out = new int[n];
        if (!f.has(KEY + "token_type")) {
            Arrays.fill(out, NORMAL);
            return out;
        }
        int[] types = f.getIntArray(KEY + "token_type");
        if (types.length < n) {
            throw new GgufFormatException(f.source() + ": " + KEY + "token_type has " + types.length
                    + " entries for " + n + " tokens");
        }
        for (int i = 0; i < n; i++) {
            out[i] = switch (types[i]) { // llama_token_type -> llama_token_attr
                case 1 -> NORMAL;
                case 2 -> UNKNOWN;
                case 3 -> CONTROL;
                case 4 -> USER_DEFINED;
                case 5 -> UNUSED;
                case 6 -> BYTE;
                default -> UNDEFINED;
            };
        }
        return out;
    }

    /** A special token id from the file; absent or out-of-range values keep the default, as in llama.cpp. */
    private static int specialId(GgufFile f, String key, int defaultId, int n) {
        int id = defaultId >= n ? NONE : defaultId;
        if (!f.has(KEY + key)) return id;
        long v = f.getLong(KEY + key);
        return v >= 0 && v < n ? (int) v : id;
    }
}
