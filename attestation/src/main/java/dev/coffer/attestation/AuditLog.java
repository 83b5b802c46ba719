package dev.coffer.attestation;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.tee.Digest;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The key broker's audit log: one entry per key-release decision, append-only and hash-chained, so that an entry
 * changed, removed, reordered or inserted afterwards is found by {@link #verify}. Append the decision <em>before</em>
 * acting on it: when {@link #append} throws, the decision is not on record and the key must not be released.
 *
 * <p>Format: JSON Lines (UTF-8, every line ends with {@code \n}), one object per entry:
 * <pre>{"seq":0,"time":"2025-06-01T12:00:00Z","pack":"&lt;hex&gt;","measurement":"&lt;hex&gt;","verdict":"refused",
 *  "reason":"...","prev":"&lt;64 hex&gt;","hash":"&lt;64 hex&gt;"}</pre>
 * {@code seq} counts from 0 without gaps; {@code pack} and {@code measurement} are 64 hex digits or "" when unknown;
 * {@code prev} is the previous entry's {@code hash} (64 zeros for the first); {@code hash} is hex SHA-256 over
 * {@code "coffer-audit-v1"}, seq in decimal, time as {@link Instant#toString()}, pack, measurement, verdict, reason
 * and prev, each as its UTF-8 bytes preceded by their length (4 bytes, big-endian). The JSON text itself is not
 * hashed, so re-serialising it (member order, spacing, escapes) does not break the chain. The reason is free text
 * that anyone who can read the file sees: it names failed checks, never a secret.
 *
 * <p><b>The known limit.</b> The chain proves that the entries agree with each other, not that they are the ones
 * written: whoever can write the file can drop the latest entries, or edit an entry and recompute every hash from it
 * onward (or the whole chain), and {@link #verify} still passes. Those rewrites are caught only against a copy of a
 * head kept elsewhere: the broker should print {@link #entries()} and {@link #head()} when it starts (and whenever
 * it is asked), and later the log must still hold at least that many entries, the one with seq = entries - 1 still
 * carrying that hash.
 *
 * <p>One process writes a log at a time. There is no file lock, because a POSIX lock is silently dropped when the
 * process closes any other descriptor of the file (a {@link #verify} would); instead {@link #append} refuses once
 * the file changed underneath it, and {@link #verify} reports the fork two writers would make.
 */
public final class AuditLog implements AutoCloseable {
    static final String DOMAIN = "coffer-audit-v1";
    static final String NO_PREVIOUS = "0".repeat(64);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<String> MEMBERS = Set.of("seq", "time", "pack", "measurement", "verdict", "reason",
            "prev", "hash");

    /** The decision an entry records; written in lower case. */
    public enum Verdict {
        RELEASED, REFUSED;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Verdict parse(String id) {
            for (Verdict v : values()) if (v.id().equals(id)) return v;
            throw new IllegalArgumentException("\"verdict\" must be released or refused, not '" + Nonce.abbreviate(id) + "'");
        }
    }

    /**
     * One decision as it stands in the log. Its fields are checked for shape only; whether {@code hash} and
     * {@code prev} hold is what {@link AuditLog#verify} decides.
     */
    public record Entry(long seq, Instant time, String pack, String measurement, Verdict verdict, String reason,
                        String prev, String hash) {
        public Entry {
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(verdict, "verdict");
            Objects.requireNonNull(reason, "reason");
            if (seq < 0) throw new IllegalArgumentException("\"seq\" must not be negative, not " + seq);
            requireDigestOrEmpty("pack", pack);
            requireDigestOrEmpty("measurement", measurement);
            requireDigest("prev", prev);
            requireDigest("hash", hash);
            // An unpaired surrogate would be written as '?', so the entry read back would differ from this one.
            if (!UTF_8.newEncoder().canEncode(reason)) throw new IllegalArgumentException("\"reason\" is not valid Unicode");
        }

        /** The hash these contents must carry. */
        String expectedHash() {
            return hashOf(seq, time, pack, measurement, verdict, reason, prev);
        }

        String toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("seq", seq);
            m.put("time", time.toString());
            m.put("pack", pack);
            m.put("measurement", measurement);
            m.put("verdict", verdict.id());
            m.put("reason", reason);
            m.put("prev", prev);
            m.put("hash", hash);
            return JSONObjectUtils.toJSONString(m);
        }
    }

    /**
     * What {@link #verify} found.
     *
     * @param entries     the entries that verify, up to the first broken line
     * @param firstBroken why the first broken line breaks the chain; empty when the whole file verifies
     */
    public record Verification(int entries, Optional<String> firstBroken) {
        public Verification {
            Objects.requireNonNull(firstBroken, "firstBroken");
        }

        public boolean intact() {
            return firstBroken.isEmpty();
        }
    }

    private final Path file;
    private final Clock clock;
    private final FileChannel channel;
    private long entries;
    private String head;
    private long size;
    private Optional<String> unusable = Optional.empty();

    private AuditLog(Path file, Clock clock, FileChannel channel, Chain chain) {
        this.file = file;
        this.clock = clock;
        this.channel = channel;
        this.entries = chain.entries;
        this.head = chain.head;
        this.size = chain.bytes;
    }

    /**
     * Opens the log to continue its chain, creating it (0600, with its parent directories) when absent.
     *
     * @throws AuditLogBrokenException when the existing chain does not verify: nothing is appended to it
     * @throws UncheckedIOException    when the file cannot be created, read or opened for appending
     */
    public static AuditLog open(Path file, Clock clock) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(clock, "clock");
        try {
            createIfAbsent(file);
            Chain chain = scan(file);
            if (chain.firstBroken.isPresent()) throw new AuditLogBrokenException(file, chain.firstBroken.get());
            FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            if (channel.size() != chain.bytes) {
                channel.close();
                throw new IllegalStateException("the audit log " + file + " changed while it was being opened: is "
                        + "another broker writing to it?");
            }
            return new AuditLog(file, clock, channel, chain);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the audit log " + file + ": " + e, e);
        }
    }

    /** Checks the whole chain of a log file without changing it; an empty file is a valid log of 0 entries. */
    public static Verification verify(Path file) {
        try {
            Chain chain = scan(file);
            return new Verification(Math.toIntExact(chain.entries), chain.firstBroken);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit log " + file + ": " + e, e);
        }
    }

    /**
     * Records one decision: the line is on disk (forced) when this returns.
     *
     * @param pack        the pack digest as lower-case hex ({@code PackDigest.hex()}), or "" when unknown
     * @param measurement the secure-world measurement as lower-case hex ({@code Digest.hex()}), or "" when unknown
     * @param reason      why (e.g. the failed checks); free text, never a secret
     * @throws UncheckedIOException  when the line could not be written and forced: the decision is not on record,
     *                               and this log takes no more entries (reopen it, which verifies it)
     * @throws IllegalArgumentException when pack or measurement is neither 64 lower-case hex digits nor ""
     * @throws IllegalStateException when the log is closed, failed before, or was changed by another writer
     */
    public synchronized Entry append(String pack, String measurement, Verdict verdict, String reason) {
        Objects.requireNonNull(pack, "pack");
        Objects.requireNonNull(measurement, "measurement");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
        unusable.ifPresent(why -> {
            throw new IllegalStateException("the audit log " + file + " takes no more entries: " + why);
        });
        Instant time = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Entry entry = new Entry(entries, time, pack, measurement, verdict, reason, head,
                hashOf(entries, time, pack, measurement, verdict, reason, head));
        byte[] line = (entry.toJson() + "\n").getBytes(UTF_8);
        try {
            // Another writer (a second broker, an editor) would fork the chain: stop rather than interleave with it.
            long found = channel.size();
            if (found != size) {
                fail("it was changed by another writer since it was opened (" + size + " bytes expected, " + found
                        + " found); verify it and reopen it");
                throw new IllegalStateException("the audit log " + file + " takes no more entries: " + unusable.get());
            }
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) channel.write(buffer);
            channel.force(true);
        } catch (IOException e) {
            fail("an append failed (" + e + "), so it may end in a torn line; reopen it, which verifies it");
            throw new UncheckedIOException("cannot append to the audit log " + file + ": " + e
                    + "; the decision is not on record", e);
        }
        entries++;
        head = entry.hash();
        size += line.length;
        return entry;
    }

    /** The hash of the latest entry, or 64 zeros for an empty log: the value to keep elsewhere as an anchor. */
    public synchronized String head() {
        return head;
    }

    /** How many entries the log holds; the next entry's seq. */
    public synchronized long entries() {
        return entries;
    }

    @Override
    public synchronized void close() {
        if (unusable.isEmpty()) unusable = Optional.of("it is closed");
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the audit log " + file + ": " + e, e);
        }
    }

    private void fail(String why) {
        unusable = Optional.of(why);
        try {
            channel.close();
        } catch (IOException ignored) {
            // Already failing: the first error is the one to report.
        }
    }

    static String hashOf(long seq, Instant time, String pack, String measurement, Verdict verdict, String reason,
                         String prev) {
        // Digest.sha256 prefixes each part with its 4-byte length, so no two different entries encode alike.
        return Digest.sha256(DOMAIN.getBytes(UTF_8), Long.toString(seq).getBytes(UTF_8), time.toString().getBytes(UTF_8),
                pack.getBytes(UTF_8), measurement.getBytes(UTF_8), verdict.id().getBytes(UTF_8), reason.getBytes(UTF_8),
                prev.getBytes(UTF_8)).hex();
    }

    private static void createIfAbsent(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            return; // an existing log: open() verifies and continues it
        }
        // Make the new directory entry durable too, or a crash could lose the log along with its first entries.
        try (FileChannel dir = FileChannel.open(parent, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** The chain read so far: the entries that verify, the last hash and the bytes they take. */
    private static final class Chain {
        long entries;
        String head = NO_PREVIOUS;
        long bytes;
        Optional<String> firstBroken = Optional.empty();
    }

    private static Chain scan(Path file) throws IOException {
        Chain chain = new Chain();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int lineNumber = 1;
            for (int b = in.read(); b != -1; b = in.read()) {
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                chain.firstBroken = check(line.toByteArray(), lineNumber, chain);
                if (chain.firstBroken.isPresent()) return chain;
                chain.bytes += line.size() + 1;
                line.reset();
                lineNumber++;
            }
            if (line.size() > 0) {
                chain.firstBroken = Optional.of("line " + lineNumber + ": ends without a newline (a torn write: the "
                        + "entry was not completely written)");
            }
        }
        return chain;
    }

    /** Checks one line against the chain so far, extending it when the line verifies; empty means it does. */
    private static Optional<String> check(byte[] bytes, int lineNumber, Chain chain) {
        String notAnEntry = "line " + lineNumber + ": not an audit entry";
        Entry entry;
        try {
            entry = parse(notAnEntry, bytes);
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
        long expected = chain.entries;
        String at = "entry " + expected + " (line " + lineNumber + "): ";
        if (entry.seq() != expected) return Optional.of(at + "seq is " + entry.seq() + ", expected " + expected);
        if (!entry.hash().equals(entry.expectedHash())) return Optional.of(at + "hash does not match its contents");
        if (!entry.prev().equals(chain.head)) {
            return Optional.of(expected == 0 ? at + "prev is not 64 zeros, as the first entry's must be"
                    : at + "prev does not match the hash of entry " + (expected - 1));
        }
        chain.entries++;
        chain.head = entry.hash();
        return Optional.empty();
    }

    /** @throws IllegalArgumentException starting with {@code notAnEntry}, saying what is wrong */
    private static Entry parse(String notAnEntry, byte[] bytes) {
        Map<String, Object> members;
        try {
            // Strict decoding: a damaged byte must not silently become U+FFFD.
            String json = UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            members = JSONObjectUtils.parse(json);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(notAnEntry + " (not UTF-8)");
        } catch (ParseException e) {
            throw new IllegalArgumentException(notAnEntry + " (malformed JSON)");
        }
        // Members outside the hash would be unprotected text, so there are none.
        JsonFields f = JsonFields.of(notAnEntry, members).onlyKnown(MEMBERS);
        try {
            return new Entry(f.integer("seq"), Instant.parse(f.string("time")), f.string("pack"),
                    f.string("measurement"), Verdict.parse(f.string("verdict")), f.string("reason"), f.string("prev"),
                    f.string("hash"));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(notAnEntry + ": \"time\" is not an ISO-8601 instant");
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith(notAnEntry)) throw e;
            throw new IllegalArgumentException(notAnEntry + ": " + e.getMessage());
        }
    }

    private static void requireDigestOrEmpty(String name, String hex) {
        Objects.requireNonNull(hex, name);
        if (!hex.isEmpty()) requireDigest(name, hex);
    }

    private static void requireDigest(String name, String hex) {
        Objects.requireNonNull(hex, name);
        boolean lowerHex = hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        if (hex.length() != 64 || !lowerHex) {
            throw new IllegalArgumentException("\"" + name + "\" must be 64 lower-case hex digits (a SHA-256)"
                    + (name.equals("pack") || name.equals("measurement") ? " or \"\" when unknown" : "")
                    + ", not '" + Nonce.abbreviate(hex) + "'");
        }
    }
}
