package dev.coffer.tee.memory;

/** Secret memory cannot be had: the secure world's budget is spent, or the operating system's lock limit is lower
 *  than the budget. The message says which limit and how to raise it. */
public final class MemoryBudgetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MemoryBudgetException(String message) {
        super(message);
    }

    public MemoryBudgetException(String message, Throwable cause) {
        super(message, cause);
    }
}
