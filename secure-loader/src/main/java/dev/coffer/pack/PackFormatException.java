package dev.coffer.pack;

/** The bytes are not a well-formed pack of a format this build reads (damaged, truncated, or not a pack at all). */
public final class PackFormatException extends PackException {
    public PackFormatException(String message) {
        super(message);
    }
}
