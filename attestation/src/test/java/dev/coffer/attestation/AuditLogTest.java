package dev.coffer.attestation;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.coffer.attestation.AuditLog.Entry;
import dev.coffer.attestation.AuditLog.Verdict;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
    private static final String PACK = "ab".repeat(32);
    private static final String MEASUREMENT = "cd".repeat(32);
    private static final String ZEROS = "0".repeat(64);
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-06-01T12:00:00.750Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void eachDecisionIsOneJsonLineChainedToThePreviousOne() throws Exception {
        Path file = dir.resolve("audit.log");
        List<Entry> written = writeFour(file);

        List<String> lines = Files.readAllLines(file, UTF_8);
        assertThat(lines).hasSize(4);
        Map<String, Object> first = JSONObjectUtils.parse(lines.get(0));
        assertThat(first).containsOnlyKeys("seq", "time", "pack", "measurement", "verdict", "reason", "prev", "hash")
                .containsEntry("seq", 0L).containsEntry("time", "2025-06-01T12:00:00Z").containsEntry("pack", PACK)
                .containsEntry("measurement", MEASUREMENT).containsEntry("verdict", "released").containsEntry("prev", ZEROS);
        assertThat(JSONObjectUtils.parse(lines.get(1))).containsEntry("verdict", "refused").containsEntry("pack", "")
                .containsEntry("prev", first.get("hash"));
        for (int i = 0; i < written.size(); i++) {
            assertThat(written.get(i).seq()).isEqualTo(i);
            assertThat(written.get(i).prev()).isEqualTo(i == 0 ? ZEROS : written.get(i - 1).hash());
            assertThat(JSONObjectUtils.parse(lines.get(i))).containsEntry("hash", written.get(i).hash());
        }
        assertThat(AuditLog.verify(file)).isEqualTo(new AuditLog.Verification(4, Optional.empty()));
    }

    @Test
    void reopeningVerifiesAndContinuesTheChain() {
        Path file = dir.resolve("audit.log");
        List<Entry> written = writeFour(file);
        try (AuditLog log = AuditLog.open(file, CLOCK)) {
            assertThat(log.entries()).isEqualTo(4);
            assertThat(log.head()).isEqualTo(written.getLast().hash());
            Entry next = log.append(PACK, MEASUREMENT, Verdict.RELEASED, "all checks passed");
            assertThat(next.seq()).isEqualTo(4);
            assertThat(next.prev()).isEqualTo(written.getLast().hash());
            assertThat(log.head()).isEqualTo(next.hash());
        }
        AuditLog.Verification v = AuditLog.verify(file);
        assertThat(v.intact()).isTrue();
        assertThat(v.entries()).isEqualTo(5);
    }

    @Test
    void aNewLogIsOwnerOnlyInDirectoriesCreatedForItAndStartsFromZeros() throws Exception {
        Path file = dir.resolve("var/coffer/audit.log");
        try (AuditLog log = AuditLog.open(file, CLOCK)) {
            assertThat(log.head()).isEqualTo(ZEROS);
            assertThat(log.entries()).isZero();
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(AuditLog.verify(file)).isEqualTo(new AuditLog.Verification(0, Optional.empty()));
    }

    @Test
    void anEmptyFileIsAValidLogOfNoEntries() throws Exception {
        Path file = Files.createFile(dir.resolve("audit.log"));
        assertThat(AuditLog.verify(file)).isEqualTo(new AuditLog.Verification(0, Optional.empty()));
        try (AuditLog log = AuditLog.open(file, CLOCK)) {
            assertThat(log.append("", "", Verdict.REFUSED, "no evidence").prev()).isEqualTo(ZEROS);
        }
    }

    @Test
    void aReasonWithNewlinesAndQuotesStaysOnOneLineAndRoundTrips() throws Exception {
        Path file = dir.resolve("audit.log");
        String reason = "failed:\n  measurement \"abc\" not allowed\r\n\tdebug on \\ \u2028 é ✓";
        try (AuditLog log = AuditLog.open(file, CLOCK)) {
            log.append(PACK, MEASUREMENT, Verdict.REFUSED, reason);
        }
        List<String> lines = Files.readAllLines(file, UTF_8);
        assertThat(lines).hasSize(1);
        assertThat(JSONObjectUtils.parse(lines.getFirst())).containsEntry("reason", reason);
        assertThat(AuditLog.verify(file).intact()).isTrue();
    }

    @Test
    void theHashCoversLengthPrefixedFieldsNotTheJsonSoReformattingDoesNotMatter() throws Exception {
        Path file = dir.resolve("audit.log");
        List<Entry> written = writeFour(file);
        for (Entry e : written) {
            assertThat(e.hash()).isEqualTo(documentedHash(e.seq(), e.time().toString(), e.pack(), e.measurement(),
                    e.verdict().id(), e.reason(), e.prev()));
        }
        // Another member order, spacing, escaping and time notation: the same entries.
        List<String> reformatted = new ArrayList<>();
        for (String line : Files.readAllLines(file, UTF_8)) {
            Map<String, Object> m = JSONObjectUtils.parse(line);
            String reason = ((String) m.get("reason")).replace("e", "\\u0065"); // these reasons need no other escape
            String time = ((String) m.get("time")).replace("Z", ".000Z");
            reformatted.add("{ \"hash\": \"" + m.get("hash") + "\",  \"seq\": " + m.get("seq") + ", \"time\": \""
                    + time + "\", \"pack\": \"" + m.get("pack") + "\", \"measurement\": \"" + m.get("measurement")
                    + "\", \"verdict\": \"" + m.get("verdict") + "\", \"prev\": \"" + m.get("prev") + "\", \"reason\": \""
                    + reason + "\" }");
        }
        assertThat(reformatted.getFirst()).contains("\\u0065", ".000Z");
        writeLines(file, reformatted);
        assertThat(AuditLog.verify(file)).isEqualTo(new AuditLog.Verification(4, Optional.empty()));
    }

    @Test
    void aChangedByteInAReasonIsFound() throws Exception {
        Path file = dir.resolve("audit.log");
        writeFour(file);
        List<String> lines = Files.readAllLines(file, UTF_8);
        lines.set(1, lines.get(1).replace("measurement not allowed", "measurement net allowed"));
        writeLines(file, lines);
        assertBroken(file, 1, "entry 1 (line 2): hash does not match its contents");
    }

    @Test
    void aDeletedMiddleLineIsFound() throws Exception {
        Path file = dir.resolve("audit.log");
        writeFour(file);
        List<String> lines = Files.readAllLines(file, UTF_8);
        lines.remove(1);
        writeLines(file, lines);
        assertBroken(file, 1, "entry 1 (line 2): seq is 2, expected 1");
    }

    @Test
    void twoSwappedLinesAreFound() throws Exception {
        Path file = dir.resolve("audit.log");
        writeFour(file);
        List<String> lines = Files.readAllLines(file, UTF_8);
        lines.set(1, lines.set(2, lines.get(1)));
        writeLines(file, lines);
        assertBroken(file, 1, "entry 1 (line 2): seq is 2, expected 1");
    }

    @Test
    void reorderedLinesAreFound() throws Exception {
        Path file = dir.resolve("audit.log");
        writeFour(file);
        List<String> lines = Files.readAllLines(file, UTF_8);
        lines.addFirst(lines.removeLast());
        writeLines(file, lines);
        assertBroken(file, 0, "entry 0 (line 1): seq is 3, expected 0");
    }

    @Test
    void renumberedSeqAfterADeletionIsFoundByTheHash() throws Exception {
        Path file = dir.resolve("audit.log");
        writeFour(file);
        List<String> lines = Files.readAllLines(file, UTF_8);
        lines.remove(1);
        lines.set(1, lines.get(1).replace("\"seq\":2", "\"seq\":1"));
        writeLines(file, lines);
        assertBroken(file, 1, "entry 1 (line 2): hash does not match its contents");
    }

    @Test
    void aTornLastLineIsFound() throws Exception {
        Path file = dir.resolve("audit.log");
        writeFour(file);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 40));
        assertBroken(file, 3, "line 4: ends without a newline (a torn write: the entry was not completely written)");

        // Even a complete entry without its newline: the write did not finish, and the next one would join its line.
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 1));
        assertBroken(file, 3, "line 4: ends without a newline (a torn write: the entry was not completely written)");
    }

    @Test
    void aForgedEntryWithItsOwnHashRecomputedButTheWrongPrevIsFound() throws Exception {
        Path file = dir.resolve("audit.log");
        List<Entry> written = writeFour(file);
        String forgedPrev = written.get(2).hash(); // not the head: entry 3's hash
        String time = "2025-06-01T12:05:00Z";
        String reason = "all checks passed";
        String hash = documentedHash(4, time, PACK, MEASUREMENT, "released", reason, forgedPrev);
        Files.writeString(file, "{\"seq\":4,\"time\":\"" + time + "\",\"pack\":\"" + PACK + "\",\"measurement\":\""
                + MEASUREMENT + "\",\"verdict\":\"released\",\"reason\":\"" + reason + "\",\"prev\":\"" + forgedPrev
                + "\",\"hash\":\"" + hash + "\"}\n", StandardOpenOption.APPEND);
        assertBroken(file, 4, "entry 4 (line 5): prev does not match the hash of entry 3");
    }

    @Test
    void anEditWithOnlyItsOwnHashRecomputedIsFoundAtTheNextEntry() throws Exception {
        Path file = dir.resolve("audit.log");
        writeFour(file);
        List<String> lines = Files.readAllLines(file, UTF_8);
        lines.set(1, rehashed(lines.get(1), Map.of("verdict", "released")));
        writeLines(file, lines);
        assertBroken(file, 2, "entry 2 (line 3): prev does not match the hash of entry 1");
    }

    @Test
    void aFirstEntryThatDoesNotStartFromZerosIsFound() throws Exception {
        Path file = dir.resolve("audit.log");
        writeFour(file);
        List<String> lines = Files.readAllLines(file, UTF_8);
        writeLines(file, List.of(rehashed(lines.get(0), Map.of("prev", "11".repeat(32)))));
        assertBroken(file, 0, "entry 0 (line 1): prev is not 64 zeros, as the first entry's must be");
    }

    @Test
    void linesThatAreNotEntriesAreFound() throws Exception {
        Path file = dir.resolve("audit.log");
        writeFour(file);
        List<String> lines = Files.readAllLines(file, UTF_8);

        writeLines(file, List.of(lines.get(0), lines.get(1), "{\"seq\": 2, oops"));
        assertBroken(file, 2, "line 3: not an audit entry (malformed JSON)");

        writeLines(file, List.of(lines.get(0), lines.get(1).replace("\"seq\":1,", "\"seq\":1,\"note\":\"unhashed\",")));
        assertThat(AuditLog.verify(file).firstBroken()).hasValueSatisfying(m ->
                assertThat(m).startsWith("line 2: not an audit entry: unknown member \"note\""));

        writeLines(file, List.of(lines.get(0), lines.get(1).replace("\"refused\"", "\"maybe\"")));
        assertBroken(file, 1, "line 2: not an audit entry: \"verdict\" must be released or refused, not 'maybe'");

        writeLines(file, List.of(lines.get(0), ""));
        assertBroken(file, 1, "line 2: not an audit entry (malformed JSON)");

        ByteArrayOutputStream notUtf8 = new ByteArrayOutputStream();
        notUtf8.write((lines.get(0) + "\n").getBytes(UTF_8));
        notUtf8.write(new byte[] {'{', (byte) 0xff, '}', '\n'});
        Files.write(file, notUtf8.toByteArray());
        assertBroken(file, 1, "line 2: not an audit entry (not UTF-8)");
    }

    /**
     * The known limit: a rewrite of every hash from the edited entry onward (here keeping the first entry as it
     * was) leaves a chain that agrees with itself, as does dropping the latest entries. Only the head kept
     * elsewhere tells.
     */
    @Test
    void aChainRewrittenFromAnEntryOnwardOrCutShortIsCaughtOnlyByTheHeadKeptElsewhere() throws Exception {
        Path file = dir.resolve("audit.log");
        writeFour(file);
        String anchoredHead;
        long anchoredEntries;
        try (AuditLog log = AuditLog.open(file, CLOCK)) { // as the broker prints them when it starts
            anchoredHead = log.head();
            anchoredEntries = log.entries();
        }
        List<String> original = Files.readAllLines(file, UTF_8);
        List<String> lines = new ArrayList<>(original);
        String prev = (String) JSONObjectUtils.parse(lines.get(0)).get("hash");
        for (int i = 1; i < lines.size(); i++) {
            Map<String, Object> changes = i == 1 ? Map.of("verdict", "released", "prev", prev) : Map.of("prev", prev);
            lines.set(i, rehashed(lines.get(i), changes));
            prev = (String) JSONObjectUtils.parse(lines.get(i)).get("hash");
        }
        writeLines(file, lines);
        assertThat(lines.get(0)).isEqualTo(original.get(0));
        assertThat(AuditLog.verify(file)).isEqualTo(new AuditLog.Verification(4, Optional.empty()));
        try (AuditLog log = AuditLog.open(file, CLOCK)) {
            assertThat(log.entries()).isEqualTo(anchoredEntries);
            assertThat(log.head()).isNotEqualTo(anchoredHead);
        }

        writeLines(file, original.subList(0, 3));
        assertThat(AuditLog.verify(file)).isEqualTo(new AuditLog.Verification(3, Optional.empty()));
        try (AuditLog log = AuditLog.open(file, CLOCK)) {
            assertThat(log.entries()).isLessThan(anchoredEntries);
        }
    }

    @Test
    void openRefusesABrokenLogAndLeavesItAsItIs() throws Exception {
        Path file = dir.resolve("audit.log");
        writeFour(file);
        List<String> lines = Files.readAllLines(file, UTF_8);
        lines.set(2, lines.get(2).replace("\"refused\"", "\"released\""));
        writeLines(file, lines);
        byte[] before = Files.readAllBytes(file);

        assertThatThrownBy(() -> AuditLog.open(file, CLOCK))
                .isInstanceOfSatisfying(AuditLogBrokenException.class, e -> {
                    assertThat(e.file()).isEqualTo(file);
                    assertThat(e.firstBroken()).isEqualTo("entry 2 (line 3): hash does not match its contents");
                })
                .hasMessageContaining("is broken at entry 2 (line 3): hash does not match its contents")
                .hasMessageContaining("move it aside");
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @Test
    void appendRefusesMalformedDigestsAndAClosedLog() {
        Path file = dir.resolve("audit.log");
        AuditLog log = AuditLog.open(file, CLOCK);
        assertThatThrownBy(() -> log.append("sha256:" + PACK, "", Verdict.REFUSED, "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"pack\" must be 64 lower-case hex");
        assertThatThrownBy(() -> log.append("", PACK.toUpperCase(), Verdict.REFUSED, "x"))
                .hasMessageContaining("\"measurement\" must be 64 lower-case hex");
        assertThatThrownBy(() -> log.append("", "", Verdict.REFUSED, "bad \uD800 surrogate"))
                .hasMessageContaining("not valid Unicode");
        assertThat(log.entries()).isZero();
        log.close();
        assertThatThrownBy(() -> log.append("", "", Verdict.REFUSED, "x")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("it is closed");
    }

    @Test
    void appendStopsWhenAnotherWriterChangedTheFile() throws Exception {
        Path file = dir.resolve("audit.log");
        try (AuditLog log = AuditLog.open(file, CLOCK); AuditLog other = AuditLog.open(file, CLOCK)) {
            log.append(PACK, MEASUREMENT, Verdict.RELEASED, "first broker");
            assertThatThrownBy(() -> other.append(PACK, MEASUREMENT, Verdict.RELEASED, "second broker"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("changed by another writer");
        }
        assertThat(AuditLog.verify(file)).isEqualTo(new AuditLog.Verification(1, Optional.empty()));
    }

    private static List<Entry> writeFour(Path file) {
        try (AuditLog log = AuditLog.open(file, CLOCK)) {
            return List.of(log.append(PACK, MEASUREMENT, Verdict.RELEASED, "all checks passed"),
                    log.append("", MEASUREMENT, Verdict.REFUSED, "measurement not allowed"),
                    log.append(PACK, "", Verdict.REFUSED, "evidence too old; debug enabled"),
                    log.append(PACK, MEASUREMENT, Verdict.RELEASED, "all checks passed"));
        }
    }

    private static void writeLines(Path file, List<String> lines) throws Exception {
        Files.writeString(file, lines.stream().map(l -> l + "\n").reduce("", String::concat));
    }

    private static void assertBroken(Path file, int entries, String firstBroken) {
        assertThat(AuditLog.verify(file)).isEqualTo(new AuditLog.Verification(entries, Optional.of(firstBroken)));
    }

    /** The line with some members changed and its own hash recomputed, as a forger would. */
    private static String rehashed(String line, Map<String, Object> changes) throws Exception {
        Map<String, Object> m = JSONObjectUtils.parse(line);
        m.putAll(changes);
        m.put("hash", documentedHash((Long) m.get("seq"), (String) m.get("time"), (String) m.get("pack"),
                (String) m.get("measurement"), (String) m.get("verdict"), (String) m.get("reason"), (String) m.get("prev")));
        return JSONObjectUtils.toJSONString(m);
    }

    /** The hash as AuditLog's javadoc defines it, computed independently of AuditLog. */
    private static String documentedHash(long seq, String time, String pack, String measurement, String verdict,
                                         String reason, String prev) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        for (String field : List.of("coffer-audit-v1", Long.toString(seq), time, pack, measurement, verdict, reason, prev)) {
            byte[] bytes = field.getBytes(UTF_8);
            sha256.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
            sha256.update(bytes);
        }
        return HexFormat.of().formatHex(sha256.digest());
    }
}
