/* libcoffertee: starting the secure world (posix_spawn with inherited descriptors) and waiting for it. */
#define _GNU_SOURCE
#include "coffertee.h"
#include "dev_coffer_tee_natives_Native.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Copies a Java String[] into a NULL-terminated array of malloc'd C strings; NULL with an exception pending. */
static char **copy_strings(JNIEnv *env, jobjectArray array, const char *what) {
    jsize n = (*env)->GetArrayLength(env, array);
    char **out = calloc((size_t)n + 1, sizeof(char *));
    if (out == NULL) {
        ct_throw_errno(env, "calloc", ENOMEM, "no memory for %d %s strings", n, what);
        return NULL;
    }
    for (jsize i = 0; i < n; i++) {
        jstring s = (jstring)(*env)->GetObjectArrayElement(env, array, i);
        if ((*env)->ExceptionCheck(env)) goto fail;
        if (s == NULL) {
            ct_throw_iae(env, "spawn: %s[%d] is null", what, i);
            goto fail;
        }
        /* Modified UTF-8: equal to UTF-8 for everything but NUL and characters outside the BMP, and never
         * contains a NUL byte, so a Java string cannot smuggle in an early terminator. */
        const char *utf = (*env)->GetStringUTFChars(env, s, NULL);
        if (utf == NULL) goto fail;
        out[i] = strdup(utf);
        (*env)->ReleaseStringUTFChars(env, s, utf);
        (*env)->DeleteLocalRef(env, s);
        if (out[i] == NULL) {
            ct_throw_errno(env, "strdup", ENOMEM, "no memory for %s[%d]", what, i);
            goto fail;
        }
    }
    return out;
fail:
    for (jsize i = 0; i < n; i++) free(out[i]);
    free(out);
    return NULL;
}

/* The environment may carry configuration the host prefers not to leave in freed memory: cleared, then freed. */
static void free_strings(char **strings) {
    if (strings == NULL) return;
    for (char **s = strings; *s != NULL; s++) {
        explicit_bzero(*s, strlen(*s));
        free(*s);
    }
    free(strings);
}

