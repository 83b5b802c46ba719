package dev.coffer.inference.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.inference.testing.SharedAssets;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {
    @TempDir Path tmp;

    @Test
    void readsStories260kHeader() throws Exception {
        try (GgufFile f = GgufFile.open(SharedAssets.require("models/stories260K.gguf"))) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.getString("general.architecture")).isEqualTo("llama");
            assertThat(f.getInt("llama.embedding_length")).isEqualTo(64);
            assertThat(f.getInt("llama.block_count")).isEqualTo(5);
            assertThat(f.getInt("llama.attention.head_count_kv")).isEqualTo(4);
            assertThat(f.getFloat("llama.attention.layer_norm_rms_epsilon")).isEqualTo(1e-5f);
            assertThat(f.getString("tokenizer.ggml.model")).isEqualTo("llama");
            assertThat(f.getStringArray("tokenizer.ggml.tokens")).hasSize(512);
            assertThat(f.getFloatArray("tokenizer.ggml.scores")).hasSize(512);
            assertThat(f.getIntArray("tokenizer.ggml.token_type")).hasSize(512);
            assertThat(f.tensors()).hasSize(48);
            GgufTensorInfo emb = f.tensorInfo("token_embd.weight").orElseThrow();
            assertThat(emb.type()).isEqualTo(GgmlType.F32);
            assertThat(emb.shape()).containsExactly(64, 512);
            assertThat(f.tensorData(emb).byteSize()).isEqualTo(64L * 512 * 4);
            assertThat(f.dataOffset() % f.alignment()).isZero();
        }
    }

    @Test
    void readsMixedQuantTypes() throws Exception {
        try (GgufFile f = GgufFile.open(SharedAssets.require("models/stories260K-q4_0-mix.gguf"))) {
            assertThat(f.tensors()).extracting(GgufTensorInfo::type)
                    .contains(GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q8_0, GgmlType.F16, GgmlType.F32);
        }
    }

    @Test
    void rejectsBadMagic() throws Exception {
        byte[] img = new Builder().build();
        img[0] = 'X';
        assertThatThrownBy(() -> parse(img)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("offset 0, magic").hasMessageContaining("not a GGUF file");
    }

    @Test
    void rejectsWrongVersion() {
        byte[] img = new Builder().version(1).build();
        assertThatThrownBy(() -> parse(img)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("version").hasMessageContaining("expected 2 or 3, found 1");
        byte[] img4 = new Builder().version(4).build();
        assertThatThrownBy(() -> parse(img4)).hasMessageContaining("found 4");
    }

    @Test
    void rejectsEveryTruncationOfAValidFile() throws Exception {
        byte[] full = Files.readAllBytes(SharedAssets.require("models/stories260K.gguf"));
        // Cut the header at many points and the data at a few: every cut must give a clean one-line error.
        int[] cuts = {0, 3, 4, 7, 8, 15, 16, 23, 24, 40, 100, 1000, 5000, 20000, full.length / 2, full.length - 1};
        for (int cut : cuts) {
            byte[] part = Arrays.copyOf(full, cut);
            assertThatThrownBy(() -> parse(part)).as("cut at %d", cut).isInstanceOf(GgufFormatException.class)
                    .message().doesNotContain("\n").containsAnyOf("truncated", "remain", "beyond");
        }
    }

    @Test
    void hugeCountsAreRefusedBeforeAllocation() {
        byte[] tensors = new Builder().tensorCount(Long.MAX_VALUE / 2).build();
        assertThatThrownBy(() -> parse(tensors)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("tensor_count").hasMessageContaining("cannot fit");
        byte[] kvs = new Builder().kvCount(-1).build();
        assertThatThrownBy(() -> parse(kvs)).hasMessageContaining("metadata_kv_count");
        byte[] arr = new Builder().kvCount(1).key("a").u32(9 /* ARRAY */).u32(4 /* UINT32 */).u64(1L << 40).build();
        assertThatThrownBy(() -> parse(arr)).hasMessageContaining("length of array 'a'").hasMessageContaining(
                "cannot fit");
        byte[] str = new Builder().kvCount(1).key("s").u32(8 /* STRING */).u64(Long.MAX_VALUE).build();
        assertThatThrownBy(() -> parse(str)).hasMessageContaining("string length");
    }

    @Test
    void rejectsUnknownTensorTypeAndBadShapes() {
        byte[] unknown = new Builder().tensorCount(1).key("w").u32(2).u64(32).u64(2).u32(99).u64(0).build();
        assertThatThrownBy(() -> parse(unknown)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("type of tensor 'w'").hasMessageContaining("unknown or unsupported ggml type id 99");
        byte[] dims = new Builder().tensorCount(1).key("w").u32(7).build();
        assertThatThrownBy(() -> parse(dims)).hasMessageContaining("n_dims of tensor 'w'");
        byte[] neg = new Builder().tensorCount(1).key("w").u32(1).u64(-5).build();
        assertThatThrownBy(() -> parse(neg)).hasMessageContaining("ne[0] of tensor 'w'");
        byte[] block = new Builder().tensorCount(1).key("w").u32(1).u64(33).u32(GgmlType.Q8_0.id()).u64(0).build();
        assertThatThrownBy(() -> parse(block)).hasMessageContaining("not a multiple of the Q8_0 block size 32");
        byte[] beyond = new Builder().tensorCount(1).key("w").u32(1).u64(1 << 20).u32(0).u64(0).build();
        assertThatThrownBy(() -> parse(beyond)).hasMessageContaining("truncated");
    }

    @Test
    void rejectsUnknownValueTypeAndBadBool() {
        byte[] vt = new Builder().kvCount(1).key("k").u32(13).build();
        assertThatThrownBy(() -> parse(vt)).hasMessageContaining("unknown metadata value type 13");
        byte[] b = new Builder().kvCount(1).key("k").u32(7).u8(2).build();
        assertThatThrownBy(() -> parse(b)).hasMessageContaining("expected a bool");
    }

    @Test
    void readsEveryMetadataType() {
        Builder b = new Builder().kvCount(13);
        b.key("u8").u32(0).u8(250);
        b.key("i8").u32(1).u8(-3);
        b.key("u16").u32(2).u16(65000);
        b.key("i16").u32(3).u16(-2);
        b.key("u32").u32(4).u32(0xFFFFFFFF);
        b.key("i32").u32(5).u32(-7);
        b.key("f32").u32(6).f32(1.5f);
        b.key("bool").u32(7).u8(1);
        b.key("str").u32(8).key("héllo");
        b.key("u64").u32(10).u64(1L << 40);
        b.key("i64").u32(11).u64(-9);
        b.key("f64").u32(12).f64(2.25);
        b.key("arr").u32(9).u32(8).u64(2).key("a").key("b");
        GgufFile f = parse(b.build());
        assertThat(f.getLong("u8")).isEqualTo(250);
        assertThat(f.getLong("i8")).isEqualTo(-3);
        assertThat(f.getLong("u16")).isEqualTo(65000);
        assertThat(f.getLong("i16")).isEqualTo(-2);
        assertThat(f.getLong("u32")).isEqualTo(0xFFFFFFFFL);
        assertThat(f.getInt("i32")).isEqualTo(-7);
        assertThat(f.getFloat("f32")).isEqualTo(1.5f);
        assertThat(f.getBoolean("bool")).isTrue();
        assertThat(f.getString("str")).isEqualTo("héllo");
        assertThat(f.getLong("u64")).isEqualTo(1L << 40);
        assertThat(f.getLong("i64")).isEqualTo(-9);
        assertThat(f.getFloat("f64")).isEqualTo(2.25f);
        assertThat(f.getStringArray("arr")).containsExactly("a", "b");
        assertThatThrownBy(() -> f.getInt("u64")).hasMessageContaining("32-bit");
        assertThatThrownBy(() -> f.getString("u8")).hasMessageContaining("expected a string, found UINT8");
        assertThatThrownBy(() -> f.getString("nope")).hasMessageContaining("'nope' is missing");
    }

    private static GgufFile parse(byte[] image) {
        return GgufFile.parse("test.gguf", MemorySegment.ofArray(image));
    }

    /** Writes GGUF headers field by field, so tests can build malformed ones. */
    static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private int version = 3;
        private long tensors;
        private long kvs;

        Builder version(int v) { version = v; return this; }
        Builder tensorCount(long n) { tensors = n; return this; }
        Builder kvCount(long n) { kvs = n; return this; }
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        Builder u8(int v) { body.write(v); return this; }
        Builder u16(int v) { return raw(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v)); }
        Builder u32(int v) { return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v)); }
        Builder u64(long v) { return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v)); }
        Builder f32(float v) { return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v)); }
        Builder f64(double v) { return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(v)); }
        Builder key(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            body.writeBytes(b);
            return this;
        }
        private Builder raw(ByteBuffer bb) { body.writeBytes(bb.array()); return this; }

        byte[] build() {
            ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(GgufFile.MAGIC).putInt(version).putLong(tensors).putLong(kvs);
            out.writeBytes(h.array());
            out.writeBytes(body.toByteArray());
            return out.toByteArray();
        }
    }
}
