package dev.coffer.pack;

import dev.coffer.inference.gguf.GgmlType;
import dev.coffer.inference.synth.ModelShape;
import dev.coffer.inference.synth.SyntheticLlama;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A small real model (the demo shape, Q8_0) and keys, made once per test class in a temp directory; shared with other
 * modules' tests through this module's test-jar.
 */
public final class PackFixture {
    public static final int SMALL_CHUNKS = 64 << 10; // many chunks even for the small model

    public final Path dir;
    public final Path model;
    public final OwnerSigningKey owner = OwnerSigningKey.generate();
    public final RecipientPrivateKey alice = RecipientPrivateKey.generate();
    public final RecipientPrivateKey bob = RecipientPrivateKey.generate();

    public PackFixture(Path dir) throws IOException {
        this.dir = dir;
        this.model = dir.resolve("demo.gguf");
        SyntheticLlama.write(new SyntheticLlama.Spec(ModelShape.DEMO, GgmlType.Q8_0, 7, Optional.empty()), model, 2, n -> {});
    }

    public Path pack(String name, long version, List<RecipientPublicKey> recipients, String passphrase) throws IOException {
        Path out = dir.resolve(name);
        Optional<Credential.Passphrase> p = passphrase == null ? Optional.empty()
                : Optional.of((Credential.Passphrase) Credential.passphrase(passphrase.getBytes(StandardCharsets.UTF_8)));
        PackWriter.encrypt(model, out, owner, new PackWriter.Options(recipients, p, version, SMALL_CHUNKS, List.of()), n -> {});
        return out;
    }

    public Path packForAlice(String name) throws IOException {
        return pack(name, 1, List.of(alice.publicKey()), null);
    }

    /** A copy of {@code pack} to modify. */
    public Path copy(Path pack, String name) throws IOException {
        Path c = dir.resolve(name);
        Files.deleteIfExists(c);
        return Files.copy(pack, c);
    }
}
