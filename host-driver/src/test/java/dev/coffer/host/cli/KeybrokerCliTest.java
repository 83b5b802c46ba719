package dev.coffer.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coffer.attestation.AuditLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeybrokerCliTest {
    @TempDir
    Path dir;

    @Test
    void auditVerifyNamesTheFirstBrokenEntry() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (AuditLog log = AuditLog.open(file, Clock.systemUTC())) {
            log.append("", "", AuditLog.Verdict.REFUSED, "404 not a recipient");
            log.append("", "", AuditLog.Verdict.REFUSED, "401 no open challenge");
            log.append("", "", AuditLog.Verdict.REFUSED, "403 evidence refused");
        }
        Cli.Result ok = Cli.run("keybroker", "audit", "--verify", file.toString());
        assertThat(ok.exit()).isZero();
        assertThat(ok.out()).contains("intact, 3 entries");
        Files.writeString(file, Files.readString(file).replace("401 no open challenge", "200 released!!!!!!!"));
        Cli.Result broken = Cli.run("keybroker", "audit", "--verify", file.toString());
        assertThat(broken.exit()).isEqualTo(1);
        assertThat(broken.out()).contains("BROKEN at entry 1").contains("1 intact entries before it");
    }

    @Test
    void theDemoRunsEveryPartEndToEndAndCleansUp() {
        Cli.Result demo = Cli.run("demo", "--image", Cli.image().toString(), "-n", "8");
        assertThat(demo.exit()).as(demo.out() + demo.err()).isZero();
        assertThat(demo.out()).contains("[5/8] server").contains("ACCEPTED: ").contains("[7/8] chat")
                .contains("[8/8] numerics").contains("MATCH: 48/48")
                .contains("assistant: ").contains("all stopped");
    }

    @Test
    void mistakesInTheServingOptionsAreNamed() {
        Cli.Result both = Cli.run("serve", "--pack", "x.cpack", "--key", "r.key", "--keybroker", "https://127.0.0.1:1");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("exactly one of --key, --passphrase-file or --keybroker");
        Cli.Result blind = Cli.run("serve", "--pack", "x.cpack", "--keybroker", "https://127.0.0.1:1");
        assertThat(blind.err()).contains("never trusted blindly");
        Cli.Result broker = Cli.run("keybroker", "--port", "0");
        assertThat(broker.exit()).isEqualTo(2);
        assertThat(broker.err()).contains("needs --key and --policy");
        Cli.Result tee = Cli.run("attest", "https://127.0.0.1:1", "--allow-tee", "sgx9");
        assertThat(tee.err()).contains("unknown TEE type 'sgx9'");
    }
}
