package dev.coffer.tee.channel;

import java.util.Objects;

/**
 * One message on the channel: a 16-byte header ({@code "CFR1"}, kind, 3 zero bytes, id, payload length; little
 * endian) then the payload. A frame whose declared length exceeds the receiver's limit arrives as
 * {@link #oversized} with its payload skipped, so the stream stays in step and the receiver can refuse it.
 */
public record Frame(FrameKind kind, int id, byte[] payload, int declaredLength) {
    public static final int HEADER_BYTES = 16;
    public static final int MAGIC = 0x31524643; // "CFR1" read little-endian

    public Frame {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(payload, "payload");
    }

    public Frame(FrameKind kind, int id, byte[] payload) {
        this(kind, id, payload, payload.length);
    }

    /** True when the payload was longer than the receiver accepts and was discarded unread. */
    public boolean oversized() {
        return declaredLength != payload.length;
    }
}
