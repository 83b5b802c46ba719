package dev.coffer.pack;

/**
 * Something is wrong with a pack or with what was offered to open it. Messages say what and what to do; they never
 * contain key material or plaintext.
 */
public abstract sealed class PackException extends RuntimeException
        permits PackFormatException, PackTamperedException, PackKeyException, PackRollbackException {
    PackException(String message) {
        super(message);
    }

    PackException(String message, Throwable cause) {
        super(message, cause);
    }
}
