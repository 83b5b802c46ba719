package dev.coffer.inference.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.testing.SharedAssets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * llama.cpp's tokenizer test data ({@code models/ggml-vocab-X.gguf.inp/.out}, read as tests/test-tokenizer-0.cpp
 * reads them): inputs separated by the line {@code __ggml_vocab_test__} (the separator includes the newlines on
 * both sides, so the newline that ends the file's last separator belongs to no case), expected ids one line per
 * case, space separated, surrounding white space stripped.
 */
final class LlamaCppVocabCases {
    /** Every vocabulary whose expectations llama.cpp ships; some .gguf files are not in the shared assets. */
    static final List<String> VOCABS = List.of("llama-spm", "phi-3", "gpt-2", "starcoder", "falcon",
            "deepseek-coder", "deepseek-llm", "llama-bpe", "qwen2");
    /** Vocabularies whose .gguf is larger than the snapshot store carries (see ../shared/vocab/README.md). */
    static final Set<String> KNOWN_MISSING = Set.of("llama-bpe", "qwen2");

    private static final byte[] SEPARATOR = "\n__ggml_vocab_test__\n".getBytes(StandardCharsets.UTF_8);
    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    record Case(String vocab, int index, String input, int[] expected) {
        @Override
        public String toString() {
            return vocab + " #" + index + " " + printable(input);
        }
    }

    private LlamaCppVocabCases() {}

    static Path vocabDir() {
        return SharedAssets.sharedDir().resolve("vocab");
    }

    static Path gguf(String vocab) {
        return vocabDir().resolve("ggml-vocab-" + vocab + ".gguf");
    }

    /** The cases of one vocabulary, empty if its .inp/.out are absent. */
    static List<Case> cases(String vocab) {
        Path inp = vocabDir().resolve("ggml-vocab-" + vocab + ".gguf.inp");
        Path out = vocabDir().resolve("ggml-vocab-" + vocab + ".gguf.out");
        if (!Files.isRegularFile(inp) || !Files.isRegularFile(out)) return List.of();
        try {
            List<String> inputs = splitInputs(Files.readAllBytes(inp));
            List<String> outputs = Files.readAllLines(out, StandardCharsets.UTF_8);
            if (inputs.size() != outputs.size()) {
                throw new IllegalStateException(inp + ": " + inputs.size() + " inputs but " + outputs.size()
                        + " expected outputs");
            }
            List<Case> cases = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                String line = outputs.get(i).strip();
                int[] ids = line.isEmpty() ? new int[0]
                        : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
                cases.add(new Case(vocab, i, inputs.get(i), ids));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** test-tokenizer-0's read_tests: split at each separator; text after the last one, if any, is a case too. */
    static List<String> splitInputs(byte[] raw) {
        List<String> inputs = new ArrayList<>();
        int pos = 0;
        while (pos < raw.length) {
            int next = indexOf(raw, SEPARATOR, pos);
            if (next < 0) {
                inputs.add(new String(raw, pos, raw.length - pos, StandardCharsets.UTF_8));
                break;
            }
            inputs.add(new String(raw, pos, next - pos, StandardCharsets.UTF_8));
            pos = next + SEPARATOR.length;
        }
        return inputs;
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        return -1;
    }

    /**
     * The tokenizer of a vocabulary, loaded once per test run. A vocabulary the shared assets should have fails in CI
     * and skips elsewhere when absent ({@link SharedAssets#require}); a known-missing one always skips.
     */
    static Tokenizer tokenizer(String vocab) {
        if (KNOWN_MISSING.contains(vocab)) {
            assumeTrue(Files.isRegularFile(gguf(vocab)), "ggml-vocab-" + vocab + ".gguf is not in the shared assets "
                    + "(too large for the snapshot store); add it from llama.cpp's models/ folder to run its cases");
        } else {
            SharedAssets.require("vocab/ggml-vocab-" + vocab + ".gguf");
        }
        return LOADED.computeIfAbsent(vocab, v -> {
            try (GgufFile f = GgufFile.open(gguf(v))) {
                return Tokenizer.fromGguf(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static String printable(String s) {
        String p = s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        return "'" + (p.length() > 60 ? p.substring(0, 57) + "..." : p) + "'";
    }
}
