/* libcoffertee: helpers shared by the JNI source files (coffertee.c, seccomp.c, spawn.c, probes.c).
 *
 * Conventions of every entry point:
 *  - a failing Linux call throws dev.coffer.tee.natives.NativeCallException(call, errno, message) whose message
 *    names errno (EAGAIN, ...), what it means and, where we know it, what to do about it;
 *  - invalid arguments throw IllegalArgumentException before anything is changed;
 *  - after throwing, the function returns at once: no further JNI call is made with an exception pending;
 *  - secret bytes never pass through the C stack: buffers holding them are malloc'd and explicit_bzero'd.
 */
#ifndef COFFERTEE_H
#define COFFERTEE_H

#include <jni.h>
#include <stddef.h>

/* Throws NativeCallException for `call` failing with `err`; fmt (may be NULL) adds what it means for the caller. */
void ct_throw_errno(JNIEnv *env, const char *call, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Throws IllegalArgumentException with a formatted message. */
void ct_throw_iae(JNIEnv *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Throws NativeCallException for an RLIMIT_MEMLOCK-related failure of `call` while locking `bytes`: names the
 * limit, its current soft/hard values and how to raise it. */
void ct_throw_memlock(JNIEnv *env, const char *call, int err, long long bytes);

/* Cached java.lang.String class (global ref), for String[] results. */
jclass ct_string_class(void);

/* The page size (sysconf is not called again on every call). */
long ct_page_size(void);

#endif
