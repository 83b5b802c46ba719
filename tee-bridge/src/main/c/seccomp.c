/* libcoffertee: the secure world's seccomp filters and the host's supervisor of what they refuse.
 *
 * Two filters are built from the two tables below; the same tables produce Native.seccompAllowlist(), so the
 * description cannot drift from what the kernel enforces.
 *
 * Filter 1 (default deny): the calls a running JVM needs pass; every other call is held and sent to the host's
 * user-notification listener, which answers EPERM and so sees every attempt. Filter 2, installed right after the
 * listener was handed to the host, refuses sendmsg and seccomp. With stacked filters the kernel takes the strictest
 * answer (KILL > ERRNO > USER_NOTIF > ALLOW), so filter 1 keeps applying under filter 2.
 *
 * Argument checks compare the low 32 bits only. That is exact for the arguments checked here: prctl's option and
 * seccomp's operation and flags are C ints the kernel truncates to 32 bits, and CLONE_THREAD is bit 16 of clone's
 * flags.
 */
#define _GNU_SOURCE
#include "coffertee.h"
#include "dev_coffer_tee_natives_Native.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

/* x32 calls are x86_64 calls with this bit set in nr; they carry AUDIT_ARCH_X86_64 too. */
#define X32_SYSCALL_BIT 0x40000000u

enum arg_op { ARG_EQ, ARG_HAS_ALL };

struct arg_cond {
    uint8_t arg;       /* argument index 0..5 */
    uint8_t op;        /* enum arg_op */
    uint32_t value;    /* compared with the argument's low 32 bits */
    const char *text;  /* NULL ends the list */
};

struct rule {
    int nr;
    const char *name;
    uint32_t action;            /* SECCOMP_RET_ALLOW or SECCOMP_RET_ERRNO | errno */
    struct arg_cond conds[3];   /* all must hold; several rules for one call act as alternatives */
    const char *why;
};

struct filter {
    const char *label;
    const struct rule *rules;
    size_t count;
    uint32_t otherwise;
    const char *otherwise_why;
};

#define CALL(n) .nr = __NR_##n, .name = #n
#define IF_ARG_EQ(i, v) {.arg = (i), .op = ARG_EQ, .value = (uint32_t)(v), .text = "arg" #i " == " #v}
#define IF_ARG_HAS(i, v) {.arg = (i), .op = ARG_HAS_ALL, .value = (uint32_t)(v), .text = "arg" #i " has " #v}
#define ALLOW SECCOMP_RET_ALLOW
#define FAIL(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

/* Tags in the reasons, from running SeccompEndToEndTest's child JVM (G1 and Serial GC) under reduced lists:
 *   [needed] a JVM dies without it. pread64, rseq and sched_getaffinity were each left out alone (the JVM then
 *            crashed); with exactly the [needed] calls plus this library's own it ran its whole workload.
 *   [used]   the JVM calls it in normal work; left out, it survives, but every call then waits for a round trip
 *            through the host supervisor and fails (G1 retried a refused clock_nanosleep ~100 times in 1 s).
 *   [ours]   this library's own calls (writeFully, installSeccomp).
 *   untagged: not seen in that workload; harmless (no path lookup, no new descriptor or process).
 * Hot calls come first: the filter is a linear scan. */
