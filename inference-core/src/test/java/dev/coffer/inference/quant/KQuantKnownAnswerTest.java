package dev.coffer.inference.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.gguf.GgufFile;
import dev.coffer.inference.gguf.GgufTensorInfo;
import dev.coffer.inference.testing.SharedAssets;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Known answers for the quantizers that no shared GGUF covers (stories260K's rows are too short for K-quants). The
 * expected SHA-256 digests were computed by compiling ggml's ggml-quants.c (ggml-org/ggml d99724f2, built like
 * ggml-base: gcc -O2 -DNDEBUG, no -march) and running quantize_row_*_ref on exactly these inputs: every 2-D tensor of
 * stories260K.gguf flattened (real trained weights), and {@link #syntheticInput()} (Gaussian blocks plus edge
 * blocks: zeros, tiny, huge, constant, one outlier, subnormals); the dequantization digests come from ggml's
 * dequantize_row_* over those quantized bytes. Note: a ggml built with FMA contraction
 * (-march=native on ggml-quants.c) produces different K-quant bytes (Q4_K, Q6_K); Q8_0/Q4_0/Q5_0 are unaffected.
 * ggml-base, which holds the reference quantizers that llama-quantize calls, gets no -march flags.
 */
class KQuantKnownAnswerTest {
    @ParameterizedTest(name = "{0} over stories260K weights")
    @CsvSource({
        "Q4_K, a803d079532e93c94f1041aee3deb3724bcc529ff46f7be548f4af61e3ad6e0f",
        "Q6_K, 9f4419a19c9baa9f93ea47a73ac9f00b78c78cf67ebd014630443d319c03458d",
    })
    void realWeights(GgmlType type, String sha256) throws IOException {
        MessageDigest md = sha256();
        try (GgufFile f32 = GgufFile.open(SharedAssets.require("models/stories260K.gguf"))) {
            for (GgufTensorInfo t : f32.tensors()) {
                if (t.dims() < 2) continue;
                float[] x = f32.tensorData(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
                md.update(Quantizers.quantize(type, x));
            }
        }
        assertThat(HexFormat.of().formatHex(md.digest())).isEqualTo(sha256);
    }

    @ParameterizedTest(name = "{0} over synthetic edge blocks")
    @CsvSource({
        "Q4_K, ae23561420169fdd581258b0ec39b38c1599a642b19d9b9dfed4806d028883ca",
        "Q6_K, 514c79134870410e5cb240d39bab9c1b67c05954dd5252f050192bd33798dcc7",
        "Q8_0, de40b71f6d5487e58e4b7b4d6dd4028a268c4c7443c49b5734a6592890b76b13",
        "Q4_0, bd39c387c055ad9143a630546e72c4b852d969b29d662488bf36cb3bdcb3e97d",
        "Q5_0, b3bfce7f4190b937d90b82043f479b3164c0292a9e0976ab60841f210ec3fec7",
    })
    void syntheticBlocks(GgmlType type, String sha256) {
        byte[] q = Quantizers.quantize(type, syntheticInput());
        assertThat(HexFormat.of().formatHex(sha256().digest(q))).isEqualTo(sha256);
    }

    @ParameterizedTest(name = "dequantize {0} like ggml")
    @CsvSource({
        "Q4_K, 456afba38ae0959749102a4a67b82f15cfa411b693a16e925d0e0e66a4736c0d",
        "Q6_K, c3645e49f2521e6ca9d5f84e59bd0b1ffabff57d80c6b891ae5531165b8fce6a",
        "Q8_0, 8bbb89fa83a06fd7c6b44f300b39a548cb66662cc1b89cedd0ce0a8e0ff5d499",
        "Q4_0, c57767a9e116bea8cf5c1e53ec68b3d9ff5852440b4025041bfd52a032cba2b8",
        "Q5_0, e298f50f93b072e0b2ba17f28bb527b7421af6b82d13a666c9088c742253cfee",
    })
    void dequantizedSyntheticBlocks(GgmlType type, String sha256) {
        float[] x = syntheticInput();
        byte[] q = Quantizers.quantize(type, x);
        float[] y = Dequantizers.dequantize(type, MemorySegment.ofArray(q), 0, x.length);
        ByteBuffer bytes = ByteBuffer.allocate(4 * y.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : y) bytes.putFloat(v);
        assertThat(HexFormat.of().formatHex(sha256().digest(bytes.array()))).isEqualTo(sha256);
    }

    /** 64 super-blocks of 256: mostly N(0, s) with varying s, and edge cases in fixed places. */
    static float[] syntheticInput() {
        int blocks = 64;
        float[] x = new float[256 * blocks];
        SplittableRandom r = new SplittableRandom(20240601L);
        for (int b = 0; b < blocks; b++) {
            float s = (float) Math.pow(10, r.nextDouble(-4, 2));
            for (int i = 0; i < 256; i++) x[256 * b + i] = (float) (r.nextGaussian() * s);
        }
        java.util.Arrays.fill(x, 256, 512, 0f);                       // an all-zero super-block
        for (int i = 512; i < 768; i++) x[i] = (float) (r.nextGaussian() * 1e-20); // tiny: scales underflow F16
        for (int i = 768; i < 1024; i++) x[i] = (float) (r.nextGaussian() * 300);  // large but representable
        java.util.Arrays.fill(x, 1024, 1280, 0.37f);                  // constant positive
        java.util.Arrays.fill(x, 1280, 1536, -2.5f);                  // constant negative
        for (int i = 1536; i < 1792; i++) x[i] = 0.001f * (i % 7 - 3);
        x[1600] = 40f;                                                // one outlier
        for (int i = 1792; i < 2048; i++) x[i] = Float.MIN_VALUE * (i % 5 - 2); // subnormals
        for (int i = 2048; i < 2304; i++) x[i] = Math.abs(x[i]);      // all non-negative (min clamps to 0)
        for (int i = 2304; i < 2560; i++) x[i] = -Math.abs(x[i]) - 1f; // all negative, offset
        java.util.Arrays.fill(x, 2560, 2576, 0f);                     // one zero Q6_K sub-block inside data
        java.util.Arrays.fill(x, 2592, 2624, 0f);                     // one zero Q4_K sub-block inside data
        for (int i = 2816; i < 3072; i++) x[i] = (i % 2 == 0 ? 1 : -1) * 0.5f; // exact ties for rounding
        return x;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
