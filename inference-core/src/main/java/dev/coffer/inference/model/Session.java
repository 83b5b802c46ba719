package dev.coffer.inference.model;

import dev.coffer.inference.kernels.MatMul;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.kernels.RowReader;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.Tensor;
import dev.coffer.inference.tensor.TensorSource;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One sequence being generated: the KV cache, the activation buffers and the forward pass.
 *
 * <p>The arithmetic follows llama.cpp's CPU graph (no flash attention) so greedy outputs agree token for token:
 * RMSNorm sums squares in double; the KV cache is F16; the query is rounded to F16 before it meets the keys and
 * the attention weights before they meet the values (ggml converts the second operand of an F16 matmul);
 * softmax sums in double. Prompts are processed in micro-batches as matrix-matrix work. Weights are fetched from
 * the {@link TensorSource} layer by layer on every step, so a source that restores weights while compute runs
 * only makes compute wait for the tensor it needs next.
 *
 * <p>Not thread-safe: one caller drives a session.
 */
public final class Session {
    /** Tokens per prefill micro-batch (llama.cpp's n_ubatch plays the same role). */
    public static final int MICRO_BATCH = 32;
    /**
     * Tokens a prefill carries through one layer before moving to the next (a multiple of {@link #MICRO_BATCH}). A
     * restoring weight source hands out layer N+1 only once it is decrypted: going layer by layer over the whole
     * prompt lets all of its compute overlap restoration, where micro-batch by micro-batch the first one would wait
     * for every layer and the others would run only after restoration. Each micro-batch meets the same inputs and
     * cache in either order, so the results are bit-identical.
     */
    public static final int LAYER_SPAN = 512;

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final LlamaModel model;
    private final LlamaConfig c;
    private final TensorSource w;
    private final Parallel pool;
    private final MatMul matmul;
    private final int contextLength;
    // Per layer [ctx][kvDim]. Values are F16 (llama.cpp's cache type) held as floats: exact, and loadable by
    // FloatVector without a conversion the Vector API does not offer; it doubles the cache's size.
    private final MemorySegment[] keyCache;
    private final MemorySegment[] valueCache;
    private final MemorySegment residual; // the residual stream of up to `span` tokens, layer-major prefill
    private final int span;
    private final MemorySegment xb, xb2, q, k, v, hb, hb2, logits;
    private final MemorySegment[] scores;     // per worker [ctx] floats
    private final float[] ropeCos, ropeSin;   // per position [ctx][ropeDims/2]
    private int position;
    private final BufferAllocator alloc;
    private MemorySegment batchLogits; // [MICRO_BATCH][vocab], made on the first batched decode this session leads

    Session(LlamaModel model, BufferAllocator alloc, Parallel pool, int contextLength) {
        this.model = model;
        this.alloc = alloc;
        this.c = model.config();
        this.w = model.weights();
        this.pool = pool;
        if (contextLength < 1 || contextLength > c.contextLength()) {
            throw new IllegalArgumentException("context length " + contextLength + " must be 1.." + c.contextLength()
                    + " (the model's training context)");
        }
        this.contextLength = contextLength;
        int mb = MICRO_BATCH;
        this.matmul = new MatMul(pool, alloc, mb, Math.max(c.dim(), c.ffnDim()));
        keyCache = new MemorySegment[c.layers()];
        valueCache = new MemorySegment[c.layers()];
        long cacheBytes = 4L * contextLength * c.kvDim();
        for (int l = 0; l < c.layers(); l++) {
            keyCache[l] = alloc.allocate(cacheBytes, "kv-cache");
            valueCache[l] = alloc.allocate(cacheBytes, "kv-cache");
        }
        span = Math.min(LAYER_SPAN, (contextLength + mb - 1) / mb * mb);
        residual = alloc.allocate(4L * span * c.dim(), "activations");
        xb = alloc.allocate(4L * mb * c.dim(), "activations");
        xb2 = alloc.allocate(4L * mb * c.dim(), "activations");
        q = alloc.allocate(4L * mb * c.dim(), "activations");
        k = alloc.allocate(4L * mb * c.kvDim(), "activations");
        v = alloc.allocate(4L * mb * c.kvDim(), "activations");
        hb = alloc.allocate(4L * mb * c.ffnDim(), "activations");
        hb2 = alloc.allocate(4L * mb * c.ffnDim(), "activations");
        logits = alloc.allocate(4L * c.vocabSize(), "logits");
        scores = new MemorySegment[pool.threads()];
        for (int i = 0; i < scores.length; i++) scores[i] = alloc.allocate(4L * (contextLength + 32), "attention-scores");
        int half = c.ropeDims() / 2;
        ropeCos = new float[contextLength * half];
        ropeSin = new float[contextLength * half];
        float thetaScale = (float) Math.pow(c.ropeBase(), -2.0 / c.ropeDims());
        for (int p = 0; p < contextLength; p++) {
            float theta = p;
            for (int i = 0; i < half; i++) {
                ropeCos[p * half + i] = (float) Math.cos(theta);
                ropeSin[p * half + i] = (float) Math.sin(theta);
                theta *= thetaScale;
            }
        }
    }

