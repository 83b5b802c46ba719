package dev.coffer.host.cli;

import dev.coffer.pack.Credential;
import dev.coffer.pack.KeyFiles;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How a command opens a pack and feeds it to the secure world (shared by run and serve). */
final class PackKeyOptions {
    @Option(names = "--key", paramLabel = "R.key", description = "recipient private key that opens the pack")
    Path key;

    @Option(names = "--passphrase-file", paramLabel = "F",
            description = "or a file with the pack's passphrase (development packs made with one)")
    Path passphraseFile;

    @Option(names = "--min-version", defaultValue = "0", paramLabel = "N",
            description = "refuse packs older than this version (rollback protection; default: ${DEFAULT-VALUE})")
    long minVersion;

    @Option(names = "--prefetch", defaultValue = "4", paramLabel = "N",
            description = "chunks the host may stage ahead of the secure world (default: ${DEFAULT-VALUE})")
    int prefetch;

    /** How many local credentials were given (0, 1, or the mistake of 2). */
    int localCredentials() {
        return (key != null ? 1 : 0) + (passphraseFile != null ? 1 : 0);
    }

    /** The local credential given, or null when none was (the caller closes it). */
    Credential credentialOrNull() {
        if (key != null) return Credential.of(KeyFiles.readRecipientKey(key));
        return passphraseFile != null ? Credential.passphraseFile(passphraseFile) : null;
    }
}
