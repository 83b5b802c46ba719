package dev.coffer.tee.natives;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The secure world's lifecycle for real: a child JVM ({@link SeccompProbeMain}) hardens itself and installs the
 * filter; this test is its host: it receives the listener, answers every refused call with EPERM and counts it,
 * and attacks the child's memory while it runs.
 */
class SeccompEndToEndTest {
    private static final int EPERM = 1;
    private static final int EIO = 5;
    private static final int EACCES = 13;
    private static final int NR_OPENAT = 257;
    private static final int NR_PRCTL = 157;
    private static final int SIGSYS = 31;

    @ParameterizedTest
    @ValueSource(strings = {"-XX:+UseG1GC", "-XX:+UseSerialGC"})
    void jvmRunsUnderTheFilterWhileTheHostAnswersWhatItRefuses(String gc) throws Exception {
        List<String> command = ChildProcess.javaCommand(List.of(gc), SeccompProbeMain.class,
                Integer.toString(ChildProcess.hostPid()));
        Map<Integer, Integer> denied = new ConcurrentHashMap<>();
        AtomicBoolean gone = new AtomicBoolean();
        AtomicReference<Throwable> supervisorFailure = new AtomicReference<>();
        Thread supervisor = null;
        int listener = -1;
        ChildProcess child = ChildProcess.start(command, 25);
        try {
            listener = Native.receiveListener(child.fd);
            int listenerFd = listener;
            supervisor = Thread.ofPlatform().name("seccomp-supervisor").start(() -> {
                try {
                    int nr;
                    while ((nr = Native.superviseDenied(listenerFd, 200)) != Native.SUPERVISE_GONE) {
                        if (nr >= 0) {
                            denied.merge(nr, 1, Integer::sum);
                        }
                    }
                    gone.set(true);
                } catch (Throwable t) {
                    supervisorFailure.set(t);
                }
            });

            Map<String, String> report = child.readReport("READY");
            System.out.println("[" + gc + "] child report: " + report);
            assertThat(report).containsEntry("dumpable", "false")
                    .containsEntry("mode", Long.toString(Native.MODE_MEMFD_SECRET))
                    .containsEntry("secretIntact", "true")
                    .containsEntry("reinstall", "errno " + EPERM)
                    .containsEntry("isDumpable", "errno " + EPERM)
                    .as("filter 2 refuses another filter and sendmsg").containsEntry("seccompAgain", "-" + EPERM)
                    .containsEntry("sendmsg", "-" + EPERM);
            assertThat(report.get("open")).as("the refusal reaches Java as EPERM")
                    .isEqualTo("refused java.io.FileNotFoundException: /etc/hostname (Operation not permitted)");
            assertThat(report.get("spawn")).startsWith("refused ");
            assertThat(report.get("work")).isNotBlank();

            Map<String, String> status = procStatus(child.pid);
            assertThat(status).containsEntry("NoNewPrivs", "1").containsEntry("Seccomp", "2")
                    .containsEntry("Seccomp_filters", "2");

            long secret = Long.parseUnsignedLong(report.get("secret"), 16);
            long plain = Long.parseUnsignedLong(report.get("plain"), 16);
            byte[] out = new byte[8];
            assertThat(Native.readProcessMemory(child.pid, secret, out)).as("/proc/PID/mem on secret memory")
                    .isEqualTo(-EIO);
            assertThat(Native.readProcessMemory(child.pid, plain, out)).as("/proc/PID/mem on the heap, as root")
                    .isEqualTo(8);
            assertThat(MemorySegment.ofArray(out).get(ValueLayout.JAVA_LONG_UNALIGNED, 0))
                    .isEqualTo(SeccompProbeMain.PLAIN_CANARY);
            assertThat(Native.readProcessMemoryAs(child.pid, plain, 8, -1)).isEqualTo(8);
            assertThat(Native.readProcessMemoryAs(child.pid, plain, 8, 65534)).as("as nobody")
                    .isIn(-EACCES, -EPERM);
            assertThat(Native.ptracePeek(child.pid, plain, 65534)).as("attach as nobody")
                    .containsExactly(-EPERM, 2);
            assertThat(Native.ptracePeek(child.pid, secret, -1)).as("peek at secret memory as root")
                    .containsExactly(-EIO, 3);
            assertThat(Native.ptracePeek(child.pid, plain, -1)).as("peek at the heap as root")
                    .containsExactly(0, SeccompProbeMain.PLAIN_CANARY);

            child.send("x");
            Map<String, String> bye = child.readReport("BYE");
            assertThat(bye).containsEntry("got", "x").containsKey("work");
            // Exited, not yet reaped: the supervisor already reports GONE (on Linux 6.18; the contract's "every
            // task has exited" holds literally, a host need not reap first).
            awaitZombie(child.pid);
            supervisor.join(5_000);
            assertThat(supervisorFailure.get()).isNull();
            assertThat(gone).as("GONE once the secure world has exited").isTrue();
            int waitStatus = child.waitFor();
            assertThat(waitStatus).as("child exit status").isZero();

            assertThat(denied.getOrDefault(NR_OPENAT, 0)).as("openat refused and counted").isPositive();
            assertThat(denied.getOrDefault(NR_PRCTL, 0)).as("prctl(PR_GET_DUMPABLE) refused").isPositive();
            assertThat(denied).as("filter 2 answers these itself, without the host")
                    .doesNotContainKeys(SeccompProbeMain.NR_SECCOMP, SeccompProbeMain.NR_SENDMSG);
        } finally {
            child.close(); // kills it if a check failed early; the supervisor then sees it gone
            if (supervisor != null) {
                supervisor.join(5_000);
            }
            Map<String, Integer> named = new TreeMap<>();
            denied.forEach((nr, count) -> named.put(dev.coffer.tee.SyscallNames.name(nr), count));
            System.out.println("[" + gc + "] wait status " + Integer.toHexString(child.waitFor())
                    + ", refused calls: " + named);
            if (listener >= 0) {
                Native.close(listener);
            }
        }
    }

