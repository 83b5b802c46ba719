package dev.coffer.host.cli;

import dev.coffer.pack.AesGcm;
import dev.coffer.pack.ChunkEntry;
import dev.coffer.pack.Credential;
import dev.coffer.pack.KeyFiles;
import dev.coffer.pack.OwnerSigningKey;
import dev.coffer.pack.PackFile;
import dev.coffer.pack.PackHeader;
import dev.coffer.pack.PackManifest;
import dev.coffer.pack.PackRekey;
import dev.coffer.pack.PackReferences;
import dev.coffer.pack.PackWriter;
import dev.coffer.pack.ReferenceData;
import dev.coffer.attestation.fingerprint.BorderInputs;
import dev.coffer.attestation.fingerprint.ReferenceFingerprints;
import dev.coffer.attestation.fingerprint.ReferenceRecorder;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.pack.RecipientEntry;
import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.pack.RecipientPublicKey;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coffer pack}: the model owner's tools for encrypted model packs (docs/pack-format.md). */
@Command(name = "pack", mixinStandardHelpOptions = true,
        description = {"Encrypted model packs: what a model owner makes offline and an operator serves.",
            "A pack holds a GGUF model as AES-256-GCM chunks in compute order, a manifest signed by the owner",
            "(Ed25519) and the data key wrapped to recipients (HPKE) or a passphrase (Argon2id). Typical use:",
            "  coffer pack keygen --out keys/",
            "  coffer pack encrypt model.gguf -o model.cpack --recipient keys/recipient.pub --signing-key keys/owner.key",
            "  coffer pack verify model.cpack --owner keys/owner.pub",
            "  coffer run --pack model.cpack --key keys/recipient.key"},
        subcommands = {PackCommand.Keygen.class, PackCommand.Encrypt.class, PackCommand.Inspect.class,
            PackCommand.Verify.class, PackCommand.Rekey.class, PackCommand.Decrypt.class, PackCommand.Fingerprint.class,
            CommandLine.HelpCommand.class})
