package dev.coffer.tee.natives;

import dev.coffer.tee.memory.MemoryPolicy;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Child JVM for {@link MemlockLimitTest}, started as an unprivileged user (no CAP_IPC_LOCK) with a 64 KiB soft
 * RLIMIT_MEMLOCK: what secret memory does under the limit, how raising it works, and (with memfd_secret refused by
 * a small seccomp filter of the test's own) the mlocked fallback. Reports {@code key=value} lines on fd 3, then
 * {@code END}.
 */
public final class MemlockProbeMain {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final StringBuilder REPORT = new StringBuilder();

    private MemlockProbeMain() {
    }

    public static void main(String[] args) throws IOException {
        long[] limit = Native.memlockLimit();
        long hard = limit[1];
        put("limit", limit[0] + "," + hard);
        put("ipcLock", Boolean.toString(Native.hasIpcLockCapability()));
        put("tooBig", attempt(MIB, false));
        put("raiseZero", Long.toString(Native.raiseMemlockLimit(0)));
        put("raise2m", Long.toString(Native.raiseMemlockLimit(2 * MIB)));
        put("fits", attempt(MIB, false));
        put("raiseUnlimited", Long.toString(Native.raiseMemlockLimit(-1)));

        // memfd_secret -> ENOSYS from here on, as on a kernel without it (harden sets no_new_privs, which an
        // unprivileged process needs to install a filter).
        Native.harden(Integer.parseInt(args[0]));
        put("filter", Long.toString(refuseMemfdSecret()));
        put("noFallback", attempt(64 * KIB, false));

        long[] mapped = Native.secretMap(64 * KIB, MemoryPolicy.MEMFD_SECRET_OR_MLOCK.code());
        put("fallbackMode", Long.toString(mapped[1]));
        Native.populate(mapped[0], 64 * KIB);
        MemorySegment.ofAddress(mapped[0]).reinterpret(64 * KIB).set(ValueLayout.JAVA_LONG, 8, 42);
        List<String> smaps = smapsOf(mapped[0]);
        put("fallbackFlags", smaps.stream().filter(l -> l.startsWith("VmFlags:")).findFirst().orElse("none"));
        put("fallbackLocked", smaps.stream().filter(l -> l.startsWith("Locked:")).findFirst().orElse("none"));
        Native.secretUnmap(mapped[0], 64 * KIB, 64 * KIB);
        put("fallbackTooBig", hard == -1 ? "skipped: no hard limit" : attempt(hard + 64 * KIB, true));

        REPORT.append("END\n");
        byte[] bytes = REPORT.toString().getBytes(StandardCharsets.UTF_8);
        Native.writeFully(3, bytes, 0, bytes.length);
    }

    private static void put(String key, String value) {
        REPORT.append(key).append('=').append(value.replace('\n', ' ')).append('\n');
    }

    private static String attempt(long size, boolean allowFallback) {
        try {
            long[] mapped = Native.secretMap(size, allowFallback ? 1 : 0);
            Native.populate(mapped[0], size);
            Native.secretUnmap(mapped[0], size, size);
            return "mode " + mapped[1];
        } catch (NativeCallException e) {
            return "errno " + e.errno() + " " + e.getMessage();
        }
    }

    /** A one-rule filter on this thread: memfd_secret (447) fails with ENOSYS (38), everything else passes. */
    private static long refuseMemfdSecret() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment program = arena.allocate(4 * 8L, 8);
            instruction(program, 0, 0x20, 0, 0, 0);                 // ld [nr]
            instruction(program, 1, 0x15, 0, 1, 447);               // jeq 447, 0, 1
            instruction(program, 2, 0x06, 0, 0, 0x0005_0000 | 38);  // ret ERRNO(ENOSYS)
            instruction(program, 3, 0x06, 0, 0, 0x7fff_0000);       // ret ALLOW
            MemorySegment fprog = arena.allocate(16, 8);
            fprog.set(ValueLayout.JAVA_SHORT, 0, (short) 4);
            fprog.set(ValueLayout.ADDRESS, 8, program);
            return Libc.syscall(317 /* seccomp */, 1 /* SECCOMP_SET_MODE_FILTER */, 0, fprog.address());
        }
    }

    private static void instruction(MemorySegment program, int index, int code, int jt, int jf, int k) {
        long at = index * 8L;
        program.set(ValueLayout.JAVA_SHORT, at, (short) code);
        program.set(ValueLayout.JAVA_BYTE, at + 2, (byte) jt);
        program.set(ValueLayout.JAVA_BYTE, at + 3, (byte) jf);
        program.set(ValueLayout.JAVA_INT, at + 4, k);
    }

    /** The /proc/self/smaps lines of the mapping that starts at {@code address}. */
    private static List<String> smapsOf(long address) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        String start = Long.toHexString(address) + "-";
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(start)) {
                int end = i + 1;
                while (end < lines.size() && !lines.get(end).matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                    end++;
                }
                return lines.subList(i, end);
            }
        }
        return List.of();
    }
}
