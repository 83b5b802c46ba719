package dev.coffer.inference.tensor;

import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;

/** Weights read in place from a memory-mapped GGUF file (the plaintext path). */
public final class GgufTensorSource implements TensorSource {
    private final GgufFile file;

    public GgufTensorSource(GgufFile file) {
        this.file = file;
    }

    @Override
    public Tensor tensor(String name) {
        GgufTensorInfo info = file.tensorInfo(name).orElseThrow(() -> new MissingTensorException(
                file.source() + ": tensor '" + name + "' is missing"));
        return new Tensor(name, info.type(), info.shape(), file.tensorData(info));
    }

    @Override
    public boolean contains(String name) {
        return file.tensorInfo(name).isPresent();
    }
}
