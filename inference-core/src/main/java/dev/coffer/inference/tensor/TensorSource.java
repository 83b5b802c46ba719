package dev.coffer.inference.tensor;

import java.util.Optional;

/**
 * Where the forward pass gets its weights. The plaintext implementation reads a memory-mapped GGUF; the secure
 * world's implementation hands out tensors restored into secret memory and may block in {@link #tensor} until
 * that tensor has been authenticated and decrypted (compute waits per tensor, not per model). The model
 * therefore asks for each weight when it needs it, in compute order, on every step.
 */
public interface TensorSource {
    /** The named tensor, waiting for it if it is still being restored. */
    Tensor tensor(String name);

    /** Whether the model has a tensor of that name (without waiting for its bytes). */
    boolean contains(String name);

    /**
     * The forward pass is done with layer {@code layer}'s weights for this step (every micro-batch of the prompt has
     * been through it). A source under a memory budget may now evict them and restore them again for the next step.
     */
    default void layerDone(int layer) {
    }

    default Optional<Tensor> find(String name) {
        return contains(name) ? Optional.of(tensor(name)) : Optional.empty();
    }
}
