package dev.coffer.inference.gguf;

/** Metadata value types of the GGUF format (gguf.h {@code gguf_type}). */
public enum GgufValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(8), ARRAY(12),
    UINT64(8), INT64(8), FLOAT64(8);

    /** The smallest number of bytes one value of this type takes in a file (used to bound counts). */
    final int minBytes;

    GgufValueType(int minBytes) {
        this.minBytes = minBytes;
    }

    static GgufValueType byId(int id) {
        return id >= 0 && id < values().length ? values()[id] : null;
    }
}
