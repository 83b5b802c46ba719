package dev.coffer.tee;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;

/**
 * A detached signature of an enclave image ({@code <image>.sig}), like {@code oesign}: the signer's Ed25519 key
 * signs the image's bytes together with its product id and security version. The signer identity (MRSIGNER) is
 * SHA-256 of the public key; PRODUCT sealing binds to it, so an update signed by the same key can open what the old
 * image sealed, and nobody else's image can.
 */
public final class ImageSignature {
    private static final String DOMAIN = "coffer-image-signature-v1";

    private ImageSignature() {
    }

    public static Path fileFor(Path jar) {
        return jar.resolveSibling(jar.getFileName() + ".sig");
    }

    /** Signs {@code jar} (its bytes, product id and svn) and writes {@code <jar>.sig}. */
    public static Path sign(Path jar, PrivateKey signer, PublicKey signerPublic, int productId, int securityVersion) {
        byte[] signed = signedBytes(Digest.sha256(read(jar)), productId, securityVersion);
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(signer);
            s.update(signed);
            byte[] sig = s.sign();
            byte[] file = new MessageWriter().writeString(DOMAIN).writeBytes(signerPublic.getEncoded()).writeBytes(sig)
                    .toByteArray();
            Path out = fileFor(jar);
            Files.write(out, file);
            return out;
        } catch (GeneralSecurityException e) {
            throw new EnclaveException("cannot sign " + jar + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The signer identity of {@code jar}: all zero when it has no signature file.
     *
     * @throws EnclaveException when a signature file exists but does not verify (the image or its product id or
     *                          version were changed after signing, or the file is damaged)
     */
    static Digest signerOf(Path jar, byte[] jarBytes, int productId, int securityVersion) {
        Path sigFile = fileFor(jar);
        if (!Files.exists(sigFile)) return Digest.zero();
        try {
            MessageReader r = new MessageReader(read(sigFile));
            if (!r.readString("domain").equals(DOMAIN)) throw new MalformedMessageException("not an image signature");
            byte[] publicKey = r.readBytes("signer key");
            byte[] sig = r.readBytes("signature");
            r.end();
            PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(publicKey));
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(signedBytes(Digest.sha256(jarBytes), productId, securityVersion));
            if (!s.verify(sig)) {
                throw new EnclaveException("the signature " + sigFile + " does not match image " + jar + ": the image, "
                        + "its product id or its security version changed after signing; sign it again or remove the "
                        + "stale signature");
            }
            return Digest.sha256(publicKey);
        } catch (MalformedMessageException | GeneralSecurityException e) {
            throw new EnclaveException("image signature " + sigFile + " is damaged: " + e.getMessage());
        }
    }

    private static byte[] signedBytes(Digest jarDigest, int productId, int securityVersion) {
        return new MessageWriter().writeString(DOMAIN).writeFixed(jarDigest.bytes()).writeInt(productId)
                .writeInt(securityVersion).toByteArray();
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new EnclaveException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