JNIEXPORT jint JNICALL Java_dev_coffer_tee_natives_Native_spawn(JNIEnv *env, jclass cls, jobjectArray argv,
                                                               jobjectArray envp, jintArray fds) {
    (void)cls;
    if (argv == NULL || envp == NULL || fds == NULL) {
        ct_throw_iae(env, "spawn: argv, env and fds must not be null");
        return -1;
    }
    if ((*env)->GetArrayLength(env, argv) < 1) {
        ct_throw_iae(env, "spawn: argv is empty");
        return -1;
    }
    jsize nfds = (*env)->GetArrayLength(env, fds);
    jint *source = malloc(((size_t)nfds + 1) * sizeof(jint));
    if (source == NULL) {
        ct_throw_errno(env, "malloc", ENOMEM, "no memory for %d descriptors", nfds);
        return -1;
    }
    (*env)->GetIntArrayRegion(env, fds, 0, nfds, source);
    int highest = -1;
    for (jsize i = 0; i < nfds; i++) {
        /* Checked here so that a bad descriptor is named, instead of an EBADF from deep inside posix_spawn. */
        if (source[i] < 0 || fcntl(source[i], F_GETFD) < 0) {
            ct_throw_errno(env, "spawn", EBADF, "fds[%d] = %d is not an open descriptor", i, source[i]);
            free(source);
            return -1;
        }
        if (source[i] > highest) highest = source[i];
    }

    char **cargv = copy_strings(env, argv, "argv");
    if (cargv == NULL) {
        free(source);
        return -1;
    }
    char **cenv = copy_strings(env, envp, "env");
    if (cenv == NULL) {
        free_strings(cargv);
        free(source);
        return -1;
    }
    if (cargv[0][0] != '/') {
        ct_throw_iae(env, "spawn: argv[0] must be an absolute path (no PATH search), got \"%s\"", cargv[0]);
        free_strings(cenv);
        free_strings(cargv);
        free(source);
        return -1;
    }

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    pid_t pid = -1;
    const char *step = "posix_spawn setup";
    int err = posix_spawn_file_actions_init(&actions);
    if (err != 0) goto done_nothing;
    err = posix_spawnattr_init(&attr);
    if (err != 0) goto done_actions;

    /* fds[i] -> 3 + i in two steps through numbers above every source and every target: a source may sit in the
     * target range (it would be overwritten before it is copied) or be its own target (dup2 onto itself is a no-op
     * that would leave FD_CLOEXEC set). Each dup2 to a different number yields a descriptor without FD_CLOEXEC. */
    int temp_base = highest + 1 > 3 + nfds ? highest + 1 : 3 + nfds;
    for (jsize i = 0; i < nfds && err == 0; i++) {
        err = posix_spawn_file_actions_adddup2(&actions, source[i], temp_base + i);
    }
    for (jsize i = 0; i < nfds && err == 0; i++) {
        err = posix_spawn_file_actions_adddup2(&actions, temp_base + i, 3 + i);
    }
    /* stdin from /dev/null; stdout joins stderr (the host's), so nothing can corrupt a protocol on the host's
     * stdout. */
    if (err == 0) err = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (err == 0) err = posix_spawn_file_actions_adddup2(&actions, 2, 1);
    /* The JVM opens most descriptors CLOEXEC, but not all (and not other libraries'): close everything else,
     * the temporaries included. glibc >= 2.34. */
    if (err == 0) err = posix_spawn_file_actions_addclosefrom_np(&actions, 3 + nfds);

    /* A clean signal state: the calling Java thread's mask and any SIG_IGN would otherwise be inherited. */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (err == 0) err = posix_spawnattr_setsigmask(&attr, &none);
    if (err == 0) err = posix_spawnattr_setsigdefault(&attr, &all);
    if (err == 0) err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    if (err == 0) {
        step = "posix_spawn";
        err = posix_spawn(&pid, cargv[0], &actions, &attr, cargv, cenv);
    }
    posix_spawnattr_destroy(&attr);
done_actions:
    posix_spawn_file_actions_destroy(&actions);
done_nothing:
    if (err != 0) {
        const char *hint = err == ENOENT   ? "the program does not exist"
                           : err == EACCES ? "the program is not executable"
                           : err == EBADF  ? "a descriptor could not be moved (RLIMIT_NOFILE too small?)"
                                           : "cannot start the program";
        ct_throw_errno(env, "posix_spawn", err, "%s: %s (%s)", cargv[0], hint, step);
        pid = -1;
    }
    free_strings(cenv);
    free_strings(cargv);
    free(source);
    return (jint)pid;
}

JNIEXPORT jint JNICALL Java_dev_coffer_tee_natives_Native_waitPid(JNIEnv *env, jclass cls, jint pid,
                                                                 jboolean noHang) {
    (void)cls;
    if (pid <= 0) { /* 0 and -1 would reap any child, e.g. one the JVM's ProcessBuilder is waiting for */
        ct_throw_iae(env, "waitPid: pid %d must be > 0", pid);
        return -1;
    }
    int status = 0;
    pid_t r;
    do {
        r = waitpid(pid, &status, noHang ? WNOHANG : 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        ct_throw_errno(env, "waitpid", errno,
                       errno == ECHILD ? "%d is not a child of this process, or was reaped already" : "pid %d",
                       pid);
        return -1;
    }
    return r == 0 ? -1 : status;
}

JNIEXPORT void JNICALL Java_dev_coffer_tee_natives_Native_kill(JNIEnv *env, jclass cls, jint pid, jint signal) {
    (void)cls;
    if (pid <= 0) { /* 0 and negative pids signal whole process groups, -1 every process we may signal */
        ct_throw_iae(env, "kill: pid %d must be > 0", pid);
        return;
    }
    if (kill(pid, signal) != 0) {
        ct_throw_errno(env, "kill", errno,
                       errno == ESRCH ? "no process %d (exited and reaped?)" : "cannot signal process %d", pid);
    }
}
