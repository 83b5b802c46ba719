package dev.coffer.tee;

import java.util.Objects;

/**
 * One typed call into the secure world (Open Enclave's {@code oe_call_enclave} with an edger8r-generated stub).
 * The host and the enclave application share these declarations; the id is what crosses the boundary.
 * Ids below {@link #FIRST_APPLICATION_ID} belong to tee-bridge's own runtime.
 */
public record Ecall<Q, R>(int id, String name, Codec<Q> request, Codec<R> response) {
    public static final int FIRST_APPLICATION_ID = 100;

    public Ecall {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(response, "response");
        if (id < 0) throw new IllegalArgumentException("ecall id must be >= 0: " + id);
    }

    /** An application call; ids from {@link #FIRST_APPLICATION_ID} up. */
    public static <Q, R> Ecall<Q, R> of(int id, String name, Codec<Q> request, Codec<R> response) {
        if (id < FIRST_APPLICATION_ID) {
            throw new IllegalArgumentException("application ecall ids start at " + FIRST_APPLICATION_ID + ": " + id);
        }
        return new Ecall<>(id, name, request, response);
    }
}
