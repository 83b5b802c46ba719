package dev.coffer.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestorePlanTest {
    @TempDir
    static Path dir;
    static PackManifest manifest;

    @BeforeAll
    static void setUp() throws IOException {
        PackFixture f = new PackFixture(dir);
        try (PackFile p = PackFile.open(f.packForAlice("plan.cpack"))) {
            manifest = p.manifest();
        }
    }

    @Test
    void allResidentIsOnePassOfEveryChunkPackedBackToBack() {
        RestorePlan p = RestorePlan.resident(manifest);
        assertThat(p.layers()).isEqualTo(4);
        assertThat(p.streamedLayers()).isZero();
        assertThat(p.residentBytes()).isEqualTo(manifest.plaintextSize());
        assertThat(p.weightBytes()).isEqualTo(manifest.plaintextSize());
        long expected = 0;
        for (int i = 0; i < manifest.chunks().size(); i++) {
            assertThat(p.chunkAt(i)).isEqualTo(i);
            assertThat(p.packedOffset(i)).isEqualTo(expected);
            expected += manifest.chunks().get(i).length();
        }
        assertThatThrownBy(() -> p.chunkAt(manifest.chunks().size())).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void streamedLayersRepeatInLayerOrderAfterTheInitialPass() {
        RestorePlan p = new RestorePlan(manifest, 2, 2);
        int c = manifest.chunks().size();
        List<Integer> round = new ArrayList<>();
        for (int i = 0; i < c; i++) if (p.isStreamed(i)) round.add(i);
        assertThat(round).allSatisfy(i -> assertThat(p.layerOf(i)).isIn(2, 3));
        for (int r = 0; r < 3; r++) {
            for (int j = 0; j < round.size(); j++) assertThat(p.chunkAt(c + (long) r * round.size() + j)).isEqualTo(round.get(j));
        }
        assertThat(p.streamedBytesPerStep()).isEqualTo(p.layerBytes(2) + p.layerBytes(3));
        assertThat(p.slotBytes()).isEqualTo(Math.max(p.layerBytes(2), p.layerBytes(3)));
        assertThat(p.residentBytes() + p.streamedBytesPerStep()).isEqualTo(manifest.plaintextSize());
        assertThat(p.streamedLayer(0)).isEqualTo(2);
        assertThat(p.streamedLayer(1)).isEqualTo(3);
        assertThat(p.streamedLayer(2)).isEqualTo(2);
        // each streamed layer's chunks are packed from 0 in its slot, opened by its first and closed by its last
        for (int l : new int[] {2, 3}) {
            List<Integer> mine = round.stream().filter(i -> p.layerOf(i) == l).toList();
            assertThat(p.opensLayer(mine.getFirst())).isTrue();
            assertThat(p.closesLayer(mine.getLast())).isTrue();
            assertThat(mine.stream().filter(p::opensLayer)).hasSize(1);
            assertThat(p.packedOffset(mine.getFirst())).isZero();
        }
    }

    @Test
    void theHeaderIsTheLeadingChunksAndMustStartTheFile() {
        assertThat(manifest.headerChunks()).isPositive();
        assertThat(manifest.headerBytes()).isEqualTo(manifest.chunks().get(manifest.headerChunks() - 1).end());
        List<ChunkEntry> chunks = new ArrayList<>(manifest.chunks());
        ChunkEntry second = chunks.get(1);
        chunks.set(1, new ChunkEntry(second.offset(), second.length(), ChunkPlan.HEADER_LABEL + " (moved)",
                second.ciphertextSha256()));
        if (manifest.headerChunks() == 1) { // the relabelled chunk follows the header directly: still the file's start
            assertThat(withChunks(chunks).headerChunks()).isEqualTo(2);
        }
        // a "header" chunk that is not back to back with the ones before it is refused
        List<ChunkEntry> swapped = new ArrayList<>(manifest.chunks());
        ChunkEntry later = swapped.get(3);
        swapped.set(1, new ChunkEntry(later.offset(), later.length(), ChunkPlan.HEADER_LABEL, later.ciphertextSha256()));
        swapped.set(3, new ChunkEntry(second.offset(), second.length(), second.label(), second.ciphertextSha256()));
        assertThatThrownBy(() -> withChunks(swapped).headerChunks()).isInstanceOf(PackFormatException.class)
                .hasMessageContaining("not the start of the model file");
        assertThat(manifest.maxChunkBytes()).isEqualTo(PackFixture.SMALL_CHUNKS);
    }

    private static PackManifest withChunks(List<ChunkEntry> chunks) {
        return manifest.withChunks(chunks);
    }

    @Test
    void aBudgetStreamsTheFewestLayersThatFit() {
        RestorePlan all = RestorePlan.resident(manifest);
        assertThat(RestorePlan.forBudget(manifest, all.weightBytes()).streamedLayers()).isZero();
        RestorePlan smallest = new RestorePlan(manifest, all.layers(), 1);
        long budget = (all.weightBytes() + smallest.weightBytes()) / 2;
        RestorePlan half = RestorePlan.forBudget(manifest, budget);
        assertThat(half.streamedLayers()).isPositive();
        assertThat(half.weightBytes()).isLessThanOrEqualTo(budget);
        if (half.streamedLayers() > 1 && half.slots() == 2) {
            RestorePlan fewer = new RestorePlan(manifest, half.streamedLayers() - 1, Math.min(2, half.streamedLayers() - 1));
            assertThat(fewer.weightBytes()).isGreaterThan(budget);
        }
        assertThat(RestorePlan.forBudget(manifest, smallest.weightBytes()).slots()).isEqualTo(1);
        assertThatThrownBy(() -> RestorePlan.forBudget(manifest, 1000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too small");
        assertThatThrownBy(() -> new RestorePlan(manifest, 5, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RestorePlan(manifest, 2, 3)).isInstanceOf(IllegalArgumentException.class);
    }
}