static const struct rule secure_world_rules[] = {
    {CALL(futex), ALLOW, {{0}}, "[needed] thread parking, monitors, GC and JIT hand-offs"},
    {CALL(read), ALLOW, {{0}}, "[needed] the host channel, descriptors opened before the filter"},
    {CALL(write), ALLOW, {{0}}, "[needed] the host channel, the JVM's own messages on stderr"},
    {CALL(sendto), ALLOW, {{0}},
     "[ours] Native.writeFully's send(MSG_NOSIGNAL): EPIPE, not SIGPIPE, once the host is gone; carries no "
     "descriptor, and no new socket can be made to send to"},
    {CALL(pread64), ALLOW, {{0}}, "[needed] classes from the runtime image (lib/modules), opened before the filter"},
    {CALL(lseek), ALLOW, {{0}}, "positions in descriptors opened before the filter"},
    {CALL(mmap), ALLOW, {{0}}, "[needed] Java heap, thread stacks, code cache, malloc arenas"},
    {CALL(munmap), ALLOW, {{0}}, "[used] releasing thread stacks, malloc arenas, secret memory"},
    {CALL(mprotect), ALLOW, {{0}}, "[needed] stack guard pages, code-cache permissions"},
    {CALL(madvise), ALLOW, {{0}}, "[used] returning freed heap and stack pages to the kernel"},
    {CALL(rt_sigreturn), ALLOW, {{0}},
     "[needed] returning from the JVM's signal handlers (safepoint polls and implicit null checks fault on "
     "purpose)"},
    {CALL(rt_sigprocmask), ALLOW, {{0}}, "[used] pthread_create masks signals around clone"},
    {CALL(sched_yield), ALLOW, {{0}}, "[used] spin-wait back-off"},
    {CALL(sched_getaffinity), ALLOW, {{0}}, "[needed] the JVM counts the CPUs it may use"},
    {CALL(clock_gettime), ALLOW, {{0}}, "time, when the vDSO cannot answer"},
    {CALL(clock_nanosleep), ALLOW, {{0}}, "[used] Thread.sleep, GC worker back-off"},
    {CALL(nanosleep), ALLOW, {{0}}, "short sleeps"},
    {CALL(gettid), ALLOW, {{0}}, "[used] thread ids for the JVM's bookkeeping"},
    {CALL(getrusage), ALLOW, {{0}}, "[used] CPU time accounting (G1)"},
    {CALL(fstat), ALLOW, {{0}}, "status of a descriptor already open (no path lookup)"},
    {CALL(close), ALLOW, {{0}}, "[used] releasing descriptors (new ones cannot be opened)"},
    {CALL(rseq), ALLOW, {{0}}, "[needed] glibc registers restartable sequences in every new thread"},
    {CALL(set_robust_list), ALLOW, {{0}}, "[used] glibc registers robust futexes in every new thread"},
    {CALL(clone), ALLOW, {IF_ARG_HAS(0, CLONE_THREAD)}, "[needed] new threads of this process, never a new process"},
    {CALL(clone3), FAIL(ENOSYS), {{0}},
     "[needed] its flags are in memory a filter cannot read; ENOSYS makes glibc fall back to clone, whose flags "
     "are checked"},
    {CALL(prctl), ALLOW, {IF_ARG_EQ(0, PR_SET_NAME)}, "[used] the JVM names its threads"},
    {CALL(prctl), ALLOW, {IF_ARG_EQ(0, PR_GET_NAME)}, "thread names; no other prctl option (PR_SET_DUMPABLE, ...)"},
    {CALL(exit), ALLOW, {{0}}, "[needed] thread exit"},
    {CALL(exit_group), ALLOW, {{0}}, "[needed] process exit"},
    {CALL(restart_syscall), ALLOW, {{0}}, "resuming a sleep interrupted by a signal or a ptrace stop"},
    {.nr = 447, .name = "memfd_secret", ALLOW, {{0}},
     "[ours] secret memory grows after init (model image, KV cache, activations); it names no path and reaches "
     "nothing outside the process"},
    {CALL(ftruncate), ALLOW, {{0}},
     "[ours] sizing a new memfd_secret before it is mapped; the secure world holds no other writable file "
     "(the staging memfd is closed once mapped, the image jar is read-only)"},
    {CALL(mlock2), ALLOW, {{0}}, "[ours] the weaker fallback secret memory, where the kernel lacks memfd_secret"},
    {CALL(sendmsg), ALLOW, {{0}}, "[ours] only to hand the listener to the host: filter 2 refuses it from then on"},
    {CALL(seccomp), ALLOW, {IF_ARG_EQ(0, SECCOMP_SET_MODE_FILTER), IF_ARG_EQ(1, SECCOMP_FILTER_FLAG_TSYNC)},
     "[ours] only to install filter 2 (a filter can only narrow what passes); filter 2 refuses seccomp from then "
     "on"},
};

static const struct rule after_handover_rules[] = {
    {CALL(sendmsg), FAIL(EPERM), {{0}}, "no descriptor (SCM_RIGHTS) may leave after the listener has"},
    {CALL(seccomp), FAIL(EPERM), {{0}},
     "no later filter may shadow the host: a newer filter's USER_NOTIF (or ERRNO) would take refused calls away "
     "from the supervisor"},
};

