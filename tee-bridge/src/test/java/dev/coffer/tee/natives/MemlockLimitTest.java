package dev.coffer.tee.natives;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Secret memory for an unprivileged secure world under RLIMIT_MEMLOCK, and the mlocked fallback, in a child JVM
 * ({@link MemlockProbeMain}) started as nobody with a 64 KiB soft limit (this test JVM runs as root, and CAP_IPC_LOCK
 * ignores the limit).
 */
class MemlockLimitTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void limitIsExplainedRaisedAndTheFallbackIsLockedUndumpedAndWipedOnFork() {
        long hard = Native.memlockLimit()[1];
        assumeThat(hard == -1 || hard >= 2 * MIB).as("hard RLIMIT_MEMLOCK leaves room for the test").isTrue();
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c",
                "ulimit -S -l 64 && exec /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups -- \"$0\" \"$@\""));
        command.addAll(ChildProcess.javaCommand(MemlockProbeMain.class, Integer.toString(ChildProcess.hostPid())));
        try (ChildProcess child = ChildProcess.start(command, 20)) {
            Map<String, String> report = child.readReport("END");
            System.out.println("memlock child report: " + report);
            assertThat(child.waitFor()).as("exit status").isZero();

            assertThat(report).containsEntry("limit", "65536," + hard).containsEntry("ipcLock", "false");
            assertThat(report.get("tooBig")).startsWith("errno 11 mmap(memfd_secret) failed: EAGAIN")
                    .contains("1048576 bytes", "RLIMIT_MEMLOCK (soft 65536 bytes, hard "
                            + (hard == -1 ? "unlimited" : hard + " bytes"))
                    .contains("ulimit -l", "LimitMEMLOCK=", "--ulimit memlock=", "CAP_IPC_LOCK");
            assertThat(report).containsEntry("raiseZero", "65536").containsEntry("raise2m", Long.toString(2 * MIB))
                    .containsEntry("fits", "mode " + Native.MODE_MEMFD_SECRET)
                    .containsEntry("raiseUnlimited", Long.toString(hard))
                    .containsEntry("filter", "0");
            assertThat(report.get("noFallback")).startsWith("errno 38 memfd_secret failed: ENOSYS")
                    .contains("fallback to mlocked memory was not allowed");
            assertThat(report).containsEntry("fallbackMode", Long.toString(Native.MODE_MLOCKED));
            assertThat(report.get("fallbackFlags").split(" ")).as("locked, not dumped, wiped on fork")
                    .contains("lo", "dd", "wf");
            assertThat(report.get("fallbackLocked")).matches("Locked:\\s+64 kB");
            if (hard != -1) {
                assertThat(report.get("fallbackTooBig")).startsWith("errno 12 mlock2 failed: ENOMEM")
                        .contains("RLIMIT_MEMLOCK (soft " + hard + " bytes");
            }
        }
    }
}
