package dev.coffer.secureworld;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.pack.AesGcm;
import dev.coffer.pack.ChunkCipher;
import dev.coffer.pack.Credential;
import dev.coffer.pack.DataKey;
import dev.coffer.pack.PackFile;
import dev.coffer.pack.PackFixture;
import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.pack.RestorePlan;
import dev.coffer.tee.channel.StagingRing;
import dev.coffer.tee.memory.SecretMemory;
import dev.coffer.tee.memory.SecretRegion;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Restoration against a host that misbehaves on the staging ring. */
class PackRestorationTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void aHostThatStopsFeedingFailsRestorationNamingTheChunkInsteadOfHanging() throws Exception {
        PackFixture f = new PackFixture(dir);
        Path pack = f.packForAlice("demo.cpack");
        try (PackFile p = PackFile.open(pack); SecretMemory memory = SecretMemory.withBudget(64L << 20, true);
             Arena arena = Arena.ofShared()) {
            RestorePlan plan = RestorePlan.resident(p.manifest());
            SecretRegion region = memory.allocate(plan.residentBytes(), "weights");
            ChunkCipher cipher;
            try (DataKey key = p.header().unwrap(Credential.of(RecipientPrivateKey.fromRaw(f.alice.raw())))) {
                cipher = new ChunkCipher(key, p.manifest());
            }
            int slot = p.maxChunkBytes() + AesGcm.TAG_BYTES;
            StagingRing ring = new StagingRing(arena.allocate(StagingRing.bytesNeeded(2, slot), 4096), 2, slot);
            ring.reset();
            ring.put(0, p.ciphertext(0), () -> false); // the host feeds the first chunk, then nothing more
            try (PackRestoration restoration = new PackRestoration(plan, cipher, region, new SecretRegion[0], ring,
                    300_000_000L)) {
                restoration.awaitChunk(0);
                assertThat(restoration.restoredChunks()).isEqualTo(1);
                assertThatThrownBy(() -> restoration.awaitChunk(1)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("the host stopped feeding the pack: no ciphertext for chunk 1");
            }
        }
    }
}
