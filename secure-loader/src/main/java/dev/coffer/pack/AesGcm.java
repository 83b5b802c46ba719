package dev.coffer.pack;

import java.security.GeneralSecurityException;
import java.security.Provider;
import javax.crypto.Cipher;
import org.conscrypt.Conscrypt;

/**
 * Where AES-256-GCM comes from: Conscrypt (BoringSSL) when its native library loads, else the JDK's provider,
 * with one warning. Both interoperate byte for byte; the choice only changes speed (see docs/benchmarks.md).
 */
public final class AesGcm {
    public static final int TAG_BYTES = 16;
    public static final int NONCE_BYTES = 12;
    private static final Provider PROVIDER = load();

    private AesGcm() {}

    private static Provider load() {
        try {
            if (Conscrypt.isAvailable()) return Conscrypt.newProvider();
        } catch (Throwable e) {
            // falls through to the warning: an UnsatisfiedLinkError or a missing class must not stop the loader
        }
        System.getLogger(AesGcm.class.getName()).log(System.Logger.Level.WARNING,
                "Conscrypt could not load here; using the JDK's AES-GCM (correct, but slower on large chunks)");
        return null;
    }

    /** The provider in use: "Conscrypt" or the JDK's (e.g. "SunJCE"). */
    public static String providerName() {
        try {
            return cipher().getProvider().getName();
        } catch (GeneralSecurityException e) {
            return "none (" + e.getMessage() + ")";
        }
    }

    /** A fresh AES/GCM/NoPadding cipher from the chosen provider. */
    static Cipher cipher() throws GeneralSecurityException {
        return PROVIDER != null ? Cipher.getInstance("AES/GCM/NoPadding", PROVIDER) : Cipher.getInstance("AES/GCM/NoPadding");
    }
}
