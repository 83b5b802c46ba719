package dev.coffer.attestation;

import dev.coffer.pack.RecipientPrivateKey;
import dev.coffer.pack.RecipientPublicKey;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContext;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

/**
 * Request and response bodies sealed end to end between a client and the attested secure world, so the host that
 * carries them never reads a prompt or a completion (docs/sealed-bodies.md). One HPKE encapsulation per request
 * (RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM) to the enclave key that verified
 * evidence names ({@code cnf}); {@code info} binds the route; the answer is sealed under keys exported from the same
 * context ({@link ResponseKeys}). A request on the wire is {@code enc (32 bytes) || ciphertext}.
 */
public final class SealedBodies {
    static final String INFO_PREFIX = "coffer sealed request v1 ";
    /** The encapsulated key's length on the wire. */
    public static final int ENC_BYTES = 32;

    private SealedBodies() {
    }

    /** The client's side of one exchange: the sealed request to send, and the opener for its answer. */
    public static final class ClientExchange implements AutoCloseable {
        private final byte[] wire;
        private final ResponseKeys answer;

        private ClientExchange(byte[] wire, ResponseKeys answer) {
            this.wire = wire;
            this.answer = answer;
        }

        /** The request body to send. */
        public byte[] request() {
            return wire.clone();
        }

        /** Opens the next message of the answer (the whole body, or the next SSE event) that came under HTTP {@code status}. */
        public byte[] open(byte[] sealed, int status) {
            return answer.open(sealed, status).plaintext();
        }

        /** Whether the last message of the answer has been opened: a stream that ends before is cut short. */
        public boolean complete() {
            return answer.finished();
        }

        @Override
        public void close() {
            answer.close();
        }
    }

    /** The secure world's side: the opened request body and the sealer for its answer. */
    public static final class ServerExchange implements AutoCloseable {
        private final byte[] body;
        private final ResponseKeys answer;

        private ServerExchange(byte[] body, ResponseKeys answer) {
            this.body = body;
            this.answer = answer;
        }

        /** The request's plaintext (this object's own array: wiped by {@link #close()}). */
        public byte[] body() {
            return body;
        }

        /** Seals the next message of the answer, to travel under HTTP {@code status}; {@code last} marks the final one. */
        public byte[] seal(byte[] plaintext, boolean last, int status) {
            return answer.seal(plaintext, last, status);
        }

        @Override
        public void close() {
            Arrays.fill(body, (byte) 0);
            answer.close();
        }
    }

    /** Seals {@code body} for {@code route} (e.g. {@code "POST /v1/chat/completions"}) to an attested enclave key. */
    public static ClientExchange seal(RecipientPublicKey enclaveKey, String route, byte[] body) {
        HPKEContextWithEncapsulation ctx = hpke().setupBaseS(new X25519PublicKeyParameters(enclaveKey.raw(), 0), info(route));
        try {
            byte[] ct = ctx.seal(new byte[0], body);
            ByteArrayOutputStream out = new ByteArrayOutputStream(ENC_BYTES + ct.length);
            out.writeBytes(ctx.getEncapsulation());
            out.writeBytes(ct);
            return new ClientExchange(out.toByteArray(), new ResponseKeys(ctx, ctx.getEncapsulation()));
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("HPKE seal failed: " + e.getMessage(), e);
        }
    }

    /** Opens a sealed request that arrived on {@code route}. @throws SealedBodyException when it does not open */
    public static ServerExchange open(RecipientPrivateKey enclaveKey, String route, byte[] wire) {
        if (wire.length < ENC_BYTES + 16) {
            throw new SealedBodyException("a sealed request is at least " + (ENC_BYTES + 16) + " bytes, not " + wire.length);
        }
        byte[] raw = enclaveKey.raw();
        try {
            X25519PrivateKeyParameters priv = new X25519PrivateKeyParameters(raw, 0);
            AsymmetricCipherKeyPair pair = new AsymmetricCipherKeyPair(priv.generatePublicKey(), priv);
            byte[] enc = Arrays.copyOf(wire, ENC_BYTES);
            HPKEContext ctx = hpke().setupBaseR(enc, pair, info(route));
            byte[] body = ctx.open(new byte[0], Arrays.copyOfRange(wire, ENC_BYTES, wire.length));
            return new ServerExchange(body, new ResponseKeys(ctx, enc));
        } catch (InvalidCipherTextException | RuntimeException e) {
            // RuntimeException too: a low-order X25519 point makes the key agreement throw IllegalStateException
            throw new SealedBodyException("the sealed request does not open with this secure world's key for " + route
                    + ": it was sealed to another key (re-attest to get the current one), for another route, or changed");
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    private static byte[] info(String route) {
        return (INFO_PREFIX + route).getBytes(StandardCharsets.US_ASCII);
    }

    private static HPKE hpke() {
        return new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
    }
}
