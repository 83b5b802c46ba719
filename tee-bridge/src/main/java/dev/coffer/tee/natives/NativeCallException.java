package dev.coffer.tee.natives;

/** A Linux call made by the JNI library failed. The message names the call, errno's name and what it means. */
public final class NativeCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String call;
    private final int errno;

    public NativeCallException(String call, int errno, String message) {
        super(call + " failed: " + message + " (errno " + errno + ")");
        this.call = call;
        this.errno = errno;
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }
}