static const struct filter filters[] = {
    {"filter 1", secure_world_rules, sizeof secure_world_rules / sizeof secure_world_rules[0],
     SECCOMP_RET_USER_NOTIF, "held until the host supervisor answers (it answers EPERM and counts the attempt)"},
    {"filter 2", after_handover_rules, sizeof after_handover_rules / sizeof after_handover_rules[0],
     SECCOMP_RET_ALLOW, "filter 1 still applies: of all filters the strictest answer wins"},
};

#define PROLOGUE_LINES 2
static const char *const prologue_text[PROLOGUE_LINES] = {
    "any architecture but x86_64: kill the process - i386 (int 0x80) numbers differ and would slip past the rules",
    "x32 calls (nr >= 0x40000000): kill the process - the x32 bit would slip past the rules",
};

/* ------------------------------------------------------------------------------------------------------------ */
/* Compiling a filter                                                                                           */

#define MAX_INSNS 256
#define LD_ABS(off) ((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define RET(v) ((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (v)))
#define JEQ(k, jt, jf) ((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf)))
#define NR_OFFSET offsetof(struct seccomp_data, nr)
#define ARCH_OFFSET offsetof(struct seccomp_data, arch)
/* Low half of a 64-bit argument on little-endian x86_64. */
#define ARG_LO_OFFSET(i) (offsetof(struct seccomp_data, args) + 8 * (size_t)(i))

static size_t cond_count(const struct rule *r) {
    size_t n = 0;
    while (n < sizeof r->conds / sizeof r->conds[0] && r->conds[n].text != NULL) n++;
    return n;
}

/* Returns the number of instructions, or -1 if MAX_INSNS is too small (a programming error, reported). */
static int compile(const struct filter *f, struct sock_filter *out) {
    int n = 0;
#define EMIT(insn)                                                                                                 \
    do {                                                                                                           \
        if (n >= MAX_INSNS) return -1;                                                                             \
        out[n++] = (insn);                                                                                         \
    } while (0)
    EMIT(LD_ABS(ARCH_OFFSET));
    EMIT(JEQ(AUDIT_ARCH_X86_64, 1, 0));
    EMIT(RET(SECCOMP_RET_KILL_PROCESS));
    EMIT(LD_ABS(NR_OFFSET));
    EMIT(((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1)));
    EMIT(RET(SECCOMP_RET_KILL_PROCESS));
    for (size_t i = 0; i < f->count; i++) {
        const struct rule *r = &f->rules[i];
        size_t conds = cond_count(r);
        if (conds == 0) {
            /* A holds nr: jeq nr; ret action. */
            EMIT(JEQ((uint32_t)r->nr, 0, 1));
            EMIT(RET(r->action));
            continue;
        }
        /* Block: [jeq nr] [ld arg; (and mask;) jeq value]... [ret action] [ld nr]. A mismatching nr skips the whole
         * block with A intact; a mismatching argument jumps to the final `ld nr`, which restores A for the next rule
         * (so several rules for one call are alternatives). Every jump is forward and short. */
        size_t len = 1 + 1 + 1; /* jeq nr, ret, ld nr */
        for (size_t c = 0; c < conds; c++) len += r->conds[c].op == ARG_HAS_ALL ? 3 : 2;
        int start = n;
        int reload = start + (int)len - 1;
        EMIT(JEQ((uint32_t)r->nr, 0, (uint8_t)(len - 1)));
        for (size_t c = 0; c < conds; c++) {
            const struct arg_cond *cond = &r->conds[c];
            EMIT(LD_ABS(ARG_LO_OFFSET(cond->arg)));
            if (cond->op == ARG_HAS_ALL) {
                EMIT(((struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, cond->value)));
            }
            /* jf counts from the next instruction to `ld nr`. */
            uint8_t to_reload = (uint8_t)(reload - n - 1);
            EMIT(JEQ(cond->value, 0, to_reload));
        }
        EMIT(RET(r->action));
        EMIT(LD_ABS(NR_OFFSET));
    }
    EMIT(RET(f->otherwise));
#undef EMIT
    return n;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Describing a filter                                                                                          */

static void action_text(uint32_t action, char *out, size_t cap) {
    switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW: snprintf(out, cap, "allow"); break;
    case SECCOMP_RET_USER_NOTIF: snprintf(out, cap, "ask the host"); break;
    case SECCOMP_RET_KILL_PROCESS: snprintf(out, cap, "kill the process"); break;
    case SECCOMP_RET_ERRNO: {
        const char *name = strerrorname_np((int)(action & SECCOMP_RET_DATA));
        snprintf(out, cap, "fail with %s", name ? name : "an errno");
        break;
    }
    default: snprintf(out, cap, "action 0x%08x", action); break;
    }
}

