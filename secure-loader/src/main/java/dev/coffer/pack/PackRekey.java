package dev.coffer.pack;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * {@code coffer pack rekey}: adds or removes a recipient. Needs a key that opens the pack (the data key is re-wrapped,
 * and the recipients block's MAC recomputed); chunks, manifest, signature and pack digest stay as they are.
 */
public final class PackRekey {
    private PackRekey() {}

    public static void addRecipient(Path pack, Credential credential, RecipientPublicKey added, LongConsumer progress)
            throws IOException {
        rewrite(pack, credential, progress, (h, key) -> h.recipients().adding(key, h.manifest().packId(), h.digest().bytes(), added));
    }

    public static void removeRecipient(Path pack, Credential credential, String keyIdPrefix, LongConsumer progress)
            throws IOException {
        rewrite(pack, credential, progress, (h, key) -> h.recipients().removing(key, h.manifest().packId(), h.digest().bytes(),
                keyIdPrefix));
    }

    private interface Change {
        Recipients apply(PackHeader header, DataKey key);
    }

    private static void rewrite(Path pack, Credential credential, LongConsumer progress, Change change) throws IOException {
        Recipients next;
        try (PackFile p = PackFile.open(pack)) {
            try (DataKey key = p.header().unwrap(credential)) {
                next = change.apply(p.header(), key);
            }
            p.rewriteRecipients(pack, next, progress);
        }
    }
}
