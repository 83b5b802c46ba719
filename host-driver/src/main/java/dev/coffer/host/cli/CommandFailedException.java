package dev.coffer.host.cli;

/** A command cannot do what was asked (bad arguments, existing output, ...); the message says what to do instead. */
final class CommandFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandFailedException(String message) {
        super(message);
    }
}
