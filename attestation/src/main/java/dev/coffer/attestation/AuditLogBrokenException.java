package dev.coffer.attestation;

import java.nio.file.Path;

/**
 * An audit log whose hash chain does not verify: it was damaged (a torn write) or tampered with. It is not opened
 * for appending, so that new decisions never extend a chain nobody can vouch for.
 */
public final class AuditLogBrokenException extends RuntimeException {
    private final Path file;
    private final String firstBroken;

    public AuditLogBrokenException(Path file, String firstBroken) {
        super("the audit log " + file + " is broken at " + firstBroken + ". New entries are not appended to a "
                + "damaged or tampered chain: keep the file as evidence, move it aside (mv " + file + " " + file
                + ".broken) and start again to begin a new log");
        this.file = file;
        this.firstBroken = firstBroken;
    }

    public Path file() {
        return file;
    }

    /** What {@link AuditLog#verify} says about the first broken line, e.g. "entry 3 (line 4): hash does not match its contents". */
    public String firstBroken() {
        return firstBroken;
    }
}
