package dev.coffer.tee.testapp;

import dev.coffer.tee.SealPolicy;
import dev.coffer.tee.enclave.EcallTable;
import dev.coffer.tee.enclave.EnclaveApplication;
import dev.coffer.tee.enclave.EnclaveContext;
import dev.coffer.tee.memory.SecretRegion;
import java.io.FileInputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** A secure-world application for tests: it tries what an attacker inside would try, and reports the outcome. */
public final class ProbeApplication implements EnclaveApplication {
    private EnclaveContext context;
    /** Read at start: after the filter, prctl(PR_GET_DUMPABLE) is itself refused. */
    private String dumpable;
    private SecretRegion canary;
    private final List<SecretRegion> populated = new ArrayList<>();

    @Override
    public void initialize(EnclaveContext context) {
        this.context = context;
        this.dumpable = Boolean.toString(dev.coffer.tee.natives.Native.isDumpable());
        // Warm up the paths the probes take, so their classes are loaded before the filter.
        tryOpen("/proc/self/status");
        rawSocket();
        outcome(() -> {
            throw new IllegalStateException("warm-up");
        });
    }

    @Override
    public EcallTable ecalls() {
        return EcallTable.builder()
                .on(ProbeCalls.ECHO, bytes -> bytes)
                .on(ProbeCalls.WRITE_CANARY, this::writeCanary)
                .on(ProbeCalls.CHECK_CANARY, v -> checkCanary())
                .on(ProbeCalls.TRY_OPEN, this::tryOpen)
                .on(ProbeCalls.TRY_SOCKET, v -> rawSocket())
                .on(ProbeCalls.TRY_EXEC, v -> outcome(() -> new ProcessBuilder("/bin/true").start().waitFor()))
                .on(ProbeCalls.SEAL, s -> context.seal(SealPolicy.values()[s.policy()], s.data(), new byte[0]))
                .on(ProbeCalls.UNSEAL, b -> context.unseal(b, new byte[0]))
                .on(ProbeCalls.FAIL, message -> {
                    throw new IllegalStateException(message);
                })
                .on(ProbeCalls.STAGING_SUM, n -> {
                    long sum = 0;
                    for (long i = 0; i < n; i++) sum += context.staging().get(ValueLayout.JAVA_BYTE, i) & 0xff;
                    return sum;
                })
                .on(ProbeCalls.POPULATE, n -> {
                    SecretRegion r = context.secretMemory().allocate(n, "populate-probe");
                    r.populate(context.threads());
                    populated.add(r);
                    return context.secretMemory().populateNanos();
                })
                .on(ProbeCalls.DUMPABLE, v -> dumpable)
                .build();
    }

    @Override
    public byte[] claims(byte[] nonce, byte[] hostData) {
        return ("probe=yes;nonce=" + java.util.HexFormat.of().formatHex(nonce) + ";host="
                + java.util.HexFormat.of().formatHex(hostData)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private long writeCanary(long size) {
        if (canary != null) canary.close();
        canary = context.secretMemory().allocate(size, "canary");
        MemorySegment s = canary.segment();
        for (long off = 0; off + 8 <= size; off += 8) s.set(ValueLayout.JAVA_LONG_UNALIGNED, off, ProbeCalls.CANARY);
        return s.address();
    }

    private String checkCanary() {
        if (canary == null) return "no canary";
        MemorySegment s = canary.segment();
        for (long off = 0; off + 8 <= s.byteSize(); off += 8) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, off) != ProbeCalls.CANARY) return "damaged at " + off;
        }
        return "intact";
    }

    /** socket(AF_INET, SOCK_STREAM, 0) called directly: Java's Socket classes fail earlier, on a file they need. */
    private static String rawSocket() {
        try {
            int fd = (int) SOCKET.invokeExact(2, 1, 0);
            if (fd < 0) return "denied: socket returned " + fd;
            int closed = (int) CLOSE.invokeExact(fd);
            return "allowed (fd " + fd + ", closed " + closed + ")";
        } catch (Throwable t) {
            return "denied: " + t;
        }
    }

    private static final java.lang.foreign.Linker LINKER = java.lang.foreign.Linker.nativeLinker();
    private static final java.lang.invoke.MethodHandle SOCKET = LINKER.downcallHandle(
            LINKER.defaultLookup().find("socket").orElseThrow(),
            java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT));
    private static final java.lang.invoke.MethodHandle CLOSE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("close").orElseThrow(),
            java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private String tryOpen(String path) {
        return outcome(() -> new FileInputStream(path).close());
    }

    private interface Attempt {
        void run() throws Exception;
    }

    private static String outcome(Attempt attempt) {
        try {
            attempt.run();
            return "allowed";
        } catch (Throwable t) {
            return "denied: " + t;
        }
    }

    @Override
    public void terminate() {
        populated.forEach(SecretRegion::close);
    }
}
