package dev.coffer.tee.natives;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@link Native#spawn}: descriptors in and nothing else, stdio, wait and kill, with real shells. */
class SpawnTest {

    @Test
    void childWritesToThePassedDescriptorAndExitsZero() {
        try (ChildProcess child = ChildProcess.start(List.of("/bin/sh", "-c", "printf hello >&3"), 10)) {
            assertThat(child.readAll()).isEqualTo("hello");
            assertThat(child.waitFor()).as("raw wait status of exit 0").isZero();
        }
    }

    @Test
    void childSeesOnlyStdioAndThePassedDescriptor() {
        // A descriptor without FD_CLOEXEC (dup clears it) that is not passed: closefrom must keep it out.
        int[] other = Native.socketPair();
        int leaky = Libc.fcntl(other[0], Libc.F_DUPFD, 100);
        assertThat(Libc.fcntl(leaky, Libc.F_GETFD, 0) & 1).as("not CLOEXEC").isZero();
        try (ChildProcess child = ChildProcess.start(List.of("/bin/sh", "-c",
                // the glob runs in the shell itself, before any redirection: it lists the shell's own descriptors
                // (plus the directory descriptor it reads them with)
                "for f in /proc/$$/fd/*; do printf '%s ' \"${f##*/}\" >&3; done; echo >&3;"
                        + " readlink /proc/$$/fd/0 >&3;"
                        + " [ \"$(readlink /proc/$$/fd/1)\" = \"$(readlink /proc/$$/fd/2)\" ] && echo same >&3"), 10)) {
            List<String> lines = child.readAll().lines().toList();
            assertThat(child.waitFor()).isZero();
            Set<Integer> fds = Arrays.stream(lines.get(0).trim().split(" ")).map(Integer::valueOf)
                    .collect(Collectors.toCollection(TreeSet::new));
            assertThat(fds).as("0-2, the passed 3, and 4 = the directory being listed").containsExactly(0, 1, 2, 3, 4);
            assertThat(lines.get(1)).as("stdin").isEqualTo("/dev/null");
            assertThat(lines.get(2)).as("stdout and stderr are one file").isEqualTo("same");
        } finally {
            Native.close(leaky);
            Native.close(other[0]);
            Native.close(other[1]);
        }
    }

    @Test
    void overlappingSourceAndTargetDescriptorsAreMovedCorrectly() {
        // Two socket pairs; their child ends p and q are swapped onto each other's numbers (each source is another
        // entry's target), and p also fills every other target from 3 up to both numbers.
        int[] pairP = Native.socketPair();
        int[] pairQ = Native.socketPair();
        int p = pairP[1];
        int q = pairQ[1];
        int count = Math.max(p, q) - 2;
        int[] fds = new int[count];
        Arrays.fill(fds, p);
        fds[p - 3] = q;
        fds[q - 3] = p;
        String targets = IntStream.range(3, 3 + count).mapToObj(Integer::toString).collect(Collectors.joining(" "));
        int pid = Native.spawn(new String[] {"/bin/bash", "-c",
            // the child's fd p holds q's socket
            "for f in /proc/$$/fd/*; do printf '%s ' \"${f##*/}\" >&" + p + "; done; echo >&" + p + ";"
                    + " for n in " + targets + "; do printf \"$n,\" >&$n; done"},
            ChildProcess.ENV, fds);
        Native.close(p);
        Native.close(q);
        try {
            assertThat(Native.waitPid(pid, false)).isZero();
            String fromP = drain(pairP[0]);
            String fromQ = drain(pairQ[0]);
            String[] qLines = fromQ.split("\n", 2);
            Set<Integer> seen = Arrays.stream(qLines[0].trim().split(" ")).map(Integer::valueOf)
                    .collect(Collectors.toCollection(TreeSet::new));
            List<Integer> expectedFds = new ArrayList<>(List.of(0, 1, 2));
            IntStream.range(3, 3 + count + 1).forEach(expectedFds::add); // + the directory descriptor
            assertThat(seen).as("targets only: the temporaries are closed").containsExactlyElementsOf(expectedFds);
            assertThat(qLines[1]).as("only target %d holds q's socket", p).isEqualTo(p + ",");
            String expectedP = IntStream.range(3, 3 + count).filter(n -> n != p).mapToObj(n -> n + ",")
                    .collect(Collectors.joining());
            assertThat(fromP).isEqualTo(expectedP);
        } finally {
            Native.close(pairP[0]);
            Native.close(pairQ[0]);
        }
    }

    @Test
    void waitPidWithNoHangReportsARunningChild() {
        try (ChildProcess child = ChildProcess.start(List.of("/bin/sh", "-c", "read x <&3; exit 7"), 10)) {
            assertThat(Native.waitPid(child.pid, true)).isEqualTo(-1);
            child.send("go\n");
            int status = child.waitFor();
            assertThat(ChildProcess.exited(status)).isTrue();
            assertThat(ChildProcess.exitCode(status)).isEqualTo(7);
        }
    }

    @Test
    void killDeliversTheSignal() {
        try (ChildProcess child = ChildProcess.start(List.of("/bin/sh", "-c", "read x <&3"), 10)) {
            Native.kill(child.pid, 15);
            int status = child.waitFor();
            assertThat(ChildProcess.exited(status)).isFalse();
            assertThat(ChildProcess.termSignal(status)).isEqualTo(15);
        }
    }

    @Test
    void shutdownWakesABlockedReader() throws InterruptedException {
        int[] pair = Native.socketPair();
        try {
            int[] got = {-2};
            Thread reader = Thread.ofPlatform().start(() -> got[0] = Native.read(pair[0], new byte[8], 0, 8));
            Thread.sleep(100);
            Native.shutdown(pair[0]);
            reader.join(5000);
            assertThat(reader.isAlive()).isFalse();
            assertThat(got[0]).as("end of stream").isZero();
        } finally {
            Native.close(pair[0]);
            Native.close(pair[1]);
        }
    }

    private static String drain(int fd) {
        StringBuilder out = new StringBuilder();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = Native.read(fd, buffer, 0, buffer.length)) > 0) {
            out.append(new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8));
        }
        return out.toString();
    }
}
