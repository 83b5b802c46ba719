package dev.coffer.tee;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.Set;

/**
 * JWS {@code EdDSA} (Ed25519) through the JDK's own provider. nimbus-jose-jwt's built-in Ed25519 signer needs Google
 * Tink, which would add megabytes to the measured secure-world image; the JOSE format stays nimbus's, only the
 * signature primitive comes from JCA.
 */
public final class JdkEdDsa {
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.EdDSA);
    private static final int SPKI_PREFIX = 12; // the fixed X.509 SubjectPublicKeyInfo header of an Ed25519 key

    private JdkEdDsa() {
    }

    /** The RFC 7638 JWK thumbprint (SHA-256, base64url) of an Ed25519 public key. */
    public static String thumbprint(PublicKey key) {
        try {
            return new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(raw(key))).build().computeThumbprint().toString();
        } catch (JOSEException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }

    /** The 32 raw bytes of an Ed25519 public key. */
    public static byte[] raw(PublicKey key) {
        byte[] spki = key.getEncoded();
        if (!"EdDSA".equals(key.getAlgorithm()) && !"Ed25519".equals(key.getAlgorithm()) || spki.length != SPKI_PREFIX + 32) {
            throw new IllegalArgumentException("not an Ed25519 public key (" + key.getAlgorithm() + ")");
        }
        return Arrays.copyOfRange(spki, SPKI_PREFIX, spki.length);
    }

    /** An Ed25519 public key from its 32 raw bytes (a JWK's {@code x}). */
    public static PublicKey publicKey(byte[] raw) {
        if (raw.length != 32) throw new IllegalArgumentException("an Ed25519 public key has 32 bytes, not " + raw.length);
        byte[] spki = java.util.Arrays.copyOf(java.util.HexFormat.of().parseHex("302a300506032b6570032100"), SPKI_PREFIX + 32);
        System.arraycopy(raw, 0, spki, SPKI_PREFIX, 32);
        try {
            return java.security.KeyFactory.getInstance("Ed25519").generatePublic(new java.security.spec.X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage());
        }
    }

    /** What every JOSE provider answers: EdDSA only, and a JCA context nimbus may ask for. */
    private abstract static class EdDsaProvider implements com.nimbusds.jose.JWSProvider {
        private final JCAContext context = new JCAContext();

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return ALGORITHMS;
        }

        @Override
        public JCAContext getJCAContext() {
            return context;
        }
    }

    /** Signs JWS with an Ed25519 private key. */
    public static final class Signer extends EdDsaProvider implements JWSSigner {
        private final PrivateKey key;

        public Signer(PrivateKey key) {
            this.key = key;
        }

        @Override
        public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
            if (!JWSAlgorithm.EdDSA.equals(header.getAlgorithm())) throw new JOSEException("only EdDSA is signed here");
            try {
                Signature s = Signature.getInstance("Ed25519");
                s.initSign(key);
                s.update(signingInput);
                return Base64URL.encode(s.sign());
            } catch (GeneralSecurityException e) {
                throw new JOSEException("Ed25519 signing failed: " + e.getMessage(), e);
            }
        }
    }

    /** Checks JWS {@code EdDSA} signatures against one Ed25519 public key; any other algorithm fails. */
    public static final class Verifier extends EdDsaProvider implements JWSVerifier {
        private final PublicKey key;

        public Verifier(PublicKey key) {
            this.key = key;
        }

        @Override
        public boolean verify(JWSHeader header, byte[] signedContent, Base64URL signature) {
            if (!JWSAlgorithm.EdDSA.equals(header.getAlgorithm())) return false;
            try {
                Signature s = Signature.getInstance("Ed25519");
                s.initVerify(key);
                s.update(signedContent);
                return s.verify(signature.decode());
            } catch (GeneralSecurityException e) {
                return false;
            }
        }
    }
}
