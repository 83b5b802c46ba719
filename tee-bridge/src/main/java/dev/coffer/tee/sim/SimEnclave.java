package dev.coffer.tee.sim;

import dev.coffer.tee.AbstractEnclave;
import dev.coffer.tee.Backend;
import dev.coffer.tee.Builtins;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveInfo;
import dev.coffer.tee.EnclaveLostException;
import dev.coffer.tee.EnclaveSettings;
import dev.coffer.tee.Platform;
import dev.coffer.tee.Digest;
import dev.coffer.tee.enclave.EnclaveApplication;
import dev.coffer.tee.enclave.EnclaveConfig;
import dev.coffer.tee.enclave.EnclaveRuntime;
import dev.coffer.tee.enclave.EnclaveRuntime.Response;
import dev.coffer.tee.enclave.SecureWorldMain;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.OptionalLong;

/**
 * The secure world's code in the host's own process, through the same runtime and message encoding as the isolated
 * backend but with no isolation at all: for tests and debugging. Always a debug enclave; its platform is ephemeral.
 * Secret memory is still real memfd_secret memory (so a crash dump of the host would not hold it).
 */
public final class SimEnclave extends AbstractEnclave {
    private final EnclaveInfo info;
    private final Platform platform;
    private final Arena stagingArena = Arena.ofShared();
    private final MemorySegment staging;
    private final EnclaveRuntime runtime;
    private boolean terminated;

    public SimEnclave(EnclaveImage image, EnclaveSettings settings) {
        this.platform = Platform.ephemeral();
        this.staging = stagingArena.allocate(settings.stagingBytes(), 4096);
        EnclaveConfig config = new EnclaveConfig(Backend.SIM.teeType(), true, image.identity(),
                settings.secureMemoryBytes(), settings.memoryPolicy(), settings.threads());
        EnclaveApplication app = SecureWorldMain.instantiate(image.applicationClass());
        try {
            this.runtime = new EnclaveRuntime(config, platform.sealingKeysFor(image.identity()), app, staging,
                    (mode, policy, data) -> {
                        countOcall();
                        return platform.sign(Backend.SIM.teeType(), true, image.identity(), mode, Digest.of(policy), data);
                    }, List.of());
        } catch (RuntimeException e) {
            stagingArena.close();
            platform.close();
            throw e;
        }
        this.info = new EnclaveInfo(Backend.SIM, true, image.identity(), settings.secureMemoryBytes(), List.of(),
                OptionalLong.empty());
    }

    @Override
    public java.security.PublicKey platformKey() {
        return platform.publicKey();
    }

    @Override
    public EnclaveInfo info() {
        return info;
    }

    @Override
    protected synchronized Response exchange(int id, byte[] payload) {
        if (terminated) throw new EnclaveLostException("the sim secure world was terminated");
        Response r = runtime.dispatch(id, payload.clone());
        if (runtime.terminated()) shutDown();
        return new Response(r.status(), r.payload().clone());
    }

    @Override
    protected boolean filterEnforced() {
        return false;
    }

    @Override
    public MemorySegment staging() {
        return staging;
    }

    @Override
    public synchronized void terminate() {
        if (terminated) return;
        rawCall(Builtins.TERMINATE, new byte[0]);
    }

    private void shutDown() {
        terminated = true;
        try {
            runtime.close();
        } finally {
            stagingArena.close();
            platform.close();
        }
    }
}
