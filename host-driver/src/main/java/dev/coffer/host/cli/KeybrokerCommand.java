package dev.coffer.host.cli;

import dev.coffer.attestation.AuditLog;
import dev.coffer.attestation.KeyBroker;
import dev.coffer.attestation.Policy;
import dev.coffer.host.net.TlsIdentity;
import dev.coffer.host.server.KeyBrokerServer;
import dev.coffer.pack.KeyFiles;
import dev.coffer.pack.RecipientPrivateKey;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "keybroker", mixinStandardHelpOptions = true,
        subcommands = KeybrokerCommand.Audit.class,
        description = {"Release pack keys only to attested secure worlds (HTTPS, TLS 1.3; protocol in docs/attestation.md).",
            "",
            "The broker is an ordinary pack recipient: the owner encrypts with --recipient BROKER.pub and the broker keeps "
                + "no per-pack keys. For each request it sends a one-time challenge, appraises the evidence against "
                + "--policy, and returns the pack's key sealed to the enclave key in that evidence. Every decision goes "
                + "to an append-only, hash-chained audit log ('coffer keybroker audit --verify FILE' checks it).",
            "Its TLS certificate is kept beside its key (made on first start); serving hosts trust it with "
                + "--keybroker-ca or --keybroker-pin, both printed at start."})
final class KeybrokerCommand implements Callable<Integer> {
    @Option(names = "--key", paramLabel = "BROKER.key", description = "the broker's recipient key ('coffer pack keygen')")
    Path key;

    @Option(names = "--policy", paramLabel = "F", description = "appraisal policy (JSON, see docs/attestation.md); required")
    Path policyFile;

    @Option(names = "--audit", paramLabel = "FILE", description = "audit log (default: keybroker-audit.jsonl beside the key)")
    Path audit;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8444", description = "port; 0 = any free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--tls-cert", paramLabel = "F", description = "TLS certificate (PEM; default: BROKER.tls.crt, made on first start)")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "F", description = "its private key (PEM; default: BROKER.tls.key)")
    Path tlsKey;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (key == null || policyFile == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "the broker needs --key and --policy");
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--tls-cert and --tls-key go together");
        }
        Policy policy = Policy.read(policyFile);
        Path dir = key.toAbsolutePath().getParent();
        String base = key.getFileName().toString().replaceFirst("\\.key$", "");
        Path cert = tlsCert != null ? tlsCert : dir.resolve(base + ".tls.crt");
        Path certKey = tlsKey != null ? tlsKey : dir.resolve(base + ".tls.key");
        TlsIdentity tls = TlsIdentity.loadOrCreate(cert, certKey, List.of(host));
        Path auditFile = audit != null ? audit : dir.resolve("keybroker-audit.jsonl");
        PrintStream err = System.err;
        RecipientPrivateKey brokerKey = KeyFiles.readRecipientKey(key);
        AuditLog log = AuditLog.open(auditFile, Clock.systemUTC());
        KeyBroker broker = new KeyBroker(brokerKey, policy, log, Clock.systemUTC());
        KeyBrokerServer server = KeyBrokerServer.start(host, port, tls, broker,
                line -> err.println(Instant.now() + " keybroker: " + line));
        String url = "https://" + host + ":" + server.port();
        err.printf(Locale.ROOT, "key broker on %s, recipient key %s%n", url, brokerKey.publicKey().id().hex());
        err.printf(Locale.ROOT, "  policy %s: %s%n", policyFile, broker.policy().toJson());
        err.printf(Locale.ROOT, "  audit log %s: %d entries, head %s (keep this line elsewhere: it anchors the chain)%n",
                auditFile, log.entries(), log.head());
        err.printf(Locale.ROOT, "serving hosts trust it with: --keybroker %s --keybroker-ca %s%n", url, cert);
        err.printf(Locale.ROOT, "                         or: --keybroker %s --keybroker-pin %s%n", url, tls.publicKeyHash().hex());
        UntilStopped.await("keybroker", () -> {
            server.close();
            log.close();
            brokerKey.close();
        });
        return 0;
    }

    @Command(name = "audit", mixinStandardHelpOptions = true,
            description = "Check an audit log's hash chain; names the first broken entry. Exit code 0 only when intact.")
    static final class Audit implements Callable<Integer> {
        @Option(names = "--verify", required = true, paramLabel = "FILE", description = "the audit log to check")
        Path file;

        @Override
        public Integer call() {
            AuditLog.Verification v = AuditLog.verify(file);
            if (v.intact()) {
                System.out.println(file + ": intact, " + v.entries() + " entries");
                return 0;
            }
            System.out.println(file + ": BROKEN at " + v.firstBroken().orElseThrow() + " (" + v.entries()
                    + " intact entries before it)");
            return 1;
        }
    }
}
