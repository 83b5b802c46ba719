package dev.coffer.bench;

import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.model.LlamaModel;
import dev.coffer.inference.model.Session;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.GgufTensorSource;
import dev.coffer.inference.tokenizer.Tokenizer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/** Coffer's own engine driven the way the peers are driven: ids in, greedy ids or probabilities out, timings. */
public final class CofferEngine implements AutoCloseable {
    public static final String ENGINE_NAME = "coffer";

    private final GgufFile gguf;
    private final Arena arena;
    private final Parallel pool;
    private final Tokenizer tokenizer;
    private final Session session;

    private CofferEngine(GgufFile gguf, Arena arena, Parallel pool, int contextLength) {
        this.gguf = gguf;
        this.arena = arena;
        this.pool = pool;
        LlamaModel model = LlamaModel.load(gguf, new GgufTensorSource(gguf));
        this.tokenizer = Tokenizer.fromGguf(gguf);
        this.session = model.newSession(BufferAllocator.of(arena), pool, contextLength);
    }

    public static CofferEngine open(Path model, int threads, int contextLength) throws IOException {
        GgufFile f = GgufFile.open(model);
        Arena arena = Arena.ofShared();
        Parallel pool = new Parallel(threads);
        try {
            return new CofferEngine(f, arena, pool, contextLength);
        } catch (RuntimeException e) {
            pool.close();
            arena.close();
            f.close();
            throw e;
        }
    }

    public Tokenizer tokenizer() { return tokenizer; }

    /**
     * Greedy continuation (argmax, lowest id on ties) of exactly these ids in a fresh sequence; {@code n} tokens, or
     * fewer when {@code stopAtEndOfGeneration} and an end-of-generation token (included) comes first.
     */
    public int[] greedy(int[] prompt, int n, boolean stopAtEndOfGeneration) {
        session.reset();
        float[] logits = session.prefill(prompt);
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int next = argmax(logits);
            out.add(next);
            if (stopAtEndOfGeneration && tokenizer.isEndOfGeneration(next)) break;
            if (i + 1 < n) logits = session.decode(next);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Next-token probabilities after {@code prompt} in a fresh sequence: softmax over all logits. */
    public double[] nextProbabilities(int[] prompt) {
        session.reset();
        return softmax(session.prefill(prompt));
    }

    /** The {@code k} most probable next tokens after {@code prompt}, most probable first (lowest id on ties). */
    public List<TokenProbability> topNext(int[] prompt, int k) {
        double[] p = nextProbabilities(prompt);
        return IntStream.range(0, p.length).boxed()
                .sorted((a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b))
                .limit(k).map(id -> new TokenProbability(id, p[id])).toList();
    }

    /** Seconds for a prefill of {@code prompt} then {@code decode} greedy single-token steps, in a fresh sequence. */
    public Timing time(int[] prompt, int decode) {
        session.reset();
        long t0 = System.nanoTime();
        float[] logits = session.prefill(prompt);
        long t1 = System.nanoTime();
        int next = argmax(logits);
        for (int i = 0; i < decode; i++) next = argmax(session.decode(next));
        long t2 = System.nanoTime();
        return new Timing((t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    /** Wall-clock seconds of a prefill and of the decode steps after it. */
    public record Timing(double prefillSeconds, double decodeSeconds) {}

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp(logits[i] - max);
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    @Override
    public void close() {
        pool.close();
        arena.close();
        gguf.close();
    }
}
