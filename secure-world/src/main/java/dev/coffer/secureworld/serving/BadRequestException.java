package dev.coffer.secureworld.serving;

import java.util.Optional;

/** A request the API refuses as the client's mistake (HTTP 400), naming the parameter when there is one. */
public final class BadRequestException extends RuntimeException {
    private final String param;

    public BadRequestException(String message, String param) {
        super(message);
        this.param = param;
    }

    public BadRequestException(String message) {
        this(message, null);
    }

    public Optional<String> param() {
        return Optional.ofNullable(param);
    }
}
