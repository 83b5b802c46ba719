package dev.coffer.tee;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Set;
import javax.crypto.KDF;
import javax.crypto.spec.HKDFParameterSpec;

/**
 * The platform side of a software TEE, like a vTPM: an Ed25519 report-signing key and a 32-byte sealing secret, kept
 * by the host in the operator's state directory (files 0600, created on first use). It signs reports and derives
 * each enclave's sealing keys. Because the host holds these, whoever controls the host can forge reports for the
 * {@code isolated} backend: evidence says {@code tee=isolated} so verifiers treat it as a software TEE.
 */
public final class Platform implements AutoCloseable {
    private static final String KEY_FILE = "platform-ed25519.pk8";
    private static final String PUBLIC_FILE = "platform-ed25519.pub";
    private static final String SECRET_FILE = "platform-sealing.secret";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final KeyPair keyPair;
    private final byte[] sealingSecret;

    private Platform(KeyPair keyPair, byte[] sealingSecret) {
        this.keyPair = keyPair;
        this.sealingSecret = sealingSecret;
    }

    /** A platform that lives only as long as this object (the sim backend, tests). */
    public static Platform ephemeral() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return new Platform(generate(), secret);
    }

    /** The platform kept in {@code stateDirectory}, created there on first use. */
    public static Platform openOrCreate(Path stateDirectory) {
        try {
            Files.createDirectories(stateDirectory, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            Path keyFile = stateDirectory.resolve(KEY_FILE);
            Path secretFile = stateDirectory.resolve(SECRET_FILE);
            Path publicFile = stateDirectory.resolve(PUBLIC_FILE);
            if (!Files.exists(keyFile)) {
                // The public key is written first: a key file without its public half is never left behind.
                KeyPair fresh = generate();
                writeOnce(publicFile, fresh.getPublic().getEncoded());
                writeOnce(keyFile, fresh.getPrivate().getEncoded());
            }
            if (!Files.exists(secretFile)) {
                byte[] secret = new byte[32];
                new SecureRandom().nextBytes(secret);
                writeOnce(secretFile, secret);
                Arrays.fill(secret, (byte) 0);
            }
            checkOwnerOnly(keyFile);
            checkOwnerOnly(secretFile);
            byte[] pkcs8 = Files.readAllBytes(keyFile);
            byte[] secret = Files.readAllBytes(secretFile);
            if (secret.length != 32) {
                throw new IllegalStateException(secretFile + " holds " + secret.length + " bytes, not 32: the platform "
                        + "state is damaged; move the directory away to start a new platform (sealed data is lost)");
            }
            KeyFactory ed = KeyFactory.getInstance("Ed25519");
            PrivateKey priv = ed.generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            Arrays.fill(pkcs8, (byte) 0);
            PublicKey pub = ed.generatePublic(new X509EncodedKeySpec(Files.readAllBytes(publicFile)));
            return new Platform(new KeyPair(pub, priv), secret);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the platform state in " + stateDirectory + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the platform key in " + stateDirectory + " is not an Ed25519 PKCS#8 key", e);
        }
    }

    public PublicKey publicKey() {
        return keyPair.getPublic();
    }

    /** Signs a report for an enclave (the secure world chose {@code reportData}; the rest the platform knows). */
    public Report sign(String teeType, boolean debug, EnclaveIdentity identity, String memoryMode, Digest syscallPolicy,
                       byte[] reportData) {
        return Report.sign(keyPair.getPrivate(), keyPair.getPublic(), teeType, debug, identity, memoryMode,
                syscallPolicy, reportData);
    }

    /** The enclave's sealing keys: HKDF-SHA256 of the sealing secret with its measurement (UNIQUE) or its signer and
     *  product id (PRODUCT) as info. */
    public SealingKeys sealingKeysFor(EnclaveIdentity identity) {
        byte[] unique = derive(new MessageWriter().writeString("coffer-seal-unique-v1")
                .writeFixed(identity.measurement().bytes()).toByteArray());
        byte[] product = derive(new MessageWriter().writeString("coffer-seal-product-v1")
                .writeFixed(identity.signer().bytes()).writeInt(identity.productId()).toByteArray());
        try {
            return new SealingKeys(unique, product);
        } finally {
            Arrays.fill(unique, (byte) 0);
            Arrays.fill(product, (byte) 0);
        }
    }

    private byte[] derive(byte[] info) {
        try {
            KDF hkdf = KDF.getInstance("HKDF-SHA256");
            return hkdf.deriveData(HKDFParameterSpec.ofExtract().addIKM(sealingSecret)
                    .addSalt("coffer-platform".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                    .thenExpand(info, 32));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256 failed", e);
        }
    }

    @Override
    public void close() {
        Arrays.fill(sealingSecret, (byte) 0);
    }

    @Override
    public String toString() {
        return "Platform[key=redacted]";
    }

    private static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no Ed25519", e);
        }
    }

    private static void writeOnce(Path file, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), ".tmp-", "", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
                Files.deleteIfExists(tmp);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void checkOwnerOnly(Path file) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (!OWNER_ONLY.containsAll(perms)) {
            throw new IllegalStateException(file + " is readable by others (" + PosixFilePermissions.toString(perms)
                    + "): the platform secret may have leaked; fix with chmod 600 or start a new platform");
        }
    }
}
