package dev.coffer.tee.natives;

import dev.coffer.tee.memory.MemoryPolicy;
import java.io.FileInputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A secure world in miniature, run as a child JVM by {@link SeccompEndToEndTest}: hardens itself, puts a canary in
 * secret memory and one in ordinary memory, installs the seccomp filter (fd 3 is the channel to the host), then
 * tries what the filter must refuse and does what a JVM must still be able to do. It reports {@code key=value}
 * lines, then {@code READY}, and waits for one byte from the host (which probes its memory meanwhile) before
 * exiting 0. With a second argument {@code x32} it reports {@code READY} right after the filter and makes an x32
 * system call, which must kill it.
 *
 * <p>After the filter no class may be loaded from the class path: that is a directory here, and reading it needs
 * open(2). Every class of this file is loaded before, and string building avoids {@code +} (its invokedynamic
 * bootstrap would be new code to link after the filter).
 */
public final class SeccompProbeMain {
    static final long SECRET_CANARY = 0x5ec2e7_c0ffee_11L;
    static final long PLAIN_CANARY = 0x0b5e_12ab1e_da7aL;
    private static final int CHANNEL = 3;
    private static final int PAGE = 4096;
    private static final int NR_GETPID = 39;
    static final long X32_SYSCALL_BIT = 0x4000_0000L;
    static final int NR_SENDMSG = 46;
    static final int NR_SECCOMP = 317;
    private static final int SECCOMP_SET_MODE_FILTER = 1;
    private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;

    private SeccompProbeMain() {
    }

    public static void main(String[] args) throws Exception {
        Native.harden(Integer.parseInt(args[0]));
        boolean dumpable = Native.isDumpable();

        long[] secret = Native.secretMap(PAGE, MemoryPolicy.MEMFD_SECRET.code());
        Native.populate(secret[0], PAGE);
        MemorySegment secretSegment = MemorySegment.ofAddress(secret[0]).reinterpret(PAGE);
        secretSegment.set(ValueLayout.JAVA_LONG, 0, SECRET_CANARY);
        MemorySegment plain = Arena.global().allocate(PAGE, PAGE);
        plain.set(ValueLayout.JAVA_LONG, 0, PLAIN_CANARY);

        // Probes of filter 2, prepared before the filter: an allow-everything program to install, and an empty
        // message to send (both calls would succeed without the filter).
        MemorySegment allowAll = Arena.global().allocate(8, 8);
        allowAll.set(ValueLayout.JAVA_SHORT, 0, (short) 0x06);    // ret
        allowAll.set(ValueLayout.JAVA_INT, 4, 0x7fff_0000);       // SECCOMP_RET_ALLOW
        MemorySegment fprog = Arena.global().allocate(16, 8);
        fprog.set(ValueLayout.JAVA_SHORT, 0, (short) 1);
        fprog.set(ValueLayout.ADDRESS, 8, allowAll);
        MemorySegment emptyMessage = Arena.global().allocate(56, 8); // struct msghdr, no data

        for (Class<?> c : new Class<?>[] {Report.class, Worker.class, Libc.class}) {
            Class.forName(c.getName(), true, SeccompProbeMain.class.getClassLoader());
        }
        Worker.runAll(1); // warm-up: the same code paths before the filter
        Libc.syscall(NR_GETPID, 0, 0, 0);

        Native.installSeccomp(CHANNEL);

        if (args.length > 1 && args[1].equals("x32")) {
            // getpid with the x32 bit: filter 1 kills the process before the host could be asked.
            new Report().send("READY");
            long result = Libc.syscall(X32_SYSCALL_BIT | NR_GETPID, 0, 0, 0);
            Report survived = new Report();
            survived.put("survived", Long.toString(result));
            survived.send("END");
            System.exit(1);
        }

        Report report = new Report();
        report.put("dumpable", Boolean.toString(dumpable));
        report.put("mode", Long.toString(secret[1]));
        report.put("secret", Long.toHexString(secret[0]));
        report.put("plain", Long.toHexString(plain.address()));
        report.put("open", tryOpen());
        report.put("spawn", trySpawn());
        report.put("reinstall", tryReinstall());
        report.put("isDumpable", tryIsDumpable());
        report.put("seccompAgain", Long.toString(Libc.syscall(NR_SECCOMP, SECCOMP_SET_MODE_FILTER,
                SECCOMP_FILTER_FLAG_TSYNC, fprog.address())));
        report.put("sendmsg", Long.toString(Libc.syscall(NR_SENDMSG, CHANNEL, emptyMessage.address(), 0)));
        report.put("work", Long.toString(Worker.runAll(4)));
        report.put("secretIntact", Boolean.toString(secretSegment.get(ValueLayout.JAVA_LONG, 0) == SECRET_CANARY));
        report.send("READY");

        byte[] one = new byte[1];
        int n = Native.read(CHANNEL, one, 0, 1);
        Native.secretUnmap(secret[0], PAGE, PAGE);
        Report bye = new Report();
        bye.put("got", n == 1 ? Character.toString((char) one[0]) : "eof");
        bye.put("work", Long.toString(Worker.runAll(2)));
        bye.send("BYE");
        System.exit(0);
    }

    private static String tryOpen() {
        try (FileInputStream in = new FileInputStream("/etc/hostname")) {
            return "opened";
        } catch (IOException e) {
            return failure(e);
        }
    }

    private static String trySpawn() {
        try {
            Process p = new ProcessBuilder("/bin/true").start();
            return new StringBuilder("started ").append(p.pid()).toString();
        } catch (Throwable t) {
            return failure(t);
        }
    }

    private static String tryReinstall() {
        try {
            Native.installSeccomp(CHANNEL);
            return "installed";
        } catch (NativeCallException e) {
            return new StringBuilder("errno ").append(e.errno()).toString();
        }
    }

    private static String tryIsDumpable() {
        try {
            return Boolean.toString(Native.isDumpable());
        } catch (NativeCallException e) {
            return new StringBuilder("errno ").append(e.errno()).toString();
        }
    }

    private static String failure(Throwable t) {
        return new StringBuilder("refused ").append(t.getClass().getName()).append(": ").append(t.getMessage())
                .toString();
    }

    /** Collects lines, sends them in one write. */
    static final class Report {
        private final StringBuilder text = new StringBuilder();

        void put(String key, String value) {
            text.append(key).append('=').append(value.replace('\n', ' ')).append('\n');
        }

        void send(String end) {
            text.append(end).append('\n');
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            Native.writeFully(CHANNEL, bytes, 0, bytes.length);
        }
    }

    /** Threads that allocate, then a full GC: the JVM's own machinery under the filter. */
    static final class Worker extends Thread {
        private long result;

        @Override
        public void run() {
            long sum = 0;
            for (int round = 0; round < 200; round++) {
                long[] block = new long[16_384];
                for (int i = 0; i < block.length; i++) {
                    block[i] = (long) i * round;
                }
                sum += block[block.length - 1];
            }
            result = sum;
        }

        static long runAll(int count) throws InterruptedException {
            Worker[] workers = new Worker[count];
            for (int i = 0; i < count; i++) {
                workers[i] = new Worker();
                workers[i].start();
            }
            long total = 0;
            for (Worker w : workers) {
                w.join();
                total += w.result;
            }
            System.gc();
            Thread.sleep(20);
            return total;
        }
    }
}
