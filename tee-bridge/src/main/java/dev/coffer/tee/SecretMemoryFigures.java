package dev.coffer.tee;

/** The secure world's secret memory as it reports it. */
public record SecretMemoryFigures(String mode, long budget, long used, long peak, long populatedBytes,
                                  long populateNanos) {
    static SecretMemoryFigures decode(byte[] payload) {
        MessageReader in = new MessageReader(payload);
        SecretMemoryFigures f = new SecretMemoryFigures(in.readString("mode"), in.readLong("budget"), in.readLong("used"),
                in.readLong("peak"), in.readLong("populated"), in.readLong("populate nanos"));
        in.end();
        return f;
    }

    /** GiB per second of populating secret memory ahead of use (0 if none was). */
    public double populateGibPerSecond() {
        return populateNanos == 0 ? 0 : populatedBytes / (double) (1L << 30) / (populateNanos / 1e9);
    }
}