static size_t line_count(void) {
    size_t lines = 0;
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) lines += PROLOGUE_LINES + filters[i].count + 1;
    return lines;
}

/* Line `index` of the description (0 <= index < line_count()), in the order of the compiled filters. */
static void describe_line(size_t index, char *out, size_t cap) {
    char action[64];
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        const struct filter *f = &filters[i];
        if (index < PROLOGUE_LINES) {
            snprintf(out, cap, "%s: %s", f->label, prologue_text[index]);
            return;
        }
        index -= PROLOGUE_LINES;
        if (index < f->count) {
            const struct rule *r = &f->rules[index];
            action_text(r->action, action, sizeof action);
            int n = snprintf(out, cap, "%s: %s: %s", f->label, r->name, action);
            size_t conds = cond_count(r);
            for (size_t c = 0; c < conds && n >= 0 && (size_t)n < cap; c++) {
                n += snprintf(out + n, cap - (size_t)n, "%s%s", c == 0 ? " only if " : " and ", r->conds[c].text);
            }
            if (n >= 0 && (size_t)n < cap) snprintf(out + n, cap - (size_t)n, " - %s", r->why);
            return;
        }
        index -= f->count;
        if (index == 0) {
            action_text(f->otherwise, action, sizeof action);
            snprintf(out, cap, "%s: every other call: %s - %s", f->label, action, f->otherwise_why);
            return;
        }
        index -= 1;
    }
    snprintf(out, cap, "?");
}

