package dev.coffer.inference.quant;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Checks {@link HalfFloats} against a transcription of ggml's portable bit-twiddling conversions (the FP16 library
 * algorithms behind {@code ggml_compute_fp16_to_fp32} / {@code ggml_compute_fp32_to_fp16}), on every half and on a
 * sweep of floats that covers every exponent, the rounding ties, subnormals, overflow and NaNs.
 */
class HalfFloatsTest {
    private static float ggmlHalfToFloat(short h) {
        int w = (h & 0xFFFF) << 16;
        int sign = w & 0x80000000;
        int twoW = w + w;
        float normalized = Float.intBitsToFloat((twoW >>> 4) + (0xE0 << 23)) * 0x1.0p-112f;
        float denormalized = Float.intBitsToFloat((twoW >>> 17) | (126 << 23)) - 0.5f;
        int bits = Integer.compareUnsigned(twoW, 1 << 27) < 0
                ? Float.floatToRawIntBits(denormalized) : Float.floatToRawIntBits(normalized);
        return Float.intBitsToFloat(sign | bits);
    }

    private static short ggmlFloatToHalf(float f) {
        float base = (Math.abs(f) * 0x1.0p+112f) * 0x1.0p-110f;
        int w = Float.floatToRawIntBits(f);
        int shl1W = w + w;
        int sign = w & 0x80000000;
        int bias = shl1W & 0xFF000000;
        if (Integer.compareUnsigned(bias, 0x71000000) < 0) bias = 0x71000000;
        base = Float.intBitsToFloat((bias >>> 1) + 0x07800000) + base;
        int bits = Float.floatToRawIntBits(base);
        int expBits = (bits >>> 13) & 0x00007C00;
        int mantissaBits = bits & 0x00000FFF;
        int nonsign = expBits + mantissaBits;
        return (short) ((sign >>> 16) | (Integer.compareUnsigned(shl1W, 0xFF000000) > 0 ? 0x7E00 : nonsign));
    }

    @Test
    void everyHalfConvertsToTheSameFloatAsGgml() {
        for (int h = 0; h < 0x10000; h++) {
            float ours = HalfFloats.f16ToFloat((short) h);
            float ggml = ggmlHalfToFloat((short) h);
            assertThat(Float.floatToRawIntBits(ours)).as("half 0x%04x", h).isEqualTo(Float.floatToRawIntBits(ggml));
        }
    }

    @Test
    void floatsRoundToTheSameHalfAsGgml() {
        // every 4099th bit pattern (hits all exponents and many mantissas) plus ties and boundaries
        for (long u = 0; u <= 0xFFFF_FFFFL; u += 4099) assertSameHalf(Float.intBitsToFloat((int) u));
        for (int h = 0; h < 0x7C00; h++) { // the midpoints between neighbouring halves: round-to-even ties
            float lo = Float.float16ToFloat((short) h);
            float hi = Float.float16ToFloat((short) (h + 1));
            float mid = (lo + hi) / 2;
            assertSameHalf(mid);
            assertSameHalf(Math.nextUp(mid));
            assertSameHalf(Math.nextDown(mid));
            assertSameHalf(-mid);
        }
        for (float f : new float[] {0f, -0f, 65504f, 65519.99f, 65520f, 1e-8f, 2.98e-8f, 5.96e-8f, Float.MIN_VALUE,
            Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.intBitsToFloat(0x7F800001), Float.intBitsToFloat(0xFFC00001)}) {
            assertSameHalf(f);
        }
    }

    private static void assertSameHalf(float f) {
        assertThat(HalfFloats.floatToF16(f)).as("float %s (0x%08x)", f, Float.floatToRawIntBits(f))
                .isEqualTo(ggmlFloatToHalf(f));
    }

    @Test
    void bf16RoundsToNearestEvenAndQuietsNaN() {
        assertThat(HalfFloats.floatToBf16(1.0f)).isEqualTo((short) 0x3F80);
        // 1 + 2^-8 is a tie between 0x3F80 and 0x3F81: rounds to the even 0x3F80; a hair more rounds up
        assertThat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808000))).isEqualTo((short) 0x3F80);
        assertThat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808001))).isEqualTo((short) 0x3F81);
        assertThat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F818000))).isEqualTo((short) 0x3F82);
        assertThat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7F800001))).isEqualTo((short) 0x7FC0);
        assertThat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x00008000))).isEqualTo((short) 0x0000); // subnormal tie
        assertThat(HalfFloats.bf16ToFloat((short) 0xC040)).isEqualTo(-3.0f);
    }
}