    @Test
    void x32SystemCallKillsTheProcess() throws Exception {
        List<String> command = ChildProcess.javaCommand(SeccompProbeMain.class,
                Integer.toString(ChildProcess.hostPid()), "x32");
        Map<Integer, Integer> denied = new ConcurrentHashMap<>();
        try (ChildProcess child = ChildProcess.start(command, 25)) {
            int listener = Native.receiveListener(child.fd);
            Thread supervisor = Thread.ofPlatform().name("seccomp-supervisor").start(() -> {
                int nr;
                while ((nr = Native.superviseDenied(listener, 200)) != Native.SUPERVISE_GONE) {
                    if (nr >= 0) {
                        denied.merge(nr, 1, Integer::sum);
                    }
                }
            });
            try {
                assertThat(child.readLine()).isEqualTo("READY");
                int status = child.waitFor();
                assertThat(child.readAll()).as("nothing after the x32 call").isEmpty();
                assertThat(ChildProcess.exited(status)).isFalse();
                assertThat(ChildProcess.termSignal(status)).as("SECCOMP_RET_KILL_PROCESS: SIGSYS").isEqualTo(SIGSYS);
            } finally {
                child.close();
                supervisor.join(5_000);
                Native.close(listener);
            }
            assertThat(denied).doesNotContainKey((int) (SeccompProbeMain.X32_SYSCALL_BIT | 39));
        }
    }

    private static void awaitZombie(int pid) throws IOException, InterruptedException {
        Path stat = Path.of("/proc/" + pid + "/stat");
        for (int i = 0; i < 500; i++) {
            String text = Files.readString(stat);
            if (text.substring(text.lastIndexOf(')') + 2).startsWith("Z")) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("process " + pid + " did not exit");
    }

    private static Map<String, String> procStatus(int pid) throws IOException {
        Map<String, String> status = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                status.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return status;
    }
}