JNIEXPORT jobjectArray JNICALL Java_dev_coffer_tee_natives_Native_seccompAllowlist(JNIEnv *env, jclass cls) {
    (void)cls;
    size_t lines = line_count();
    jobjectArray result = (*env)->NewObjectArray(env, (jsize)lines, ct_string_class(), NULL);
    if (result == NULL) return NULL;
    char line[512];
    for (size_t i = 0; i < lines; i++) {
        describe_line(i, line, sizeof line);
        jstring s = (*env)->NewStringUTF(env, line); /* the tables are ASCII */
        if (s == NULL) return NULL;
        (*env)->SetObjectArrayElement(env, result, (jsize)i, s);
        (*env)->DeleteLocalRef(env, s);
    }
    return result;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Installing (secure world)                                                                                    */

/* Sends the byte 'S' carrying `fd` as SCM_RIGHTS; 0 or an errno. */
static int send_listener(int sock, int fd) {
    char byte = 'S';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr header;
        char bytes[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                         .msg_controllen = sizeof control.bytes};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t n;
    do {
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    return n == 1 ? 0 : EIO;
}

static const char *install_hint(int err) {
    switch (err) {
    case EACCES: return "no PR_SET_NO_NEW_PRIVS on this thread and no CAP_SYS_ADMIN";
    case ESRCH: return "another thread could not be synchronised to the filter (it has a different seccomp state)";
    case EBUSY: return "a filter with a listener is installed already (was installSeccomp called twice?)";
    case EINVAL: return "the kernel rejects the flags or program (NEW_LISTENER with TSYNC_ESRCH needs Linux 5.7)";
    case EPERM: return "refused by a seccomp filter already in place (installSeccomp ran before?)";
    default: return "cannot install the filter";
    }
}

JNIEXPORT void JNICALL Java_dev_coffer_tee_natives_Native_installSeccomp(JNIEnv *env, jclass cls, jint socketFd) {
    (void)cls;
    int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    if (nnp < 0) {
        ct_throw_errno(env, "prctl(PR_GET_NO_NEW_PRIVS)", errno, NULL);
        return;
    }
    if (nnp != 1) {
        ct_throw_errno(env, "installSeccomp", EPERM,
                       "PR_SET_NO_NEW_PRIVS is not set on this thread: call Native.harden on the thread that "
                       "installs the filter (no_new_privs is per thread; the filter's TSYNC copies it to the "
                       "others)");
        return;
    }
    struct sock_filter program[2][MAX_INSNS];
    struct sock_fprog prog[2];
    for (int i = 0; i < 2; i++) {
        int n = compile(&filters[i], program[i]);
        if (n < 0) {
            ct_throw_errno(env, "installSeccomp", E2BIG, "%s does not fit %d instructions", filters[i].label,
                           MAX_INSNS);
            return;
        }
        prog[i].len = (unsigned short)n;
        prog[i].filter = program[i];
    }

    /* TSYNC: every thread of the JVM, not just this one. TSYNC_ESRCH: report a failed sync as -ESRCH, because the
     * return value is taken by the listener descriptor (NEW_LISTENER). */
    long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                            SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
                                SECCOMP_FILTER_FLAG_NEW_LISTENER,
                            &prog[0]);
    if (listener < 0) {
        int err = errno;
        ct_throw_errno(env, "seccomp(SECCOMP_SET_MODE_FILTER)", err, "%s", install_hint(err));
        return;
    }
    /* From here on filter 1 holds every thread. Whatever happens, filter 2 goes in before returning, so that no
     * descriptor can leave later. */
    int send_err = send_listener(socketFd, (int)listener);
    close((int)listener); /* the host holds it now (or nobody: refused calls then fail with ENOSYS) */
    long second = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog[1]);
    int second_err = errno;
    if (send_err != 0) {
        ct_throw_errno(env, "sendmsg", send_err,
                       "cannot hand the seccomp listener to the host over fd %d; filter 1 is in place without a "
                       "supervisor (refused calls now fail with ENOSYS): end this process", socketFd);
        return;
    }
    if (second != 0) {
        if (second > 0) {
            ct_throw_errno(env, "seccomp(SECCOMP_SET_MODE_FILTER)", ESRCH,
                           "thread %ld could not be synchronised to filter 2; sendmsg is still allowed: end this "
                           "process", second);
        } else {
            ct_throw_errno(env, "seccomp(SECCOMP_SET_MODE_FILTER)", second_err,
                           "filter 2 not installed, sendmsg is still allowed: end this process");
        }
    }
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Supervising (host)                                                                                           */

JNIEXPORT jint JNICALL Java_dev_coffer_tee_natives_Native_receiveListener(JNIEnv *env, jclass cls, jint socketFd) {
    (void)cls;
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr header;
        char bytes[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                         .msg_controllen = sizeof control.bytes};
    ssize_t n;
    do {
        n = recvmsg(socketFd, &msg, MSG_CMSG_CLOEXEC); /* CLOEXEC atomically: other host threads may spawn */
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        ct_throw_errno(env, "recvmsg", errno, "cannot receive the seccomp listener over fd %d", socketFd);
        return -1;
    }
    int fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
        }
    }
    if (n == 0) {
        ct_throw_errno(env, "recvmsg", 0,
                       "the secure world closed fd %d before sending its seccomp listener (did it exit? see its "
                       "stderr)", socketFd);
        return -1;
    }
    if (msg.msg_flags & MSG_CTRUNC) {
        if (fd >= 0) close(fd);
        ct_throw_errno(env, "recvmsg", 0, "more than the one listener descriptor was sent; all were dropped");
        return -1;
    }
    if (fd < 0 && byte == 'N') {
        return -1; /* the secure world failed before its filter: a RETURN frame saying why follows */
    }
    if (fd < 0) {
        ct_throw_errno(env, "recvmsg", 0, "the secure world's byte 0x%02x carried no descriptor",
                       (unsigned char)byte);
        return -1;
    }
    if (byte != 'S') {
        close(fd);
        ct_throw_errno(env, "recvmsg", 0, "expected the byte 'S' with the seccomp listener, got 0x%02x",
                       (unsigned char)byte);
        return -1;
    }
    return fd;
}

