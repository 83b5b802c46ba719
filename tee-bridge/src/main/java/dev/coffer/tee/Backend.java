package dev.coffer.tee;

import java.util.Locale;

/** Where the secure world runs. */
public enum Backend {
    /** The same code in the host's process: for tests and debugging; always debug, never trusted. */
    SIM("sim"),
    /** A separate, hardened JVM (non-dumpable, seccomp allowlist, memfd_secret memory) talking to the host over a
     *  socketpair; its platform (report key, sealing secret) is held by the host, so it is a software TEE. */
    ISOLATED("isolated");

    private final String teeType;

    Backend(String teeType) {
        this.teeType = teeType;
    }

    /** The TEE type named in reports and evidence. */
    public String teeType() {
        return teeType;
    }

    public static Backend parse(String name) {
        for (Backend b : values()) if (b.teeType.equals(name.toLowerCase(Locale.ROOT))) return b;
        throw new IllegalArgumentException("unknown TEE backend '" + name + "': use sim or isolated");
    }
}
