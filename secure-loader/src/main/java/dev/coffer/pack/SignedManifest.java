package dev.coffer.pack;

/**
 * A pack's manifest and the owner's signature over it, without the recipients block: what a server publishes so
 * clients can read the owner-signed parts (model description, reference fingerprints). Its SHA-256 is the pack
 * digest that attestation evidence claims, so a client ties it to the attested server by comparing the two.
 */
public record SignedManifest(byte[] manifest, byte[] signature) {
    public SignedManifest {
        manifest = manifest.clone();
        signature = signature.clone();
    }

    @Override
    public byte[] manifest() {
        return manifest.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The pack digest of this manifest. */
    public PackDigest digest() {
        return PackDigest.of(manifest);
    }

    /**
     * @return the manifest, once it is checked to be signed by {@code owner}
     * @throws PackTamperedException when it is not (changed, or signed by another key)
     */
    public PackManifest verify(OwnerPublicKey owner) {
        PackManifest m;
        try {
            m = PackManifest.decode(manifest);
        } catch (PackFormatException e) {
            throw new PackTamperedException("the published manifest is not a manifest: " + e.getMessage());
        }
        if (!m.owner().equals(owner) || !owner.verifies(manifest, signature)) {
            throw new PackTamperedException("the published manifest is not signed by owner key " + owner.id().shortHex()
                    + ": it was changed, or belongs to another owner's pack");
        }
        return m;
    }
}
