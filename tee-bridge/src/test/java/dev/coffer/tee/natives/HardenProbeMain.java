package dev.coffer.tee.natives;

import java.nio.charset.StandardCharsets;

/**
 * Child JVM for {@link HardenTest}: {@code harden(args[0])}, then reports {@code ARMED} on fd 3 and waits there
 * until the host closes it. With a wrong expected parent it never gets to report: harden exits with 70.
 */
public final class HardenProbeMain {
    private HardenProbeMain() {
    }

    public static void main(String[] args) {
        Native.harden(Integer.parseInt(args[0]));
        byte[] armed = ("ARMED dumpable=" + Native.isDumpable() + "\n").getBytes(StandardCharsets.UTF_8);
        Native.writeFully(3, armed, 0, armed.length);
        byte[] buffer = new byte[16];
        while (Native.read(3, buffer, 0, buffer.length) > 0) {
            // wait for the host to go
        }
        System.exit(0);
    }
}