static long long now_millis(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The kernel copies its own sizeof(struct seccomp_notif) on RECV, which may be larger than this header's: buffers
 * are sized from SECCOMP_GET_NOTIF_SIZES (asked once; racing threads store the same values). */
static struct seccomp_notif_sizes notif_sizes;
static int notif_sizes_known;

#define NOTIF_BUFFER 512

JNIEXPORT jint JNICALL Java_dev_coffer_tee_natives_Native_superviseDenied(JNIEnv *env, jclass cls, jint listenerFd,
                                                                         jint timeoutMillis) {
    (void)cls;
    if (timeoutMillis < -1) {
        ct_throw_iae(env, "superviseDenied: timeoutMillis %d must be >= 0, or -1 to wait without limit",
                     timeoutMillis);
        return 0;
    }
    if (!__atomic_load_n(&notif_sizes_known, __ATOMIC_ACQUIRE)) {
        struct seccomp_notif_sizes sizes;
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
            ct_throw_errno(env, "seccomp(SECCOMP_GET_NOTIF_SIZES)", errno, "needs Linux 5.0");
            return 0;
        }
        notif_sizes = sizes;
        __atomic_store_n(&notif_sizes_known, 1, __ATOMIC_RELEASE);
    }
    if (notif_sizes.seccomp_notif > NOTIF_BUFFER || notif_sizes.seccomp_notif_resp > NOTIF_BUFFER) {
        ct_throw_errno(env, "seccomp(SECCOMP_GET_NOTIF_SIZES)", E2BIG,
                       "the kernel's notification (%u bytes) or response (%u bytes) exceeds %d bytes",
                       notif_sizes.seccomp_notif, notif_sizes.seccomp_notif_resp, NOTIF_BUFFER);
        return 0;
    }
    _Alignas(8) unsigned char notif_buffer[NOTIF_BUFFER];
    _Alignas(8) unsigned char resp_buffer[NOTIF_BUFFER];
    struct seccomp_notif *notif = (struct seccomp_notif *)notif_buffer;
    struct seccomp_notif_resp *resp = (struct seccomp_notif_resp *)resp_buffer;

    long long deadline = timeoutMillis < 0 ? 0 : now_millis() + timeoutMillis;
    for (;;) {
        int wait = -1;
        if (timeoutMillis >= 0) {
            long long left = deadline - now_millis();
            wait = left > 0 ? (int)left : 0;
        }
        struct pollfd p = {.fd = listenerFd, .events = POLLIN};
        int r = poll(&p, 1, wait);
        if (r < 0) {
            if (errno == EINTR) continue;
            ct_throw_errno(env, "poll", errno, "on seccomp listener fd %d", listenerFd);
            return 0;
        }
        if (r == 0) return dev_coffer_tee_natives_Native_SUPERVISE_TIMEOUT;
        if (p.revents & POLLNVAL) {
            ct_throw_errno(env, "poll", EBADF, "fd %d is not open", listenerFd);
            return 0;
        }
        if (p.revents & POLLIN) {
            memset(notif_buffer, 0, sizeof notif_buffer); /* RECV insists on a zeroed buffer */
            if (ioctl(listenerFd, SECCOMP_IOCTL_NOTIF_RECV, notif) != 0) {
                int err = errno;
                /* ENOENT: the asking task was killed between poll and RECV; look again (POLLHUP if it was the
                 * last one). Not GONE by itself: other tasks may still be running. */
                if (err == EINTR || err == ENOENT) continue;
                ct_throw_errno(env, "ioctl(SECCOMP_IOCTL_NOTIF_RECV)", err, "on listener fd %d", listenerFd);
                return 0;
            }
            memset(resp_buffer, 0, sizeof resp_buffer);
            resp->id = notif->id;
            resp->val = 0;
            resp->error = -EPERM;
            resp->flags = 0; /* never SECCOMP_USER_NOTIF_FLAG_CONTINUE */
            while (ioctl(listenerFd, SECCOMP_IOCTL_NOTIF_SEND, resp) != 0) {
                int err = errno;
                if (err == EINTR) continue;
                if (err == ENOENT) break; /* the task died meanwhile: the attempt still counts */
                ct_throw_errno(env, "ioctl(SECCOMP_IOCTL_NOTIF_SEND)", err, "on listener fd %d", listenerFd);
                return 0;
            }
            return notif->data.nr;
        }
        /* No task uses the filter any more: every one has exited (on Linux 6.18 already while the last one is a
         * zombie, before its parent reaps it). */
        if (p.revents & (POLLHUP | POLLERR)) return dev_coffer_tee_natives_Native_SUPERVISE_GONE;
    }
}
