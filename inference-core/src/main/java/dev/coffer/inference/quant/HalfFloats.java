package dev.coffer.inference.quant;

/**
 * Conversions between float and the two 16-bit float formats of GGUF, bit-exact with ggml's reference
 * conversions ({@code ggml_compute_fp32_to_fp16} / {@code _fp16_to_fp32} / {@code _fp32_to_bf16} /
 * {@code _bf16_to_fp32}).
 *
 * <p>{@link Float#floatToFloat16} and {@link Float#float16ToFloat} round to nearest even and keep subnormals,
 * exactly as ggml does; they differ only on NaN payloads, which ggml canonicalises (F32 to F16: sign | 0x7E00) or
 * quiets (F16 to F32, as the F16C instruction does). Those two cases are handled here so every bit pattern
 * converts like ggml (the test checks all 65536 halves and a sweep of floats).
 */
public final class HalfFloats {
    private HalfFloats() {}

    private static final int QUIET_NAN_BIT = 0x0040_0000;

    /** IEEE binary16 bits to float, as ggml's {@code GGML_FP16_TO_FP32}. */
    public static float f16ToFloat(short h) {
        float f = Float.float16ToFloat(h);
        if (f != f) return Float.intBitsToFloat(Float.floatToRawIntBits(f) | QUIET_NAN_BIT);
        return f;
    }

    /** Float to IEEE binary16 bits, round to nearest even, as ggml's {@code GGML_FP32_TO_FP16}. */
    public static short floatToF16(float f) {
        if (f != f) return (short) (((Float.floatToRawIntBits(f) >>> 16) & 0x8000) | 0x7E00);
        return Float.floatToFloat16(f);
    }

    /** bfloat16 bits to float (the upper half of a float). */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** Float to bfloat16 bits, round to nearest even; NaNs are quieted, as ggml's {@code GGML_FP32_TO_BF16}. */
    public static short floatToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fff_ffff) > 0x7f80_0000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /** Whether a binary16 value is infinite or NaN. */
    static boolean f16IsNonFinite(short h) {
        return (h & 0x7C00) == 0x7C00;
    }
}
