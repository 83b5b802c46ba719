package dev.coffer.tee;

import java.util.List;

/**
 * How the isolated backend starts the secure world: these JVM options and main class are part of the measured
 * configuration (change one and the measurement changes). Why each is there:
 * <ul>
 *   <li>{@code -XX:+DisplayVMOutputToStderr}: HotSpot's own messages go to stderr, never into a channel;</li>
 *   <li>{@code -XX:-UsePerfData}: no hsperfdata file in /tmp that other processes could read;</li>
 *   <li>{@code -XX:+DisableAttachMechanism}: no jcmd/agent attach (it would need files and sockets anyway);</li>
 *   <li>{@code -XX:-CreateCoredumpOnCrash}: no core file (RLIMIT_CORE is also 0);</li>
 *   <li>{@code -XX:+UseSerialGC}: the fewest GC threads and system calls; the heap holds little;</li>
 *   <li>Vector API and native access for inference-core's kernels and tee-bridge's library.</li>
 * </ul>
 */
public final class SecureWorldLaunch {
    private SecureWorldLaunch() {
    }

    public static final String MAIN_CLASS = "dev.coffer.tee.enclave.SecureWorldMain";
    /** The fd numbers the secure world finds its channel and staging buffer at. */
    public static final int CHANNEL_FD = 3;
    public static final int STAGING_FD = 4;

    public static final List<String> JVM_OPTIONS = List.of(
            "-XX:+DisplayVMOutputToStderr",
            "-XX:-UsePerfData",
            "-XX:+DisableAttachMechanism",
            "-XX:-CreateCoredumpOnCrash",
            "-XX:+UseSerialGC",
            "-Xss4m",
            "--add-modules", "jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED");

    /** Largest control frame either side accepts; bulk data goes through the staging buffer. */
    public static final int MAX_FRAME_PAYLOAD = 8 << 20;
}
