package dev.coffer.inference.kernels;

import dev.coffer.inference.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads one row of a weight tensor as floats (ggml's {@code get_rows}: the token embedding lookup). Values are
 * dequantized exactly as ggml's {@code dequantize_row_*} does.
 */
public final class RowReader {
    private RowReader() {}

    public static void read(Tensor t, int row, MemorySegment dst, long dstOff) {
        MemorySegment w = t.data();
        long off = row * t.rowBytes();
        int n = t.cols();
        switch (t.type()) {
            case F32 -> MemorySegment.copy(w, off, dst, dstOff, 4L * n);
            case F16, BF16 -> {
                for (int i = 0; i < n; i++) {
                    short h = w.get(DotKernels.H, off + 2L * i);
                    float v = t.type() == dev.coffer.inference.gguf.GgmlType.F16 ? Float.float16ToFloat(h)
                            : Numerics.bf16ToF32(h);
                    dst.set(DotKernels.F, dstOff + 4L * i, v);
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long wb = off + 34L * b;
                    float d = Float.float16ToFloat(w.get(DotKernels.H, wb));
                    for (int j = 0; j < 32; j++) {
                        dst.set(DotKernels.F, dstOff + 4L * (b * 32 + j), d * w.get(ValueLayout.JAVA_BYTE, wb + 2 + j));
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long wb = off + 18L * b;
                    float d = Float.float16ToFloat(w.get(DotKernels.H, wb));
                    for (int j = 0; j < 16; j++) {
                        int p = w.get(ValueLayout.JAVA_BYTE, wb + 2 + j) & 0xff;
                        dst.set(DotKernels.F, dstOff + 4L * (b * 32 + j), ((p & 0xF) - 8) * d);
                        dst.set(DotKernels.F, dstOff + 4L * (b * 32 + j + 16), ((p >>> 4) - 8) * d);
                    }
                }
            }
            case Q5_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long wb = off + 22L * b;
                    float d = Float.float16ToFloat(w.get(DotKernels.H, wb));
                    int qh = w.get(DotKernels.I, wb + 2);
                    for (int j = 0; j < 16; j++) {
                        int p = w.get(ValueLayout.JAVA_BYTE, wb + 6 + j) & 0xff;
                        int v0 = ((p & 0x0F) | (((qh >>> j) << 4) & 0x10)) - 16;
                        int v1 = ((p >>> 4) | ((qh >>> (j + 12)) & 0x10)) - 16;
                        dst.set(DotKernels.F, dstOff + 4L * (b * 32 + j), v0 * d);
                        dst.set(DotKernels.F, dstOff + 4L * (b * 32 + j + 16), v1 * d);
                    }
                }
            }
            case Q4_K -> {
                int[] sc = new int[8];
                int[] mn = new int[8];
                for (int b = 0; b < n / 256; b++) {
                    long wb = off + 144L * b;
                    float d = Float.float16ToFloat(w.get(DotKernels.H, wb));
                    float dmin = Float.float16ToFloat(w.get(DotKernels.H, wb + 2));
                    DotKernels.unpackScalesMinsK4(w, wb + 4, sc, mn);
                    for (int j = 0; j < 4; j++) {
                        float d1 = d * sc[2 * j], m1 = dmin * mn[2 * j];
                        float d2 = d * sc[2 * j + 1], m2 = dmin * mn[2 * j + 1];
                        for (int l = 0; l < 32; l++) {
                            int p = w.get(ValueLayout.JAVA_BYTE, wb + 16 + 32L * j + l) & 0xff;
                            dst.set(DotKernels.F, dstOff + 4L * (b * 256 + 64 * j + l), d1 * (p & 0xF) - m1);
                            dst.set(DotKernels.F, dstOff + 4L * (b * 256 + 64 * j + 32 + l), d2 * (p >>> 4) - m2);
                        }
                    }
                }
            }
            case Q6_K -> {
                for (int b = 0; b < n / 256; b++) {
                    long wb = off + 210L * b;
                    float d = Float.float16ToFloat(w.get(DotKernels.H, wb + 208));
                    for (int half = 0; half < 2; half++) {
                        long ql = wb + 64L * half, qh = wb + 128 + 32L * half, sc = wb + 192 + 8L * half;
                        long y = dstOff + 4L * (b * 256 + 128 * half);
                        for (int l = 0; l < 32; l++) {
                            int is = l / 16;
                            int lq0 = w.get(ValueLayout.JAVA_BYTE, ql + l) & 0xff;
                            int lq1 = w.get(ValueLayout.JAVA_BYTE, ql + 32 + l) & 0xff;
                            int hq = w.get(ValueLayout.JAVA_BYTE, qh + l) & 0xff;
                            int v1 = ((lq0 & 0xF) | ((hq & 3) << 4)) - 32;
                            int v2 = ((lq1 & 0xF) | (((hq >>> 2) & 3) << 4)) - 32;
                            int v3 = ((lq0 >>> 4) | (((hq >>> 4) & 3) << 4)) - 32;
                            int v4 = ((lq1 >>> 4) | (((hq >>> 6) & 3) << 4)) - 32;
                            dst.set(DotKernels.F, y + 4L * l, d * w.get(ValueLayout.JAVA_BYTE, sc + is) * v1);
                            dst.set(DotKernels.F, y + 4L * (l + 32), d * w.get(ValueLayout.JAVA_BYTE, sc + is + 2) * v2);
                            dst.set(DotKernels.F, y + 4L * (l + 64), d * w.get(ValueLayout.JAVA_BYTE, sc + is + 4) * v3);
                            dst.set(DotKernels.F, y + 4L * (l + 96), d * w.get(ValueLayout.JAVA_BYTE, sc + is + 6) * v4);
                        }
                    }
                }
            }
            default -> throw new UnsupportedTensorTypeException("cannot read rows of " + t.name() + " (" + t.type() + ")");
        }
    }
}