    public LlamaModel model() { return model; }

    /** Tokens in the cache so far. */
    public int position() { return position; }

    public int contextLength() { return contextLength; }

    /** Forgets the sequence (the cache is overwritten from position 0). */
    public void reset() { position = 0; }

    /** Processes {@code tokens} and returns the logits after the last one (a fresh array). */
    public float[] prefill(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("prefill needs at least one token");
        if (position + tokens.length > contextLength) {
            throw new ContextFullException(position, tokens.length, contextLength);
        }
        for (int t : tokens) {
            if (t < 0 || t >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + t + " outside the vocabulary 0.." + (c.vocabSize() - 1));
            }
        }
        for (int start = 0; start < tokens.length; start += span) {
            int n = Math.min(span, tokens.length - start);
            forward(tokens, start, n, start + n == tokens.length, tokens.length > 1);
        }
        float[] out = new float[c.vocabSize()];
        MemorySegment.copy(logits, F, 0, out, 0, out.length);
        return out;
    }

    /** Processes one token and returns the logits for the next. */
    public float[] decode(int token) {
        return prefill(new int[] {token});
    }

    /**
     * One decode step for several sessions of one model at once (continuous batching): every weight matrix is read
     * once for all of them, while each keeps its own position, KV cache and attention. Returns each session's logits,
     * bit-identical to what {@link #decode} would give it alone (rows of a matrix product do not depend on each other
     * here; attention runs per session as for a single token). At most {@link #MICRO_BATCH} sessions, all distinct.
     */
    public static List<float[]> decodeBatch(List<Session> sessions, int[] tokens) {
        int n = sessions.size();
        if (n != tokens.length) throw new IllegalArgumentException(n + " sessions but " + tokens.length + " tokens");
        if (n == 0 || n > MICRO_BATCH) throw new IllegalArgumentException("a decode batch has 1.." + MICRO_BATCH + " sessions, not " + n);
        if (n == 1) return List.of(sessions.getFirst().decode(tokens[0]));
        Session lead = sessions.getFirst();
        LlamaConfig c = lead.c;
        java.util.Set<Session> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < n; i++) {
            Session s = sessions.get(i);
            if (s.model != lead.model || s.pool != lead.pool) throw new IllegalArgumentException("a decode batch shares one model and pool");
            if (!distinct.add(s)) throw new IllegalArgumentException("a session appears twice in one decode batch");
            if (s.position + 1 > s.contextLength) throw new ContextFullException(s.position, 1, s.contextLength);
            if (tokens[i] < 0 || tokens[i] >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[i] + " outside the vocabulary 0.." + (c.vocabSize() - 1));
            }
        }
        int dim = c.dim();
        Tensor embd = lead.w.tensor("token_embd.weight");
        for (int i = 0; i < n; i++) RowReader.read(embd, tokens[i], lead.residual, 4L * i * dim);
        for (int l = 0; l < c.layers(); l++) {
            lead.batchLayer(l, sessions);
            lead.w.layerDone(l);
        }
        for (Session s : sessions) s.position++;
        if (lead.batchLogits == null) lead.batchLogits = lead.alloc.allocate(4L * MICRO_BATCH * c.vocabSize(), "logits");
        lead.rmsNorm(lead.residual, lead.xb, n, lead.w.tensor("output_norm.weight"));
        lead.matmul.multiply(lead.w.tensor(lead.model.outputTensorName()), lead.xb, n, lead.batchLogits);
        List<float[]> out = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] row = new float[c.vocabSize()];
            MemorySegment.copy(lead.batchLogits, F, 4L * i * c.vocabSize(), row, 0, row.length);
            out.add(row);
        }
        return out;
    }

    /** Layer {@code l} for a decode batch whose residual rows are this session's: the matrix products once for all,
     *  rotary embedding, cache and attention in each member session with its own position. */
    private void batchLayer(int l, List<Session> members) {
        int n = members.size();
        int dim = c.dim();
        int kvDim = c.kvDim();
        String p = "blk." + l + ".";
        MemorySegment x = residual.asSlice(0, 4L * n * dim);
        projectQkv(p, x, n);
        for (int i = 0; i < n; i++) {
            Session m = members.get(i);
            MemorySegment.copy(q, 4L * i * dim, m.q, 0, 4L * dim);
            MemorySegment.copy(k, 4L * i * kvDim, m.k, 0, 4L * kvDim);
            MemorySegment.copy(v, 4L * i * kvDim, m.v, 0, 4L * kvDim);
            m.rope(m.q, 1, c.heads());
            m.rope(m.k, 1, c.kvHeads());
            m.storeKv(l, 1);
            m.attention(l, 1, false);
            MemorySegment.copy(m.xb, 0, xb, 4L * i * dim, 4L * dim);
        }
        outputAndFeedForward(p, x, n);
    }

    /** {@code count} tokens from {@code start}: embedded, then through each layer in micro-batches, layer by layer. */
    private void forward(int[] tokens, int start, int count, boolean wantLogits, boolean batched) {
        int dim = c.dim();
        Tensor embd = w.tensor("token_embd.weight");
        for (int t = 0; t < count; t++) RowReader.read(embd, tokens[start + t], residual, 4L * t * dim);
        int base = position;
        try {
            for (int l = 0; l < c.layers(); l++) {
                for (int mb = 0; mb < count; mb += MICRO_BATCH) {
                    int n = Math.min(MICRO_BATCH, count - mb);
                    position = base + mb; // where this micro-batch's keys and values go, and what its queries see
                    layer(l, residual.asSlice(4L * mb * dim, 4L * n * dim), n, batched);
                }
                w.layerDone(l);
            }
        } finally {
            position = base; // a failed step (e.g. a weight that failed authentication) adds nothing to the cache
        }
        position = base + count;
        if (wantLogits) {
            MemorySegment last = residual.asSlice(4L * (count - 1) * dim, 4L * dim);
            rmsNorm(last, xb, 1, w.tensor("output_norm.weight"));
            matmul.multiply(w.tensor(model.outputTensorName()), xb, 1, logits);
        }
    }

    /** Layer {@code l} for the {@code n} tokens of one micro-batch whose residual stream is {@code x}. */
    private void layer(int l, MemorySegment x, int n, boolean batched) {
        String p = "blk." + l + ".";
        projectQkv(p, x, n);
        rope(q, n, c.heads());
        rope(k, n, c.kvHeads());
        storeKv(l, n);
        attention(l, n, batched);
        outputAndFeedForward(p, x, n);
    }

    /** The attention norm and the query, key and value projections of {@code n} rows into q, k, v. */
    private void projectQkv(String p, MemorySegment x, int n) {
        rmsNorm(x, xb, n, w.tensor(p + "attn_norm.weight"));
        matmul.multiply(w.tensor(p + "attn_q.weight"), xb, n, q);
        matmul.multiply(w.tensor(p + "attn_k.weight"), xb, n, k);
        matmul.multiply(w.tensor(p + "attn_v.weight"), xb, n, v);
    }

    /** The attention output (in xb) projected and added to the residual, then the SwiGLU feed-forward block. */
    private void outputAndFeedForward(String p, MemorySegment x, int n) {
        int dim = c.dim();
        matmul.multiply(w.tensor(p + "attn_output.weight"), xb, n, xb2);
        addInPlace(x, xb2, n * dim);
        rmsNorm(x, xb, n, w.tensor(p + "ffn_norm.weight"));
        matmul.multiply(w.tensor(p + "ffn_gate.weight"), xb, n, hb);
        matmul.multiply(w.tensor(p + "ffn_up.weight"), xb, n, hb2);
        swiglu(n);
        matmul.multiply(w.tensor(p + "ffn_down.weight"), hb, n, xb2);
        addInPlace(x, xb2, n * dim);
    }

    /** ggml_rms_norm (sum of squares in double, scale in float) followed by the weight multiply. */
    private void rmsNorm(MemorySegment in, MemorySegment out, int n, Tensor weight) {
        int dim = c.dim();
        MemorySegment wd = weight.data();
        if (weight.type() != dev.coffer.inference.gguf.GgmlType.F32) {
            throw new UnsupportedModelException("norm weight " + weight.name() + " must be F32, is " + weight.type());
        }
        for (int t = 0; t < n; t++) {
            long o = 4L * t * dim;
            double sum = 0;
            for (int i = 0; i < dim; i++) {
                float v = in.get(F, o + 4L * i);
                sum += (double) (v * v);
            }
            float mean = (float) (sum / dim);
            float scale = 1.0f / (float) Math.sqrt(mean + c.rmsEps());
            for (int i = 0; i < dim; i++) {
                out.set(F, o + 4L * i, (in.get(F, o + 4L * i) * scale) * wd.get(F, 4L * i));
            }
        }
    }

    private void rope(MemorySegment buf, int n, int heads) {
        int hd = c.headDim();
        int half = c.ropeDims() / 2;
        int width = heads * hd;
        for (int t = 0; t < n; t++) {
            int pos = position + t;
            for (int h = 0; h < heads; h++) {
                long base = 4L * (t * width + h * hd);
                for (int i = 0; i < half; i++) {
                    float cos = ropeCos[pos * half + i];
                    float sin = ropeSin[pos * half + i];
                    long o0;
                    long o1;
                    if (c.ropeType() == RopeType.NORMAL) {
                        o0 = base + 8L * i;
                        o1 = o0 + 4;
                    } else {
                        o0 = base + 4L * i;
                        o1 = base + 4L * (i + c.ropeDims() / 2);
                    }
                    float x0 = buf.get(F, o0);
                    float x1 = buf.get(F, o1);
                    // ggml is compiled with FMA contraction: the first product of each line is fused
                    buf.set(F, o0, Math.fma(x0, cos, -(x1 * sin)));
                    buf.set(F, o1, Math.fma(x0, sin, x1 * cos));
                }
            }
        }
    }

    private void storeKv(int layer, int n) {
        int kvDim = c.kvDim();
        for (int t = 0; t < n; t++) {
            long dst = 4L * (position + t) * kvDim;
            for (int i = 0; i < kvDim; i++) {
                keyCache[layer].set(F, dst + 4L * i, Float.float16ToFloat(Float.floatToFloat16(k.get(F, 4L * (t * kvDim + i)))));
                valueCache[layer].set(F, dst + 4L * i, Float.float16ToFloat(Float.floatToFloat16(v.get(F, 4L * (t * kvDim + i)))));
            }
        }
    }

    /**
     * Causal grouped-query attention for the n new tokens; writes the concatenated heads to xb.
     *
     * <p>Follows llama.cpp's CPU graph without flash attention operation by operation. {@code batched} says
     * whether llama.cpp would see more than one token in this step: it then multiplies through tinyBLAS (one
     * 8-lane accumulator, {@link GgmlMath#hsum8}), otherwise through {@code ggml_vec_dot_f16} (four 8-lane
     * accumulators, the remainder in double). Softmax uses ggml's vectorised exp in groups of 8 and sums in
     * double; the KV cache is zero beyond the sequence, as llama.cpp's padded cache view is.
     */
    private void attention(int layer, int n, boolean batched) {
        int hd = c.headDim();
        int heads = c.heads();
        int group = heads / c.kvHeads();
        int kvDim = c.kvDim();
        float scale = (float) (1.0 / Math.sqrt(hd));
        MemorySegment kc = keyCache[layer];
        MemorySegment vc = valueCache[layer];
        boolean tinyKq = batched && hd % 8 == 0;
        int lanes = batched ? 8 : 32; // accumulators per output in KQ.V: tinyBLAS 8, ggml_vec_dot_f16 4 x 8
        pool.forParts(n * heads, (part, start, end) -> {
            MemorySegment att = scores[part];
            float[] qh = new float[hd];
            float[] acc = new float[lanes * hd];
            for (int job = start; job < end; job++) {
                int t = job / heads;
                int h = job % heads;
                int kvh = h / group;
                int len = position + t + 1;
                long qo = 4L * (t * c.dim() + h * hd);
                for (int i = 0; i < hd; i++) qh[i] = Float.float16ToFloat(Float.floatToFloat16(q.get(F, qo + 4L * i)));
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    long ko = 4L * (j * kvDim + kvh * hd);
                    float s = (tinyKq ? tinyDot(kc, ko, qh, hd) : vecDotF16(kc, ko, qh, hd)) * scale;
                    att.set(F, 4L * j, s);
                    max = Math.max(max, s);
                }
                double sum = 0;
                float[] group8 = new float[8];
                for (int g = 0; g < len; g += 8) {
                    for (int l = 0; l < 8; l++) {
                        int j = g + l;
                        group8[l] = j < len ? GgmlMath.vexpf(att.get(F, 4L * j) - max) : 0f;
                        if (j < len) att.set(F, 4L * j, group8[l]);
                    }
                    sum += (double) GgmlMath.hsum8(group8, 0);
                }
                float inv = (float) (1.0 / sum);
                for (int j = 0; j < len; j++) {
                    att.set(F, 4L * j, Float.float16ToFloat(Float.floatToFloat16(att.get(F, 4L * j) * inv)));
                }
                weightedValues(vc, att, len, kvh, lanes, acc, xb, 4L * (t * c.dim() + h * hd));
            }
        });
    }

    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    /**
     * out[d] = sum_j p[j] * V[j][d] in llama.cpp's order: position j feeds accumulator {@code j % lanes} of its
     * output (tinyBLAS: 8, ggml_vec_dot_f16: 32), the accumulators are then reduced in their fixed tree.
     * Vectorised across d, which leaves every output's own sequence of operations unchanged.
     */
    private void weightedValues(MemorySegment vc, MemorySegment p, int len, int kvh, int lanes, float[] acc,
                                MemorySegment out, long outOff) {
        int hd = c.headDim();
        int kvDim = c.kvDim();
        java.util.Arrays.fill(acc, 0f);
        int vecEnd = hd & ~7;
        for (int j = 0; j < len; j++) {
            float pj = p.get(F, 4L * j);
            int base = (j % lanes) * hd;
            long vo = 4L * (j * kvDim + kvh * hd);
            FloatVector pv = FloatVector.broadcast(F8, pj);
            int d = 0;
            for (; d < vecEnd; d += 8) {
                FloatVector.fromMemorySegment(F8, vc, vo + 4L * d, java.nio.ByteOrder.LITTLE_ENDIAN)
                        .fma(pv, FloatVector.fromArray(F8, acc, base + d)).intoArray(acc, base + d);
            }
            for (; d < hd; d++) acc[base + d] = Math.fma(vc.get(F, vo + 4L * d), pj, acc[base + d]);
        }
        for (int d = 0; d < hd; d++) {
            float o;
            if (lanes == 8) {
                o = ((acc[d] + acc[4 * hd + d]) + (acc[2 * hd + d] + acc[6 * hd + d]))
                        + ((acc[hd + d] + acc[5 * hd + d]) + (acc[3 * hd + d] + acc[7 * hd + d]));
            } else {
                float[] x = new float[8];
                for (int l = 0; l < 8; l++) {
                    x[l] = (acc[l * hd + d] + acc[(16 + l) * hd + d]) + (acc[(8 + l) * hd + d] + acc[(24 + l) * hd + d]);
                }
                o = ((x[0] + x[4]) + (x[1] + x[5])) + ((x[2] + x[6]) + (x[3] + x[7]));
            }
            out.set(F, outOff + 4L * d, o);
        }
    }

    /** tinyBLAS's F16 dot: one 8-lane accumulator over chunks of 8 (n % 8 == 0), then its hsum. */
    private static float tinyDot(MemorySegment k, long ko, float[] q, int n) {
        FloatVector a = FloatVector.zero(F8);
        for (int i = 0; i < n; i += 8) {
            a = FloatVector.fromMemorySegment(F8, k, ko + 4L * i, java.nio.ByteOrder.LITTLE_ENDIAN)
                    .fma(FloatVector.fromArray(F8, q, i), a);
        }
        float[] t = new float[8];
        a.intoArray(t, 0);
        return GgmlMath.hsum8(t, 0);
    }

    /** ggml_vec_dot_f16 on AVX2: four 8-lane accumulators over steps of 32, the rest added in double. */
    private static float vecDotF16(MemorySegment k, long ko, float[] q, int n) {
        int np = n & ~31;
        double sum = 0;
        if (np > 0) {
            FloatVector s0 = FloatVector.zero(F8), s1 = FloatVector.zero(F8);
            FloatVector s2 = FloatVector.zero(F8), s3 = FloatVector.zero(F8);
            java.nio.ByteOrder le = java.nio.ByteOrder.LITTLE_ENDIAN;
            for (int i = 0; i < np; i += 32) {
                s0 = FloatVector.fromMemorySegment(F8, k, ko + 4L * i, le).fma(FloatVector.fromArray(F8, q, i), s0);
                s1 = FloatVector.fromMemorySegment(F8, k, ko + 4L * (i + 8), le).fma(FloatVector.fromArray(F8, q, i + 8), s1);
                s2 = FloatVector.fromMemorySegment(F8, k, ko + 4L * (i + 16), le).fma(FloatVector.fromArray(F8, q, i + 16), s2);
                s3 = FloatVector.fromMemorySegment(F8, k, ko + 4L * (i + 24), le).fma(FloatVector.fromArray(F8, q, i + 24), s3);
            }
            float[] x = new float[8];
            s0.add(s2).add(s1.add(s3)).intoArray(x, 0);
            sum = ((x[0] + x[4]) + (x[1] + x[5])) + ((x[2] + x[6]) + (x[3] + x[7]));
        }
        for (int i = np; i < n; i++) sum += (double) (k.get(F, ko + 4L * i) * q[i]);
        return (float) sum;
    }

    private static void addInPlace(MemorySegment dst, MemorySegment src, int count) {
        for (int i = 0; i < count; i++) dst.set(F, 4L * i, dst.get(F, 4L * i) + src.get(F, 4L * i));
    }

    /** silu(gate) * up per row, as ggml_vec_swiglu_f32: vectorised silu for groups of 8, libm for the rest. */
    private void swiglu(int n) {
        int ffn = c.ffnDim();
        for (int t = 0; t < n; t++) {
            long row = 4L * t * ffn;
            int vectorEnd = ffn & ~7;
            for (int i = 0; i < ffn; i++) {
                float g = hb.get(F, row + 4L * i);
                float silu = i < vectorEnd ? GgmlMath.vsilu(g) : GgmlMath.silu(g);
                hb.set(F, row + 4L * i, silu * hb2.get(F, row + 4L * i));
            }
        }
    }
}
