package dev.coffer.tee.natives;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Loads {@code libcoffertee.so}: straight from the build directory when the classes come from one, otherwise
 * copied out of the jar into a private (0700) temporary directory, loaded, and deleted at once (the mapping stays).
 */
final class NativeLibrary {
    private static final String RESOURCE = "/native/linux-x86_64/libcoffertee.so";

    private NativeLibrary() {
    }

    static synchronized void load() {
        if (!System.getProperty("os.name", "").equals("Linux") || !System.getProperty("os.arch", "").equals("amd64")) {
            throw new UnsupportedOperationException("tee-bridge's native library is built for Linux x86_64 only; "
                    + "this is " + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        }
        URL url = NativeLibrary.class.getResource(RESOURCE);
        if (url == null) {
            throw new IllegalStateException("libcoffertee.so is missing from the class path (" + RESOURCE
                    + "): build tee-bridge with Maven, which compiles it with gcc");
        }
        try {
            if (url.getProtocol().equals("file")) {
                System.load(Path.of(url.toURI()).toString());
                return;
            }
            Path dir = Files.createTempDirectory("coffer-native-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path file = dir.resolve("libcoffertee.so");
            try (InputStream in = url.openStream()) {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toString());
            } finally {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract libcoffertee.so: " + e.getMessage(), e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
