package dev.coffer.attestation;

import dev.coffer.tee.enclave.EnclaveRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Evidence from a confidential-VM guest through Linux's configfs-tsm report interface
 * (Documentation/ABI/testing/configfs-tsm-report), which TDX, SEV-SNP and Arm CCA guests expose: make a report entry
 * under {@code /sys/kernel/config/tsm/report}, write the 64 report-data bytes (SHA-512 of the claims) to
 * {@code inblob}, read {@code outblob} (the hardware-signed report) and {@code provider}, and check that
 * {@code generation} moved by exactly one, as the kernel documents, so that no other writer changed the entry in
 * between. The entry is removed afterwards.
 *
 * <p>The claims come from a {@link ClaimsSource}: running Coffer's secure world inside a guest needs a tee-bridge
 * backend for in-guest execution, which does not exist yet; this attester is tested against a fake tree.
 */
public final class TsmAttester implements Attester {
    public static final Path DEFAULT_ROOT = Path.of("/sys/kernel/config/tsm/report");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Builds the claims (with the nonce in them) that the hardware report will bind. */
    @FunctionalInterface
    public interface ClaimsSource {
        byte[] claims(Nonce nonce, byte[] hostData);
    }

    /** How entries are made and read: configfs in production, a fake tree in tests. */
    interface ConfigFs {
        default void mkdir(Path entry) throws IOException {
            Files.createDirectory(entry);
        }

        default void write(Path attribute, byte[] value) throws IOException {
            Files.write(attribute, value);
        }

        default byte[] read(Path attribute) throws IOException {
            return Files.readAllBytes(attribute);
        }

        /** configfs removes an entry with its attributes by rmdir. */
        default void rmdir(Path entry) throws IOException {
            Files.delete(entry);
        }
    }

    private final Path root;
    private final ClaimsSource claims;
    private final ConfigFs fs;

    public TsmAttester(Path root, ClaimsSource claims) {
        this(root, claims, new ConfigFs() { });
    }

    TsmAttester(Path root, ClaimsSource claims, ConfigFs fs) {
        this.root = root;
        this.claims = claims;
        this.fs = fs;
    }

    /** True when this kernel offers configfs-tsm reports. */
    public static boolean available(Path root) {
        return Files.isDirectory(root);
    }

    @Override
    public Evidence attest(Nonce nonce, byte[] hostData) {
        byte[] claimBytes = claims.claims(nonce, hostData);
        byte[] reportData = EnclaveRuntime.sha512(claimBytes);
        if (!available(root)) {
            throw new IllegalStateException(root + " does not exist: this is not a confidential-VM guest with "
                    + "configfs-tsm (Linux 6.7+, TDX/SEV-SNP/CCA guest driver loaded, configfs mounted)");
        }
        Path entry = root.resolve("coffer-" + HexFormat.of().formatHex(RANDOM.generateSeed(8)));
        try {
            fs.mkdir(entry);
            try {
                long before = generation(entry);
                fs.write(entry.resolve("inblob"), reportData);
                byte[] outblob = fs.read(entry.resolve("outblob"));
                String provider = new String(fs.read(entry.resolve("provider")), StandardCharsets.US_ASCII).strip();
                byte[] auxblob = readOptional(entry.resolve("auxblob"));
                long after = generation(entry);
                if (after != before + 1) {
                    throw new IllegalStateException("the tsm report entry changed under us (generation " + before
                            + " -> " + after + "): another writer used " + entry + "; ask again");
                }
                return new Evidence(claimBytes, new PlatformEvidence.TsmReport(provider, outblob, auxblob, after));
            } finally {
                fs.rmdir(entry);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("configfs-tsm report failed at " + entry + ": " + e.getMessage(), e);
        }
    }

    private long generation(Path entry) throws IOException {
        String text = new String(fs.read(entry.resolve("generation")), StandardCharsets.US_ASCII).strip();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException("generation is '" + text + "', not a number");
        }
    }

    private byte[] readOptional(Path attribute) throws IOException {
        try {
            return fs.read(attribute);
        } catch (NoSuchFileException e) {
            return new byte[0];
        }
    }
}
