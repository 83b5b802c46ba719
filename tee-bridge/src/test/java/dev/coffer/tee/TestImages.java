package dev.coffer.tee;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/** Builds enclave image jars for tests from tee-bridge's classes (with its native library) and the probe
 *  application: reproducibly (sorted entries, fixed times), so the same inputs give the same measurement. */
public final class TestImages {
    private static final Path CLASSES = Path.of("target/classes");
    private static final Path TEST_CLASSES = Path.of("target/test-classes");

    private TestImages() {
    }

    public static Path probeImage(Path dir, int securityVersion) {
        return image(dir, "dev.coffer.tee.testapp.ProbeApplication", securityVersion);
    }

    public static Path image(Path dir, String application, int securityVersion) {
        Path jar = dir.resolve(application.substring(application.lastIndexOf('.') + 1) + "-svn" + securityVersion + ".jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue(EnclaveImage.APPLICATION_ATTRIBUTE, application);
        m.getMainAttributes().putValue("Coffer-Product-Id", "7");
        m.getMainAttributes().putValue("Coffer-Security-Version", Integer.toString(securityVersion));
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out)) {
            // The manifest is written by hand: JarOutputStream(out, manifest) stamps it with the current time.
            JarEntry manifest = new JarEntry(JarFile.MANIFEST_NAME);
            manifest.setLastModifiedTime(FileTime.fromMillis(0));
            jos.putNextEntry(manifest);
            m.write(jos);
            jos.closeEntry();
            add(jos, CLASSES, null);
            add(jos, TEST_CLASSES, "dev/coffer/tee/testapp/");
            addDependency(jos, com.nimbusds.jose.JOSEException.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return jar;
    }

    /** The same jar bytes with one byte appended: still readable as a zip, but no longer the signed bytes. */
    public static byte[] withTrailingByte(byte[] jar) {
        byte[] out = java.util.Arrays.copyOf(jar, jar.length + 1);
        out[jar.length] = 0;
        return out;
    }

    /** Copies the classes of the jar that holds {@code type} (tee-bridge's runtime dependencies, as the shaded
     *  secure-world image does). */
    private static void addDependency(JarOutputStream jos, Class<?> type) throws IOException {
        Path jar;
        try {
            jar = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        try (JarFile in = new JarFile(jar.toFile())) {
            List<JarEntry> entries = in.stream().filter(e -> !e.isDirectory() && !e.getName().startsWith("META-INF/"))
                    .sorted(java.util.Comparator.comparing(JarEntry::getName)).toList();
            for (JarEntry entry : entries) {
                JarEntry e = new JarEntry(entry.getName());
                e.setLastModifiedTime(FileTime.fromMillis(0));
                jos.putNextEntry(e);
                try (var stream = in.getInputStream(entry)) {
                    stream.transferTo(jos);
                }
                jos.closeEntry();
            }
        }
    }

    private static void add(JarOutputStream jos, Path root, String onlyUnder) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            String name = root.relativize(f).toString().replace('\\', '/');
            if (onlyUnder != null && !name.startsWith(onlyUnder)) continue;
            JarEntry e = new JarEntry(name);
            e.setLastModifiedTime(FileTime.fromMillis(0));
            jos.putNextEntry(e);
            jos.write(Files.readAllBytes(f));
            jos.closeEntry();
        }
    }
}
