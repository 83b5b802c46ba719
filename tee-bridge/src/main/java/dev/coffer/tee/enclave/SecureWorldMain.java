package dev.coffer.tee.enclave;

import dev.coffer.tee.Builtins;
import dev.coffer.tee.EnclaveImage;
import dev.coffer.tee.InitMessage;
import dev.coffer.tee.MalformedMessageException;
import dev.coffer.tee.MessageWriter;
import dev.coffer.tee.Report;
import dev.coffer.tee.SecureWorldLaunch;
import dev.coffer.tee.channel.BrokenFrameException;
import dev.coffer.tee.channel.ChannelClosedException;
import dev.coffer.tee.channel.FdChannel;
import dev.coffer.tee.channel.Frame;
import dev.coffer.tee.channel.FrameKind;
import dev.coffer.tee.channel.FrameKind.Status;
import dev.coffer.tee.natives.Native;
import java.io.File;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;

/**
 * The entry point of the isolated secure world (a child JVM running the image jar). In order: harden the process,
 * read the platform's init message, map the staging buffer, start the application (which warms up every path),
 * install the seccomp allowlist (handing its listener to the host), then serve calls until the host terminates it
 * or goes away. Bad frames are answered with REJECTED; a stream that is no longer frames ends the process cleanly.
 */
public final class SecureWorldMain {
    private SecureWorldMain() {
    }

    /** Exit codes the host can read: 0 terminated or host gone, 2 start failed, 3 channel out of step. */
    public static void main(String[] args) {
        int parent = parentArgument(args);
        Native.harden(parent);
        FdChannel channel = new FdChannel(SecureWorldLaunch.CHANNEL_FD, SecureWorldLaunch.MAX_FRAME_PAYLOAD);
        EnclaveRuntime runtime;
        try {
            runtime = start(channel);
        } catch (ChannelClosedException e) {
            System.exit(0);
            return;
        } catch (RuntimeException | Error e) {
            // No filter was installed: tell the host ('N' instead of the listener), then why.
            channel.sendRaw(new byte[] {'N'});
            channel.send(new Frame(FrameKind.RETURN, Status.FAILED.code,
                    (e.getClass().getSimpleName() + ": " + e.getMessage()).getBytes(StandardCharsets.UTF_8)));
            System.exit(2);
            return;
        }
        List<String> rules = List.of(Native.seccompAllowlist());
        Native.installSeccomp(SecureWorldLaunch.CHANNEL_FD);
        MessageWriter ready = new MessageWriter().writeInt(rules.size());
        rules.forEach(ready::writeString);
        channel.send(new Frame(FrameKind.RETURN, Status.OK.code, ready.toByteArray()));
        System.exit(serve(channel, runtime));
    }

    private static EnclaveRuntime start(FdChannel channel) {
        Frame first = channel.receive();
        if (first.kind() != FrameKind.CALL || first.id() != Builtins.INIT || first.oversized()) {
            throw new MalformedMessageException("the first call must be init");
        }
        InitMessage init = InitMessage.decode(first.payload());
        Arrays.fill(first.payload(), (byte) 0);
        long size = init.stagingBytes();
        MemorySegment staging = MemorySegment.ofAddress(Native.mapShared(SecureWorldLaunch.STAGING_FD, size)).reinterpret(size);
        Native.close(SecureWorldLaunch.STAGING_FD);
        EnclaveApplication app = instantiate(applicationClass());
        return new EnclaveRuntime(init.config(), init.keys(), app, staging,
                (mode, policy, data) -> reportOcall(channel, mode, policy, data), List.of(Native.seccompAllowlist()));
    }

    private static int serve(FdChannel channel, EnclaveRuntime runtime) {
        while (true) {
            Frame frame;
            try {
                frame = channel.receive();
            } catch (ChannelClosedException e) {
                System.err.println("secure world: " + e.getMessage() + "; zeroizing and exiting");
                runtime.close();
                return 0;
            } catch (BrokenFrameException e) {
                System.err.println("secure world: " + e.getMessage() + "; the channel is out of step, exiting");
                runtime.close();
                return 3;
            }
            EnclaveRuntime.Response r;
            if (frame.kind() != FrameKind.CALL) {
                r = new EnclaveRuntime.Response(Status.REJECTED, ("expected a call, got " + frame.kind()).getBytes(StandardCharsets.UTF_8));
            } else if (frame.oversized()) {
                r = new EnclaveRuntime.Response(Status.REJECTED, ("call " + frame.id() + " of " + Integer.toUnsignedString(frame.declaredLength())
                        + " bytes exceeds the " + SecureWorldLaunch.MAX_FRAME_PAYLOAD + "-byte frame limit").getBytes(StandardCharsets.UTF_8));
            } else {
                r = runtime.dispatch(frame.id(), frame.payload());
            }
            try {
                channel.send(new Frame(FrameKind.RETURN, r.status().code, r.payload()));
            } catch (ChannelClosedException e) {
                runtime.close();
                return 0;
            }
            if (runtime.terminated()) {
                runtime.close();
                return 0;
            }
        }
    }

    private static Report reportOcall(FdChannel channel, String mode, byte[] policy, byte[] data) {
        channel.send(new Frame(FrameKind.OCALL, Builtins.OCALL_REPORT,
                new MessageWriter().writeString(mode).writeFixed(policy).writeFixed(data).toByteArray()));
        Frame answer = channel.receive();
        if (answer.kind() != FrameKind.OCALL_RETURN) throw new BrokenFrameException("expected the platform's answer");
        if (answer.id() != Status.OK.code) {
            throw new IllegalStateException("the platform refused the report: " + new String(answer.payload(), StandardCharsets.UTF_8));
        }
        return Report.decode(answer.payload());
    }

    /** The application named in this image's own manifest (the measured one), not anything the host says. */
    private static String applicationClass() {
        try {
            File jar = new File(SecureWorldMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            try (JarFile file = new JarFile(jar)) {
                String app = file.getManifest() == null ? null
                        : file.getManifest().getMainAttributes().getValue(EnclaveImage.APPLICATION_ATTRIBUTE);
                if (app == null) throw new IllegalStateException("the image's manifest names no application");
                return app;
            }
        } catch (java.io.IOException | java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot read the image's manifest: " + e.getMessage(), e);
        }
    }

    /** The application class's public no-argument constructor (both backends create applications this way). */
    public static EnclaveApplication instantiate(String className) {
        try {
            return (EnclaveApplication) Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cannot instantiate enclave application " + className + ": " + e, e);
        }
    }

    private static int parentArgument(String[] args) {
        for (String a : args) {
            if (a.startsWith("--parent=")) return Integer.parseInt(a.substring("--parent=".length()));
        }
        System.err.println("secure world: started without --parent=PID; it is started by the host, not by hand");
        System.exit(2);
        return -1;
    }
}
