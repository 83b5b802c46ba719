package dev.coffer.tee.testapp;

import dev.coffer.tee.Codec;
import dev.coffer.tee.Ecall;
import dev.coffer.tee.MessageReader;
import dev.coffer.tee.MessageWriter;

/** The calls of {@link ProbeApplication}: what the boundary tests ask the secure world to do or to try. */
public final class ProbeCalls {
    private ProbeCalls() {
    }

    public record Sealing(int policy, byte[] data) {
    }

    static final Codec<Sealing> SEALING = new Codec<>() {
        @Override
        public void write(Sealing v, MessageWriter out) {
            out.writeInt(v.policy()).writeBytes(v.data());
        }

        @Override
        public Sealing read(MessageReader in) {
            return new Sealing(in.readInt("policy"), in.readBytes("data"));
        }
    };

    public static final Ecall<byte[], byte[]> ECHO = Ecall.of(100, "echo", Codec.BYTES, Codec.BYTES);
    /** Maps a secret region of the given size, fills it with the canary pattern, returns its address. */
    public static final Ecall<Long, Long> WRITE_CANARY = Ecall.of(101, "write-canary", Codec.LONG, Codec.LONG);
    /** Whether the canary is still intact, read from inside. */
    public static final Ecall<Void, String> CHECK_CANARY = Ecall.of(102, "check-canary", Codec.NONE, Codec.STRING);
    public static final Ecall<String, String> TRY_OPEN = Ecall.of(103, "try-open", Codec.STRING, Codec.STRING);
    public static final Ecall<Void, String> TRY_SOCKET = Ecall.of(104, "try-socket", Codec.NONE, Codec.STRING);
    public static final Ecall<Void, String> TRY_EXEC = Ecall.of(105, "try-exec", Codec.NONE, Codec.STRING);
    public static final Ecall<Sealing, byte[]> SEAL = Ecall.of(106, "seal", SEALING, Codec.BYTES);
    public static final Ecall<byte[], byte[]> UNSEAL = Ecall.of(107, "unseal", Codec.BYTES, Codec.BYTES);
    public static final Ecall<String, Void> FAIL = Ecall.of(108, "fail", Codec.STRING, Codec.NONE);
    /** Sum of the first n staging bytes. */
    public static final Ecall<Long, Long> STAGING_SUM = Ecall.of(109, "staging-sum", Codec.LONG, Codec.LONG);
    /** Allocates and populates n bytes of secret memory with all threads. */
    public static final Ecall<Long, Long> POPULATE = Ecall.of(110, "populate", Codec.LONG, Codec.LONG);

    /** prctl(PR_GET_DUMPABLE) inside the secure world, as it was when the application started (after hardening). */
    public static final Ecall<Void, String> DUMPABLE = Ecall.of(111, "dumpable", Codec.NONE, Codec.STRING);

    /** 8 bytes the tests look for in the secure world's memory. */
    public static final long CANARY = 0x43414e4152592121L; // "CANARY!!"
}
