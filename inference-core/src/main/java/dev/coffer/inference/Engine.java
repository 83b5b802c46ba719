package dev.coffer.inference;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Who computes the numbers: the engine's name and version and the identity of its numerics. Evidence claims these
 * and platform fingerprints are recorded against them. {@link #NUMERICS} names the kernels' reduction order
 * (canonical 16-lane float accumulation, exact integer block sums: see DotKernels); it changes only when the bits of
 * the logits change, whatever the thread count or vector width.
 */
public final class Engine {
    public static final String NAME = "coffer";
    public static final String NUMERICS = "coffer-canonical-16lane-v1";
    private static final String VERSION = readVersion();

    private Engine() {
    }

    /** The project version this engine was built as (from the build, not hand-kept). */
    public static String version() {
        return VERSION;
    }

    private static String readVersion() {
        try (InputStream in = Engine.class.getResourceAsStream("engine.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
