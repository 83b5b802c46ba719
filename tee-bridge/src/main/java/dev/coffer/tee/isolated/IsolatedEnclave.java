package dev.coffer.tee.isolated;

import dev.coffer.tee.AbstractEnclave;
import dev.coffer.tee.Backend;
import dev.coffer.tee.Builtins;
import dev.coffer.tee.Digest;
import dev.coffer.tee.EnclaveException;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.EnclaveInfo;
import dev.coffer.tee.EnclaveLostException;
import dev.coffer.tee.EnclaveSettings;
import dev.coffer.tee.MalformedMessageException;
import dev.coffer.tee.MessageReader;
import dev.coffer.tee.InitMessage;
import dev.coffer.tee.enclave.EnclaveConfig;
import dev.coffer.tee.Platform;
import dev.coffer.tee.Report;
import dev.coffer.tee.SealingKeys;
import dev.coffer.tee.SecureWorldLaunch;
import dev.coffer.tee.channel.BrokenFrameException;
import dev.coffer.tee.channel.ChannelClosedException;
import dev.coffer.tee.channel.FdChannel;
import dev.coffer.tee.channel.Frame;
import dev.coffer.tee.channel.FrameKind;
import dev.coffer.tee.channel.FrameKind.Status;
import dev.coffer.tee.enclave.EnclaveRuntime.Response;
import dev.coffer.tee.natives.Native;
import dev.coffer.tee.natives.NativeCallException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The secure world as a separate, hardened JVM running the image jar: started with {@code posix_spawn} and a clean
 * environment, given one end of a socketpair (fd 3) and a shared staging memfd (fd 4), told its configuration and
 * sealing keys by this host-held platform, then sandboxed by its own seccomp filter, whose denials this side
 * answers (EPERM) and counts. Every call is one crossing over the channel; reports are signed here on request
 * (an ocall). If the process dies, calls fail with {@link EnclaveLostException}.
 */
