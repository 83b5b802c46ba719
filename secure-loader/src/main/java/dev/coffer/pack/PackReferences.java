package dev.coffer.pack;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * {@code coffer pack fingerprint}: replaces an existing pack's owner-signed reference data (e.g. fingerprints) and
 * writes it as a new pack. The owner signs the new manifest; the chunks, pack id, data key and recipients stay (the
 * recipients block's MAC is recomputed over the new manifest digest, which needs a key that opens the pack). The
 * pack digest changes, so the result is written beside the original, never over it.
 */
public final class PackReferences {
    private PackReferences() {
    }

    public static PackHeader replace(Path pack, Path out, Credential credential, OwnerSigningKey owner,
                                     List<ReferenceData> references, LongConsumer progress) throws IOException {
        if (Files.exists(out)) throw new FileAlreadyExistsException(out + " already exists: refusing to overwrite it");
        try (PackFile p = PackFile.open(pack)) {
            PackManifest m = p.manifest();
            if (!owner.publicKey().equals(m.owner())) {
                throw new PackKeyException("the signing key " + owner.publicKey().id().shortHex() + " is not this pack's owner ("
                        + m.owner().id().shortHex() + "): only the owner can change its signed references");
            }
            PackManifest next = new PackManifest(m.packId(), m.version(), m.createdEpochSecond(), m.model(), m.owner(),
                    m.keyCommitment(), m.plaintextSize(), m.chunks(), references);
            PackHeader header;
            try (DataKey key = p.header().unwrap(credential)) {
                header = PackHeader.sign(next, owner, p.header().recipients().resealed(key, m.packId(),
                        PackDigest.of(next.encode()).bytes()));
            }
            p.rewriteHeader(out, header, progress);
            return header;
        }
    }
}
