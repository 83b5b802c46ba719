package dev.coffer.tee.natives;

import java.io.ByteArrayOutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A child started with {@link Native#spawn} that has one end of a socket pair as fd 3; the test holds the other.
 * A watchdog kills the child after a deadline so that a hung child fails the test (the host's blocking read then
 * sees end of stream) instead of hanging the build.
 */
final class ChildProcess implements AutoCloseable {
    static final String[] ENV = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"};
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "child-watchdog");
        t.setDaemon(true);
        return t;
    });

    final int pid;
    final int fd;
    private final ScheduledFuture<?> watchdog;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean reaped;
    private boolean closed;
    private int status;

    private ChildProcess(int pid, int fd, long deadlineSeconds) {
        this.pid = pid;
        this.fd = fd;
        this.watchdog = WATCHDOG.schedule(() -> {
            try {
                Native.kill(pid, 9);
            } catch (NativeCallException e) {
                // exited already
            }
        }, deadlineSeconds, TimeUnit.SECONDS);
    }

    /** Spawns {@code argv} with a fresh socket pair's child end as fd 3. */
    static ChildProcess start(List<String> argv, long deadlineSeconds) {
        int[] pair = Native.socketPair();
        int pid;
        try {
            pid = Native.spawn(argv.toArray(String[]::new), ENV, new int[] {pair[1]});
        } catch (RuntimeException e) {
            Native.close(pair[0]);
            throw e;
        } finally {
            Native.close(pair[1]);
        }
        return new ChildProcess(pid, pair[0], deadlineSeconds);
    }

    /** The command line of a child JVM running {@code main} from this module's class and test-class directories. */
    static List<String> javaCommand(Class<?> main, String... args) {
        return javaCommand(List.of(), main, args);
    }

    /** Same, with extra JVM flags. */
    static List<String> javaCommand(List<String> jvmFlags, Class<?> main, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(jvmFlags);
        command.addAll(List.of("-XX:+DisplayVMOutputToStderr", "-XX:-UsePerfData",
                "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-cp",
                location(Native.class) + ":" + location(main), main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    private static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static int hostPid() {
        return (int) ProcessHandle.current().pid();
    }

    /** The next line from the child, without its newline; null at end of stream. */
    String readLine() {
        byte[] one = new byte[1];
        while (true) {
            int n = Native.read(fd, one, 0, 1);
            if (n == 0) {
                return pending.size() == 0 ? null : take();
            }
            if (one[0] == '\n') {
                return take();
            }
            pending.write(one[0]);
        }
    }

    private String take() {
        String line = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return line;
    }

    /** Everything until end of stream. */
    String readAll() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = Native.read(fd, buffer, 0, buffer.length)) > 0) {
            out.write(buffer, 0, n);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** {@code key=value} lines until a line {@code end} (or end of stream). */
    Map<String, String> readReport(String end) {
        Map<String, String> report = new LinkedHashMap<>();
        String line;
        while ((line = readLine()) != null && !line.equals(end)) {
            int eq = line.indexOf('=');
            report.put(eq < 0 ? line : line.substring(0, eq), eq < 0 ? "" : line.substring(eq + 1));
        }
        return report;
    }

    void send(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Native.writeFully(fd, bytes, 0, bytes.length);
    }

    /** The raw wait status. */
    int waitFor() {
        if (!reaped) {
            status = Native.waitPid(pid, false);
            reaped = true;
            watchdog.cancel(false);
        }
        return status;
    }

    static boolean exited(int status) {
        return (status & 0x7f) == 0;
    }

    static int exitCode(int status) {
        return (status >> 8) & 0xff;
    }

    static int termSignal(int status) {
        return status & 0x7f;
    }

    /** Kills the child unless it was reaped, reaps it, closes the host's end; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!reaped) {
            try {
                Native.kill(pid, 9);
            } catch (NativeCallException e) {
                // exited already
            }
            waitFor();
        }
        watchdog.cancel(false);
        Native.close(fd);
    }
}
