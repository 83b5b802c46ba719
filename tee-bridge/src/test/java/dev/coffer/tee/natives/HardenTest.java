package dev.coffer.tee.natives;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link Native#harden} in child JVMs: the parent check, and what the death signal is tied to. */
class HardenTest {

    @Test
    void exitsAt70WhenTheParentIsNotTheExpectedOne() {
        // pid 1 is never this test JVM, so the child takes its parent for dead.
        try (ChildProcess child = ChildProcess.start(ChildProcess.javaCommand(HardenProbeMain.class, "1"), 20)) {
            int status = child.waitFor();
            assertThat(ChildProcess.exited(status)).isTrue();
            assertThat(ChildProcess.exitCode(status)).isEqualTo(70);
            assertThat(child.readAll()).as("nothing reported").isEmpty();
        }
    }

    /**
     * PR_SET_PDEATHSIG fires when the parent <em>thread</em> exits, not the parent process: a host must spawn the
     * secure world from a thread that lives as long as the secure world should.
     */
    @Test
    void deathSignalFollowsTheSpawningThread() throws InterruptedException {
        AtomicReference<ChildProcess> spawned = new AtomicReference<>();
        AtomicReference<String> armed = new AtomicReference<>();
        Thread spawner = Thread.ofPlatform().name("short-lived-spawner").start(() -> {
            ChildProcess child = ChildProcess.start(
                    ChildProcess.javaCommand(HardenProbeMain.class, Integer.toString(ChildProcess.hostPid())), 20);
            spawned.set(child);
            armed.set(child.readLine()); // the death signal is armed once this arrives; then this thread ends
        });
        spawner.join(20_000);
        long spawnerGone = System.nanoTime();
        ChildProcess child = spawned.get();
        assertThat(child).isNotNull();
        try {
            assertThat(armed.get()).isEqualTo("ARMED dumpable=false");
            int status = child.waitFor(); // the host process lives on, fd 3 stays open: only SIGKILL ends it
            assertThat(ChildProcess.exited(status)).as("killed, not exited").isFalse();
            assertThat(ChildProcess.termSignal(status)).isEqualTo(9);
            assertThat((System.nanoTime() - spawnerGone) / 1_000_000).as("ms: the death signal, not the watchdog")
                    .isLessThan(5_000);
        } finally {
            child.close();
        }
    }
}
