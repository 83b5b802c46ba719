package dev.coffer.inference.quant;

import dev.coffer.inference.gguf.GgmlType;

/**
 * Turns rows of floats into ggml blocks, bit-exact with ggml's reference quantizers ({@code quantize_row_*_ref}),
 * which is what {@code llama-quantize} runs when no importance matrix is given. Every float operation is written in
 * the same order as the C code (Java float arithmetic is IEEE binary32 without contraction, as ggml-base is built),
 * including the rounding helpers: C {@code roundf} (half away from zero), truncating float-to-int casts, and ggml's
 * {@code nearest_int} (round half to even through the 1.5 * 2^23 trick).
 *
 * <p>Policy for bad input (ggml has none; {@code llama-quantize} rejects non-finite results afterwards): NaN or
 * infinite inputs, and blocks whose F16 scale would overflow (values beyond about 65504 times the type's largest
 * quant), throw {@link QuantizationException} naming the element or block. Tiny values whose scale underflows F16
 * quantize to zeros, as in ggml.
 */
public final class Quantizers {
    private Quantizers() {}

    /** Whether {@link #quantize} produces the type. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Quantizes all of {@code src} (a whole number of blocks) into a new array of {@code type.byteSize} bytes. */
    public static byte[] quantize(GgmlType type, float[] src) {
        byte[] out = new byte[Math.toIntExact(type.byteSize(src.length))];
        quantize(type, src, 0, src.length, out, 0);
        return out;
    }

    /**
     * Quantizes {@code src[srcOffset .. srcOffset+n)} into {@code dst} from {@code dstOffset}; returns the number of
     * bytes written ({@code type.byteSize(n)}).
     */
    public static int quantize(GgmlType type, float[] src, int srcOffset, int n, byte[] dst, int dstOffset) {
        if (!supports(type)) throw new QuantizationException("cannot quantize to " + type + ": unsupported type");
        if (n < 0 || n % type.blockSize() != 0) {
            throw new QuantizationException(type + ": " + n + " elements is not a whole number of "
                    + type.blockSize() + "-element blocks");
        }
        for (int i = 0; i < n; i++) {
            float v = src[srcOffset + i];
            if (!Float.isFinite(v)) {
                throw new QuantizationException("cannot quantize to " + type + ": element " + i + " is " + v
                        + " (NaN and infinity are rejected)");
            }
        }
        int nb = n / type.blockSize();
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) putI32(dst, dstOffset + 4 * i, Float.floatToRawIntBits(src[srcOffset + i]));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    short h = HalfFloats.floatToF16(src[srcOffset + i]);
                    if (HalfFloats.f16IsNonFinite(h)) throw overflow(type, "element " + i, src[srcOffset + i]);
                    putI16(dst, dstOffset + 2 * i, h);
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    short h = HalfFloats.floatToBf16(src[srcOffset + i]);
                    if ((h & 0x7F80) == 0x7F80) throw overflow(type, "element " + i, src[srcOffset + i]);
                    putI16(dst, dstOffset + 2 * i, h);
                }
            }
            case Q8_0 -> { for (int i = 0; i < nb; i++) q8_0(src, srcOffset + 32 * i, dst, dstOffset + 34 * i, i); }
            case Q4_0 -> { for (int i = 0; i < nb; i++) q4_0(src, srcOffset + 32 * i, dst, dstOffset + 18 * i, i); }
            case Q5_0 -> { for (int i = 0; i < nb; i++) q5_0(src, srcOffset + 32 * i, dst, dstOffset + 22 * i, i); }
            case Q4_K -> KQuantizers.q4_K(src, srcOffset, nb, dst, dstOffset);
            case Q6_K -> KQuantizers.q6_K(src, srcOffset, nb, dst, dstOffset);
            default -> throw new AssertionError(type);
        }
        return Math.toIntExact(type.byteSize(n));
    }

    // quantize_row_q8_0_ref: d = amax / 127, q = roundf(x / d)
    private static void q8_0(float[] x, int xo, byte[] y, int yo, int block) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
        float d = amax / 127;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putScale(y, yo, d, GgmlType.Q8_0, block, amax);
        for (int j = 0; j < 32; j++) y[yo + 2 + j] = (byte) roundf(x[xo + j] * id);
    }

    // quantize_row_q4_0_ref: d = (signed value of largest magnitude) / -8, q = min(15, trunc(x / d + 8.5))
    private static void q4_0(float[] x, int xo, byte[] y, int yo, int block) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putScale(y, yo, d, GgmlType.Q4_0, block, amax);
        for (int j = 0; j < 16; j++) {
            float x0 = x[xo + j] * id;
            float x1 = x[xo + 16 + j] * id;
            int q0 = Math.min(15, (int) (x0 + 8.5f));
            int q1 = Math.min(15, (int) (x1 + 8.5f));
            y[yo + 2 + j] = (byte) (q0 | (q1 << 4));
        }
    }

    // quantize_row_q5_0_ref: as Q4_0 with 5 bits (d = max / -16), the fifth bits gathered in a 32-bit qh
    private static void q5_0(float[] x, int xo, byte[] y, int yo, int block) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16;
        float id = d != 0f ? 1.0f / d : 0.0f;
        putScale(y, yo, d, GgmlType.Q5_0, block, amax);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            float x0 = x[xo + j] * id;
            float x1 = x[xo + 16 + j] * id;
            int q0 = Math.min(31, (int) (x0 + 16.5f));
            int q1 = Math.min(31, (int) (x1 + 16.5f));
            y[yo + 6 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        putI32(y, yo + 2, qh);
    }

    /** Stores a block scale as F16, rejecting scales that overflow it (the block would dequantize to infinity). */
    static short putScale(byte[] y, int at, float d, GgmlType type, int block, float amax) {
        short h = HalfFloats.floatToF16(d);
        if (HalfFloats.f16IsNonFinite(h)) throw overflow(type, "block " + block, amax);
        putI16(y, at, h);
        return h;
    }

    static QuantizationException overflow(GgmlType type, String where, float value) {
        return new QuantizationException("cannot quantize to " + type + ": " + where + " has magnitude " + value
                + ", beyond what the type's F16 scale can represent");
    }

    /** C {@code roundf}: round half away from zero. */
    static int roundf(float v) {
        float a = Math.abs(v);
        float t = (float) Math.floor(a);
        if (a - t >= 0.5f) t += 1.0f;
        return (int) Math.copySign(t, v);
    }

    static void putI16(byte[] b, int at, short v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
    }

    static void putI32(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
        b[at + 2] = (byte) (v >> 16);
        b[at + 3] = (byte) (v >> 24);
    }
}
