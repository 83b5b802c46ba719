package dev.coffer.inference.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.quant.Quantizers;
import dev.coffer.inference.tensor.BufferAllocator;
import dev.coffer.inference.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Pins the exact output bits of {@link MatMul#multiply}: faster kernels must reproduce them, because the Q8_0 dots
 * follow llama.cpp's lane grouping bit for bit and logits must not depend on the batch size, the thread count or
 * the vector width (docs/inference.md). The digests were recorded from the straightforward one-row-one-token
 * reference kernels (llama.cpp's AVX2 orders, main at 62109e7/c5c9b26); any change of lane order, scale order or
 * reduction order changes them.
 *
 * <p>Row count 13 and batches 1..9 leave remainders for any tiling of rows or tokens; Q4_0 also runs with 16 rows,
 * because llama.cpp (and so Coffer) sums Q4_0 blocks in a different order when the row count is a multiple of 8.
 */
class MatMulBitsTest {
    private static final int MAX_BATCH = 9;

    @ParameterizedTest(name = "{0} {2} rows")
    @CsvSource({
        "F32,  781, 13, 0d81666ca91a89539eafc9cec52763a8de985f947aa9617651ac37a1c0b619fa",
        "F16,  781, 13, 518a49191d013c673ea9a14e9712198d3c073f3dbb86698e9c950e51e341a203",
        "BF16, 781, 13, b538b636a1ec7b54d721b32296f3f6c1a612e5f4db014dc951e4e10d62adc97a",
        "Q8_0, 768, 13, aa732cb1017f8a04cb37076ef4647329866a25c901ffa8caff252332559e9df2",
        "Q5_0, 768, 13, 2adcc4a4d68f610d2e4679196a24a8c235bbd9ca113a4411b8fadfebc7cd0acb",
        "Q4_0, 768, 13, 816f27224e1e8c003fc04d831f2f90a9fbd750c8e0c681ed511106950cdfb3ca",
        "Q4_0, 768, 16, 370ff69cc29056a591faf98cf723f209d3fea58d54e2739fda37ee7b8f35f5d6",
        "Q4_K, 768, 13, a440c14da12d66e6a2998bffade2c4435f8d63ca4f97ae3fe61708cbd4839ea0",
        "Q6_K, 768, 13, 24e80e5919b3f2c910f5cfe2d6c93fcee09e8648a8554c9bb36d0344c9bcb859",
    })
    void outputBitsMatchTheRecordedKernelsAndDoNotDependOnTheBatch(GgmlType type, int cols, int rows,
                                                                          String expected)
            throws NoSuchAlgorithmException {
        Random rnd = new Random(31L * type.ordinal() + cols);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.05);
        float[] x = new float[MAX_BATCH * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * (1 + (i / cols) % 3));
        byte[] stored = Quantizers.quantize(type, w);
        for (int threads = 1; threads <= 2; threads++) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (Arena arena = Arena.ofShared(); Parallel pool = new Parallel(threads)) {
                MemorySegment ws = arena.allocate(stored.length, 64);
                MemorySegment.copy(stored, 0, ws, ValueLayout.JAVA_BYTE, 0, stored.length);
                Tensor t = new Tensor("w", type, new long[] {cols, rows}, ws);
                MemorySegment xs = arena.allocate(4L * x.length, 64);
                MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
                MatMul mm = new MatMul(pool, BufferAllocator.of(arena), MAX_BATCH, cols);
                MemorySegment out = arena.allocate(4L * MAX_BATCH * rows, 64);
                MemorySegment one = arena.allocate(4L * rows, 64);
                for (int batch = 1; batch <= MAX_BATCH; batch++) {
                    mm.multiply(t, xs, batch, out);
                    int[] bits = new int[batch * rows];
                    for (int i = 0; i < bits.length; i++) {
                        bits[i] = Float.floatToRawIntBits(out.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                    }
                    update(md, bits);
                    for (int b = 0; b < batch; b++) {
                        mm.multiply(t, xs.asSlice(4L * b * cols), 1, one);
                        for (int r = 0; r < rows; r++) {
                            assertThat(Float.floatToRawIntBits(one.getAtIndex(ValueLayout.JAVA_FLOAT, r)))
                                    .as("%s threads %d batch %d token %d row %d", type, threads, batch, b, r)
                                    .isEqualTo(bits[b * rows + r]);
                        }
                    }
                }
            }
            assertThat(HexFormat.of().formatHex(md.digest())).as("%s with %d threads", type, threads)
                    .isEqualTo(expected);
        }
    }

    private static void update(MessageDigest md, int[] bits) {
        byte[] b = new byte[4 * bits.length];
        for (int i = 0; i < bits.length; i++) {
            b[4 * i] = (byte) bits[i];
            b[4 * i + 1] = (byte) (bits[i] >>> 8);
            b[4 * i + 2] = (byte) (bits[i] >>> 16);
            b[4 * i + 3] = (byte) (bits[i] >>> 24);
        }
        md.update(b);
    }
}
