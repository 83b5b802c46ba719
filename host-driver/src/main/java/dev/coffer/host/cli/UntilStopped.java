package dev.coffer.host.cli;

import java.util.concurrent.CountDownLatch;

/** How the long-running commands (serve, keybroker, proxy) wait: until the JVM is asked to stop (Ctrl-C, SIGTERM),
 *  then they run {@code stop} to close their servers and wipe their keys before it exits. */
final class UntilStopped {
    private UntilStopped() {
    }

    static void await(String name, Runnable stop) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.run();
            stopped.countDown();
        }, "coffer-" + name + "-stop"));
        stopped.await();
    }
}
