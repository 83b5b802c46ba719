package dev.coffer.inference.model;

/**
 * Scalar functions with the exact float semantics of ggml's x86 (AVX2 + FMA) CPU code, so that the values
 * feeding the next quantization step are llama.cpp's bits and its greedy choices are reproduced token for token.
 * Each vector routine of ggml is emulated lane by lane: every lane of {@code ggml_v_expf} is an independent
 * sequence of fused multiply-adds and bit operations, which {@link Math#fma} reproduces exactly.
 *
 * <p>Written here rather than taken from a library because the point is to match one particular approximation
 * (ggml's, adapted from Arm's optimized routines, max error 1.45 ulp + 0.5), not to compute exp well.
 */
final class GgmlMath {
    private GgmlMath() {}

    /** One lane of ggml's AVX2 {@code ggml_v_expf}. */
    static float vexpf(float x) {
        final float r = 0x1.8p23f;
        float z = Math.fma(x, 0x1.715476p+0f, r);
        float n = z - r;
        float b = Math.fma(-n, 0x1.7f7d1cp-20f, Math.fma(-n, 0x1.62e4p-1f, x));
        int e = Float.floatToRawIntBits(z) << 23;
        float k = Float.intBitsToFloat(e + Float.floatToRawIntBits(1f));
        float u = b * b;
        float j = Math.fma(Math.fma(Math.fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                Math.fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u, 0x1.ffffecp-1f * b);
        if (!(Math.abs(n) > 126)) return Math.fma(j, k, k);
        int g = n <= 0 ? 0x82000000 : 0;
        float s1 = Float.intBitsToFloat(g + 0x7f000000);
        if (Math.abs(n) > 192) return s1 * s1;
        float s2 = Float.intBitsToFloat(e - g);
        return Math.fma(s2, j, s2) * s1;
    }

    /** One lane of ggml's AVX2 {@code ggml_v_silu}: {@code x / (1 + v_expf(-x))}. */
    static float vsilu(float x) {
        return x / (1f + vexpf(0f - x));
    }

    /** ggml's scalar {@code ggml_silu_f32} (libm expf), used for the elements after the last full group of 8. */
    static float silu(float x) {
        return x / (1.0f + (float) Math.exp(-x));
    }

    /** ggml's {@code hsum_float_8} / tinyBLAS {@code hsum} order over 8 lanes starting at {@code a[o]}. */
    static float hsum8(float[] a, int o) {
        return ((a[o] + a[o + 4]) + (a[o + 2] + a[o + 6])) + ((a[o + 1] + a[o + 5]) + (a[o + 3] + a[o + 7]));
    }
}
