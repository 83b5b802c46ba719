package dev.coffer.tee.natives;

/**
 * The JNI entry points of {@code libcoffertee.so} (C sources: {@code src/main/c/}: {@code coffertee.c},
 * {@code seccomp.c}, {@code spawn.c}, {@code probes.c}). Only tee-bridge has native code; everything here is a thin,
 * checked wrapper around one Linux facility. Failures throw {@link NativeCallException} naming the call, errno's
 * name and what to do; invalid arguments throw {@link IllegalArgumentException} before anything changes. Addresses
 * are plain {@code long}s: callers wrap them in {@code MemorySegment.ofAddress(address).reinterpret(size)}. Bytes
 * passing through the library ({@link #read}, {@link #writeFully}, {@link #readProcessMemory}) are staged in heap
 * buffers that are zeroized before they are freed, never on the C stack.
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
     * memfd_secret first; if the kernel lacks it (ENOSYS) or refuses it (EINVAL: not enabled) and the policy allows
     * it (1), the weaker mlocked mapping; policy 2 asks for the mlocked mapping directly
     * ({@link dev.coffer.tee.memory.MemoryPolicy#code()}). The memfd_secret descriptor is created close-on-exec and
     * closed before returning (the mapping keeps the memory). The fallback is locked with
     * {@code mlock2(MLOCK_ONFAULT)}: still unpopulated, but RLIMIT_MEMLOCK is checked for the whole size at once.
     * Both kinds count against RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK.
     *
     * @return {@code {address, mode}}
     * @throws IllegalArgumentException if {@code size} is not a positive multiple of the page size
     * @throws NativeCallException with errno EAGAIN (memfd_secret) or ENOMEM/EPERM (fallback) when RLIMIT_MEMLOCK is
     *     too small (the message names the limits and how to raise them); ENOSYS/EINVAL under policy 0
     */
    public static native long[] secretMap(long size, int policy);

    /**
     * Zeroizes the first {@code bytesToZero} bytes with {@code explicit_bzero} (callers pass the high-water mark,
     * so pages never touched are not populated just to be cleared), then unmaps {@code size} bytes.
     *
     * @throws IllegalArgumentException unless the address is page-aligned, {@code size > 0} and
     *     {@code 0 <= bytesToZero <= size}
     */
    public static native void secretUnmap(long address, long size, long bytesToZero);

    /** Writes one byte per page over {@code [address, address + size)}, faulting the pages in (secret memory has no
     *  MAP_POPULATE, and MADV_POPULATE_WRITE fails with EINVAL on it). The write is an atomic OR with 0, so
     *  content already there survives, even a concurrent writer's. Threads may populate disjoint ranges in
     *  parallel. */
    public static native void populate(long address, long size);

    /** {@code {soft, hard}} RLIMIT_MEMLOCK in bytes; -1 means unlimited. */
    public static native long[] memlockLimit();

    /** Raises the soft RLIMIT_MEMLOCK to {@code min(wanted, hard)} (never lowers it); returns the new soft limit
     *  (-1 = unlimited). {@code wanted} is bytes, or -1 for unlimited. */
    public static native long raiseMemlockLimit(long wanted);

    /** Whether this process has CAP_IPC_LOCK in its effective set (root does), which bypasses RLIMIT_MEMLOCK. */
    public static native boolean hasIpcLockCapability();

    // ---------------------------------------------------------------- hardening of the secure world

    /**
     * {@code PR_SET_DUMPABLE 0}, {@code RLIMIT_CORE 0}, {@code PR_SET_NO_NEW_PRIVS 1}, {@code PR_SET_PDEATHSIG
     * SIGKILL}; then, if the parent is no longer {@code expectedParentPid} (it died before the death signal was
     * armed), exits immediately with status 70.
     *
     * <p>The kernel keeps no_new_privs and the death signal per thread: call this on the thread that installs the
     * seccomp filter (its TSYNC copies no_new_privs to the others) and that lives as long as the process (the main
     * thread), because the death signal is lost when the thread that armed it exits. On the host's side, the
     * "parent" is the <em>thread</em> that spawned this process: the signal fires when that thread exits, even if
     * the host process lives on, so a host must spawn the secure world from a thread that lives as long as it
     * should (HardenTest shows it).
     */
    public static native void harden(int expectedParentPid);

    /** {@code prctl(PR_GET_DUMPABLE)}. */
    public static native boolean isDumpable();

    /**
     * Installs the secure world's default-deny seccomp allowlist on every thread of this process
     * ({@code SECCOMP_FILTER_FLAG_TSYNC | TSYNC_ESRCH | NEW_LISTENER}): allowed calls pass, every other call is
     * sent to a user-notification listener. The listener fd is handed to the host over {@code socketFd} (one byte
     * {@code 'S'} carrying it as SCM_RIGHTS), closed here, and a second filter then denies {@code sendmsg} so no
     * further descriptor can leave. Requires {@code PR_SET_NO_NEW_PRIVS} on the calling thread (see
     * {@link #harden}); without it this throws (EPERM) before installing anything.
     *
     * <p>To install the second filter, the first allows exactly {@code seccomp(SECCOMP_SET_MODE_FILTER,
     * SECCOMP_FILTER_FLAG_TSYNC)}; the second then refuses {@code seccomp} as well (EPERM): a later filter's
     * USER_NOTIF or ERRNO would take precedence and hide refused calls from the host. {@link #seccompAllowlist}
     * lists every rule.
     *
     * <p>Consequences for the caller: a refused call blocks until the host answers, so the host must run
     * {@link #superviseDenied} continuously from the moment {@link #receiveListener} returns (if the host closes the
     * listener, refused calls fail with ENOSYS instead). After this call nothing new can be opened: classes the
     * secure world still needs must be loaded before, or come from a jar or the runtime image already open (a
     * directory class path needs {@code open}). If it throws after the first filter is in place (the message says
     * so), the process must exit.
     */
    public static native void installSeccomp(int socketFd);

    /** Host side of {@link #installSeccomp}: receives the one byte and the listener fd it carries; -1 when the secure
     *  world sent the byte {@code 'N'} instead (it failed before installing its filter; a frame saying why follows). */
    public static native int receiveListener(int socketFd);

    /**
     * Host side: waits up to {@code timeoutMillis} (-1: without limit) for a call the filter did not allow, answers
     * it with EPERM and returns its syscall number; {@link #SUPERVISE_TIMEOUT} if none came, {@link #SUPERVISE_GONE}
     * when every task of the secure world has exited (on Linux 6.18 already before the host reaps it). A call whose
     * task is killed while being answered still counts; one withdrawn before it could be read does not.
     */
    public static native int superviseDenied(int listenerFd, int timeoutMillis);

    public static final int SUPERVISE_TIMEOUT = -1;
    public static final int SUPERVISE_GONE = -2;

    /** The rules compiled into both filters, one line per rule, in filter order, for docs/tcb.md and evidence:
     *  {@code "filter 1: clone: allow only if arg0 has CLONE_THREAD - [needed] new threads of this process, ..."}.
     *  Each filter starts with its architecture and x32 checks and ends with its "every other call" line. The tags
     *  in the reasons: [needed] a JVM dies without it, [used] a JVM calls it in normal work, [ours] this library's
     *  own calls; untagged rules are harmless extras. The same tables build the filters, so the lines cannot
     *  drift from them. */
    public static native String[] seccompAllowlist();

    // ---------------------------------------------------------------- processes and descriptors

    /** {@code socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC)}. */
    public static native int[] socketPair();

    /**
     * {@code posix_spawn} of {@code argv[0]} (an absolute path) with exactly {@code env}. {@code fds[i]} becomes
     * descriptor {@code 3 + i} in the child; every other descriptor above 2 is closed there. stdin is /dev/null;
     * stdout and stderr both go to this process's stderr. Returns the child's pid.
     *
     * <p>Sources may be any open descriptors, also ones whose numbers are targets (they are moved through
     * temporaries above all of them). The child starts with an empty signal mask and default signal dispositions.
     * See {@link #harden} for why the calling thread matters.
     */
    public static native int spawn(String[] argv, String[] env, int[] fds);

    /** {@code waitpid}, retrying EINTR: the raw wait status, or -1 if {@code noHang} and the child is still running.
     *  {@code pid} must be > 0 (0 and -1 would reap children of others in this JVM). */
    public static native int waitPid(int pid, boolean noHang);

    /** {@code kill(2)}; {@code pid} must be > 0 (0 and negative pids signal process groups or everything). */
    public static native void kill(int pid, int signal);

    /** {@code read(2)}, retrying EINTR: bytes read, 0 at end of stream. */
    public static native int read(int fd, byte[] buffer, int offset, int length);

    /** {@code write(2)} until all bytes are written, retrying EINTR. On a socket it is {@code send(MSG_NOSIGNAL)},
     *  so a closed peer is an EPIPE exception rather than a SIGPIPE; other descriptors get plain {@code write}. */
    public static native void writeFully(int fd, byte[] buffer, int offset, int length);

    /** {@code shutdown(fd, SHUT_RDWR)}: wakes a thread blocked in {@link #read} on either end. ENOTCONN (already
     *  disconnected) is not an error. */
    public static native void shutdown(int fd);

    /** {@code close(2)}; EINTR counts as closed (Linux releases the descriptor anyway; retrying could close a reused
     *  number). */
    public static native void close(int fd);

    // ---------------------------------------------------------------- shared staging memory (ciphertext only)

    /** {@code memfd_create(name, MFD_CLOEXEC)} sized to {@code size}. */
    public static native int memfdCreate(String name, long size);

    /** {@code mmap(PROT_READ | PROT_WRITE, MAP_SHARED)} of {@code fd}. */
    public static native long mapShared(int fd, long size);

    public static native void unmap(long address, long size);

    // ---------------------------------------------------------------- attack probes (tests and `coffer tee probe`)

    /** Reads {@code /proc/PID/mem} at {@code address} into {@code out}: bytes read, or {@code -errno} of the
     *  failing open or pread (EIO for secret pages, and for unmapped addresses). */
    public static native int readProcessMemory(int pid, long address, byte[] out);

    /**
     * Forks a short-lived child that drops to {@code uid} (unless it is -1), {@code PTRACE_ATTACH}es to {@code pid},
     * reads one word with {@code PTRACE_PEEKDATA} and detaches. Returns {@code {0, word}} on success or
     * {@code {-errno, step}} where step 1 = setresuid, 2 = attach, 3 = peek. (A non-dumpable target, see
     * {@link #harden}, can still be attached by root, which has CAP_SYS_PTRACE; its secret pages still answer EIO.)
     */
    public static native long[] ptracePeek(int pid, long address, int uid);

    /** Like {@link #readProcessMemory} but from a forked child running as {@code uid}: bytes read or -errno. */
    public static native int readProcessMemoryAs(int pid, long address, int length, int uid);
}