public final class IsolatedEnclave extends AbstractEnclave {
    private static final long EXIT_WAIT_MILLIS = 5_000;
    /**
     * The secure world's parent-death signal is tied to the thread that spawned it, not to the host process: it
     * fires when that thread ends. So every secure world is spawned from this one thread, which lives as long as
     * the host (a pool thread that retires would silently kill the secure world).
     */
    private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("secure-world-spawner").factory());

    private final EnclaveImage image;
    private final EnclaveSettings settings;
    private final Platform platform;
    private final int pid;
    private final FdChannel channel;
    private final long stagingAddress;
    private final MemorySegment staging;
    private final EnclaveInfo info;
    private volatile Thread supervisor;
    private volatile boolean gone;
    private boolean destroyed;
    private String lostReason;

    public IsolatedEnclave(EnclaveImage image, EnclaveSettings settings) {
        Path jar = image.jar().orElseThrow(() -> new EnclaveException(
                "the isolated backend runs an image jar; " + image.applicationClass() + " was given as a class only"));
        this.image = image;
        this.settings = settings;
        this.platform = Platform.openOrCreate(settings.stateDirectory());
        int[] pair = Native.socketPair();
        int stagingFd = Native.memfdCreate("coffer-staging", settings.stagingBytes());
        this.stagingAddress = Native.mapShared(stagingFd, settings.stagingBytes());
        this.staging = MemorySegment.ofAddress(stagingAddress).reinterpret(settings.stagingBytes());
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(SecureWorldLaunch.JVM_OPTIONS);
        argv.addAll(List.of("-cp", jar.toAbsolutePath().toString(), SecureWorldLaunch.MAIN_CLASS,
                "--parent=" + ProcessHandle.current().pid()));
        // A clean environment: nothing from the host's (JAVA_TOOL_OPTIONS could load an agent into the secure world).
        String[] env = {"LANG=C.UTF-8"};
        try {
            this.pid = spawn(argv.toArray(String[]::new), env, new int[] {pair[1], stagingFd});
        } finally {
            Native.close(pair[1]);
            Native.close(stagingFd);
        }
        this.channel = new FdChannel(pair[0], SecureWorldLaunch.MAX_FRAME_PAYLOAD);
        List<String> allowlist;
        try {
            allowlist = start();
        } catch (RuntimeException e) {
            destroy();
            throw e;
        }
        this.info = new EnclaveInfo(Backend.ISOLATED, settings.debug(), image.identity(), settings.secureMemoryBytes(),
                allowlist, OptionalLong.of(pid));
    }

    private static int spawn(String[] argv, String[] env, int[] fds) {
        try {
            return SPAWNER.submit(() -> Native.spawn(argv, env, fds)).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new EnclaveException("cannot start the secure world: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnclaveException("interrupted while starting the secure world");
        }
    }

    /** Sends the configuration, takes over the seccomp listener, and waits for the secure world to be ready. */
    private List<String> start() {
        EnclaveConfig config = new EnclaveConfig(Backend.ISOLATED.teeType(), settings.debug(), image.identity(),
                settings.secureMemoryBytes(), settings.memoryPolicy(), settings.threads());
        byte[] initBytes;
        try (SealingKeys keys = platform.sealingKeysFor(image.identity())) {
            initBytes = new InitMessage(config, settings.stagingBytes(), keys).encode();
        }
        try {
            channel.send(new Frame(FrameKind.CALL, Builtins.INIT, initBytes));
        } finally {
            java.util.Arrays.fill(initBytes, (byte) 0);
        }
        int listener;
        try {
            listener = Native.receiveListener(channel.fd());
        } catch (NativeCallException e) {
            throw new EnclaveException("the secure world (pid " + pid + ") " + reap() + " while starting; its stderr "
                    + "above says why");
        }
        if (listener >= 0) {
            supervisor = Thread.ofPlatform().daemon().name("seccomp-supervisor-" + pid).start(() -> supervise(listener));
        }
        Frame ready;
        try {
            ready = channel.receive();
        } catch (ChannelClosedException | BrokenFrameException e) {
            throw new EnclaveException("the secure world (pid " + pid + ") " + reap() + " while starting; its stderr "
                    + "above says why");
        }
        String payload = new String(ready.payload(), StandardCharsets.UTF_8);
        if (ready.kind() != FrameKind.RETURN || ready.id() != Status.OK.code) {
            throw new EnclaveException("the secure world failed to start: " + payload);
        }
        if (listener < 0) throw new EnclaveException("the secure world started without its syscall filter");
        MessageReader r = new MessageReader(ready.payload());
        int n = r.readCount("allowlist rules", 256);
        List<String> rules = new ArrayList<>();
        for (int i = 0; i < n; i++) rules.add(r.readString("rule"));
        r.end();
        return rules;
    }

    private void supervise(int listener) {
        try {
            while (true) {
                int nr = Native.superviseDenied(listener, 250);
                if (nr == Native.SUPERVISE_GONE) return;
                if (nr >= 0) countDenied(nr);
                else if (gone) return;
            }
        } finally {
            Native.close(listener);
        }
    }

    @Override
    protected Response exchange(int id, byte[] payload) {
        return exchange(id, () -> channel.send(new Frame(FrameKind.CALL, id, payload)));
    }

    /** Sends a call (however it is written) and serves the secure world's ocalls until its RETURN arrives. */
    private Response exchange(int id, Runnable sendCall) {
        if (gone) throw new EnclaveLostException(lostReason);
        try {
            sendCall.run();
            while (true) {
                Frame f = channel.receive();
                switch (f.kind()) {
                    case RETURN -> {
                        Status status = Status.of(f.id());
                        if (status == null) throw new BrokenFrameException("unknown status " + f.id());
                        if (id == Builtins.TERMINATE && status == Status.OK) awaitExit();
                        return new Response(status, f.payload());
                    }
                    case OCALL -> channel.send(ocall(f));
                    default -> throw new BrokenFrameException("unexpected " + f.kind() + " frame from the secure world");
                }
            }
        } catch (ChannelClosedException | BrokenFrameException e) {
            lost("(" + e.getMessage() + ")");
            throw new EnclaveLostException(lostReason);
        }
    }

    private Frame ocall(Frame f) {
        countOcall();
        if (f.id() != Builtins.OCALL_REPORT || f.oversized()) {
            return new Frame(FrameKind.OCALL_RETURN, Status.REJECTED.code, "unknown ocall".getBytes(StandardCharsets.UTF_8));
        }
        try {
            MessageReader in = new MessageReader(f.payload());
            String mode = in.readString("memory mode");
            Digest policy = Digest.of(in.readFixed("syscall policy", Digest.BYTES));
            byte[] data = in.readFixed("report data", Report.REPORT_DATA_BYTES);
            in.end();
            Report report = platform.sign(Backend.ISOLATED.teeType(), settings.debug(), image.identity(), mode, policy, data);
            return new Frame(FrameKind.OCALL_RETURN, Status.OK.code, report.encode());
        } catch (MalformedMessageException e) {
            return new Frame(FrameKind.OCALL_RETURN, Status.REJECTED.code, e.getMessage().getBytes(StandardCharsets.UTF_8));
        }
    }

    private void lost(String detail) {
        if (gone) return;
        markGone(reap() + " " + detail + "; its secret memory is gone with it: create a new enclave");
        channel.close();
    }

    /** From now on calls fail with this reason (what happened to the secure world). */
    private void markGone(String what) {
        gone = true;
        lostReason = "the secure world (pid " + pid + ") " + what;
    }

    /** Waits briefly for the process to end and says how it ended. */
    private String reap() {
        long deadline = System.currentTimeMillis() + EXIT_WAIT_MILLIS;
        while (true) {
            int status = Native.waitPid(pid, true);
            if (status != -1) return WaitStatus.describe(status);
            if (System.currentTimeMillis() > deadline) {
                Native.kill(pid, 9);
                return WaitStatus.describe(Native.waitPid(pid, false)) + " after it stopped answering";
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Native.kill(pid, 9);
            }
        }
    }

    private void awaitExit() {
        markGone("was terminated");
        String how = reap();
        if (!how.equals("exited with status 0")) markGone("was terminated and " + how);
    }

    /** For boundary tests: writes bytes that need not be a valid frame and returns the secure world's answer. */
    public synchronized Response exchangeRaw(byte[] bytes) {
        return exchange(-1, () -> channel.sendRaw(bytes));
    }

    /** For boundary tests: writes bytes, hangs up, and returns how the secure world ended. */
    public synchronized String sendRawAndHangUp(byte[] bytes) {
        channel.sendRaw(bytes);
        channel.shutdown();
        String how = reap();
        markGone(how);
        return how;
    }

    @Override
    protected boolean filterEnforced() {
        return true;
    }

    @Override
    public EnclaveInfo info() {
        return info;
    }

    @Override
    public PublicKey platformKey() {
        return platform.publicKey();
    }

    @Override
    public MemorySegment staging() {
        return staging;
    }

    @Override
    public synchronized void terminate() {
        if (!gone) {
            try {
                rawCall(Builtins.TERMINATE, new byte[0]);
            } catch (EnclaveLostException ignored) {
                // it died on its own: nothing left to end
            }
        }
        destroy();
    }

    private synchronized void destroy() {
        if (destroyed) return;
        destroyed = true;
        if (!gone) {
            markGone("was destroyed");
            try {
                Native.kill(pid, 9);
                reap();
            } catch (dev.coffer.tee.natives.NativeCallException alreadyReaped) {
                // it died during start and was reaped there: the start error, not ESRCH, is what the caller sees
            }
        }
        channel.close();
        Thread s = supervisor;
        if (s != null) {
            try {
                s.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Native.unmap(stagingAddress, settings.stagingBytes());
        platform.close();
    }
}
