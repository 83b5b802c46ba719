/* libcoffertee: the JNI side of tee-bridge (see dev.coffer.tee.natives.Native, whose javadoc is the contract).
 *
 * This file: library setup and error reporting, secret memory, RLIMIT_MEMLOCK and CAP_IPC_LOCK, hardening of the
 * secure world, descriptors and the shared staging memory. seccomp.c has the filter and its supervisor, spawn.c
 * process creation, probes.c the attack probes.
 */
#define _GNU_SOURCE
#include "coffertee.h"
#include "dev_coffer_tee_natives_Native.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447 /* x86_64; glibc headers older than Linux 5.14 lack it */
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

/* Secret bytes cross between the Java heap and a descriptor through malloc'd buffers of at most this size
 * (zeroized before free), never through the C stack. */
#define IO_CHUNK (64 * 1024)

/* ------------------------------------------------------------------------------------------------------------ */
/* Setup and errors                                                                                             */

static jclass native_call_exception;
static jmethodID native_call_exception_init;
static jclass illegal_argument_exception;
static jclass string_class;
static long page_size;

static jclass global_class(JNIEnv *env, const char *name) {
    jclass local = (*env)->FindClass(env, name);
    if (local == NULL) return NULL;
    jclass global = (*env)->NewGlobalRef(env, local);
    (*env)->DeleteLocalRef(env, local);
    return global;
}

/* The exception classes are resolved once, here: in the secure world errors are thrown after the seccomp filter
 * is in place, when loading a class from a directory class path would need open(2), which the filter denies. */
JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)reserved;
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;
    native_call_exception = global_class(env, "dev/coffer/tee/natives/NativeCallException");
    if (native_call_exception == NULL) return JNI_ERR;
    native_call_exception_init = (*env)->GetMethodID(env, native_call_exception, "<init>",
                                                     "(Ljava/lang/String;ILjava/lang/String;)V");
    if (native_call_exception_init == NULL) return JNI_ERR;
    illegal_argument_exception = global_class(env, "java/lang/IllegalArgumentException");
    if (illegal_argument_exception == NULL) return JNI_ERR;
    string_class = global_class(env, "java/lang/String");
    if (string_class == NULL) return JNI_ERR;
    page_size = sysconf(_SC_PAGESIZE);
    if (page_size <= 0) return JNI_ERR;
    return JNI_VERSION_1_8;
}

jclass ct_string_class(void) { return string_class; }

long ct_page_size(void) { return page_size; }

