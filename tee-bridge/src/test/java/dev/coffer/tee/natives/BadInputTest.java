package dev.coffer.tee.natives;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.coffer.tee.memory.MemoryPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Wrong arguments and failing calls end in clear exceptions, never in a crash or a silent success. */
class BadInputTest {
    private static final int EBADF = 9;
    private static final int EPIPE = 32;
    private static final int ENOENT = 2;
    private static final int EPERM = 1;

    @ParameterizedTest
    @ValueSource(longs = {0, -4096, 100, 4097})
    void secretMapWantsAPositiveMultipleOfThePageSize(long size) {
        assertThatThrownBy(() -> Native.secretMap(size, MemoryPolicy.MEMFD_SECRET_OR_MLOCK.code())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("secretMap: size " + size).hasMessageContaining("page size (4096 bytes)");
    }

    @Test
    void secretUnmapChecksItsArguments() {
        assertThatThrownBy(() -> Native.secretUnmap(0, 4096, 0)).isInstanceOf(IllegalArgumentException.class);
        long address = Native.secretMap(4096, MemoryPolicy.MEMFD_SECRET.code())[0];
        try {
            assertThatThrownBy(() -> Native.secretUnmap(address, 4096, 4097))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bytesToZero");
        } finally {
            Native.secretUnmap(address, 4096, 4096);
        }
    }

    @Test
    void readingAClosedDescriptorThrows() {
        int[] pair = Native.socketPair();
        Native.close(pair[0]);
        Native.close(pair[1]);
        assertThatThrownBy(() -> Native.read(pair[0], new byte[4], 0, 4)).isInstanceOfSatisfying(
                NativeCallException.class, e -> {
                    assertThat(e.errno()).isEqualTo(EBADF);
                    assertThat(e.call()).isEqualTo("read");
                    assertThat(e).hasMessageContaining("EBADF").hasMessageContaining("not an open descriptor");
                });
        assertThatThrownBy(() -> Native.close(pair[0])).isInstanceOfSatisfying(NativeCallException.class,
                e -> assertThat(e.errno()).isEqualTo(EBADF));
    }

    @Test
    void readAndWriteCheckTheRange() {
        int[] pair = Native.socketPair();
        try {
            assertThatThrownBy(() -> Native.read(pair[0], new byte[4], 2, 3))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Native.writeFully(pair[0], new byte[4], -1, 1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Native.read(pair[0], null, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        } finally {
            Native.close(pair[0]);
            Native.close(pair[1]);
        }
    }

    @Test
    void writingToADeadPeerIsEpipeNotSigpipe() {
        int[] pair = Native.socketPair();
        Native.close(pair[1]);
        try {
            byte[] data = new byte[100_000];
            assertThatThrownBy(() -> Native.writeFully(pair[0], data, 0, data.length))
                    .isInstanceOfSatisfying(NativeCallException.class, e -> {
                        assertThat(e.errno()).isEqualTo(EPIPE);
                        assertThat(e).hasMessageContaining("the other end is closed");
                    });
        } finally {
            Native.close(pair[0]);
        }
    }

    @Test
    void processCallsRefuseGroupPids() {
        assertThatThrownBy(() -> Native.kill(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Native.kill(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Native.waitPid(-1, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Native.waitPid(1, true)).isInstanceOfSatisfying(NativeCallException.class,
                e -> assertThat(e).hasMessageContaining("ECHILD").hasMessageContaining("not a child"));
    }

    @Test
    void spawnNamesWhatIsWrong() {
        assertThatThrownBy(() -> Native.spawn(new String[] {"sh", "-c", "true"}, new String[0], new int[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absolute path");
        assertThatThrownBy(() -> Native.spawn(new String[0], new String[0], new int[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Native.spawn(new String[] {"/nonexistent/program"}, new String[0], new int[0]))
                .isInstanceOfSatisfying(NativeCallException.class, e -> {
                    assertThat(e.errno()).isEqualTo(ENOENT);
                    assertThat(e).hasMessageContaining("/nonexistent/program");
                });
        int[] pair = Native.socketPair();
        Native.close(pair[0]);
        Native.close(pair[1]);
        assertThatThrownBy(() -> Native.spawn(new String[] {"/bin/true"}, new String[0], new int[] {pair[0]}))
                .isInstanceOfSatisfying(NativeCallException.class, e -> {
                    assertThat(e.errno()).isEqualTo(EBADF);
                    assertThat(e).hasMessageContaining("fds[0] = " + pair[0]);
                });
        assertThatThrownBy(() -> Native.spawn(new String[] {"/bin/true", null}, new String[0], new int[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("argv[1] is null");
    }

    @Test
    void receiveListenerRejectsAnythingButTheListenerMessage() {
        int[] pair = Native.socketPair();
        try {
            Native.writeFully(pair[1], new byte[] {'S'}, 0, 1);
            assertThatThrownBy(() -> Native.receiveListener(pair[0])).isInstanceOf(NativeCallException.class)
                    .hasMessageContaining("carried no descriptor");
            Native.close(pair[1]);
            assertThatThrownBy(() -> Native.receiveListener(pair[0])).isInstanceOf(NativeCallException.class)
                    .hasMessageContaining("closed fd " + pair[0] + " before sending");
        } finally {
            Native.close(pair[0]);
        }
    }

    @Test
    void superviseTimesOutAndRefusesADescriptorThatIsNoListener() {
        int[] pair = Native.socketPair();
        try {
            long start = System.nanoTime();
            assertThat(Native.superviseDenied(pair[0], 50)).isEqualTo(Native.SUPERVISE_TIMEOUT);
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(40_000_000L);
            Native.writeFully(pair[1], new byte[] {1}, 0, 1); // readable, but not a seccomp listener
            assertThatThrownBy(() -> Native.superviseDenied(pair[0], 1000))
                    .isInstanceOfSatisfying(NativeCallException.class,
                            e -> assertThat(e.call()).isEqualTo("ioctl(SECCOMP_IOCTL_NOTIF_RECV)"));
        } finally {
            Native.close(pair[0]);
            Native.close(pair[1]);
        }
    }

    @Test
    void installSeccompWithoutNoNewPrivsThrowsBeforeInstallingAnything() throws IOException {
        // Guard: were no_new_privs set in this JVM, the call would filter the test JVM itself.
        String nnp = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("NoNewPrivs:")).findFirst().orElseThrow();
        assumeThat(nnp).endsWith("0");
        int[] pair = Native.socketPair();
        try {
            assertThatThrownBy(() -> Native.installSeccomp(pair[0])).isInstanceOfSatisfying(
                    NativeCallException.class, e -> {
                        assertThat(e.errno()).isEqualTo(EPERM);
                        assertThat(e).hasMessageContaining("PR_SET_NO_NEW_PRIVS").hasMessageContaining("harden");
                    });
            assertThat(Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Seccomp:")).findFirst().orElseThrow()).endsWith("0");
        } finally {
            Native.close(pair[0]);
            Native.close(pair[1]);
        }
    }

    @Test
    void probesRefuseNonsense() {
        assertThatThrownBy(() -> Native.ptracePeek(0, 0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Native.readProcessMemoryAs(1, 0, -1, -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Native.memfdCreate(null, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Native.raiseMemlockLimit(-2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void allowlistDescribesTheCompiledRules() {
        String[] lines = Native.seccompAllowlist();
        assertThat(lines).allSatisfy(l -> assertThat(StandardCharsets.US_ASCII.newEncoder().canEncode(l)).isTrue());
        assertThat(lines).contains(
                "filter 1: clone: allow only if arg0 has CLONE_THREAD - [needed] new threads of this process, "
                        + "never a new process");
        assertThat(lines).anyMatch(l -> l.startsWith("filter 1: clone3: fail with ENOSYS - "));
        assertThat(lines).anyMatch(l -> l.startsWith("filter 1: prctl: allow only if arg0 == PR_SET_NAME - "));
        assertThat(lines).anyMatch(l -> l.startsWith("filter 1: every other call: ask the host - "));
        assertThat(lines).anyMatch(l -> l.startsWith("filter 2: sendmsg: fail with EPERM - "));
        assertThat(lines).anyMatch(l -> l.startsWith("filter 2: every other call: allow - "));
        assertThat(Arrays.stream(lines).filter(l -> l.contains("PR_SET_DUMPABLE ==") || l.contains(": open")))
                .isEmpty();
    }
}
