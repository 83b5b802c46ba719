package dev.coffer.host.cli;

import java.util.function.LongConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar over bytes written (MiB, with throughput) on stderr, or nothing when disabled. */
final class ByteProgress implements LongConsumer, AutoCloseable {
    private final ProgressBar bar;

    private ByteProgress(ProgressBar bar) {
        this.bar = bar;
    }

    static ByteProgress start(String task, long totalBytes, boolean enabled) {
        if (!enabled) return new ByteProgress(null);
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(Math.max(1, totalBytes))
                .setUnit(" MiB", 1 << 20)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .showSpeed()
                .build();
        return new ByteProgress(bar);
    }

    @Override
    public synchronized void accept(long bytes) {
        if (bar != null) bar.stepBy(bytes);
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