void ct_throw_errno(JNIEnv *env, const char *call, int err, const char *fmt, ...) {
    /* Messages are built from constants and numbers only, never from secret data. */
    char msg[1024];
    int n;
    if (err == 0) { /* a protocol failure rather than a failing call, e.g. end of stream */
        n = snprintf(msg, sizeof msg, "no errno");
    } else {
        const char *name = strerrorname_np(err);
        const char *desc = strerrordesc_np(err);
        n = snprintf(msg, sizeof msg, "%s (%s)", name ? name : "unknown errno", desc ? desc : "no description");
    }
    if (fmt != NULL && n >= 0 && (size_t)n < sizeof msg - 2) {
        msg[n++] = ':';
        msg[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
        va_end(ap);
    }
    jstring jcall = (*env)->NewStringUTF(env, call);
    if (jcall == NULL) return; /* OutOfMemoryError pending */
    jstring jmsg = (*env)->NewStringUTF(env, msg);
    if (jmsg == NULL) return;
    jobject ex = (*env)->NewObject(env, native_call_exception, native_call_exception_init, jcall, (jint)err, jmsg);
    if (ex == NULL) return;
    (*env)->Throw(env, (jthrowable)ex);
}

void ct_throw_iae(JNIEnv *env, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    (*env)->ThrowNew(env, illegal_argument_exception, msg);
}

static void format_limit(char *out, size_t cap, rlim_t value) {
    if (value == RLIM_INFINITY) {
        snprintf(out, cap, "unlimited");
    } else {
        snprintf(out, cap, "%llu bytes", (unsigned long long)value);
    }
}

void ct_throw_memlock(JNIEnv *env, const char *call, int err, long long bytes) {
    struct rlimit rl;
    char soft[48] = "unknown", hard[48] = "unknown";
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
        format_limit(soft, sizeof soft, rl.rlim_cur);
        format_limit(hard, sizeof hard, rl.rlim_max);
    }
    ct_throw_errno(env, call, err,
                   "locking %lld bytes of secret memory is refused under RLIMIT_MEMLOCK (soft %s, hard %s; memory "
                   "this process already locked counts too)%s. Raise the limit for the service: `ulimit -l "
                   "unlimited` (or a size in KiB) in the shell that starts it, LimitMEMLOCK=infinity in its systemd "
                   "unit, `docker run --ulimit memlock=-1:-1`, or grant it CAP_IPC_LOCK",
                   bytes, soft, hard, err == ENOMEM ? ", or the machine is out of memory" : "");
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Secret memory                                                                                                */

static int is_memlock_errno(int err) { return err == EAGAIN || err == ENOMEM || err == EPERM; }

JNIEXPORT jlongArray JNICALL Java_dev_coffer_tee_natives_Native_secretMap(JNIEnv *env, jclass cls, jlong size,
                                                                         jint policy) {
    (void)cls;
    if (size <= 0 || size % page_size != 0) {
        ct_throw_iae(env, "secretMap: size %lld is not a positive multiple of the page size (%ld bytes)",
                     (long long)size, page_size);
        return NULL;
    }
    /* Allocated first so that running out of heap cannot leak a mapping. */
    jlongArray result = (*env)->NewLongArray(env, 2);
    if (result == NULL) return NULL;

    void *address;
    jlong mode;
    /* O_CLOEXEC: the descriptor lives only until mmap, but another JVM thread may spawn a process meanwhile. */
    /* policy: 0 = memfd_secret only, 1 = memfd_secret else mlock, 2 = mlock only (Native.secretMap) */
    int fd = policy == 2 ? -1 : (int)syscall(SYS_memfd_secret, O_CLOEXEC);
    if (fd >= 0) {
        if (ftruncate(fd, (off_t)size) != 0) {
            int err = errno;
            close(fd);
            ct_throw_errno(env, "ftruncate(memfd_secret)", err, "cannot size the secret memory to %lld bytes",
                           (long long)size);
            return NULL;
        }
        /* The kernel checks RLIMIT_MEMLOCK here (secret pages are locked) and fails with EAGAIN. */
        address = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        int err = errno;
        close(fd); /* the mapping keeps the memory; no descriptor to it should outlive this call */
        if (address == MAP_FAILED) {
            if (is_memlock_errno(err)) {
                ct_throw_memlock(env, "mmap(memfd_secret)", err, (long long)size);
            } else {
                ct_throw_errno(env, "mmap(memfd_secret)", err, "cannot map %lld bytes of secret memory",
                               (long long)size);
            }
            return NULL;
        }
        mode = dev_coffer_tee_natives_Native_MODE_MEMFD_SECRET;
    } else {
        int err = policy == 2 ? ENOSYS : errno;
        /* ENOSYS: not built or not enabled (secretmem.enable=0, or no direct map to remove pages from);
         * EINVAL: refused on kernels where the switch is reported that way. Anything else is a real failure. */
        if (err != ENOSYS && err != EINVAL) {
            if (err == EMFILE || err == ENFILE) {
                ct_throw_errno(env, "memfd_secret", err, "no descriptor left to create secret memory");
            } else {
                ct_throw_errno(env, "memfd_secret", err, "cannot create secret memory");
            }
            return NULL;
        }
        if (policy == 0) {
            ct_throw_errno(env, "memfd_secret", err,
                           "this kernel offers no secret memory (needs CONFIG_SECRETMEM, and secretmem.enable=1 "
                           "on the kernel command line before Linux 6.5); the fallback to mlocked memory was not "
                           "allowed");
            return NULL;
        }
        address = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (address == MAP_FAILED) {
            ct_throw_errno(env, "mmap", errno, "cannot map %lld bytes of anonymous memory", (long long)size);
            return NULL;
        }
        /* MLOCK_ONFAULT keeps the mapping unpopulated (as the contract says) while still checking RLIMIT_MEMLOCK for
         * the whole size now; pages are locked as they are first touched. */
        if (mlock2(address, (size_t)size, MLOCK_ONFAULT) != 0) {
            err = errno;
            munmap(address, (size_t)size);
            if (is_memlock_errno(err)) {
                ct_throw_memlock(env, "mlock2", err, (long long)size);
            } else {
                ct_throw_errno(env, "mlock2", err, "cannot lock the fallback secret memory");
            }
            return NULL;
        }
        /* Not in core dumps, and a forked child sees zeros instead of the secrets. */
        if (madvise(address, (size_t)size, MADV_DONTDUMP) != 0) {
            err = errno;
            munmap(address, (size_t)size);
            ct_throw_errno(env, "madvise(MADV_DONTDUMP)", err, "cannot exclude secret memory from core dumps");
            return NULL;
        }
        if (madvise(address, (size_t)size, MADV_WIPEONFORK) != 0) {
            err = errno;
            munmap(address, (size_t)size);
            ct_throw_errno(env, "madvise(MADV_WIPEONFORK)", err,
                           "cannot make secret memory wipe on fork (needs Linux 4.14)");
            return NULL;
        }
        mode = dev_coffer_tee_natives_Native_MODE_MLOCKED;
    }
    jlong values[2] = {(jlong)(uintptr_t)address, mode};
    (*env)->SetLongArrayRegion(env, result, 0, 2, values);
    return result;
}

JNIEXPORT void JNICALL Java_dev_coffer_tee_natives_Native_secretUnmap(JNIEnv *env, jclass cls, jlong address,
                                                                     jlong size, jlong bytesToZero) {
    (void)cls;
    if (address == 0 || address % page_size != 0 || size <= 0 || bytesToZero < 0 || bytesToZero > size) {
        ct_throw_iae(env, "secretUnmap: need a page-aligned address, size > 0 and 0 <= bytesToZero <= size "
                          "(address 0x%llx, size %lld, bytesToZero %lld)",
                     (unsigned long long)address, (long long)size, (long long)bytesToZero);
        return;
    }
    explicit_bzero((void *)(uintptr_t)address, (size_t)bytesToZero);
    if (munmap((void *)(uintptr_t)address, (size_t)size) != 0) {
        ct_throw_errno(env, "munmap", errno, "cannot unmap secret memory at 0x%llx (%lld bytes)",
                       (unsigned long long)address, (long long)size);
    }
}

JNIEXPORT void JNICALL Java_dev_coffer_tee_natives_Native_populate(JNIEnv *env, jclass cls, jlong address,
                                                                  jlong size) {
    (void)cls;
    if (address == 0 || size < 0) {
        ct_throw_iae(env, "populate: need a non-zero address and size >= 0 (address 0x%llx, size %lld)",
                     (unsigned long long)address, (long long)size);
        return;
    }
    /* Secret memory has no MAP_POPULATE and MADV_POPULATE_WRITE fails with EINVAL on it: a write fault per page is
     * the only way in. An atomic OR with 0 is a write that keeps the byte, even against a concurrent writer to the
     * same page, and (being volatile) cannot be optimised away. */
    uintptr_t p = (uintptr_t)address;
    uintptr_t end = p + (uintptr_t)size;
    uintptr_t mask = (uintptr_t)page_size - 1;
    while (p < end) {
        __atomic_fetch_or((volatile unsigned char *)p, (unsigned char)0, __ATOMIC_RELAXED);
        p = (p & ~mask) + (uintptr_t)page_size;
    }
}

static jlong limit_to_java(rlim_t value) { return value == RLIM_INFINITY ? -1 : (jlong)value; }

JNIEXPORT jlongArray JNICALL Java_dev_coffer_tee_natives_Native_memlockLimit(JNIEnv *env, jclass cls) {
    (void)cls;
    struct rlimit rl;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) {
        ct_throw_errno(env, "getrlimit(RLIMIT_MEMLOCK)", errno, NULL);
        return NULL;
    }
    jlongArray result = (*env)->NewLongArray(env, 2);
    if (result == NULL) return NULL;
    jlong values[2] = {limit_to_java(rl.rlim_cur), limit_to_java(rl.rlim_max)};
    (*env)->SetLongArrayRegion(env, result, 0, 2, values);
    return result;
}

