package dev.coffer.inference.quant;

import dev.coffer.inference.gguf.GgmlType;

/**
 * The K-quant reference quantizers of ggml ({@code quantize_row_q4_K_ref}, {@code quantize_row_q6_K_ref}) with their
 * scale searches ({@code make_qkx2_quants}, {@code make_qx_quants}), transcribed operation by operation so that the
 * bytes match ggml's. Super-blocks are 256 elements.
 */
final class KQuantizers {
    private KQuantizers() {}

    private static final int QK_K = 256;
    private static final float GROUP_MAX_EPS = 1e-15f;

    /** ggml's nearest_int: round half to even for |v| < 2^22, via the float representation of v + 1.5 * 2^23. */
    static int nearestInt(float v) {
        float biased = v + 12582912.f;
        return (Float.floatToRawIntBits(biased) & 0x007fffff) - 0x00400000;
    }

    private static float amax(float[] x, int from, int n) {
        float m = 0;
        for (int i = 0; i < n; i++) m = Math.max(m, Math.abs(x[from + i]));
        return m;
    }

    // ---- Q4_K: 8 sub-blocks of 32 with a 6-bit scale and a 6-bit min each; 4-bit quants ----

    static void q4_K(float[] x, int xo, int nb, byte[] y, int yo) {
        int[] levels = new int[QK_K];
        int[] aux = new int[32];
        float[] weights = new float[32];
        float[] mins = new float[QK_K / 32];
        float[] scales = new float[QK_K / 32];
        float[] theMin = new float[1];
        for (int i = 0; i < nb; i++, xo += QK_K, yo += 144) {
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < QK_K / 32; j++) {
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) sumX2 += x[xo + 32 * j + l] * x[xo + 32 * j + l];
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[xo + 32 * j + l]);
                scales[j] = makeQkx2Quants(32, 15, x, xo + 32 * j, weights, levels, 32 * j, theMin, aux,
                        -1.f, 0.1f, 20, false);
                mins[j] = theMin[0];
                if (!Float.isFinite(scales[j]) || !Float.isFinite(mins[j])) { // float overflow of the fit sums
                    throw Quantizers.overflow(GgmlType.Q4_K, "block " + i, amax(x, xo + 32 * j, 32));
                }
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
            float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
            int sc = yo + 4; // scales[12] follow d and dmin
            for (int j = 0; j < 12; j++) y[sc + j] = 0;
            for (int j = 0; j < QK_K / 32; j++) {
                int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF); // C: uint8_t ls = nearest_int(..)
                int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
                if (j < 4) {
                    y[sc + j] = (byte) ls;
                    y[sc + j + 4] = (byte) lm;
                } else {
                    y[sc + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                    y[sc + j - 4] |= (byte) ((ls >> 4) << 6);
                    y[sc + j] |= (byte) ((lm >> 4) << 6);
                }
            }
            short dBits = Quantizers.putScale(y, yo, maxScale / 63.f, GgmlType.Q4_K, i, maxScale);
            short dminBits = Quantizers.putScale(y, yo + 2, maxMin / 63.f, GgmlType.Q4_K, i, maxMin);
            float dAll = HalfFloats.f16ToFloat(dBits);
            float dminAll = HalfFloats.f16ToFloat(dminBits);
            for (int j = 0; j < QK_K / 32; j++) {
                float d = dAll * Dequantizers.scaleK4(y, sc, j);
                if (d == 0f) continue;
                float dm = dminAll * Dequantizers.minK4(y, sc, j);
                for (int ii = 0; ii < 32; ii++) {
                    int l = nearestInt((x[xo + 32 * j + ii] + dm) / d);
                    levels[32 * j + ii] = Math.max(0, Math.min(15, l));
                }
            }
            int q = yo + 16;
            for (int j = 0; j < QK_K; j += 64) {
                for (int l = 0; l < 32; l++) y[q + l] = (byte) (levels[j + l] | (levels[j + l + 32] << 4));
                q += 32;
            }
        }
    }

    /**
     * make_qkx2_quants: fits {@code x ~ scale * L - min} with {@code L in [0, nmax]} by trying {@code nstep + 1}
     * candidate scales around {@code nmax / (max - min)} and keeping the weighted least-squares fit with the
     * smallest error. Returns the scale; {@code theMin[0]} receives the (positive) min.
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, int[] levels, int lo,
                                float[] theMin, int[] aux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            if (x[xo + i] < min) min = x[xo + i];
            if (x[xo + i] > max) max = x[xo + i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[xo + i];
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) levels[lo + i] = 0;
            theMin[0] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * (x[xo + i] - min));
            levels[lo + i] = Math.max(0, Math.min(nmax, l));
            float diff = scale * levels[lo + i] + min - x[xo + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) {
            theMin[0] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = nearestInt(iscale * (x[xo + i] - min));
                l = Math.max(0, Math.min(nmax, l));
                aux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xo + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xo + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(aux, 0, levels, lo, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    // ---- Q6_K: 16 sub-blocks of 16 with an 8-bit signed scale each; 6-bit quants ----

    static void q6_K(float[] x, int xo, int nb, byte[] y, int yo) {
        int[] levels = new int[QK_K];
        float[] scales = new float[QK_K / 16];
        for (int i = 0; i < nb; i++, xo += QK_K, yo += 210) {
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < QK_K / 16; ib++) {
                float scale = makeQxQuants(16, 32, x, xo + 16 * ib, levels, 16 * ib);
                scales[ib] = scale;
                if (!Float.isFinite(scale)) { // x^3 overflowed in the fit; ggml would silently write zeros
                    throw Quantizers.overflow(GgmlType.Q6_K, "block " + i, amax(x, xo + 16 * ib, 16));
                }
                float abs = Math.abs(scale);
                if (abs > maxAbsScale) {
                    maxAbsScale = abs;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < GROUP_MAX_EPS) {
                for (int b = 0; b < 210; b++) y[yo + b] = 0;
                continue;
            }
            float iscale = -128.f / maxScale;
            int sc = yo + 192;
            short dBits = Quantizers.putScale(y, yo + 208, 1 / iscale, GgmlType.Q6_K, i, maxAbsScale);
            for (int ib = 0; ib < QK_K / 16; ib++) {
                y[sc + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
            }
            float dAll = HalfFloats.f16ToFloat(dBits);
            for (int j = 0; j < QK_K / 16; j++) {
                float d = dAll * y[sc + j];
                if (d == 0f) continue;
                for (int ii = 0; ii < 16; ii++) {
                    int l = nearestInt(x[xo + 16 * j + ii] / d);
                    levels[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
                }
            }
            int ql = yo;
            int qh = yo + 128;
            for (int j = 0; j < QK_K; j += 128) {
                for (int l = 0; l < 32; l++) {
                    int q1 = levels[j + l] & 0xF;
                    int q2 = levels[j + l + 32] & 0xF;
                    int q3 = levels[j + l + 64] & 0xF;
                    int q4 = levels[j + l + 96] & 0xF;
                    y[ql + l] = (byte) (q1 | (q3 << 4));
                    y[ql + l + 32] = (byte) (q2 | (q4 << 4));
                    y[qh + l] = (byte) ((levels[j + l] >> 4) | ((levels[j + l + 32] >> 4) << 2)
                            | ((levels[j + l + 64] >> 4) << 4) | ((levels[j + l + 96] >> 4) << 6));
                }
                ql += 64;
                qh += 32;
            }
        }
    }

    /**
     * make_qx_quants with rmse_type 1 and no importance weights (weights x^2): symmetric levels in
     * {@code [-nmax, nmax)} stored offset by {@code nmax}; tries 18 scales around {@code -nmax / max} and keeps the
     * best weighted fit. Returns the scale.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xo, int[] levels, int lo) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) levels[lo + i] = 0;
            return 0.f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * x[xo + i]);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            levels[lo + i] = l + nmax;
            float w = x[xo + i] * x[xo + i];
            sumlx += w * x[xo + i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                int l = nearestInt(iscale * x[xo + i]);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = x[xo + i] * x[xo + i];
                sumlx += w * x[xo + i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = nearestInt(iscale * x[xo + i]);
                    levels[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }
}
