package dev.coffer.bench;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.TokenIdPrompt;
import dev.coffer.inference.gguf.GgufFile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * llama.cpp through java-llama.cpp 4.2.0 (de.kherud, llama.cpp b4916, bundled CPU library): the correctness peer.
 *
 * <p>How it tokenizes: {@link LlamaModel#encode} never adds BOS (llama.cpp {@code add_special=false,
 * parse_special=true}); a completion from a text prompt tokenizes with {@code add_special=true}, so it gets BOS
 * when the vocabulary asks for it ({@code tokenizer.ggml.add_bos_token}, default true for SentencePiece).
 * {@link #completionTokens} reproduces that. {@link #greedy} instead feeds ids directly (see {@link TokenIdPrompt}),
 * which is how Coffer and llama.cpp get the very same input.
 *
 * <p>Not thread-safe. The library starts a non-daemon native thread: processes using it end with System.exit.
 */
public final class JavaLlamaPeer implements AutoCloseable {
    private final LlamaModel model;
    private final PieceTable pieces;
    private final int bos;
    private final boolean addBos;

    private JavaLlamaPeer(LlamaModel model, GgufFile gguf) {
        this.model = model;
        int vocab = gguf.getStringArray("tokenizer.ggml.tokens").length;
        this.pieces = new PieceTable(vocab, id -> model.decode(new int[] {id}), gguf);
        this.bos = gguf.findInt("tokenizer.ggml.bos_token_id").orElse(1);
        this.addBos = gguf.findBoolean("tokenizer.ggml.add_bos_token")
                .orElse("llama".equals(gguf.findString("tokenizer.ggml.model").orElse("llama")));
    }

    /**
     * Loads a GGUF on the CPU with llama.cpp's logging silenced.
     *
     * @param contextLength KV cache size; prompt plus generated tokens must fit
     */
    public static JavaLlamaPeer open(Path gguf, int threads, int contextLength) {
        if (!Files.isRegularFile(gguf)) throw new PeerException("model " + gguf + " does not exist");
        quietNativeLoader();
        LlamaModel.setLogger(de.kherud.llama.args.LogFormat.TEXT, (level, message) -> { });
        ModelParameters params = new ModelParameters().setModel(gguf.toString()).setThreads(threads)
                .setThreadsBatch(threads).setCtxSize(contextLength).disableLog();
        try (GgufFile f = GgufFile.open(gguf)) {
            return new JavaLlamaPeer(new LlamaModel(params), f);
        } catch (IOException | RuntimeException e) { // LlamaException is not public
            throw new PeerException("java-llama.cpp could not load " + gguf + ": " + e.getMessage(), e);
        }
    }

    /** The ids llama.cpp evaluates for a text completion prompt: BOS (when the vocab adds it) + encode(text). */
    public int[] completionTokens(String text) {
        int[] body = model.encode(text);
        return addBos ? IntStream.concat(IntStream.of(bos), IntStream.of(body)).toArray() : body;
    }

    /**
     * Greedy continuation ({@code temperature 0, top_k 1}, no penalties, no prompt cache) of exactly these ids.
     * Stops after {@code n} tokens or after an end-of-generation token (which is included).
     */
    public PeerGeneration greedy(int[] prompt, int n) {
        InferenceParameters params = TokenIdPrompt.of(prompt).setNPredict(n).setTemperature(0f).setTopK(1)
                .setRepeatPenalty(1f).setCachePrompt(false);
        List<String> streamed = new ArrayList<>();
        Iterator<LlamaOutput> it = model.generate(params).iterator();
        while (it.hasNext()) {
            LlamaOutput out = it.next();
            // The last output closes the stream and carries no token of its own.
            if (it.hasNext()) streamed.add(out.text);
        }
        int[] ids = new int[streamed.size()];
        int inferred = 0;
        for (int i = 0; i < ids.length; i++) {
            PieceTable.Lookup l = pieces.lookup(streamed.get(i));
            ids[i] = l.id();
            if (l.inferred()) inferred++;
        }
        return new PeerGeneration(prompt, ids, streamed, inferred);
    }

    @Override
    public void close() {
        model.close();
    }

    // The library extracts its .so into java.io.tmpdir under a fixed name (and deletes it at exit) and announces that
    // on stdout. Give each JVM its own directory, and keep the announcement off stdout, where bench JSON goes.
    private static synchronized void quietNativeLoader() {
        if (System.getProperty("de.kherud.llama.tmpdir") == null) {
            try {
                Path parent = Files.createDirectories(BenchHome.cache().resolve("jllama"));
                Path dir = Files.createTempDirectory(parent, "jvm-");
                dir.toFile().deleteOnExit();
                System.setProperty("de.kherud.llama.tmpdir", dir.toString());
            } catch (IOException e) {
                throw new PeerException("cannot create a directory for java-llama.cpp's native library under "
                        + BenchHome.cache() + ": " + e.getMessage(), e);
            }
        }
        PrintStream stdout = System.out;
        System.setOut(System.err);
        try {
            Class.forName(LlamaModel.class.getName(), true, JavaLlamaPeer.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new PeerException("java-llama.cpp is not on the class path", e);
        } finally {
            System.setOut(stdout);
        }
    }
}