JNIEXPORT jlong JNICALL Java_dev_coffer_tee_natives_Native_raiseMemlockLimit(JNIEnv *env, jclass cls,
                                                                            jlong wanted) {
    (void)cls;
    if (wanted < -1) {
        ct_throw_iae(env, "raiseMemlockLimit: wanted %lld must be >= 0 bytes, or -1 for unlimited",
                     (long long)wanted);
        return 0;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0) {
        ct_throw_errno(env, "getrlimit(RLIMIT_MEMLOCK)", errno, NULL);
        return 0;
    }
    /* RLIM_INFINITY is the largest rlim_t, so plain comparisons order "unlimited" last. */
    rlim_t target = wanted == -1 ? RLIM_INFINITY : (rlim_t)wanted;
    if (target > rl.rlim_max) target = rl.rlim_max;
    if (rl.rlim_cur >= target) return limit_to_java(rl.rlim_cur); /* never lowers */
    rl.rlim_cur = target;
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) {
        ct_throw_errno(env, "setrlimit(RLIMIT_MEMLOCK)", errno, "cannot raise the soft limit to %lld bytes",
                       (long long)target);
        return 0;
    }
    return limit_to_java(target);
}

JNIEXPORT jboolean JNICALL Java_dev_coffer_tee_natives_Native_hasIpcLockCapability(JNIEnv *env, jclass cls) {
    (void)cls;
    /* The raw capget(2) call: one syscall is not worth a dependency on libcap. */
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &header, data) != 0) {
        ct_throw_errno(env, "capget", errno, "cannot read this process's capabilities");
        return JNI_FALSE;
    }
    return (data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective & CAP_TO_MASK(CAP_IPC_LOCK)) ? JNI_TRUE : JNI_FALSE;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Hardening                                                                                                    */

