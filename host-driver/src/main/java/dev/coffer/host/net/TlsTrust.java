package dev.coffer.host.net;

import dev.coffer.tee.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * How a client decides to talk to a TLS server, for the three cases Coffer has: (1) attestation first — accept the
 * server's certificate only to send the attestation request, then trust its key because verified evidence names it;
 * (2) an ordinary certificate authority (a key broker's certificate given by file); (3) a pinned key hash. Clients
 * always speak TLS 1.3.
 */
public final class TlsTrust {
    private final X509ExtendedTrustManager manager;
    private final String description;

    private TlsTrust(X509ExtendedTrustManager manager, String description) {
        this.manager = manager;
        this.description = description;
    }

    /**
     * Any certificate, for the attestation request alone: the caller must check that the evidence it receives binds
     * the key of the very connection it came over before it sends anything else. Never use it for anything else.
     */
    public static TlsTrust untilAttested() {
        return new TlsTrust(new Accepting(null), "attestation-bound (no CA)");
    }

    /** The certificates in a PEM file as trust anchors, with host name checks. */
    public static TlsTrust certificateAuthority(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) throw new IllegalArgumentException(pem + " holds no PEM certificate");
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate c : certs) store.setCertificateEntry("ca" + i++, c);
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) return new TlsTrust(x, "CA " + pem);
            }
            throw new IllegalStateException("the JDK offers no X509ExtendedTrustManager");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CA certificate " + pem + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(pem + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /** Only a server whose certificate key has this SHA-256 (of its SubjectPublicKeyInfo). */
    public static TlsTrust pinned(Digest keyHash) {
        return new TlsTrust(new Accepting(keyHash), "pinned key sha256:" + keyHash.hex());
    }

    /** A TLS 1.3 client context that trusts servers this way. */
    public SSLContext sslContext() {
        try {
            SSLContext c = SSLContext.getInstance("TLSv1.3");
            c.init(null, new TrustManager[] {manager}, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS 1.3 is not available: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return description;
    }

    /** Accepts any chain (pin == null) or one whose leaf key hashes to {@code pin}; never checks host names. */
    private static final class Accepting extends X509ExtendedTrustManager {
        private final Digest pin;

        Accepting(Digest pin) {
            this.pin = pin;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) throw new CertificateException("the server sent no certificate");
            if (pin != null && !TlsIdentity.spkiSha256(chain[0]).equals(pin)) {
                throw new CertificateException("the server's key is sha256:" + TlsIdentity.spkiSha256(chain[0]).hex()
                        + ", not the pinned sha256:" + pin.hex());
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
