package dev.coffer.inference.quant;

import dev.coffer.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Turns rows of stored weights back into floats, exactly as ggml's {@code dequantize_row_*} functions do (same
 * block layouts, same float operations in the same order, so the results are bit-identical). This is the reference
 * path used for tests, conversions and tools; the SIMD kernels never expand whole tensors.
 */
public final class Dequantizers {
    private Dequantizers() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Whether {@link #dequantize} handles the type. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Dequantizes {@code n} elements stored at {@code src[offset..]}; {@code n} is a multiple of the block size. */
    public static float[] dequantize(GgmlType type, MemorySegment src, long offset, int n) {
        float[] out = new float[n];
        dequantize(type, src, offset, out, 0, n);
        return out;
    }

    /** Dequantizes {@code n} elements stored at {@code src[offset..]} into {@code dst[dstOffset..]}. */
    public static void dequantize(GgmlType type, MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        if (!supports(type)) throw new QuantizationException("cannot dequantize " + type + ": unsupported type");
        if (n < 0 || n % type.blockSize() != 0) {
            throw new QuantizationException(type + ": " + n + " elements is not a whole number of "
                    + type.blockSize() + "-element blocks");
        }
        if (type == GgmlType.F32) {
            MemorySegment.copy(src, F32, offset, dst, dstOffset, n);
            return;
        }
        int bytes = Math.toIntExact(type.byteSize(n));
        byte[] b = new byte[bytes];
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset, b, 0, bytes);
        int nb = n / type.blockSize();
        switch (type) {
            case F16 -> { for (int i = 0; i < n; i++) dst[dstOffset + i] = HalfFloats.f16ToFloat(i16(b, 2 * i)); }
            case BF16 -> { for (int i = 0; i < n; i++) dst[dstOffset + i] = HalfFloats.bf16ToFloat(i16(b, 2 * i)); }
            case Q8_0 -> { for (int i = 0; i < nb; i++) q8_0(b, i * 34, dst, dstOffset + i * 32); }
            case Q4_0 -> { for (int i = 0; i < nb; i++) q4_0(b, i * 18, dst, dstOffset + i * 32); }
            case Q5_0 -> { for (int i = 0; i < nb; i++) q5_0(b, i * 22, dst, dstOffset + i * 32); }
            case Q4_K -> { for (int i = 0; i < nb; i++) q4_K(b, i * 144, dst, dstOffset + i * 256); }
            case Q6_K -> { for (int i = 0; i < nb; i++) q6_K(b, i * 210, dst, dstOffset + i * 256); }
            default -> throw new AssertionError(type);
        }
    }

    static short i16(byte[] b, int at) {
        return (short) ((b[at] & 0xFF) | (b[at + 1] << 8));
    }

    private static float half(byte[] b, int at) {
        return HalfFloats.f16ToFloat(i16(b, at));
    }

    // block_q8_0: f16 d, int8 qs[32]
    private static void q8_0(byte[] b, int at, float[] y, int yo) {
        float d = half(b, at);
        for (int j = 0; j < 32; j++) y[yo + j] = b[at + 2 + j] * d;
    }

    // block_q4_0: f16 d, uint8 qs[16]: low nibbles are elements 0..15, high nibbles 16..31, offset by 8
    private static void q4_0(byte[] b, int at, float[] y, int yo) {
        float d = half(b, at);
        for (int j = 0; j < 16; j++) {
            int q = b[at + 2 + j] & 0xFF;
            y[yo + j] = ((q & 0x0F) - 8) * d;
            y[yo + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    // block_q5_0: f16 d, uint32 qh (fifth bits, little-endian), uint8 qs[16], offset by 16
    private static void q5_0(byte[] b, int at, float[] y, int yo) {
        float d = half(b, at);
        int qh = (b[at + 2] & 0xFF) | (b[at + 3] & 0xFF) << 8 | (b[at + 4] & 0xFF) << 16 | (b[at + 5] & 0xFF) << 24;
        for (int j = 0; j < 16; j++) {
            int q = b[at + 6 + j] & 0xFF;
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[yo + j] = (((q & 0x0F) | h0) - 16) * d;
            y[yo + j + 16] = (((q >>> 4) | h1) - 16) * d;
        }
    }

    // block_q4_K: f16 d, f16 dmin, uint8 scales[12] (8 6-bit scale/min pairs), uint8 qs[128]
    private static void q4_K(byte[] b, int at, float[] y, int yo) {
        float d = half(b, at);
        float min = half(b, at + 2);
        int scales = at + 4;
        int q = at + 16;
        int out = yo;
        for (int is = 0; is < 8; is += 2) {
            float d1 = d * scaleK4(b, scales, is);
            float m1 = min * minK4(b, scales, is);
            float d2 = d * scaleK4(b, scales, is + 1);
            float m2 = min * minK4(b, scales, is + 1);
            for (int l = 0; l < 32; l++) y[out++] = d1 * (b[q + l] & 0x0F) - m1;
            for (int l = 0; l < 32; l++) y[out++] = d2 * ((b[q + l] & 0xFF) >>> 4) - m2;
            q += 32;
        }
    }

    /** The 6-bit scale of sub-block {@code j} of a Q4_K (or Q5_K) block (ggml's get_scale_min_k4). */
    static int scaleK4(byte[] b, int scales, int j) {
        if (j < 4) return b[scales + j] & 63;
        return (b[scales + j + 4] & 0x0F) | (((b[scales + j - 4] & 0xFF) >>> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j} of a Q4_K (or Q5_K) block. */
    static int minK4(byte[] b, int scales, int j) {
        if (j < 4) return b[scales + j + 4] & 63;
        return ((b[scales + j + 4] & 0xFF) >>> 4) | (((b[scales + j] & 0xFF) >>> 6) << 4);
    }

    // block_q6_K: uint8 ql[128] (low 4 bits), uint8 qh[64] (high 2 bits), int8 scales[16], f16 d
    private static void q6_K(byte[] b, int at, float[] y, int yo) {
        float d = half(b, at + 208);
        int ql = at;
        int qh = at + 128;
        int sc = at + 192;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int low0 = b[ql + l] & 0xFF;
                int low1 = b[ql + l + 32] & 0xFF;
                int h = b[qh + l] & 0xFF;
                int q1 = ((low0 & 0x0F) | ((h & 3) << 4)) - 32;
                int q2 = ((low1 & 0x0F) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((low0 >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((low1 >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[yo + n + l] = d * b[sc + is] * q1;
                y[yo + n + l + 32] = d * b[sc + is + 2] * q2;
                y[yo + n + l + 64] = d * b[sc + is + 4] * q3;
                y[yo + n + l + 96] = d * b[sc + is + 6] * q4;
            }
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}