JNIEXPORT void JNICALL Java_dev_coffer_tee_natives_Native_harden(JNIEnv *env, jclass cls, jint expectedParentPid) {
    (void)cls;
    /* Not dumpable: no core dump, /proc/PID/{mem,maps,environ} and ptrace need CAP_SYS_PTRACE. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        ct_throw_errno(env, "prctl(PR_SET_DUMPABLE)", errno, NULL);
        return;
    }
    /* Belt and braces for core dumps: dumpable returns to 1 on execve and to fs.suid_dumpable on a credential
     * change, while RLIMIT_CORE 0 survives both. */
    struct rlimit zero = {0, 0};
    if (setrlimit(RLIMIT_CORE, &zero) != 0) {
        ct_throw_errno(env, "setrlimit(RLIMIT_CORE)", errno, NULL);
        return;
    }
    /* No exec can gain privileges, and it is what lets an unprivileged process install a seccomp filter. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        ct_throw_errno(env, "prctl(PR_SET_NO_NEW_PRIVS)", errno, NULL);
        return;
    }
    /* The secure world must not outlive the host. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
        ct_throw_errno(env, "prctl(PR_SET_PDEATHSIG)", errno, NULL);
        return;
    }
    /* The parent may have died before the death signal was armed: then nobody would ever send it. 70 = EX_SOFTWARE;
     * _exit because there is no host left to report to and shutdown hooks have nothing to do. */
    if (getppid() != expectedParentPid) _exit(70);
}

JNIEXPORT jboolean JNICALL Java_dev_coffer_tee_natives_Native_isDumpable(JNIEnv *env, jclass cls) {
    (void)cls;
    int r = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    if (r < 0) {
        ct_throw_errno(env, "prctl(PR_GET_DUMPABLE)", errno, NULL);
        return JNI_FALSE;
    }
    return r != 0 ? JNI_TRUE : JNI_FALSE;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Descriptors                                                                                                  */

JNIEXPORT jintArray JNICALL Java_dev_coffer_tee_natives_Native_socketPair(JNIEnv *env, jclass cls) {
    (void)cls;
    jintArray result = (*env)->NewIntArray(env, 2);
    if (result == NULL) return NULL;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        ct_throw_errno(env, "socketpair", errno, NULL);
        return NULL;
    }
    jint values[2] = {sv[0], sv[1]};
    (*env)->SetIntArrayRegion(env, result, 0, 2, values);
    return result;
}