final class PackCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = {"Create an owner signing key pair and a recipient key pair.",
                "Writes owner.key/owner.pub (Ed25519: signs manifests) and recipient.key/recipient.pub (X25519: opens",
                "packs) as PEM. Private keys are created 0600 and never printed or overwritten."})
    static final class Keygen implements Callable<Integer> {
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory for the four files")
        Path out;

        @Override
        public Integer call() throws Exception {
            Files.createDirectories(out);
            for (String name : List.of("owner.key", "owner.pub", "recipient.key", "recipient.pub")) {
                if (Files.exists(out.resolve(name))) {
                    throw new CommandFailedException(out.resolve(name) + " already exists: keys are never overwritten");
                }
            }
            try (OwnerSigningKey owner = OwnerSigningKey.generate(); RecipientPrivateKey recipient = RecipientPrivateKey.generate()) {
                KeyFiles.writeOwnerKey(out.resolve("owner.key"), owner);
                KeyFiles.writeOwnerPublicKey(out.resolve("owner.pub"), owner.publicKey());
                KeyFiles.writeRecipientKey(out.resolve("recipient.key"), recipient);
                KeyFiles.writeRecipientPublicKey(out.resolve("recipient.pub"), recipient.publicKey());
                PrintStream o = System.out;
                o.println("owner key:     " + owner.publicKey().id().hex() + "  (" + out.resolve("owner.key") + ", owner.pub)");
                o.println("recipient key: " + recipient.publicKey().id().hex() + "  (" + out.resolve("recipient.key")
                        + ", recipient.pub)");
                o.println("Keep owner.key and recipient.key secret; give owner.pub to those who verify your packs.");
            }
            return 0;
        }
    }

    @Command(name = "encrypt", mixinStandardHelpOptions = true,
            description = {"Encrypt a GGUF model into a pack, offline.",
                "Every pack gets a fresh data key and pack id. The output is written beside its final name and",
                "moved into place when complete; an existing file is never overwritten."})
    static final class Encrypt implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "IN.gguf", description = "the model to encrypt")
        Path in;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT.cpack", description = "the pack to write")
        Path out;

        @Option(names = "--recipient", paramLabel = "R.pub",
                description = "a recipient's public key (repeatable): a person, a key broker or a secure world")
        List<Path> recipients = new ArrayList<>();

        @Option(names = "--passphrase-file", paramLabel = "F",
                description = "also let a passphrase open the pack (development; Argon2id, 64 MiB, 3 passes)")
        Path passphraseFile;

        @Option(names = "--signing-key", required = true, paramLabel = "OWNER.key", description = "the owner's signing key")
        Path signingKey;

        @Option(names = "--pack-version", defaultValue = "1", paramLabel = "N",
                description = "version number, raised for each release; servers can refuse older ones (default: ${DEFAULT-VALUE})")
        long version;

        @Option(names = "--chunk-size", defaultValue = "4M", paramLabel = "SIZE",
                description = "largest chunk, 4K..256M (default: ${DEFAULT-VALUE})")
        String chunkSize;

        @Option(names = "--no-fingerprint",
                description = {"do not record reference fingerprints (the model's greedy answers with log-probabilities to",
                    "fixed probe prompts, signed into the manifest so clients can check a server's numerics)"})
        boolean noFingerprint;

        @Option(names = "--fingerprint-alternative", paramLabel = "OTHER.gguf",
                description = {"also record fingerprints of another quantization of the same model (repeatable; e.g. the",
                    "Q4_0 file made from the same F16), so that a client whose probe does not match can name the stack",
                    "the server seems to run instead"})
        List<Path> alternatives = new ArrayList<>();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (recipients.isEmpty() && passphraseFile == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give at least one --recipient (or --passphrase-file)");
            }
            if (!Files.isRegularFile(in)) throw new CommandLine.ParameterException(spec.commandLine(), "model file not found: " + in);
            long chunk = ByteSizes.parse(chunkSize, spec);
            if (chunk < 4096 || chunk > (256L << 20)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--chunk-size must be 4K..256M: " + chunkSize);
            }
            List<RecipientPublicKey> keys = recipients.stream().map(KeyFiles::readRecipientPublicKey).toList();
            Optional<Credential.Passphrase> pass = passphraseFile == null ? Optional.empty()
                    : Optional.of((Credential.Passphrase) Credential.passphraseFile(passphraseFile));
            long size = Files.size(in);
            if (noFingerprint && !alternatives.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--fingerprint-alternative needs fingerprints");
            }
            List<ReferenceData> references = noFingerprint ? List.of() : fingerprints(in, alternatives);
            long start = System.nanoTime();
            PackHeader header;
            try (OwnerSigningKey owner = KeyFiles.readOwnerKey(signingKey);
                 ByteProgress progress = ByteProgress.start("encrypt", size, size > (64L << 20))) {
                header = PackWriter.encrypt(in, out, owner, new PackWriter.Options(keys, pass, version, (int) chunk, references),
                        progress);
            } finally {
                pass.ifPresent(Credential::close);
            }
            double s = (System.nanoTime() - start) / 1e9;
            PackManifest m = header.manifest();
            if (m.references().isEmpty() && !noFingerprint) throw new IllegalStateException("fingerprints were not written");
            System.out.println("wrote " + out + ": " + m.chunks().size() + " chunks, version " + m.version());
            System.out.println("pack digest: " + header.digest().hex());
            System.err.printf(Locale.ROOT, "%.1f MiB in %.2f s (%.0f MiB/s, AES-GCM by %s)%n", size / 1048576.0, s,
                    size / 1048576.0 / s, AesGcm.providerName());
            return 0;
        }
    }

    /**
     * The owner's reference data for a model: its fingerprints, and with alternatives (other quantizations of the same
     * model) their fingerprints and the border inputs between them (docs/fingerprints.md).
     */
    static List<ReferenceData> fingerprints(Path model, List<Path> alternatives) throws java.io.IOException {
        long t0 = System.nanoTime();
        ReferenceFingerprints f = ReferenceRecorder.record(model, Parallel.defaultThreads());
        List<ReferenceData> refs = new ArrayList<>(List.of(new ReferenceData(ReferenceFingerprints.NAME, f.toJson())));
        System.err.printf(Locale.ROOT, "reference fingerprints: %d probes on %s %s (%s), %.1f s%n", f.probes().size(),
                f.stack().engine(), f.stack().numerics(), f.stack().weights(), (System.nanoTime() - t0) / 1e9);
        Map<String, Path> stacks = new LinkedHashMap<>();
        stacks.put(f.stack().weights(), model);
        for (Path other : alternatives) {
            ReferenceFingerprints a = ReferenceRecorder.record(other, Parallel.defaultThreads());
            System.err.printf(Locale.ROOT, "alternative fingerprints: %s (%s)%n", a.stack().weights(), other);
            refs.add(new ReferenceData(ReferenceFingerprints.ALTERNATIVE_NAME, a.toJson()));
            String name = a.stack().weights();
            for (int i = 2; stacks.containsKey(name); i++) name = a.stack().weights() + "#" + i;
            stacks.put(name, other);
        }
        if (!alternatives.isEmpty()) {
            // Border inputs for black-box checks: prompts whose greedy text differs between these stacks.
            BorderInputs border = BorderInputs.search(stacks, BORDER_SEED, 80, 12, 4, Parallel.defaultThreads());
            System.err.printf(Locale.ROOT, "border inputs: %d of 80 seeded prompts (seed %d) answer differently%n",
                    border.prompts().size(), BORDER_SEED);
            if (!border.prompts().isEmpty()) refs.add(new ReferenceData(BorderInputs.NAME, border.toJson()));
        }
        return List.copyOf(refs);
    }

    @Command(name = "fingerprint", mixinStandardHelpOptions = true,
            description = {"Record (or re-record) the reference fingerprints of an existing pack, signed by its owner, into a",
                "new pack: the model is decrypted into a private temporary file to run the probes, then deleted. The new",
                "pack has the same chunks, key and recipients, but a new digest (its manifest changed)."})
    static final class Fingerprint implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "IN.cpack", description = "the pack")
        Path in;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT.cpack", description = "the new pack to write")
        Path out;

        @Option(names = "--signing-key", required = true, paramLabel = "OWNER.key", description = "the pack owner's signing key")
        Path signingKey;

        @Option(names = "--fingerprint-alternative", paramLabel = "OTHER.gguf",
                description = "also record another quantization of the same model (repeatable; see 'pack encrypt')")
        List<Path> alternatives = new ArrayList<>();

        @ArgGroup(exclusive = true, multiplicity = "1")
        Opener opener;

        @Override
        public Integer call() throws Exception {
            Outputs.refuseToOverwrite(out, false);
            Path dir = Files.createTempDirectory("coffer-fingerprint-", java.nio.file.attribute.PosixFilePermissions
                    .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            Path plain = dir.resolve("model.gguf");
            try {
                try (PackFile p = PackFile.open(in); Credential c = opener.credential();
                     OwnerSigningKey owner = KeyFiles.readOwnerKey(signingKey)) {
                    p.header().requireOwner(owner.publicKey()); // before any work: only the owner can re-sign
                    p.decryptTo(plain, c, n -> { });
                }
                List<ReferenceData> refs = fingerprints(plain, alternatives);
                PackHeader h;
                try (OwnerSigningKey owner = KeyFiles.readOwnerKey(signingKey); Credential c = opener.credential()) {
                    h = PackReferences.replace(in, out, c, owner, refs, n -> { });
                }
                System.out.println("wrote " + out + " with " + refs.size() + " reference entries");
                System.out.println("pack digest: " + h.digest().hex());
                return 0;
            } finally {
                Files.deleteIfExists(plain);
                Files.deleteIfExists(dir);
            }
        }
    }

    /** The border-input search's seed: fixed, so a pack's border inputs can be reproduced from its models. */
    static final long BORDER_SEED = 7;

    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = {"Show what is public in a pack: model, owner, version, recipients, chunks (no key needed).",
                "The manifest's signature is checked against the owner key it names; use 'verify --owner' to check",
                "that this is the owner you expect and that every chunk is intact."})
    static final class Inspect implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "P.cpack")
        Path pack;

        @Option(names = "--chunks", description = "list every chunk")
        boolean chunks;

        @Override
        public Integer call() throws Exception {
            try (PackFile p = PackFile.open(pack)) {
                PackManifest m = p.manifest();
                PrintStream o = System.out;
                o.println("pack:          " + pack + " (" + p.size() + " bytes, format v" + PackManifest.FORMAT_VERSION + ")");
                o.println("pack id:       " + m.packIdHex());
                o.println("pack digest:   " + p.header().digest().hex());
                o.println("version:       " + m.version());
                o.println("created:       " + Instant.ofEpochSecond(m.createdEpochSecond()));
                o.println("owner key:     " + m.owner().id().hex() + " (signature valid for this key)");
                o.println("model:         " + m.model().name());
                o.printf(Locale.ROOT, "               %s, %s, %.2f M parameters, %d tensors, context %d, %d bytes%n",
                        m.model().architecture(), m.model().quantization(), m.model().parameters() / 1e6, m.model().tensors(),
                        m.model().contextLength(), m.plaintextSize());
                o.println("chunks:        " + m.chunks().size() + ", largest " + p.maxChunkBytes() + " bytes");
                o.println("recipients:    " + p.header().recipients().entries().size());
                for (RecipientEntry e : p.header().recipients().entries()) {
                    o.println("  " + (e instanceof RecipientEntry.Hpke h ? "key " + h.recipient().hex() : e.toString()));
                }
                if (!m.references().isEmpty()) o.println("references:    " + m.references().size());
                if (chunks) {
                    for (int i = 0; i < m.chunks().size(); i++) {
                        ChunkEntry c = m.chunks().get(i);
                        o.printf(Locale.ROOT, "  %5d  %12d  %9d  %s%n", i, c.offset(), c.length(), c.label());
                    }
                }
            }
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Check a pack's signature, owner and chunk digests without decrypting it.",
                "Checks the owner's signature over the manifest, that the owner is the one given, the file's length",
                "and every chunk's ciphertext digest. Exit 0 only if all hold."})
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "P.cpack")
        Path pack;

        @Option(names = "--owner", required = true, paramLabel = "OWNER.pub", description = "the owner's public key")
        Path owner;

        @Option(names = "--min-version", paramLabel = "N", description = "also refuse packs older than this version")
        Long minVersion;

        @Override
        public Integer call() throws Exception {
            var expected = KeyFiles.readOwnerPublicKey(owner);
            try (PackFile p = PackFile.open(pack)) {
                p.header().requireOwner(expected);
                if (minVersion != null) p.header().requireVersion(minVersion);
                try (ByteProgress progress = ByteProgress.start("verify", p.size(), p.size() > (256L << 20))) {
                    p.verifyDigests(progress);
                }
                System.out.println("OK: " + pack + " is signed by " + expected.id().shortHex() + ", version "
                        + p.manifest().version() + ", " + p.manifest().chunks().size() + " chunks intact; pack digest "
                        + p.header().digest().hex());
            }
            return 0;
        }
    }

    @Command(name = "rekey", mixinStandardHelpOptions = true,
            description = {"Add or remove a recipient without re-encrypting the pack.",
                "The chunks, the signed manifest and the pack digest stay the same. Needs a key (or passphrase)",
                "that opens the pack."})
    static final class Rekey implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "P.cpack")
        Path pack;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Opener opener;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Change change;

        static final class Change {
            @Option(names = "--add-recipient", paramLabel = "X.pub", description = "wrap the data key to this key too")
            Path add;

            @Option(names = "--remove-recipient", paramLabel = "KEY-ID",
                    description = "drop the recipient whose key id starts with this (8+ hex digits, see inspect)")
            String remove;
        }

        @Override
        public Integer call() throws Exception {
            long size = Files.size(pack);
            try (Credential c = opener.credential(); ByteProgress progress = ByteProgress.start("rekey", size, size > (256L << 20))) {
                if (change.add != null) {
                    RecipientPublicKey added = KeyFiles.readRecipientPublicKey(change.add);
                    PackRekey.addRecipient(pack, c, added, progress);
                    System.out.println("added recipient " + added.id().hex());
                } else {
                    PackRekey.removeRecipient(pack, c, change.remove, progress);
                    System.out.println("removed recipient " + change.remove);
                }
            }
            return 0;
        }
    }

    @Command(name = "decrypt", mixinStandardHelpOptions = true,
            description = {"Write the plaintext GGUF back out (the owner's escape hatch).",
                "Every chunk is authenticated before it is written; an existing output file is never overwritten."})
    static final class Decrypt implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "P.cpack")
        Path pack;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Opener opener;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT.gguf")
        Path out;

        @Override
        public Integer call() throws Exception {
            try (PackFile p = PackFile.open(pack); Credential c = opener.credential();
                 ByteProgress progress = ByteProgress.start("decrypt", p.manifest().plaintextSize(), p.size() > (64L << 20))) {
                p.decryptTo(out, c, progress);
            }
            System.out.println("wrote " + out);
            return 0;
        }
    }

    /** What opens a pack on the command line: a recipient key file or a passphrase file. */
    static final class Opener {
        @Option(names = "--key", paramLabel = "R.key", description = "a recipient's private key")
        Path key;

        @Option(names = "--passphrase-file", paramLabel = "F", description = "a file holding the pack's passphrase")
        Path passphraseFile;

        Credential credential() {
            return key != null ? Credential.of(KeyFiles.readRecipientKey(key)) : Credential.passphraseFile(passphraseFile);
        }
    }
}
