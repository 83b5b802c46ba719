package dev.coffer.host.cli;

import dev.coffer.host.net.TlsIdentity;
import dev.coffer.host.net.TlsTrust;
import dev.coffer.host.server.GenerationScheduler;
import dev.coffer.host.server.PackServing;
import dev.coffer.inference.kernels.Parallel;
import dev.coffer.pack.PackFile;
import dev.coffer.tee.Backend;
import dev.coffer.tee.Digest;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve an encrypted pack from a secure world over HTTPS (TLS 1.3): the OpenAI API (POST "
                + "/v1/chat/completions and /v1/completions with sealed bodies, GET /v1/models), GET /v1/attestation?nonce=... "
                + "(docs/attestation.md), GET /health and GET /metrics.",
            "",
            "The pack's key comes from a recipient key file (--key; this host then holds the key) or from a key broker "
                + "(--keybroker) that releases it only to an attested secure world, sealed to a key this host never sees.",
            "A self-signed certificate is made at start unless --tls-cert/--tls-key are given: clients trust it "
                + "because the evidence binds its key ('coffer attest URL')."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--pack", required = true, paramLabel = "P.cpack", description = "the encrypted model pack to serve")
    Path pack;

    @Option(names = "--keybroker", paramLabel = "URL",
            description = "or a key broker (coffer keybroker) that releases the key to this secure world after attesting it")
    URI keybroker;

    @Option(names = "--keybroker-ca", paramLabel = "F",
            description = "the key broker's certificate or CA (PEM; 'coffer keybroker' prints where it wrote it)")
    Path keybrokerCa;

    @Option(names = "--keybroker-pin", paramLabel = "SHA256",
            description = "or the SHA-256 of the key broker's TLS public key (hex; 'coffer keybroker' prints it)")
    String keybrokerPin;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8443", description = "port to listen on; 0 = any free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--tls-cert", paramLabel = "F", description = "TLS certificate (PEM) instead of a self-signed one")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "F", description = "its private key (PEM)")
    Path tlsKey;

    @Option(names = {"-t", "--threads"}, description = "worker threads in the secure world (default: the number of processors)")
    Integer threads;

    @Option(names = {"-c", "--ctx"}, defaultValue = "2048", description = "context length, capped at the model's (default: ${DEFAULT-VALUE})")
    int contextLength;

    @Option(names = "--max-batch", defaultValue = "4", paramLabel = "N",
            description = "requests generated together, one secure-world step per token for all (default: ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(names = "--max-queue", defaultValue = "64", paramLabel = "N",
            description = "requests waiting beyond the batch; more are answered 429 (default: ${DEFAULT-VALUE})")
    int maxQueue;

    @Option(names = "--allow-plaintext",
            description = {"also accept plain JSON request bodies (development only: this host then sees prompts and",
                "completions); by default only sealed bodies are accepted (docs/sealed-bodies.md)"})
    boolean allowPlaintext;

    @CommandLine.Mixin
    PackKeyOptions packKey;

    @CommandLine.Mixin
    SecureWorldOptions secureWorld;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int sources = packKey.localCredentials() + (keybroker != null ? 1 : 0);
        if (sources != 1) fail("give exactly one of --key, --passphrase-file or --keybroker");
        if (keybroker != null && (keybrokerCa == null) == (keybrokerPin == null)) {
            fail("--keybroker needs exactly one of --keybroker-ca or --keybroker-pin: the broker is never trusted blindly");
        }
        if ((tlsCert == null) != (tlsKey == null)) fail("--tls-cert and --tls-key go together");
        if (packKey.prefetch < 1) fail("--prefetch must be >= 1");
        if (!Files.isRegularFile(pack)) fail("pack not found: " + pack);
        int nThreads = threads != null ? threads : Parallel.defaultThreads();
        Backend backend = secureWorld.backend(spec, "isolated");
        long weights;
        try (PackFile p = PackFile.open(pack)) {
            weights = p.manifest().plaintextSize();
        }
        TlsIdentity tls = tlsCert != null ? TlsIdentity.load(tlsCert, tlsKey) : TlsIdentity.selfSigned(List.of(host));
        PrintStream err = System.err;
        // a local key is read again for each secure world (restarts), and wiped after each use
        PackServing.KeySource source = packKey.localCredentials() > 0 ? new PackServing.KeySource.Local(packKey::credentialOrNull)
                : new PackServing.KeySource.Broker(keybroker, keybrokerCa != null
                        ? TlsTrust.certificateAuthority(keybrokerCa) : TlsTrust.pinned(pin(keybrokerPin)));
        err.println("starting the secure world (" + backend.teeType() + ") and restoring " + pack + " ...");
        PackServing serving = PackServing.start(new PackServing.Config(pack, source, packKey.minVersion,
                secureWorld.image(backend), secureWorld.settings(backend, weights, nThreads, spec), packKey.prefetch,
                nThreads, contextLength, host, port, tls, limits(), allowPlaintext), line -> err.println("coffer serve: " + line));
        String url = serving.server().url();
        err.printf(Locale.ROOT, "serving %s%n", url);
        err.printf(Locale.ROOT, "  tee %s, measurement %s%n", backend.teeType(), serving.enclave().info().identity().measurement().hex());
        err.printf(Locale.ROOT, "  pack %s (%s)%n", serving.pack().header().digest().hex(), serving.pack().manifest().model().name());
        err.printf(Locale.ROOT, "  TLS key sha256:%s (bound into every attestation)%n", tls.publicKeyHash().hex());
        err.printf(Locale.ROOT, "clients check it with: ./coffer attest %s%s%n", url,
                backend == Backend.ISOLATED ? " --allow-tee isolated" : backend == Backend.SIM ? " --policy P (with \"allowed_tee\": [\"sim\"], \"allow_debug\": true)" : "");
        if (allowPlaintext) {
            err.println("WARNING: --allow-plaintext: plain JSON requests are accepted, and this host sees their prompts "
                    + "and completions. For development only.");
        }
        err.println("Ctrl-C stops the server and the secure world (its secret memory is wiped).");
        UntilStopped.await("serve", serving::close);
        return 0;
    }

    private GenerationScheduler.Limits limits() {
        try {
            return new GenerationScheduler.Limits(maxBatch, maxQueue);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private Digest pin(String hex) {
        try {
            return Digest.fromHex(hex.startsWith("sha256:") ? hex.substring(7) : hex);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--keybroker-pin: " + e.getMessage());
        }
    }

    private void fail(String message) {
        throw new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
