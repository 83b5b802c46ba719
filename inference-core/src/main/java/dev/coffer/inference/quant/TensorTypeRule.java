package dev.coffer.inference.quant;

import dev.coffer.inference.gguf.GgmlType;

/**
 * Which type each tensor gets when a model is quantized to a target type (used by {@code coffer quantize} and
 * {@code coffer synth}). This is llama-quantize's {@code --pure} behaviour plus its fallback for rows that do not
 * fill whole blocks:
 * <ul>
 *   <li>1-D tensors (norms, biases) stay F32;</li>
 *   <li>every other tensor gets the target type, token embedding and output included;</li>
 *   <li>if the row length is not a multiple of the target's block size, the fallback is llama.cpp's
 *       (llama-quant.cpp): Q4_K to Q5_0, Q6_K to Q8_0; if that still does not divide (or the target was already a
 *       32-block type, where llama.cpp would give up) the tensor is stored as F16.</li>
 * </ul>
 * So a 64-wide model asked for Q6_K gets Q8_0 matrices, exactly like stories260K-q8_0-mix.gguf.
 */
public final class TensorTypeRule {
    private TensorTypeRule() {}

    /** Targets that {@code coffer quantize} and {@code coffer synth} accept. */
    public static boolean isTarget(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q5_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    public static GgmlType typeFor(GgmlType target, long[] shape) {
        if (shape.length < 2) return GgmlType.F32;
        long row = shape[0];
        if (row % target.blockSize() == 0) return target;
        GgmlType fallback = switch (target) {
            case Q4_K -> GgmlType.Q5_0;
            case Q6_K -> GgmlType.Q8_0;
            default -> GgmlType.F16;
        };
        return row % fallback.blockSize() == 0 ? fallback : GgmlType.F16;
    }

    /**
     * The {@code general.file_type} (llama_ftype) that describes a model quantized to {@code target}: the "mostly"
     * type. Q4_K maps to MOSTLY_Q4_K_S (14), the K-quant mix closest to all-Q4_K.
     */
    public static int llamaFileType(GgmlType target) {
        return switch (target) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q4_K -> 14;
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> throw new QuantizationException("no llama file type for target " + target);
        };
    }
}
