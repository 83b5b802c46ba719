package dev.coffer.inference.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.inference.testing.SharedAssets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufWriterTest {
    private static GgufFile parse(byte[] image) {
        MemorySegment seg = Arena.ofAuto().allocate(image.length, 64);
        seg.copyFrom(MemorySegment.ofArray(image));
        return GgufFile.parse("test.gguf", seg);
    }

    private static byte[] toBytes(GgufWriter w, GgufWriter.TensorData data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        w.writeTo(out, data);
        assertThat((long) out.size()).isEqualTo(w.fileSize());
        return out.toByteArray();
    }

    @Test
    void everyMetadataTypeAndTensorRoundTripsThroughTheReader() throws IOException {
        GgufWriter w = new GgufWriter()
                .put("u8", GgufValueType.UINT8, 255L)
                .put("i8", GgufValueType.INT8, -128L)
                .put("u16", GgufValueType.UINT16, 65535L)
                .put("i16", GgufValueType.INT16, -32768L)
                .putUInt32("u32", 0xFFFF_FFFFL)
                .putInt32("i32", Integer.MIN_VALUE)
                .putUInt64("u64", -1L)
                .put("i64", GgufValueType.INT64, Long.MIN_VALUE)
                .putFloat32("f32", 1e-5f)
                .put("f64", GgufValueType.FLOAT64, Math.PI)
                .putBool("yes", true)
                .putBool("no", false)
                .putString("s", "héllo ▁wörld 🦙")
                .putString("empty", "")
                .putStrings("strs", "<unk>", "<s>", "▁the")
                .putFloats("floats", 0f, -1.5f, Float.MAX_VALUE)
                .putInt32s("ints", 1, 3, 6)
                .putArray("u8s", new GgufArray(GgufValueType.UINT8, new long[] {0, 7, 255}))
                .putArray("bools", new GgufArray(GgufValueType.BOOL, new boolean[] {true, false}))
                .putArray("f64s", new GgufArray(GgufValueType.FLOAT64, new double[] {2.5}))
                .putArray("nested", new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
                    new GgufArray(GgufValueType.INT64, new long[] {1, 2}),
                    new GgufArray(GgufValueType.STRING, new String[] {"x"})}))
                .putArray("none", new GgufArray(GgufValueType.INT32, new long[0]));
        w.addTensor("a", GgmlType.F32, 3);            // 12 bytes: next tensor is padded to 32
        w.addTensor("b", GgmlType.Q8_0, 64, 2);       // 136 bytes
        w.addTensor("c", GgmlType.F16, 2, 2, 2, 2);   // 4 dims
        byte[] image = toBytes(w, (t, out) -> {
            byte[] b = new byte[(int) t.byteSize()];
            Arrays.fill(b, (byte) t.name().charAt(0));
            out.write(b);
        });

        GgufFile f = parse(image);
        assertThat(f.version()).isEqualTo(3);
        assertThat(f.metadata().keySet()).containsExactly("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64",
                "f32", "f64", "yes", "no", "s", "empty", "strs", "floats", "ints", "u8s", "bools", "f64s", "nested",
                "none");
        assertThat(f.getLong("u8")).isEqualTo(255);
        assertThat(f.getLong("i8")).isEqualTo(-128);
        assertThat(f.getLong("u16")).isEqualTo(65535);
        assertThat(f.getLong("i16")).isEqualTo(-32768);
        assertThat(f.getLong("u32")).isEqualTo(0xFFFF_FFFFL);
        assertThat(f.getInt("i32")).isEqualTo(Integer.MIN_VALUE);
        assertThat(f.getLong("u64")).isEqualTo(-1L);
        assertThat(f.getLong("i64")).isEqualTo(Long.MIN_VALUE);
        assertThat(f.getFloat("f32")).isEqualTo(1e-5f);
        assertThat(f.metadata().get("f64")).isEqualTo(Math.PI);
        assertThat(f.getBoolean("yes")).isTrue();
        assertThat(f.getBoolean("no")).isFalse();
        assertThat(f.getString("s")).isEqualTo("héllo ▁wörld 🦙");
        assertThat(f.getString("empty")).isEmpty();
        assertThat(f.getStringArray("strs")).containsExactly("<unk>", "<s>", "▁the");
        assertThat(f.getFloatArray("floats")).containsExactly(0f, -1.5f, Float.MAX_VALUE);
        assertThat(f.getIntArray("ints")).containsExactly(1, 3, 6);
        assertThat(f.typeOf("ints")).contains(GgufValueType.ARRAY);
        assertThat(f.getArray("ints").elementType()).isEqualTo(GgufValueType.INT32);
        assertThat(f.getArray("u8s").elementType()).isEqualTo(GgufValueType.UINT8);
        assertThat((boolean[]) f.getArray("bools").values()).containsExactly(true, false);
        assertThat((double[]) f.getArray("f64s").values()).containsExactly(2.5);
        GgufArray[] nested = (GgufArray[]) f.getArray("nested").values();
        assertThat((long[]) nested[0].values()).containsExactly(1, 2);
        assertThat((String[]) nested[1].values()).containsExactly("x");
        assertThat(f.getArray("none").length()).isZero();

        assertThat(f.tensors()).extracting(GgufTensorInfo::name).containsExactly("a", "b", "c");
        assertThat(f.dataOffset() % 32).isZero();
        for (GgufTensorInfo t : f.tensors()) {
            assertThat(t.offset() % 32).isZero();
            assertThat(t).usingRecursiveComparison().isEqualTo(w.tensors().get(f.tensors().indexOf(t)));
            byte[] data = f.tensorData(t).toArray(ValueLayout.JAVA_BYTE);
            assertThat(data).containsOnly((byte) t.name().charAt(0));
        }
        assertThat(f.tensorInfo("c").orElseThrow().shape()).containsExactly(2, 2, 2, 2);
        assertThat((long) image.length % 32).isZero();
    }

    @Test
    void copyingARealModelReproducesItByteForByte(@TempDir Path dir) throws IOException {
        // stories260K.gguf was written by llama.cpp's gguf writer: same layout, so a full copy is identical.
        Path src = SharedAssets.require("models/stories260K.gguf");
        try (GgufFile in = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter().copyMetadata(in, k -> true);
            for (GgufTensorInfo t : in.tensors()) w.addTensor(t.name(), t.type(), t.shape());
            Path out = dir.resolve("copy.gguf");
            w.write(out, (t, os) -> os.write(in.tensorData(in.tensorInfo(t.name()).orElseThrow())
                    .toArray(ValueLayout.JAVA_BYTE)));
            assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(src));
            try (var files = Files.list(dir)) {
                assertThat(files).containsExactly(out); // the temporary file is gone
            }
        }
    }

    @Test
    void rejectsInvalidValuesShapesAndShortTensorData() {
        GgufWriter w = new GgufWriter();
        assertThatThrownBy(() -> w.putUInt32("x", -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'x'");
        assertThatThrownBy(() -> w.put("x", GgufValueType.FLOAT32, 1.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.putArray("x", new GgufArray(GgufValueType.UINT8, new long[] {256})))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.addTensor("q", GgmlType.Q4_0, 48, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a multiple of the Q4_0 block size 32");
        w.addTensor("t", GgmlType.F32, 4);
        assertThatThrownBy(() -> w.addTensor("t", GgmlType.F32, 4)).hasMessageContaining("duplicate");
        assertThatThrownBy(() -> w.writeTo(new ByteArrayOutputStream(), (t, out) -> out.write(new byte[3])))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("wrote 3 bytes, expected 16");
    }
}
