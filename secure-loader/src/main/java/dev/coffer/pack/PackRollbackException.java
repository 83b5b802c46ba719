package dev.coffer.pack;

/** The pack is older than the minimum version required (rollback protection). */
public final class PackRollbackException extends PackException {
    public PackRollbackException(String message) {
        super(message);
    }
}
