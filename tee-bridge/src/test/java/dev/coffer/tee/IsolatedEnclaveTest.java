package dev.coffer.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coffer.tee.channel.Frame;
import dev.coffer.tee.channel.FrameKind.Status;
import dev.coffer.tee.isolated.IsolatedEnclave;
import dev.coffer.tee.natives.Native;
import dev.coffer.tee.testapp.ProbeCalls;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The isolated backend: the contract, plus attacks on the boundary from the host and from inside. */
class IsolatedEnclaveTest extends EnclaveContract {
    private static final int EIO = 5;
    private static final int EPERM = 1;
    private static final int NOBODY = 65534;

    @Override
    Enclave create(Path temp, int securityVersion) {
        return Enclave.create(EnclaveImage.fromJar(TestImages.probeImage(temp, securityVersion)),
                EnclaveSettings.defaults(Backend.ISOLATED, temp.resolve("state")).withSecureMemory(64L << 20)
                        .withThreads(2));
    }

    private int pid() {
        return (int) enclave.info().pid().orElseThrow();
    }

    @Test
    void secretMemoryIsUnreadableFromTheHostEvenForRoot() {
        long address = enclave.call(ProbeCalls.WRITE_CANARY, 1L << 16);
        byte[] buf = new byte[64];
        assertThat(Native.readProcessMemory(pid(), address, buf)).as("/proc/PID/mem as root").isEqualTo(-EIO);
        long[] peek = Native.ptracePeek(pid(), address, -1);
        assertThat(peek[0]).as("PTRACE_PEEKDATA as root (attach succeeds, the read fails)").isEqualTo(-EIO);
        assertThat(peek[1]).isEqualTo(3);
        long[] asNobody = Native.ptracePeek(pid(), address, NOBODY);
        assertThat(asNobody[0]).as("a non-root user cannot even attach").isEqualTo(-EPERM);
        assertThat(asNobody[1]).isEqualTo(2);
        assertThat(Native.readProcessMemoryAs(pid(), address, 64, NOBODY)).isNegative();
        // The canary is really there: the secure world reads it back.
        assertThat(enclave.call(ProbeCalls.CHECK_CANARY, null)).isEqualTo("intact");
    }

    @Test
    void theSecureWorldIsNotDumpableAndRunsUnderItsFilter() throws Exception {
        assertThat(enclave.call(ProbeCalls.DUMPABLE, null)).isEqualTo("false");
        List<String> status = Files.readAllLines(Path.of("/proc/" + pid() + "/status"));
        assertThat(status).anyMatch(l -> l.startsWith("Seccomp:") && l.endsWith("2"));
        assertThat(status).anyMatch(l -> l.startsWith("NoNewPrivs:") && l.endsWith("1"));
        assertThat(status).anyMatch(l -> l.startsWith("Seccomp_filters:") && l.endsWith("2"));
    }

    @Test
    void afterInitTheSecureWorldCannotOpenFilesSocketsOrPrograms() {
        BoundaryStats before = enclave.stats();
        assertThat(enclave.call(ProbeCalls.TRY_OPEN, "/etc/hostname")).startsWith("denied").contains("Operation not permitted");
        assertThat(enclave.call(ProbeCalls.TRY_SOCKET, null)).startsWith("denied");
        assertThat(enclave.call(ProbeCalls.TRY_EXEC, null)).startsWith("denied");
        BoundaryStats after = enclave.stats().since(before);
        assertThat(after.filterEnforced()).isTrue();
        assertThat(after.deniedByName()).containsKey("openat");
        assertThat(after.deniedByName()).containsKey("socket");
        assertThat(enclave.call(ProbeCalls.ECHO, new byte[] {7})).containsExactly(7);
    }

    @Test
    void aKilledSecureWorldIsDetectedAndANewOneCanBeCreated() throws Exception {
        enclave.call(ProbeCalls.POPULATE, 32L << 20);
        long lockedBefore = mlockedKb();
        ProcessHandle.of(pid()).orElseThrow().destroyForcibly();
        assertThatThrownBy(() -> enclave.call(ProbeCalls.ECHO, new byte[0]))
                .isInstanceOf(EnclaveLostException.class).hasMessageContaining("killed by SIGKILL");
        assertThatThrownBy(() -> enclave.call(ProbeCalls.ECHO, new byte[0])).isInstanceOf(EnclaveLostException.class);
        assertThat(ProcessHandle.of(pid())).isEmpty();
        // memfd_secret pages count as mlocked; they went with the process.
        assertThat(lockedBefore - mlockedKb()).isGreaterThanOrEqualTo(30L << 10);
        enclave.terminate();
        enclave = create(temp, 1);
        assertThat(enclave.call(ProbeCalls.ECHO, new byte[] {1})).containsExactly(1);
    }

    @Test
    void anOversizedFrameIsSkippedAndRejected() {
        IsolatedEnclave isolated = (IsolatedEnclave) enclave;
        int length = SecureWorldLaunch.MAX_FRAME_PAYLOAD + 1000;
        byte[] frame = new byte[16 + length];
        System.arraycopy(header(Frame.MAGIC, 1, ProbeCalls.ECHO.id(), length), 0, frame, 0, 16);
        var r = isolated.exchangeRaw(frame);
        assertThat(r.status()).isEqualTo(Status.REJECTED);
        assertThat(new String(r.payload())).contains("exceeds the");
        assertThat(enclave.call(ProbeCalls.ECHO, new byte[] {3})).containsExactly(3);
    }

