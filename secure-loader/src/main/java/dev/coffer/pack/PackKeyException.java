package dev.coffer.pack;

/** The key or passphrase offered cannot open this pack (not a recipient, wrong passphrase, a key of another pack). */
public final class PackKeyException extends PackException {
    public PackKeyException(String message) {
        super(message);
    }

    public PackKeyException(String message, Throwable cause) {
        super(message, cause);
    }
}
