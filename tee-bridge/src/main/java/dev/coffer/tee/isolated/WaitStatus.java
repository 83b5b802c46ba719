package dev.coffer.tee.isolated;

/** Describes a raw {@code waitpid} status the way an operator wants to read it. */
final class WaitStatus {
    private WaitStatus() {
    }

    static String describe(int status) {
        int signal = status & 0x7f;
        if (signal == 0) return "exited with status " + ((status >> 8) & 0xff);
        String name = switch (signal) {
            case 6 -> "SIGABRT";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 15 -> "SIGTERM";
            case 31 -> "SIGSYS";
            default -> "signal " + signal;
        };
        return "was killed by " + name + (signal == 9 ? " (by an operator, the OOM killer, or its parent's death)" : "");
    }
}
