package dev.coffer.inference.kernels;

import dev.coffer.inference.quant.HalfFloats;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one weight row with one prepared activation row, per weight type.
 *
 * <p><b>Canonical order.</b> Results must not depend on the thread count or the machine's vector width, so that
 * logits are bit-identical everywhere (platform fingerprints rely on it). Integer block sums are exact, so
 * quantized rows accumulate {@code isum * scale} per block in block order with scalar float arithmetic. Float
 * rows use 16 canonical accumulator lanes (element {@code i} goes to lane {@code i % 16}) built from 256-bit
 * vectors, which every x86-64 machine with AVX2 or AVX-512 executes identically, then a fixed reduction tree.
 * Hand-written because no Java library offers ggml-compatible quantized dot products.
 */
final class DotKernels {
    private DotKernels() {}

    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;

    static float half(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(H, off));
    }

    /** Sum of 16 canonical lanes (lo = lanes 0..7, hi = lanes 8..15) in a fixed pairwise order. */
    private static float reduce16(FloatVector lo, FloatVector hi) {
        return reduce8(lo.add(hi));
    }

    // ---------------------------------------------------------------- float weights

    static float dotF32(MemorySegment w, long wOff, MemorySegment x, long xOff, int n) {
        FloatVector lo = FloatVector.zero(F256);
        FloatVector hi = FloatVector.zero(F256);
        int i = 0;
        for (; i + 16 <= n; i += 16) {
            lo = FloatVector.fromMemorySegment(F256, w, wOff + 4L * i, LE)
                    .fma(FloatVector.fromMemorySegment(F256, x, xOff + 4L * i, LE), lo);
            hi = FloatVector.fromMemorySegment(F256, w, wOff + 4L * i + 32, LE)
                    .fma(FloatVector.fromMemorySegment(F256, x, xOff + 4L * i + 32, LE), hi);
        }
        float sum = reduce16(lo, hi);
        for (; i < n; i++) sum = Math.fma(w.get(F, wOff + 4L * i), x.get(F, xOff + 4L * i), sum);
        return sum;
    }

    /**
     * F16 or BF16 weights against activations already rounded to that type, in the order of ggml's AVX2
     * {@code ggml_vec_dot_f16}: four 8-lane accumulators over steps of 32, reduced as ((s0+s2)+(s1+s3)) and then
     * ((a0+a4)+(a1+a5))+((a2+a6)+(a3+a7)); the leftover elements are added one by one in double.
     */
    static float dotHalf(MemorySegment w, long wOff, MemorySegment x, long xOff, int n, boolean bf16) {
        FloatVector s0 = FloatVector.zero(F256), s1 = FloatVector.zero(F256);
        FloatVector s2 = FloatVector.zero(F256), s3 = FloatVector.zero(F256);
        float[] t = new float[32];
        int i = 0;
        for (; i + 32 <= n; i += 32) {
            for (int j = 0; j < 32; j++) {
                short h = w.get(H, wOff + 2L * (i + j));
                t[j] = bf16 ? HalfFloats.bf16ToFloat(h) : Float.float16ToFloat(h);
            }
            s0 = FloatVector.fromArray(F256, t, 0).fma(FloatVector.fromMemorySegment(F256, x, xOff + 4L * i, LE), s0);
            s1 = FloatVector.fromArray(F256, t, 8).fma(FloatVector.fromMemorySegment(F256, x, xOff + 4L * i + 32, LE), s1);
            s2 = FloatVector.fromArray(F256, t, 16).fma(FloatVector.fromMemorySegment(F256, x, xOff + 4L * i + 64, LE), s2);
            s3 = FloatVector.fromArray(F256, t, 24).fma(FloatVector.fromMemorySegment(F256, x, xOff + 4L * i + 96, LE), s3);
        }
        FloatVector v = s0.add(s2).add(s1.add(s3));
        double sum = ((v.lane(0) + v.lane(4)) + (v.lane(1) + v.lane(5))) + ((v.lane(2) + v.lane(6)) + (v.lane(3) + v.lane(7)));
        for (; i < n; i++) {
            short h = w.get(H, wOff + 2L * i);
            float wv = bf16 ? HalfFloats.bf16ToFloat(h) : Float.float16ToFloat(h);
            sum += (double) (wv * x.get(F, xOff + 4L * i));
        }
        return (float) sum;
    }

    // ---------------------------------------------------------------- quantized blocks against Q8_0 / Q8_K
    // Activations arrive as int16 (Q8 values widened once per matmul, not once per row), in the grouped order
    // within each 32. Integer work is exact (int lanes of elements 4i..4i+3, as llama.cpp's AVX2 kernels form
    // them); the float steps follow llama.cpp's AVX2 kernels per type, and the 8 float lanes are reduced with
    // reduce8. Every step is a 256-bit Vector API operation or scalar IEEE arithmetic, so the result is the same on
    // any x86-64 machine. The straightforward reference kernels that define these bits live with the tests
    // (ReferenceDots; MatMulBitsTest pins their output); FusedDots (one token) and UnpackedDots (a batch) compute
    // the same operations faster.

    private static final VectorShuffle<Float> SWAP4 = VectorShuffle.fromValues(F256, 4, 5, 6, 7, 0, 1, 2, 3);
    private static final VectorShuffle<Float> SWAP2 = VectorShuffle.fromValues(F256, 2, 3, 0, 1, 6, 7, 4, 5);
    private static final VectorShuffle<Float> SWAP1 = VectorShuffle.fromValues(F256, 1, 0, 3, 2, 5, 4, 7, 6);

    /** {@code ((t0+t4)+(t2+t6)) + ((t1+t5)+(t3+t7))}: a fixed order, without leaving registers. */
    static float reduce8(FloatVector acc) {
        FloatVector v = acc.add(acc.rearrange(SWAP4));
        v = v.add(v.rearrange(SWAP2));
        return v.add(v.rearrange(SWAP1)).lane(0);
    }

    static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    static final VectorShuffle<Byte> GROUPED = groupedShuffle();

    private static VectorShuffle<Byte> groupedShuffle() {
        int[] src = new int[32];
        for (int e = 0; e < 32; e++) src[Activations.groupedPosition(e)] = e;
        return VectorShuffle.fromArray(B256, src, 0);
    }
}
