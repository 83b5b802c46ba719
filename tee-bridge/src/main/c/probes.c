/* libcoffertee: attack probes. They try what an attacker on the host would try against the secure world (read its
 * memory through /proc/PID/mem, or ptrace it) and report how the kernel answered; tests and `coffer tee probe` use
 * them as evidence.
 *
 * The probes "as uid" run in a forked child. A fork of the multithreaded JVM has one thread and copies of locks
 * that other threads may have held, so the child makes raw system calls only: no malloc, no stdio, no JNI, and not
 * glibc's set*id wrappers (they coordinate all threads of the process). Everything it needs (the path) is prepared
 * before fork; it reports over a pipe and _exits.
 */
#define _GNU_SOURCE
#include "coffertee.h"
#include "dev_coffer_tee_natives_Native.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* A pipe for the probe child's report and the child itself: returns 0 in the child, its pid in the parent, or -1
 * with a Java exception pending (and the pipe closed). */
static pid_t fork_probe(JNIEnv *env, int pipefd[2]) {
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        ct_throw_errno(env, "pipe2", errno, NULL);
        return -1;
    }
    pid_t child = fork();
    if (child < 0) {
        int err = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        ct_throw_errno(env, "fork", err, "cannot start the probe child");
        return -1;
    }
    return child;
}

JNIEXPORT jint JNICALL Java_dev_coffer_tee_natives_Native_readProcessMemory(JNIEnv *env, jclass cls, jint pid,
                                                                           jlong address, jbyteArray out) {
    (void)cls;
    if (pid <= 0 || out == NULL) {
        ct_throw_iae(env, "readProcessMemory: need pid > 0 (got %d) and a buffer", pid);
        return 0;
    }
    jsize length = (*env)->GetArrayLength(env, out);
    char path[32];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    if (length == 0) {
        close(fd);
        return 0;
    }
    /* What is read may be someone's secret: a heap buffer, cleared before it is freed. */
    unsigned char *buffer = malloc((size_t)length);
    if (buffer == NULL) {
        close(fd);
        ct_throw_errno(env, "malloc", ENOMEM, "no memory for a %d-byte buffer", length);
        return 0;
    }
    ssize_t n;
    do {
        n = pread(fd, buffer, (size_t)length, (off_t)address);
    } while (n < 0 && errno == EINTR);
    int err = errno;
    close(fd);
    if (n > 0) (*env)->SetByteArrayRegion(env, out, 0, (jsize)n, (const jbyte *)buffer);
    explicit_bzero(buffer, (size_t)length);
    free(buffer);
    return n >= 0 ? (jint)n : -err;
}

/* In the forked child: drops to uid (and its gid, no supplementary groups) unless uid is -1; 0 or -errno. */
static long drop_to(int uid) {
    if (uid == -1) return 0;
    if (syscall(SYS_setgroups, 0, NULL) != 0) return -errno;
    if (syscall(SYS_setresgid, uid, uid, uid) != 0) return -errno;
    if (syscall(SYS_setresuid, uid, uid, uid) != 0) return -errno;
    return 0;
}

/* Parent side: reads exactly `size` bytes of the child's report, reaps the child. 0, or an exception is pending. */
static int collect(JNIEnv *env, const char *what, int readEnd, pid_t child, void *report, size_t size) {
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(readEnd, (char *)report + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(readEnd);
    int status = 0;
    pid_t r;
    do {
        r = waitpid(child, &status, 0);
    } while (r < 0 && errno == EINTR);
    if (got != size) {
        ct_throw_errno(env, what, 0, "the probe child ended without a report (wait status 0x%x)", status);
        return -1;
    }
    return 0;
}

static int check_probe_args(JNIEnv *env, const char *what, jint pid, jint uid) {
    if (pid <= 0 || uid < -1) {
        ct_throw_iae(env, "%s: need pid > 0 and uid >= 0 or -1 (pid %d, uid %d)", what, pid, uid);
        return 0;
    }
    return 1;
}

JNIEXPORT jlongArray JNICALL Java_dev_coffer_tee_natives_Native_ptracePeek(JNIEnv *env, jclass cls, jint pid,
                                                                          jlong address, jint uid) {
    (void)cls;
    if (!check_probe_args(env, "ptracePeek", pid, uid)) return NULL;
    jlongArray result = (*env)->NewLongArray(env, 2);
    if (result == NULL) return NULL;
    int pipefd[2];
    pid_t child = fork_probe(env, pipefd);
    if (child < 0) return NULL;
    if (child == 0) {
        long report[2];
        long dropped = drop_to(uid);
        if (dropped != 0) {
            report[0] = dropped;
            report[1] = 1;
        } else if (syscall(SYS_ptrace, PTRACE_ATTACH, pid, 0, 0) != 0) {
            report[0] = -errno;
            report[1] = 2;
        } else {
            int status;
            /* The attach stops the target with SIGSTOP; peeking before the stop would fail with ESRCH. __WALL: pid
             * may name a thread. */
            while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {
            }
            long word = 0;
            /* The raw call stores the word at the last argument and returns 0, so -1 in memory is no ambiguity. */
            if (syscall(SYS_ptrace, PTRACE_PEEKDATA, pid, (void *)(uintptr_t)address, &word) != 0) {
                report[0] = -errno;
                report[1] = 3;
            } else {
                report[0] = 0;
                report[1] = word;
            }
            syscall(SYS_ptrace, PTRACE_DETACH, pid, 0, 0);
        }
        ssize_t ignored = write(pipefd[1], report, sizeof report);
        (void)ignored;
        _exit(0);
    }
    close(pipefd[1]);
    long report[2];
    if (collect(env, "ptracePeek", pipefd[0], child, report, sizeof report) != 0) return NULL;
    jlong values[2] = {(jlong)report[0], (jlong)report[1]};
    (*env)->SetLongArrayRegion(env, result, 0, 2, values);
    return result;
}

JNIEXPORT jint JNICALL Java_dev_coffer_tee_natives_Native_readProcessMemoryAs(JNIEnv *env, jclass cls, jint pid,
                                                                             jlong address, jint length,
                                                                             jint uid) {
    (void)cls;
    if (!check_probe_args(env, "readProcessMemoryAs", pid, uid)) return 0;
    if (length < 0) {
        ct_throw_iae(env, "readProcessMemoryAs: length %d must be >= 0", length);
        return 0;
    }
    char path[32];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    size_t mapped = length > 0 ? (size_t)length : 1;
    int pipefd[2];
    pid_t child = fork_probe(env, pipefd);
    if (child < 0) return 0;
    if (child == 0) {
        long report = drop_to(uid);
        if (report == 0) {
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                report = -errno;
            } else {
                /* mmap instead of malloc: the copied malloc state may be locked by a thread that does not exist
                 * here. */
                void *buffer = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (buffer == MAP_FAILED) {
                    report = -errno;
                } else {
                    ssize_t n = pread(fd, buffer, (size_t)length, (off_t)address);
                    report = n >= 0 ? (long)n : -errno;
                    explicit_bzero(buffer, mapped);
                }
            }
        }
        ssize_t ignored = write(pipefd[1], &report, sizeof report);
        (void)ignored;
        _exit(0);
    }
    close(pipefd[1]);
    long report;
    if (collect(env, "readProcessMemoryAs", pipefd[0], child, &report, sizeof report) != 0) return 0;
    return (jint)report;
}
