package dev.coffer.attestation.fingerprint;

import dev.coffer.inference.Engine;
import dev.coffer.inference.chat.ChatTemplate;
import dev.coffer.inference.fingerprint.Fingerprinter;
import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.inference.model.LlamaModel;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.GgufTensorSource;
import dev.coffer.inference.tokenizer.Tokenizer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Records a model's reference fingerprints with Coffer's own engine (the model owner does this at pack time). */
public final class ReferenceRecorder {
    private ReferenceRecorder() {
    }

    public static ReferenceFingerprints record(Path gguf, List<String> probes, int maxTokens, int top, int threads)
            throws IOException {
        return withFingerprinter(gguf, threads, (file, f) -> new ReferenceFingerprints(new ReferenceFingerprints.Stack(
                Engine.NAME, Engine.version(), Engine.NUMERICS, dominantWeightType(file).name(),
                file.findString("general.name").orElse("model")), maxTokens, top, f.traceAll(probes, maxTokens, top)));
    }

    /** What runs with a model open and a {@link Fingerprinter} over it. */
    @FunctionalInterface
    interface FingerprintRun<T> {
        T run(GgufFile file, Fingerprinter fingerprinter) throws IOException;
    }

    /** Opens {@code gguf} with Coffer's engine the way the server runs it (its chat template, a 512-token context at
     *  most) and hands a {@link Fingerprinter} to {@code body}. */
    static <T> T withFingerprinter(Path gguf, int threads, FingerprintRun<T> body) throws IOException {
        try (GgufFile file = GgufFile.open(gguf); Arena arena = Arena.ofShared(); Parallel pool = new Parallel(threads)) {
            LlamaModel model = LlamaModel.load(file, new GgufTensorSource(file));
            int ctx = Math.min(512, model.config().contextLength());
            Fingerprinter f = new Fingerprinter(Tokenizer.fromGguf(file), ChatTemplate.detect(file.findString(
                    "tokenizer.chat_template")), model.newSession(BufferAllocator.of(arena), pool, ctx));
            return body.run(file, f);
        }
    }

    public static ReferenceFingerprints record(Path gguf, int threads) throws IOException {
        return record(gguf, Fingerprinter.DEFAULT_PROBES, Fingerprinter.DEFAULT_TOKENS, Fingerprinter.DEFAULT_TOP, threads);
    }

    /** The type of most of the layers' matrices: what "a Q4_0 model" means (embeddings and output are often kept
     *  wider, and a few matrices whose width does not fit the blocks stay F16). */
    static GgmlType dominantWeightType(GgufFile file) {
        Map<GgmlType, Long> count = new EnumMap<>(GgmlType.class);
        for (GgufTensorInfo t : file.tensors()) {
            if (t.dims() == 2 && t.name().startsWith("blk.")) count.merge(t.type(), 1L, Long::sum);
        }
        return count.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(GgmlType.F32);
    }
}
