package dev.coffer.tee;

import dev.coffer.tee.enclave.EnclaveConfig;
import java.util.Objects;

/**
 * The first message of the isolated backend: the configuration the host's policy chose, the staging size, and the
 * sealing keys the platform derived for this identity. The only secret the host ever sends in the clear over the
 * channel is these keys, which it derived itself (a software TEE's platform is on the host).
 */
public record InitMessage(EnclaveConfig config, long stagingBytes, SealingKeys keys) {
    public InitMessage {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(keys, "keys");
    }

    public byte[] encode() {
        MessageWriter w = new MessageWriter().writeString(config.teeType()).writeBoolean(config.debug());
        config.identity().write(w);
        w.writeLong(config.secureMemoryBytes()).writeByte(config.memoryPolicy().code()).writeInt(config.threads())
                .writeLong(stagingBytes);
        keys.write(w);
        return w.toByteArray();
    }

    public static InitMessage decode(byte[] bytes) {
        MessageReader r = new MessageReader(bytes);
        String tee = r.readString("tee type");
        boolean debug = r.readBoolean("debug");
        EnclaveIdentity identity = EnclaveIdentity.read(r);
        long budget = r.readLong("secure memory");
        int policy = r.readByte("memory policy");
        int threads = r.readCount("threads", 1024);
        long staging = r.readLong("staging bytes");
        SealingKeys keys = SealingKeys.read(r);
        r.end();
        if (budget <= 0 || threads == 0 || staging < 4096 || staging > Integer.MAX_VALUE || policy < 0 || policy > 2) {
            throw new MalformedMessageException("init: budget, threads, staging size or memory policy out of range");
        }
        return new InitMessage(new EnclaveConfig(tee, debug, identity, budget, dev.coffer.tee.memory.MemoryPolicy.ofCode(policy),
                threads), staging, keys);
    }
}
