package dev.coffer.tee.enclave;

import dev.coffer.tee.Builtins;
import dev.coffer.tee.Digest;
import dev.coffer.tee.EnclaveIdentity;
import dev.coffer.tee.MalformedMessageException;
import dev.coffer.tee.MessageReader;
import dev.coffer.tee.MessageWriter;
import dev.coffer.tee.Report;
import dev.coffer.tee.SealPolicy;
import dev.coffer.tee.SealingKeys;
import dev.coffer.tee.channel.FrameKind.Status;
import dev.coffer.tee.memory.SecretMemory;
import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The secure world's side of every call, the same in both backends: decodes the request, runs the built-in or
 * application handler, encodes the answer. A malformed or unknown request is {@link Status#REJECTED} before any
 * handler runs; a handler that throws gives {@link Status#FAILED} with the exception's message (applications must
 * keep secrets out of messages). Nothing thrown here ends the secure world.
 */
public final class EnclaveRuntime implements AutoCloseable {
    /** The answer to one call. */
    public record Response(Status status, byte[] payload) {
        static Response ok(byte[] payload) {
            return new Response(Status.OK, payload);
        }

        static Response of(Status status, String message) {
            return new Response(status, message.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** The most host data a secure world binds into one piece of evidence. */
    public static final int MAX_HOST_DATA = 1024;
    private final EnclaveConfig config;
    private final EnclaveApplication application;
    private final Context context;
    private final List<String> syscallAllowlist;
    private EcallTable ecalls;
    private boolean terminated;

    /**
     * Creates the context and initializes the application. {@code syscallAllowlist} is what the isolated backend
     * installs right after (empty in sim: nothing is enforced there).
     */
    public EnclaveRuntime(EnclaveConfig config, SealingKeys sealingKeys, EnclaveApplication application,
                          MemorySegment staging, PlatformPort platform, List<String> syscallAllowlist) {
        this.config = config;
        this.application = application;
        this.syscallAllowlist = List.copyOf(syscallAllowlist);
        SecretMemory memory = SecretMemory.withBudget(config.secureMemoryBytes(), config.memoryPolicy());
        this.context = new Context(config, sealingKeys, memory, staging, platform, syscallPolicyDigest());
        application.initialize(context);
        this.ecalls = application.ecalls();
        warmUp();
    }

    public SecretMemory secretMemory() {
        return context.memory;
    }

    /** Runs the dispatch paths once (answers, rejections, failures) so their classes are loaded before a sandbox
     *  closes. */
    private void warmUp() {
        dispatch(Builtins.PING, new byte[8]);
        dispatch(Integer.MAX_VALUE, new byte[0]);
        dispatch(Builtins.EVIDENCE, new byte[1]);
        Report.warmUp();
        dispatch(Builtins.MEMORY, new byte[0]);
        context.memory.allocate(4096, "warm-up").close();
        // JCE reads its policy files when first used: seal once while files can still be opened.
        byte[] probe = context.sealingKeys.seal(SealPolicy.UNIQUE, new byte[16], new byte[0]);
        context.sealingKeys.unseal(probe, new byte[0]);
        try {
            context.sealingKeys.unseal(new byte[40], new byte[0]);
        } catch (dev.coffer.tee.UnsealException expected) {
            // the failure path is warmed up too
        }
        sha512(probe);
    }

    public boolean terminated() {
        return terminated;
    }

    public Response dispatch(int id, byte[] payload) {
        try {
            return switch (id) {
                case Builtins.TERMINATE -> {
                    terminated = true;
                    yield Response.ok(new byte[0]);
                }
                case Builtins.PING -> Response.ok(payload);
                case Builtins.EVIDENCE -> Response.ok(evidence(payload));
                case Builtins.MEMORY -> Response.ok(memoryFigures());
                default -> {
                    var entry = id >= dev.coffer.tee.Ecall.FIRST_APPLICATION_ID ? ecalls.find(id) : java.util.Optional.<EcallTable.Entry<?, ?>>empty();
                    if (entry.isEmpty()) yield Response.of(Status.REJECTED, "unknown ecall " + id);
                    yield Response.ok(entry.get().invoke(payload));
                }
            };
        } catch (MalformedMessageException e) {
            return Response.of(Status.REJECTED, "malformed request for call " + id + ": " + e.getMessage());
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // LinkageError: a class that failed to initialise (e.g. one that needs a file after the sandbox closed).
            return Response.of(Status.FAILED, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private byte[] evidence(byte[] payload) {
        MessageReader in = new MessageReader(payload);
        byte[] nonce = in.readBytes("nonce");
        byte[] hostData = in.readBytes("host data");
        in.end();
        if (nonce.length < 8 || nonce.length > 64) {
            throw new MalformedMessageException("nonce must be 8..64 bytes, not " + nonce.length);
        }
        if (hostData.length > MAX_HOST_DATA) {
            throw new MalformedMessageException("host data must be at most 1 KiB, not " + hostData.length);
        }
        byte[] claims = application.claims(nonce, hostData);
        Report report = context.report(sha512(claims));
        return new MessageWriter().writeBytes(claims).writeBytes(report.encode()).toByteArray();
    }

    public static byte[] sha512(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-512").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-512", e);
        }
    }

    private byte[] memoryFigures() {
        SecretMemory m = context.memory;
        return new MessageWriter().writeString(m.mode().claim()).writeLong(m.budget()).writeLong(m.used())
                .writeLong(m.peak()).writeLong(m.populatedBytes()).writeLong(m.populateNanos()).toByteArray();
    }

    private Digest syscallPolicyDigest() {
        MessageWriter w = new MessageWriter().writeString("coffer-syscall-policy-v1").writeInt(syscallAllowlist.size());
        for (String rule : syscallAllowlist) w.writeString(rule);
        return Digest.sha256(w.toByteArray());
    }

    /** Ends the application and zeroizes all secret memory. */
    @Override
    public void close() {
        try {
            application.terminate();
        } finally {
            context.memory.close();
            context.sealingKeys.destroy();
        }
    }

    private static final class Context implements EnclaveContext {
        private final EnclaveConfig config;
        private final SealingKeys sealingKeys;
        private final SecretMemory memory;
        private final MemorySegment staging;
        private final PlatformPort platform;
        private final Digest syscallPolicy;

        Context(EnclaveConfig config, SealingKeys sealingKeys, SecretMemory memory, MemorySegment staging,
                PlatformPort platform, Digest syscallPolicy) {
            this.config = config;
            this.sealingKeys = sealingKeys;
            this.memory = memory;
            this.staging = staging;
            this.platform = platform;
            this.syscallPolicy = syscallPolicy;
        }

        @Override
        public EnclaveIdentity identity() {
            return config.identity();
        }

        @Override
        public String teeType() {
            return config.teeType();
        }

        @Override
        public boolean debug() {
            return config.debug();
        }

        @Override
        public SecretMemory secretMemory() {
            return memory;
        }

        @Override
        public MemorySegment staging() {
            return staging;
        }

        @Override
        public int threads() {
            return config.threads();
        }

        @Override
        public Report report(byte[] reportData) {
            if (reportData.length != Report.REPORT_DATA_BYTES) {
                throw new IllegalArgumentException("report data has 64 bytes, not " + reportData.length);
            }
            return platform.report(memory.mode().claim(), syscallPolicy.bytes(), reportData);
        }

        @Override
        public byte[] seal(SealPolicy policy, byte[] plaintext, byte[] associatedData) {
            return sealingKeys.seal(policy, plaintext, associatedData);
        }

        @Override
        public byte[] unseal(byte[] sealed, byte[] associatedData) {
            return sealingKeys.unseal(sealed, associatedData);
        }
    }
}
