package dev.coffer.tee;

import dev.coffer.tee.channel.FrameKind.Status;
import dev.coffer.tee.enclave.EnclaveRuntime.Response;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What both backends share on the host side: typed calls over {@link #exchange}, the built-in calls, counters. */
public abstract class AbstractEnclave implements Enclave {
    private final AtomicLong ecalls = new AtomicLong();
    private final AtomicLong ocalls = new AtomicLong();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final Map<Integer, LongAdder> denied = new ConcurrentHashMap<>();

    /** One crossing: sends the call and returns the secure world's answer. */
    protected abstract Response exchange(int id, byte[] payload);

    /** Whether a syscall filter is enforced (and {@link #countDenied} therefore meaningful). */
    protected abstract boolean filterEnforced();

    @Override
    public final synchronized <Q, R> R call(Ecall<Q, R> ecall, Q request) {
        return decode(ecall.name(), ecall.response(), roundTrip(ecall.id(), ecall.request().encode(request), ecall.name()));
    }

    private byte[] roundTrip(int id, byte[] payload, String name) {
        Response r = rawCall(id, payload);
        if (r.status() != Status.OK) {
            throw new EcallFailedException(name, r.status(), new String(r.payload(), StandardCharsets.UTF_8));
        }
        return r.payload();
    }

    private static <R> R decode(String name, Codec<R> codec, byte[] payload) {
        try {
            return codec.decode(payload);
        } catch (MalformedMessageException e) {
            throw new EnclaveException("the secure world answered " + name + " with a malformed response: " + e.getMessage());
        }
    }

    /** Sends raw bytes as call {@code id}: tests use it to send what no typed call would. */
    public synchronized Response rawCall(int id, byte[] payload) {
        ecalls.incrementAndGet();
        bytesIn.addAndGet(payload.length);
        Response r = exchange(id, payload);
        bytesOut.addAndGet(r.payload().length);
        return r;
    }

    @Override
    public synchronized Evidence evidence(byte[] nonce, byte[] hostData) {
        byte[] out = roundTrip(Builtins.EVIDENCE, new MessageWriter().writeBytes(nonce).writeBytes(hostData).toByteArray(),
                "evidence");
        try {
            return Evidence.decode(out);
        } catch (MalformedMessageException e) {
            throw new EnclaveException("the secure world answered evidence with a malformed response: " + e.getMessage());
        }
    }

    @Override
    public synchronized SecretMemoryFigures memory() {
        return SecretMemoryFigures.decode(roundTrip(Builtins.MEMORY, new byte[0], "memory"));
    }

    /** Counts an ocall made during the current crossing. */
    protected final void countOcall() {
        ocalls.incrementAndGet();
    }

    /** Counts a system call the secure world's filter denied. */
    protected final void countDenied(int syscall) {
        denied.computeIfAbsent(syscall, k -> new LongAdder()).increment();
    }

    @Override
    public BoundaryStats stats() {
        Map<Integer, Long> d = new java.util.TreeMap<>();
        denied.forEach((k, v) -> d.put(k, v.sum()));
        return new BoundaryStats(ecalls.get(), ocalls.get(), bytesIn.get(), bytesOut.get(), d, filterEnforced());
    }
}
