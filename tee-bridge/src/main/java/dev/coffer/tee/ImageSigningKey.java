package dev.coffer.tee;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Set;

/** The Ed25519 key that signs enclave images: {@code signer.pk8} (PKCS#8, 0600) beside {@code signer.pub} (X.509). */
public final class ImageSigningKey {
    public static final String PRIVATE_FILE = "signer.pk8";
    public static final String PUBLIC_FILE = "signer.pub";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final PrivateKey privateKey;
    private final PublicKey publicKey;

    private ImageSigningKey(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /** Writes a new key pair into {@code dir}; refuses to overwrite one. */
    public static ImageSigningKey generate(Path dir) {
        try {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            Files.createDirectories(dir);
            Path priv = dir.resolve(PRIVATE_FILE);
            Files.createFile(priv, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.write(priv, pair.getPrivate().getEncoded());
            Files.write(dir.resolve(PUBLIC_FILE), pair.getPublic().getEncoded());
            return new ImageSigningKey(pair.getPrivate(), pair.getPublic());
        } catch (FileAlreadyExistsException e) {
            throw new EnclaveException(dir.resolve(PRIVATE_FILE) + " already exists: a signing key is never overwritten");
        } catch (IOException | GeneralSecurityException e) {
            throw new EnclaveException("cannot create a signing key in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Loads {@code signer.pk8} and the {@code signer.pub} beside it. */
    public static ImageSigningKey load(Path privateKeyFile) {
        try {
            if (!OWNER_ONLY.containsAll(Files.getPosixFilePermissions(privateKeyFile))) {
                throw new EnclaveException(privateKeyFile + " is readable by others: chmod 600 it (and consider it "
                        + "leaked)");
            }
            KeyFactory ed = KeyFactory.getInstance("Ed25519");
            PrivateKey priv = ed.generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(privateKeyFile)));
            PublicKey pub = ed.generatePublic(new X509EncodedKeySpec(
                    Files.readAllBytes(privateKeyFile.resolveSibling(PUBLIC_FILE))));
            return new ImageSigningKey(priv, pub);
        } catch (IOException e) {
            throw new EnclaveException("cannot read the signing key " + privateKeyFile + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new EnclaveException(privateKeyFile + " is not an Ed25519 PKCS#8 key with its " + PUBLIC_FILE + " beside it");
        }
    }

    /** Signs an image jar, writing {@code <jar>.sig}; returns the signer identity. */
    public Digest sign(Path jar) {
        EnclaveImage unsignedView = EnclaveImage.fromJarIgnoringSignature(jar);
        ImageSignature.sign(jar, privateKey, publicKey, unsignedView.identity().productId(),
                unsignedView.identity().securityVersion());
        return signer();
    }

    /** SHA-256 of the public key: the signer identity (MRSIGNER) of images this key signs. */
    public Digest signer() {
        return Digest.sha256(publicKey.getEncoded());
    }

    @Override
    public String toString() {
        return "ImageSigningKey[signer=" + signer().hex() + "]";
    }
}