/* Checks [offset, offset + length) lies within buffer; throws and returns 0 otherwise. */
static int check_range(JNIEnv *env, const char *what, jbyteArray buffer, jint offset, jint length) {
    if (buffer == NULL) {
        ct_throw_iae(env, "%s: buffer is null", what);
        return 0;
    }
    jsize capacity = (*env)->GetArrayLength(env, buffer);
    if (offset < 0 || length < 0 || offset > capacity - length) {
        ct_throw_iae(env, "%s: offset %d and length %d do not fit a buffer of %d bytes", what, offset, length,
                     capacity);
        return 0;
    }
    return 1;
}

static const char *fd_hint(int err) {
    switch (err) {
    case EBADF: return "not an open descriptor (closed already?)";
    case EPIPE: return "the other end is closed (its process exited?)";
    case ECONNRESET: return "the other end was closed with data unread (its process exited?)";
    default: return "I/O on the descriptor failed";
    }
}

JNIEXPORT jint JNICALL Java_dev_coffer_tee_natives_Native_read(JNIEnv *env, jclass cls, jint fd, jbyteArray buffer,
                                                              jint offset, jint length) {
    (void)cls;
    if (!check_range(env, "read", buffer, offset, length)) return 0;
    if (length == 0) return 0;
    /* Not GetPrimitiveArrayCritical: read may block for long, and a critical section must not. */
    size_t chunk = length < IO_CHUNK ? (size_t)length : IO_CHUNK;
    unsigned char *tmp = malloc(chunk);
    if (tmp == NULL) {
        ct_throw_errno(env, "malloc", ENOMEM, "no memory for a %zu-byte read buffer", chunk);
        return 0;
    }
    ssize_t n;
    do {
        n = read(fd, tmp, chunk);
    } while (n < 0 && errno == EINTR);
    int err = errno;
    if (n > 0) (*env)->SetByteArrayRegion(env, buffer, offset, (jsize)n, (const jbyte *)tmp);
    explicit_bzero(tmp, chunk);
    free(tmp);
    if (n < 0) {
        ct_throw_errno(env, "read", err, "fd %d: %s", fd, fd_hint(err));
        return 0;
    }
    return (jint)n;
}

JNIEXPORT void JNICALL Java_dev_coffer_tee_natives_Native_writeFully(JNIEnv *env, jclass cls, jint fd,
                                                                    jbyteArray buffer, jint offset, jint length) {
    (void)cls;
    if (!check_range(env, "writeFully", buffer, offset, length)) return;
    if (length == 0) return;
    size_t chunk = length < IO_CHUNK ? (size_t)length : IO_CHUNK;
    unsigned char *tmp = malloc(chunk);
    if (tmp == NULL) {
        ct_throw_errno(env, "malloc", ENOMEM, "no memory for a %zu-byte write buffer", chunk);
        return;
    }
    /* send(MSG_NOSIGNAL) turns a dead peer into EPIPE instead of SIGPIPE without touching the JVM's signal
     * dispositions; descriptors that are not sockets (pipes, files) get plain write after the first ENOTSOCK. */
    int use_write = 0;
    jint written = 0;
    while (written < length) {
        size_t n = (size_t)(length - written) < chunk ? (size_t)(length - written) : chunk;
        (*env)->GetByteArrayRegion(env, buffer, offset + written, (jsize)n, (jbyte *)tmp);
        size_t done = 0;
        while (done < n) {
            ssize_t w = use_write ? write(fd, tmp + done, n - done) : send(fd, tmp + done, n - done, MSG_NOSIGNAL);
            if (w >= 0) {
                done += (size_t)w;
                continue;
            }
            int err = errno;
            if (err == EINTR) continue;
            if (err == ENOTSOCK && !use_write) {
                use_write = 1;
                continue;
            }
            if (err == EAGAIN || err == EWOULDBLOCK) { /* a non-blocking descriptor: wait until it drains */
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                if (poll(&p, 1, -1) >= 0 || errno == EINTR) continue;
                err = errno;
            }
            explicit_bzero(tmp, chunk);
            free(tmp);
            ct_throw_errno(env, use_write ? "write" : "send", err, "fd %d after %lld of %d bytes: %s", fd,
                           (long long)written + (long long)done, length, fd_hint(err));
            return;
        }
        written += (jint)n;
    }
    explicit_bzero(tmp, chunk);
    free(tmp);
}

