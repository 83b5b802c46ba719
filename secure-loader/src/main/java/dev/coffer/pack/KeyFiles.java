package dev.coffer.pack;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Key files in the standard encodings, so other tools read them ({@code openssl pkey -in owner.key -noout -text}):
 * PEM "PRIVATE KEY" (PKCS#8) and "PUBLIC KEY" (X.509 SubjectPublicKeyInfo). The owner's key is Ed25519, a recipient's
 * X25519; the OID in the file says which, and a key of the wrong kind is refused with a message naming both.
 * Private key files are created 0600 and never overwritten; one readable by others is refused.
 */
public final class KeyFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final String PRIVATE = "PRIVATE KEY";
    private static final String PUBLIC = "PUBLIC KEY";

    private KeyFiles() {}

    public static void writeOwnerKey(Path file, OwnerSigningKey key) {
        writePrivate(file, key.parameters());
    }

    public static void writeRecipientKey(Path file, RecipientPrivateKey key) {
        writePrivate(file, key.keyPair().getPrivate());
    }

    public static void writeOwnerPublicKey(Path file, OwnerPublicKey key) {
        writePublic(file, key.parameters());
    }

    public static void writeRecipientPublicKey(Path file, RecipientPublicKey key) {
        writePublic(file, key.parameters());
    }

    public static OwnerSigningKey readOwnerKey(Path file) {
        if (readPrivate(file) instanceof Ed25519PrivateKeyParameters p) {
            byte[] seed = p.getEncoded();
            try {
                return new OwnerSigningKey(seed);
            } finally {
                Arrays.fill(seed, (byte) 0);
            }
        }
        throw new PackKeyException(file + " is not an owner signing key (Ed25519): pass the owner.key made by "
                + "'coffer pack keygen'");
    }

    public static RecipientPrivateKey readRecipientKey(Path file) {
        if (readPrivate(file) instanceof X25519PrivateKeyParameters p) {
            byte[] raw = p.getEncoded();
            try {
                return RecipientPrivateKey.fromRaw(raw);
            } finally {
                Arrays.fill(raw, (byte) 0);
            }
        }
        throw new PackKeyException(file + " is not a recipient private key (X25519): pass the recipient.key made by "
                + "'coffer pack keygen'");
    }

    public static OwnerPublicKey readOwnerPublicKey(Path file) {
        if (readPublic(file) instanceof Ed25519PublicKeyParameters p) return OwnerPublicKey.fromRaw(p.getEncoded());
        throw new PackKeyException(file + " is not an owner public key (Ed25519): pass the owner.pub made by "
                + "'coffer pack keygen'");
    }

    public static RecipientPublicKey readRecipientPublicKey(Path file) {
        if (readPublic(file) instanceof X25519PublicKeyParameters p) return RecipientPublicKey.fromRaw(p.getEncoded());
        throw new PackKeyException(file + " is not a recipient public key (X25519): pass a recipient.pub made by "
                + "'coffer pack keygen'");
    }

    private static void writePrivate(Path file, AsymmetricKeyParameter key) {
        byte[] der = null;
        try {
            der = PrivateKeyInfoFactory.createPrivateKeyInfo(key).getEncoded();
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.write(file, pem(PRIVATE, der));
        } catch (FileAlreadyExistsException e) {
            throw new PackKeyException(file + " already exists: a private key is never overwritten");
        } catch (IOException e) {
            throw new PackKeyException("cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            if (der != null) Arrays.fill(der, (byte) 0);
        }
    }

    private static void writePublic(Path file, AsymmetricKeyParameter key) {
        try {
            Files.write(file, pem(PUBLIC, SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(key).getEncoded()),
                    java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new PackKeyException(file + " already exists: refusing to overwrite it");
        } catch (IOException e) {
            throw new PackKeyException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static AsymmetricKeyParameter readPrivate(Path file) {
        byte[] der = null;
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(perms)) {
                throw new PackKeyException(file + " is readable by other users (" + PosixFilePermissions.toString(perms)
                        + "): chmod 600 it, and treat the key as possibly leaked");
            }
            der = unpem(file, PRIVATE);
            return PrivateKeyFactory.createKey(PrivateKeyInfo.getInstance(der));
        } catch (NoSuchFileException e) {
            throw new PackKeyException("key file not found: " + file);
        } catch (IOException | RuntimeException e) {
            if (e instanceof PackKeyException p) throw p;
            throw new PackKeyException(file + " is not a PKCS#8 private key in PEM", e);
        } finally {
            if (der != null) Arrays.fill(der, (byte) 0);
        }
    }

    private static AsymmetricKeyParameter readPublic(Path file) {
        try {
            return PublicKeyFactory.createKey(unpem(file, PUBLIC));
        } catch (NoSuchFileException e) {
            throw new PackKeyException("key file not found: " + file);
        } catch (IOException | RuntimeException e) {
            if (e instanceof PackKeyException p) throw p;
            throw new PackKeyException(file + " is not a public key in PEM (X.509 SubjectPublicKeyInfo)", e);
        }
    }

    private static byte[] pem(String type, byte[] der) throws IOException {
        StringWriter out = new StringWriter();
        try (PemWriter w = new PemWriter(out)) {
            w.writeObject(new PemObject(type, der));
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] unpem(Path file, String type) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        try (PemReader r = new PemReader(new StringReader(text))) {
            PemObject o = r.readPemObject();
            if (o == null || !o.getType().equals(type)) {
                throw new PackKeyException(file + " holds no PEM \"" + type + "\" block"
                        + (o == null ? "" : " (found \"" + o.getType() + "\")"));
            }
            return o.getContent();
        }
    }
}
