package dev.coffer.inference.kernels;

/**
 * Scalar number conversions with ggml's exact semantics (ggml-impl.h / ggml-cpu). Kept in one place because
 * matching llama.cpp token for token depends on rounding the same values the same way.
 */
public final class Numerics {
    private Numerics() {}

    public static float f16ToF32(short h) {
        return Float.float16ToFloat(h);
    }

    /** IEEE round-to-nearest-even, as the F16C instruction and ggml's scalar fallback do. */
    public static short f32ToF16(float f) {
        return Float.floatToFloat16(f);
    }

    public static float roundToF16(float f) {
        return Float.float16ToFloat(Float.floatToFloat16(f));
    }

    public static float bf16ToF32(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    /** ggml_compute_fp32_to_bf16: round to nearest even, NaN made quiet. */
    public static short f32ToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    public static float roundToBf16(float f) {
        return bf16ToF32(f32ToBf16(f));
    }
}