JNIEXPORT void JNICALL Java_dev_coffer_tee_natives_Native_shutdown(JNIEnv *env, jclass cls, jint fd) {
    (void)cls;
    /* ENOTCONN: already disconnected, which is what was asked for. */
    if (shutdown(fd, SHUT_RDWR) != 0 && errno != ENOTCONN) {
        ct_throw_errno(env, "shutdown", errno, "fd %d: %s", fd, fd_hint(errno));
    }
}

JNIEXPORT void JNICALL Java_dev_coffer_tee_natives_Native_close(JNIEnv *env, jclass cls, jint fd) {
    (void)cls;
    /* On Linux the descriptor is released even when close reports EINTR; retrying could close a reused number. */
    if (close(fd) != 0 && errno != EINTR) {
        ct_throw_errno(env, "close", errno, "fd %d: %s", fd, fd_hint(errno));
    }
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Shared staging memory (ciphertext only)                                                                      */

JNIEXPORT jint JNICALL Java_dev_coffer_tee_natives_Native_memfdCreate(JNIEnv *env, jclass cls, jstring name,
                                                                     jlong size) {
    (void)cls;
    if (name == NULL || size < 0) {
        ct_throw_iae(env, "memfdCreate: need a name and size >= 0 (size %lld)", (long long)size);
        return -1;
    }
    const char *cname = (*env)->GetStringUTFChars(env, name, NULL);
    if (cname == NULL) return -1;
    int fd = memfd_create(cname, MFD_CLOEXEC);
    int err = errno;
    (*env)->ReleaseStringUTFChars(env, name, cname);
    if (fd < 0) {
        ct_throw_errno(env, "memfd_create", err, err == EINVAL ? "the name is longer than 249 bytes" : NULL);
        return -1;
    }
    if (ftruncate(fd, (off_t)size) != 0) {
        err = errno;
        close(fd);
        ct_throw_errno(env, "ftruncate(memfd)", err, "cannot size the staging memory to %lld bytes",
                       (long long)size);
        return -1;
    }
    return fd;
}

JNIEXPORT jlong JNICALL Java_dev_coffer_tee_natives_Native_mapShared(JNIEnv *env, jclass cls, jint fd,
                                                                    jlong size) {
    (void)cls;
    if (size <= 0) {
        ct_throw_iae(env, "mapShared: size %lld must be > 0", (long long)size);
        return 0;
    }
    void *address = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (address == MAP_FAILED) {
        ct_throw_errno(env, "mmap", errno, "cannot map %lld bytes of fd %d shared", (long long)size, fd);
        return 0;
    }
    return (jlong)(uintptr_t)address;
}

JNIEXPORT void JNICALL Java_dev_coffer_tee_natives_Native_unmap(JNIEnv *env, jclass cls, jlong address,
                                                               jlong size) {
    (void)cls;
    if (address == 0 || address % page_size != 0 || size <= 0) {
        ct_throw_iae(env, "unmap: need a page-aligned address and size > 0 (address 0x%llx, size %lld)",
                     (unsigned long long)address, (long long)size);
        return;
    }
    if (munmap((void *)(uintptr_t)address, (size_t)size) != 0) {
        ct_throw_errno(env, "munmap", errno, "cannot unmap 0x%llx (%lld bytes)", (unsigned long long)address,
                       (long long)size);
    }
}
