package dev.coffer.host.cli;

import dev.coffer.attestation.EvidenceClaims;
import dev.coffer.attestation.Verifier;
import dev.coffer.host.client.AttestedServer;
import dev.coffer.host.client.ProxyRoutes;
import dev.coffer.host.net.HttpsServer;
import java.io.PrintStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = {"A local, plain OpenAI API for stock clients, in front of an attested Coffer server: it verifies "
                + "the server's evidence at start (and again when it expires or the server's key changes), seals every "
                + "request body to the attested secure world's key, and opens the answers.",
            "",
            "Point any OpenAI client at http://127.0.0.1:PORT/v1 (any API key). The proxy listens on loopback only."})
final class ProxyCommand implements Callable<Integer> {
    @Option(names = "--server", required = true, paramLabel = "URL", description = "the Coffer server, e.g. https://host:8443")
    URI server;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "loopback address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port; 0 = any free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
            description = "how long to wait for the server's answer to begin (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @CommandLine.Mixin
    PolicyOptions policyOptions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintStream err = System.err;
        AttestedServer attested = new AttestedServer(server, new Verifier(policyOptions.policy(spec)),
                Duration.ofSeconds(timeoutSeconds), Clock.systemUTC());
        AttestedServer.Attested first = attested.current();
        EvidenceClaims c = first.appraisal().claims();
        err.printf(Locale.ROOT, "verified %s: tee %s%s, measurement %s, pack %s%n", server, c.tee().id(),
                c.tee().hardware() ? "" : " (SOFTWARE TEE, accepted because you allowed it)", c.measurement().hex(),
                c.pack().map(p -> p.digest().hex()).orElse("none"));
        HttpsServer local;
        try {
            local = HttpsServer.startLoopback(host, port, ProxyRoutes.routes(attested, line -> err.println("coffer proxy: " + line)),
                    1 << 20, 600, line -> err.println("coffer proxy: " + line));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        String base = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + local.port() + "/v1";
        err.printf(Locale.ROOT, "OpenAI API at %s (requests sealed to enclave key %s)%n", base,
                first.enclaveKey().id().shortHex());
        err.println("e.g.  curl " + base + "/chat/completions -H 'Content-Type: application/json' "
                + "-d '{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'");
        UntilStopped.await("proxy", () -> {
            local.close();
            attested.close();
        });
        return 0;
    }
}
