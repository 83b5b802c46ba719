package dev.coffer.inference.kernels;

/**
 * The form activations take before they meet a weight row, as in ggml's {@code vec_dot_type}: quantized weight
 * types multiply int8 activations (Q8_0 blocks of 32 or Q8_K super-blocks of 256), half-precision weights
 * multiply activations rounded to the same half type, F32 weights multiply F32.
 */
enum ActivationFormat {
    F32, F16, BF16,
    /**
     * Q8_0 values stored in grouped order within each block of 32 (see {@link Activations#groupedPosition}), so
     * kernels can form llama.cpp's AVX2 integer lanes.
     */
    Q8_0_GROUPED,
    /** Q8_K values (scales per 256, sums per 16 in natural order), stored grouped within each 32. */
    Q8_K_GROUPED
}
