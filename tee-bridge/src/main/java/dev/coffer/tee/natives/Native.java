package dev.coffer.tee.natives;

/**
 * The JNI entry points of {@code libcoffertee.so} (C source: {@code src/main/c/coffertee.c}). Only tee-bridge has
 * native code; everything here is a thin, checked wrapper around one Linux facility. Failures throw
 * {@link NativeCallException} naming the call and errno. Addresses are plain {@code long}s: callers wrap them in
 * {@code MemorySegment.ofAddress(address).reinterpret(size)}.
 */
public final class Native {
    static {
        NativeLibrary.load();
    }

    private Native() {
    }

    // ---------------------------------------------------------------- secret memory

    /** {@link #secretMap} mode: {@code memfd_secret(2)}, pages removed from the kernel's direct map. */
    public static final int MODE_MEMFD_SECRET = 1;
    /** {@link #secretMap} mode: anonymous {@code mmap} + {@code mlock} + {@code MADV_DONTDUMP} + {@code MADV_WIPEONFORK}. */
    public static final int MODE_MLOCKED = 2;

    /**
     * Maps {@code size} bytes (a multiple of the page size) of secret memory, unpopulated.
     * memfd_secret first; if the kernel lacks it (ENOSYS) or refuses it (EINVAL: not enabled) and
     * {@code allowFallback}, the weaker mlocked mapping.
     *
     * @return {@code {address, mode}}
     * @throws NativeCallException with errno EAGAIN/ENOMEM/EPERM when RLIMIT_MEMLOCK is too small
     */
    public static native long[] secretMap(long size, boolean allowFallback);

    /**
     * Zeroizes the first {@code bytesToZero} bytes with {@code explicit_bzero} (callers pass the high-water mark,
     * so pages never touched are not populated just to be cleared), then unmaps {@code size} bytes.
     */
    public static native void secretUnmap(long address, long size, long bytesToZero);

    /** Writes one byte per page over {@code [address, address + size)}, faulting the pages in (secret memory has no
     *  MAP_POPULATE). Threads may populate disjoint ranges in parallel. */
    public static native void populate(long address, long size);

    /** {@code {soft, hard}} RLIMIT_MEMLOCK in bytes; -1 means unlimited. */
    public static native long[] memlockLimit();

    /** Raises the soft RLIMIT_MEMLOCK to {@code min(wanted, hard)} (never lowers it); returns the new soft limit
     *  (-1 = unlimited). */
    public static native long raiseMemlockLimit(long wanted);

    /** Whether this process has CAP_IPC_LOCK in its effective set (root does), which bypasses RLIMIT_MEMLOCK. */
    public static native boolean hasIpcLockCapability();

    // ---------------------------------------------------------------- hardening of the secure world

    /**
     * {@code PR_SET_DUMPABLE 0}, {@code RLIMIT_CORE 0}, {@code PR_SET_NO_NEW_PRIVS 1}, {@code PR_SET_PDEATHSIG
     * SIGKILL}; then, if the parent is no longer {@code expectedParentPid} (it died before the death signal was
     * armed), exits immediately.
     */
    public static native void harden(int expectedParentPid);

    /** {@code prctl(PR_GET_DUMPABLE)}. */
    public static native boolean isDumpable();

    /**
     * Installs the secure world's default-deny seccomp allowlist on every thread of this process
     * ({@code SECCOMP_FILTER_FLAG_TSYNC | TSYNC_ESRCH | NEW_LISTENER}): allowed calls pass, every other call is
     * sent to a user-notification listener. The listener fd is handed to the host over {@code socketFd} (one byte
     * {@code 'S'} carrying it as SCM_RIGHTS), closed here, and a second filter then denies {@code sendmsg} so no
     * further descriptor can leave. Requires {@code PR_SET_NO_NEW_PRIVS} (see {@link #harden}).
     */
    public static native void installSeccomp(int socketFd);

    /** Host side of {@link #installSeccomp}: receives the one byte and the listener fd it carries. */
    public static native int receiveListener(int socketFd);

    /**
     * Host side: waits up to {@code timeoutMillis} for a call the filter did not allow, answers it with EPERM and
     * returns its syscall number; {@link #SUPERVISE_TIMEOUT} if none came, {@link #SUPERVISE_GONE} when every task
     * of the secure world has exited.
     */
    public static native int superviseDenied(int listenerFd, int timeoutMillis);

    public static final int SUPERVISE_TIMEOUT = -1;
    public static final int SUPERVISE_GONE = -2;

    /** The allowlist compiled into the filter, one line per rule (e.g. {@code "clone: only with CLONE_THREAD"}),
     *  for docs/tcb.md and evidence. */
    public static native String[] seccompAllowlist();

    // ---------------------------------------------------------------- processes and descriptors

    /** {@code socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC)}. */
    public static native int[] socketPair();

    /**
     * {@code posix_spawn} of {@code argv[0]} (an absolute path) with exactly {@code env}. {@code fds[i]} becomes
     * descriptor {@code 3 + i} in the child; every other descriptor above 2 is closed there. stdin is /dev/null;
     * stdout and stderr both go to this process's stderr. Returns the child's pid.
     */
    public static native int spawn(String[] argv, String[] env, int[] fds);

    /** {@code waitpid}: the raw wait status, or -1 if {@code noHang} and the child is still running. */
    public static native int waitPid(int pid, boolean noHang);

    public static native void kill(int pid, int signal);

    /** {@code read(2)}, retrying EINTR: bytes read, 0 at end of stream. */
    public static native int read(int fd, byte[] buffer, int offset, int length);

    /** {@code write(2)} until all bytes are written, retrying EINTR. */
    public static native void writeFully(int fd, byte[] buffer, int offset, int length);

    /** {@code shutdown(fd, SHUT_RDWR)}: wakes a thread blocked in {@link #read} on either end. */
    public static native void shutdown(int fd);

    public static native void close(int fd);

    // ---------------------------------------------------------------- shared staging memory (ciphertext only)

    /** {@code memfd_create(name, MFD_CLOEXEC)} sized to {@code size}. */
    public static native int memfdCreate(String name, long size);

    /** {@code mmap(PROT_READ | PROT_WRITE, MAP_SHARED)} of {@code fd}. */
    public static native long mapShared(int fd, long size);

    public static native void unmap(long address, long size);

    // ---------------------------------------------------------------- attack probes (tests and `coffer tee probe`)

    /** Reads {@code /proc/PID/mem} at {@code address} into {@code out}: bytes read, or {@code -errno} of the
     *  failing open or pread (EIO for secret pages). */
    public static native int readProcessMemory(int pid, long address, byte[] out);

    /**
     * Forks a short-lived child that drops to {@code uid} (unless it is -1), {@code PTRACE_ATTACH}es to {@code pid},
     * reads one word with {@code PTRACE_PEEKDATA} and detaches. Returns {@code {0, word}} on success or
     * {@code {-errno, step}} where step 1 = setresuid, 2 = attach, 3 = peek.
     */
    public static native long[] ptracePeek(int pid, long address, int uid);

    /** Like {@link #readProcessMemory} but from a forked child running as {@code uid}: bytes read or -errno. */
    public static native int readProcessMemoryAs(int pid, long address, int length, int uid);
}
