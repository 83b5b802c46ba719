package dev.coffer.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.conscrypt.Conscrypt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code coffer bench aead}: AES-256-GCM decryption speed on one core for the providers the pack code may use
 * (Conscrypt, the JDK's SunJCE, Bouncy Castle's lightweight API) at several message sizes: chunk size matters as much
 * as the provider (one-shot large buffers are several times slower on the JDK providers), so this is what chooses the
 * pack's default chunk size. Warm (each figure is timed after a warm-up as long as the timing), one thread, direct
 * buffers for the JCA providers (as the secure world decrypts into secret memory), arrays for Bouncy Castle.
 */
@Command(name = "aead", mixinStandardHelpOptions = true,
        description = {"AES-256-GCM decryption MB/s on one core: Conscrypt, SunJCE and Bouncy Castle, per message size."})
final class AeadBench implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--json", description = "one JSON object per line instead of a table")
    boolean json;

    @Option(names = "--sizes", split = ",", paramLabel = "BYTES[,...]",
            description = "message sizes in bytes (default 16K, 256K, 1M, 4M, 16M, 64M)")
    List<Integer> sizes = List.of(16 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20);

    @Option(names = "--seconds", description = "timed seconds per figure (default ${DEFAULT-VALUE})")
    double seconds = 1.0;

    private interface Decryptor {
        void decrypt(int nonceCounter) throws Exception;
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        if (!json) out.printf("%-12s %10s %10s%n", "provider", "bytes", "MB/s");
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        for (int size : sizes) {
            byte[] plain = new byte[size];
            new SecureRandom().nextBytes(plain);
            byte[] nonce = new byte[12];
            Cipher enc = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
            enc.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            byte[] sealed = enc.doFinal(plain);
            report(out, "Conscrypt", size, measure(jca(Conscrypt.newProvider(), key, nonce, sealed, size), seconds));
            report(out, "SunJCE", size, measure(jca(java.security.Security.getProvider("SunJCE"), key, nonce, sealed, size), seconds));
            report(out, "BouncyCastle", size, measure(bc(key, nonce, sealed, size), seconds));
        }
        return 0;
    }

    private static Decryptor jca(Provider provider, byte[] key, byte[] nonce, byte[] sealed, int size) throws Exception {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
        SecretKeySpec k = new SecretKeySpec(key, "AES");
        GCMParameterSpec spec = new GCMParameterSpec(128, nonce);
        ByteBuffer in = ByteBuffer.allocateDirect(sealed.length).put(sealed).flip();
        ByteBuffer outBuf = ByteBuffer.allocateDirect(size);
        return n -> {
            c.init(Cipher.DECRYPT_MODE, k, spec);
            in.rewind();
            outBuf.clear();
            c.doFinal(in, outBuf);
        };
    }

    private static Decryptor bc(byte[] key, byte[] nonce, byte[] sealed, int size) {
        GCMModeCipher c = GCMBlockCipher.newInstance(AESEngine.newInstance());
        AEADParameters params = new AEADParameters(new KeyParameter(key), 128, nonce);
        byte[] outBuf = new byte[size];
        return n -> {
            c.init(false, params);
            int off = c.processBytes(sealed, 0, sealed.length, outBuf, 0);
            c.doFinal(outBuf, off);
        };
    }

    /** The best figure on this machine: Conscrypt decrypting {@code size}-byte messages, bytes per second. */
    static double bestBytesPerSecond(int size, double seconds) throws Exception {
        byte[] key = new byte[32];
        byte[] plain = new byte[size];
        new SecureRandom().nextBytes(key);
        byte[] nonce = new byte[12];
        Cipher enc = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        enc.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        return measure(jca(Conscrypt.newProvider(), key, nonce, enc.doFinal(plain), size), seconds) * size;
    }

    /** Bytes per second: a warm-up as long as the timing, then as many whole messages as fit. */
    private static double measure(Decryptor d, double seconds) throws Exception {
        long warm = System.nanoTime() + (long) (seconds * 1e9);
        int n = 0;
        while (System.nanoTime() < warm || n < 2) d.decrypt(n++);
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        int count = 0;
        long now;
        do {
            d.decrypt(count++);
            now = System.nanoTime();
        } while (now < end);
        return count / ((now - start) / 1e9);
    }

    private void report(PrintStream out, String provider, int size, double perSecond) throws Exception {
        double mbps = perSecond * size / 1e6;
        if (json) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("bench", "aead");
            row.put("provider", provider);
            row.put("bytes", size);
            row.put("mb_per_s", Math.round(mbps * 10) / 10.0);
            out.println(JSON.writeValueAsString(row));
        } else {
            out.printf(Locale.ROOT, "%-12s %10d %10.0f%n", provider, size, mbps);
        }
    }
}
