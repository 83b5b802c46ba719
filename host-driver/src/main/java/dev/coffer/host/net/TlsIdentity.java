package dev.coffer.host.net;

import dev.coffer.tee.Digest;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.conscrypt.Conscrypt;

/**
 * A server's TLS key and certificate: made at start (self-signed, ECDSA P-256) or read from PEM files. Clients do
 * not trust the certificate for its issuer: the SHA-256 of its public key goes into the evidence, and a client that
 * verified the evidence trusts the key it names (RA-TLS style). TLS 1.3 only, through Conscrypt where it loads.
 */
public final class TlsIdentity {
    private final PrivateKey key;
    private final X509Certificate certificate;

    private TlsIdentity(PrivateKey key, X509Certificate certificate) {
        this.key = key;
        this.certificate = certificate;
    }

    /** A fresh key and a certificate for {@code localhost}, 127.0.0.1, ::1 and {@code extraNames}, valid a year. */
    public static TlsIdentity selfSigned(List<String> extraNames) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = g.generateKeyPair();
            Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
            names.addAll(extraNames);
            List<GeneralName> san = new ArrayList<>();
            for (String n : names) {
                boolean ip = n.chars().allMatch(c -> Character.isDigit(c) || c == '.') || n.contains(":");
                san.add(ip ? new GeneralName(GeneralName.iPAddress, InetAddress.getByName(n).getHostAddress())
                        : new GeneralName(GeneralName.dNSName, n));
            }
            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=coffer");
            var builder = new JcaX509v3CertificateBuilder(subject, new BigInteger(64, new SecureRandom()),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(365))), subject,
                    pair.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san.toArray(GeneralName[]::new)));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            return new TlsIdentity(pair.getPrivate(), cert);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot make a self-signed TLS certificate: " + e.getMessage(), e);
        }
    }

    /** Reads a PEM certificate and its PEM private key (PKCS#8 or an EC/RSA key pair). */
    public static TlsIdentity load(Path certificatePem, Path keyPem) {
        try {
            X509Certificate cert;
            try (Reader r = Files.newBufferedReader(certificatePem); PEMParser p = new PEMParser(r)) {
                Object o = p.readObject();
                if (!(o instanceof org.bouncycastle.cert.X509CertificateHolder h)) {
                    throw new IllegalArgumentException(certificatePem + " holds no PEM certificate");
                }
                cert = new JcaX509CertificateConverter().getCertificate(h);
            }
            PrivateKey key;
            try (Reader r = Files.newBufferedReader(keyPem); PEMParser p = new PEMParser(r)) {
                Object o = p.readObject();
                JcaPEMKeyConverter c = new JcaPEMKeyConverter();
                key = switch (o) {
                    case PEMKeyPair kp -> c.getKeyPair(kp).getPrivate();
                    case org.bouncycastle.asn1.pkcs.PrivateKeyInfo info -> c.getPrivateKey(info);
                    case null, default -> throw new IllegalArgumentException(keyPem + " holds no unencrypted PEM private key");
                };
            }
            return new TlsIdentity(key, cert);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TLS identity: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the TLS certificate " + certificatePem + ": " + e.getMessage(), e);
        }
    }

    /** The identity kept in {@code certificatePem}/{@code keyPem}, made there (self-signed, key 0600) on first use. */
    public static TlsIdentity loadOrCreate(Path certificatePem, Path keyPem, List<String> extraNames) {
        if (Files.exists(certificatePem) && Files.exists(keyPem)) return load(certificatePem, keyPem);
        TlsIdentity fresh = selfSigned(extraNames);
        try {
            Files.createDirectories(keyPem.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(keyPem.toAbsolutePath().getParent(), ".tmp-", ".key",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, pem(fresh.key));
            Files.move(tmp, keyPem);
            Files.writeString(certificatePem, fresh.certificatePem());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the TLS identity: " + e.getMessage(), e);
        }
        return fresh;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** What evidence binds: SHA-256 of the certificate's DER SubjectPublicKeyInfo. */
    public Digest publicKeyHash() {
        return spkiSha256(certificate);
    }

    public static Digest spkiSha256(java.security.cert.Certificate certificate) {
        return Digest.of(Digest.sha256().digest(certificate.getPublicKey().getEncoded()));
    }

    public String certificatePem() {
        return pem(certificate);
    }

    /** A server context: TLS 1.3 only, Conscrypt (BoringSSL) when it loads, the JDK's provider otherwise. */
    public SslContext serverContext() {
        try {
            SslContextBuilder b = SslContextBuilder.forServer(key, certificate).sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3").clientAuth(ClientAuth.NONE);
            if (Conscrypt.isAvailable()) b.sslContextProvider(Conscrypt.newProvider());
            return b.build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static String pem(Object o) {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return "TlsIdentity[" + publicKeyHash().hex().substring(0, 16) + "..., key hidden]";
    }
}
