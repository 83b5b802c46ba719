package dev.coffer.tee.natives;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.tee.memory.MemoryMode;
import dev.coffer.tee.memory.MemoryPolicy;
import dev.coffer.tee.memory.SecretMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Secret memory, memlock limits and the shared staging memory, in this (root) test JVM. */
class SecretMemoryTest {
    private static final int PAGE = 4096;
    private static final int EIO = 5;

    @Test
    void secretMemoryHoldsDataButIsUnreadableThroughProcMem() {
        long size = 4L * PAGE;
        long[] mapped = Native.secretMap(size, MemoryPolicy.MEMFD_SECRET.code());
        long address = mapped[0];
        assertThat(mapped[1]).as("this kernel has memfd_secret").isEqualTo(Native.MODE_MEMFD_SECRET);
        assertThat(address % PAGE).isZero();

        Native.populate(address, size);
        MemorySegment secret = MemorySegment.ofAddress(address).reinterpret(size);
        assertThat(secret.get(ValueLayout.JAVA_LONG, 0)).as("fresh secret memory is zero").isZero();
        long canary = 0x5ec4e7ca7a4711L;
        secret.set(ValueLayout.JAVA_LONG, 0, canary);
        secret.set(ValueLayout.JAVA_LONG, size - 8, ~canary);
        Native.populate(address, size); // populating again must keep what is there
        assertThat(secret.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(canary);
        assertThat(secret.get(ValueLayout.JAVA_LONG, size - 8)).isEqualTo(~canary);

        int self = (int) ProcessHandle.current().pid();
        byte[] out = new byte[16];
        assertThat(Native.readProcessMemory(self, address, out))
                .as("secret pages are not in the kernel's direct map, so /proc/self/mem cannot read them")
                .isEqualTo(-EIO);

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment plain = arena.allocate(PAGE, PAGE);
            plain.set(ValueLayout.JAVA_LONG, 0, canary);
            assertThat(Native.readProcessMemory(self, plain.address(), out)).isEqualTo(16);
            assertThat(MemorySegment.ofArray(out).get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).isEqualTo(canary);
        }

        Native.secretUnmap(address, size, size);
        // Not touched again: another JVM thread may already have mapped something at that address.
    }

    @Test
    void fallbackIsNotUsedWhenSecretMemoryExists() {
        long[] mapped = Native.secretMap(PAGE, MemoryPolicy.MEMFD_SECRET_OR_MLOCK.code());
        try {
            assertThat(mapped[1]).isEqualTo(Native.MODE_MEMFD_SECRET);
        } finally {
            Native.secretUnmap(mapped[0], PAGE, 0);
        }
    }

    @Test
    void theMlockPolicyGivesMlockedMemoryEvenWhereSecretMemoryExists() {
        long[] mapped = Native.secretMap(PAGE, MemoryPolicy.MLOCK.code());
        try {
            assertThat(mapped[1]).isEqualTo(Native.MODE_MLOCKED);
            MemorySegment m = MemorySegment.ofAddress(mapped[0]).reinterpret(PAGE);
            m.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 42L);
            assertThat(m.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0)).isEqualTo(42L);
        } finally {
            Native.secretUnmap(mapped[0], PAGE, PAGE);
        }
        try (SecretMemory memory = SecretMemory.withBudget(1L << 20, MemoryPolicy.MLOCK)) {
            memory.allocate(PAGE, "mlock policy").close();
            assertThat(memory.mode()).isEqualTo(MemoryMode.MLOCKED);
        }
    }

    @Test
    void populateInParallelOnDisjointRanges() throws InterruptedException {
        long size = 64L * PAGE;
        long address = Native.secretMap(size, MemoryPolicy.MEMFD_SECRET.code())[0];
        try {
            Thread[] threads = new Thread[4];
            for (int i = 0; i < threads.length; i++) {
                long start = address + i * (size / threads.length);
                threads[i] = Thread.ofPlatform().start(() -> Native.populate(start, size / 4));
            }
            for (Thread t : threads) {
                t.join();
            }
            MemorySegment secret = MemorySegment.ofAddress(address).reinterpret(size);
            secret.fill((byte) 0x5a);
            assertThat(secret.get(ValueLayout.JAVA_BYTE, size - 1)).isEqualTo((byte) 0x5a);
        } finally {
            Native.secretUnmap(address, size, size);
        }
    }

    @Test
    void memlockLimitIsSaneAndRaisingNeverLowers() {
        long[] limit = Native.memlockLimit();
        long soft = limit[0];
        long hard = limit[1];
        assertThat(soft).isGreaterThanOrEqualTo(-1);
        assertThat(hard).isGreaterThanOrEqualTo(-1);
        if (hard != -1) {
            assertThat(soft).isBetween(0L, hard);
        }
        assertThat(Native.raiseMemlockLimit(0)).as("never lowers").isEqualTo(soft);
        assertThat(Native.memlockLimit()).containsExactly(soft, hard);
        // Raising to what it is already is a no-op too (a real raise is tested in MemlockLimitTest's child, so this
        // JVM's limit stays as the build found it).
        assertThat(Native.raiseMemlockLimit(soft == -1 ? -1 : soft)).isEqualTo(soft);
    }

    @Test
    void ipcLockCapabilityMatchesProcStatus() throws IOException {
        String capEff = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("CapEff:")).findFirst().orElseThrow().substring(7).trim();
        boolean expected = (Long.parseUnsignedLong(capEff, 16) & (1L << 14)) != 0; // CAP_IPC_LOCK = 14
        assertThat(Native.hasIpcLockCapability()).isEqualTo(expected);
    }

    @Test
    void stagingMemoryIsSharedBetweenMappings() {
        int fd = Native.memfdCreate("coffer-staging-test", 2L * PAGE);
        long a = Native.mapShared(fd, 2L * PAGE);
        long b = Native.mapShared(fd, 2L * PAGE);
        try {
            MemorySegment.ofAddress(a).reinterpret(2L * PAGE).set(ValueLayout.JAVA_INT, PAGE + 4, 0x1234abcd);
            assertThat(MemorySegment.ofAddress(b).reinterpret(2L * PAGE).get(ValueLayout.JAVA_INT, PAGE + 4))
                    .isEqualTo(0x1234abcd);
            assertThat(Libc.fcntl(fd, Libc.F_GETFD, 0) & 1).as("FD_CLOEXEC").isEqualTo(1);
        } finally {
            Native.unmap(a, 2L * PAGE);
            Native.unmap(b, 2L * PAGE);
            Native.close(fd);
        }
    }

    @Test
    void writeFullyFallsBackToWriteForDescriptorsThatAreNotSockets() {
        int fd = Native.memfdCreate("coffer-write-test", 0);
        long address = 0;
        try {
            byte[] text = "not a socket".getBytes(StandardCharsets.US_ASCII);
            Native.writeFully(fd, text, 4, text.length - 4);
            address = Native.mapShared(fd, PAGE);
            byte[] back = MemorySegment.ofAddress(address).reinterpret(PAGE).asSlice(0, text.length - 4)
                    .toArray(ValueLayout.JAVA_BYTE);
            assertThat(new String(back, StandardCharsets.US_ASCII)).isEqualTo("a socket");
        } finally {
            if (address != 0) {
                Native.unmap(address, PAGE);
            }
            Native.close(fd);
        }
    }
}