    @Test
    void aTruncatedFrameEndsTheSecureWorldCleanly() {
        byte[] partial = new byte[16 + 10];
        System.arraycopy(header(Frame.MAGIC, 1, ProbeCalls.ECHO.id(), 100), 0, partial, 0, 16);
        assertThat(((IsolatedEnclave) enclave).sendRawAndHangUp(partial)).isEqualTo("exited with status 0");
    }

    @Test
    void bytesThatAreNotFramesEndTheSecureWorldCleanly() {
        assertThat(((IsolatedEnclave) enclave).sendRawAndHangUp(header(0x12345678, 1, 100, 0)))
                .isEqualTo("exited with status 3");
    }

    @Test
    void anUnknownFrameKindEndsTheSecureWorldCleanly() {
        assertThat(((IsolatedEnclave) enclave).sendRawAndHangUp(header(Frame.MAGIC, 9, 100, 0)))
                .isEqualTo("exited with status 3");
    }

    private static long mlockedKb() throws Exception {
        return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("Mlocked:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElseThrow();
    }

    @Test
    void sealingFollowsThePolicyAcrossImages() {
        byte[] secret = "pack key".getBytes();
        byte[] unique = enclave.call(ProbeCalls.SEAL, new ProbeCalls.Sealing(SealPolicy.UNIQUE.ordinal(), secret));
        byte[] product = enclave.call(ProbeCalls.SEAL, new ProbeCalls.Sealing(SealPolicy.PRODUCT.ordinal(), secret));
        Digest first = enclave.info().identity().measurement();
        enclave.terminate();

        enclave = create(temp, 1); // the same image again: same measurement, both open
        assertThat(enclave.info().identity().measurement()).isEqualTo(first);
        assertThat(enclave.call(ProbeCalls.UNSEAL, unique)).isEqualTo(secret);
        enclave.terminate();

        enclave = create(temp, 2); // an update: new measurement, same signer and product
        assertThat(enclave.info().identity().measurement()).isNotEqualTo(first);
        assertThat(enclave.call(ProbeCalls.UNSEAL, product)).isEqualTo(secret);
        assertThatThrownBy(() -> enclave.call(ProbeCalls.UNSEAL, unique)).isInstanceOf(EcallFailedException.class)
                .hasMessageContaining("another enclave identity");
    }

    @Test
    void productSealingFollowsTheImageSigner() {
        enclave.terminate();
        ImageSigningKey alice = ImageSigningKey.generate(temp.resolve("alice"));
        ImageSigningKey mallory = ImageSigningKey.generate(temp.resolve("mallory"));
        byte[] secret = "pack key".getBytes();
        enclave = signed(temp.resolve("v1"), 1, alice);
        assertThat(enclave.info().identity().signer()).isEqualTo(alice.signer());
        byte[] product = enclave.call(ProbeCalls.SEAL, new ProbeCalls.Sealing(SealPolicy.PRODUCT.ordinal(), secret));
        enclave.terminate();

        enclave = signed(temp.resolve("v2"), 2, alice); // alice's update opens it
        assertThat(enclave.call(ProbeCalls.UNSEAL, product)).isEqualTo(secret);
        enclave.terminate();

        enclave = signed(temp.resolve("v2-mallory"), 2, mallory); // the same code signed by someone else does not
        assertThatThrownBy(() -> enclave.call(ProbeCalls.UNSEAL, product)).isInstanceOf(EcallFailedException.class)
                .hasMessageContaining("another enclave identity");
    }

    private Enclave signed(Path dir, int svn, ImageSigningKey key) {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Path jar = TestImages.probeImage(dir, svn);
        key.sign(jar);
        return Enclave.create(EnclaveImage.fromJar(jar),
                EnclaveSettings.defaults(Backend.ISOLATED, temp.resolve("state")).withSecureMemory(64L << 20).withThreads(2));
    }

    @Test
    void aSecureWorldThatFailsToStartSaysWhyAndLeavesNothingRunning() {
        Path jar = TestImages.image(temp, "dev.coffer.tee.testapp.FailingApplication", 1);
        EnclaveSettings settings = EnclaveSettings.defaults(Backend.ISOLATED, temp.resolve("state")).withSecureMemory(64L << 20);
        assertThatThrownBy(() -> Enclave.create(EnclaveImage.fromJar(jar), settings))
                .isInstanceOf(EnclaveException.class)
                .hasMessageContaining("failed to start").hasMessageContaining("model directory not configured");
        Path missingApp = TestImages.image(temp, "dev.coffer.tee.testapp.NoSuchApplication", 1);
        assertThatThrownBy(() -> Enclave.create(EnclaveImage.fromJar(missingApp), settings))
                .isInstanceOf(EnclaveException.class).hasMessageContaining("NoSuchApplication");
    }

    static byte[] header(int magic, int kind, int id, int length) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(magic).put((byte) kind).put((byte) 0)
                .put((byte) 0).put((byte) 0).putInt(id).putInt(length).array();
    }
}
