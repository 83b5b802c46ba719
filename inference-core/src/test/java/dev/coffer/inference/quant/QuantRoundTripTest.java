package dev.coffer.inference.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Quantize then dequantize: error bounds per type, and the edge cases of the input policy. */
class QuantRoundTripTest {
    private static float[] gaussian(int n, double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * sigma);
        return x;
    }

    private static float[] roundTrip(GgmlType type, float[] x) {
        byte[] q = Quantizers.quantize(type, x);
        assertThat(q).hasSize((int) type.byteSize(x.length));
        return Dequantizers.dequantize(type, MemorySegment.ofArray(q), 0, x.length);
    }

    /** Root-mean-square error relative to the RMS of the input. */
    private static double relativeRmse(float[] x, float[] y) {
        double err = 0;
        double ref = 0;
        for (int i = 0; i < x.length; i++) {
            err += (x[i] - y[i]) * (double) (x[i] - y[i]);
            ref += x[i] * (double) x[i];
        }
        return Math.sqrt(err / ref);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q6_K", "Q5_0", "Q4_K", "Q4_0"})
    void gaussianWeightsComeBackWithinTheTypesPrecision(GgmlType type) {
        float[] x = gaussian(256 * 64, 0.02, 7);
        float[] y = roundTrip(type, x);
        // Typical relative RMS errors for N(0, s) weights; bounds leave about 1.5x headroom.
        double bound = switch (type) {
            case F32 -> 0;
            case F16 -> 1e-3;
            case BF16 -> 5e-3;
            case Q8_0 -> 0.01;
            case Q6_K -> 0.02;
            case Q5_0 -> 0.06;
            case Q4_K -> 0.1;
            case Q4_0 -> 0.13;
            default -> throw new AssertionError(type);
        };
        assertThat(relativeRmse(x, y)).as(type.toString()).isLessThanOrEqualTo(bound);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q5_0"})
    void blockErrorIsBoundedByTheStep(GgmlType type) {
        float[] x = gaussian(32 * 100, 1.0, 11);
        float[] y = roundTrip(type, x);
        int levels = switch (type) { case Q8_0 -> 127; case Q5_0 -> 16; default -> 8; };
        for (int b = 0; b < 100; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
            float step = amax / levels;
            // Q8_0 is symmetric: half a step. Q4_0/Q5_0 map the extreme value to -8 (-16) steps, so the other
            // sign reaches only 7 (15) steps and clamps: up to one step. Plus the F16 rounding of the scale.
            float bound = (type == GgmlType.Q8_0 ? 0.5f : 1.0f) * step + amax * 1e-3f;
            for (int j = 0; j < 32; j++) {
                assertThat(Math.abs(x[32 * b + j] - y[32 * b + j])).isLessThanOrEqualTo(bound);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "Q8_0", "Q6_K", "Q5_0", "Q4_K", "Q4_0"})
    void allZeroBlocksStayZero(GgmlType type) {
        float[] y = roundTrip(type, new float[512]);
        for (float v : y) assertThat(v).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q6_K", "Q5_0", "Q4_K", "Q4_0"})
    void tinyValuesWhoseScaleUnderflowsComeBackAsNearZero(GgmlType type) {
        float[] x = gaussian(512, 1e-12, 3);
        float[] y = roundTrip(type, x);
        for (int i = 0; i < x.length; i++) {
            assertThat(y[i]).isFinite();
            assertThat(Math.abs(y[i] - x[i])).isLessThanOrEqualTo(1e-10f);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q6_K", "Q5_0", "Q4_K", "Q4_0"})
    void largeValuesWithinTheF16ScaleRangeRoundTrip(GgmlType type) {
        float[] x = gaussian(512, 1000, 5);
        float[] y = roundTrip(type, x);
        assertThat(relativeRmse(x, y)).isLessThan(0.15);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "Q8_0", "Q6_K", "Q5_0", "Q4_K", "Q4_0"})
    void valuesWhoseScaleOverflowsF16AreRejected(GgmlType type) {
        float[] x = new float[256];
        x[3] = 1e30f;
        assertThatThrownBy(() -> Quantizers.quantize(type, x))
                .isInstanceOf(QuantizationException.class).hasMessageContaining("beyond what");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "Q8_0", "Q6_K", "Q5_0", "Q4_K", "Q4_0"})
    void nanAndInfinityAreRejectedWithTheirPosition(GgmlType type) {
        float[] x = new float[256];
        x[17] = Float.NaN;
        assertThatThrownBy(() -> Quantizers.quantize(type, x))
                .isInstanceOf(QuantizationException.class).hasMessageContaining("element 17 is NaN");
        x[17] = 0;
        x[200] = Float.NEGATIVE_INFINITY;
        assertThatThrownBy(() -> Quantizers.quantize(type, x))
                .isInstanceOf(QuantizationException.class).hasMessageContaining("element 200 is -Infinity");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_K", "Q6_K"})
    void partialBlocksAndUnsupportedTypesAreRejected(GgmlType type) {
        assertThatThrownBy(() -> Quantizers.quantize(type, new float[type.blockSize() + 1]))
                .isInstanceOf(QuantizationException.class).hasMessageContaining("whole number");
        assertThatThrownBy(() -> Quantizers.quantize(GgmlType.Q2_K, new float[256]))
                .isInstanceOf(QuantizationException.class).hasMessageContaining("unsupported");
        assertThatThrownBy(() -> Dequantizers.dequantize(GgmlType.Q4_1, MemorySegment.ofArray(new byte[20]), 0, 32))
                .isInstanceOf(QuantizationException.class).hasMessageContaining("unsupported");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "Q8_0", "Q4_K"})
    void dequantizeReadsFromAnOffsetAndQuantizeWritesToOne(GgmlType type) {
        float[] x = gaussian(256, 0.5, 9);
        byte[] alone = Quantizers.quantize(type, x);
        byte[] shifted = new byte[alone.length + 10];
        float[] src = new float[256 + 3];
        System.arraycopy(x, 0, src, 3, 256);
        Quantizers.quantize(type, src, 3, 256, shifted, 10);
        assertThat(java.util.Arrays.copyOfRange(shifted, 10, shifted.length)).isEqualTo(alone);
        float[] out = new float[256 + 5];
        Dequantizers.dequantize(type, MemorySegment.ofArray(shifted), 10, out, 5, 256);
        assertThat(java.util.Arrays.copyOfRange(out, 5, out.length))
                .isEqualTo(Dequantizers.dequantize(type, MemorySegment.ofArray(alone), 0, 256));
    }
}
