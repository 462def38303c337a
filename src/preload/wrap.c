/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wrap.c - the libc entry points the shim interposes; the only symbols the
 * library exports (src/preload/exports.map).
 *
 * Every wrapper lets libc do the open first and only then asks shim_decide()
 * about the resulting fd: deciding on the fd, not on the name, leaves no
 * window between the check and the use.  A denied open is closed and fails
 * with EACCES (NULL for stdio).  Opens that cannot read (O_PATH, write-only)
 * are not decisions.  The mode argument is read only when the flags say it
 * was passed (O_CREAT, or all of O_TMPFILE, which includes O_DIRECTORY):
 * reading a variadic argument that is not there is undefined.
 *
 * The list is glibc 2.36's: every exported name that opens a file by path
 * or handle.  fopen/freopen open through libc-internal calls that no PLT
 * sees, hence their own wrappers; the GLIBC_PRIVATE __open_nocancel family
 * is used only inside glibc (dlopen, catopen, nss) and is not wrapped.
 */
#undef _FORTIFY_SOURCE   /* its inline open() would collide with ours */
#include "preload_i.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* glibc exports these but declares them only under _FORTIFY_SOURCE, or not
 * at all. */
int __open(const char *path, int flags, ...);
int __open64(const char *path, int flags, ...);
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);
typedef int (*creat_fn)(const char *, mode_t);
typedef FILE *(*fopen_fn)(const char *, const char *);
typedef FILE *(*freopen_fn)(const char *, const char *, FILE *);
typedef int (*handle_fn)(int, struct file_handle *, int);

static struct {
	open_fn    open, open64, __open, __open64;
	openat_fn  openat, openat64;
	open2_fn   __open_2, __open64_2;
	openat2_fn __openat_2, __openat64_2;
	creat_fn   creat, creat64;
	fopen_fn   fopen, fopen64;
	freopen_fn freopen, freopen64;
	handle_fn  open_by_handle_at;
} real;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void resolve_real(void)
{
#define R(name) *(void **)&real.name = dlsym(RTLD_NEXT, #name)
	R(open); R(open64); R(__open); R(__open64);
	R(openat); R(openat64);
	R(__open_2); R(__open64_2); R(__openat_2); R(__openat64_2);
	R(creat); R(creat64);
	R(fopen); R(fopen64); R(freopen); R(freopen64);
	R(open_by_handle_at);
#undef R
}

/* The real symbol, resolved once for all; ENOSYS if libc lacks it. */
#define REAL(name, fail) \
	pthread_once(&real_once, resolve_real); \
	if (!real.name) { errno = ENOSYS; return fail; }

static inline bool has_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define GET_MODE(flags, last) \
	mode_t mode = 0; \
	if (has_mode(flags)) { \
		va_list ap; \
		va_start(ap, last); \
		mode = (mode_t)va_arg(ap, int); \
		va_end(ap); \
	}

static inline bool reads(int flags)
{
	return !(flags & O_PATH) && (flags & O_ACCMODE) != O_WRONLY;
}

static int after_open(int dirfd, const char *path, int flags, int fd)
{
	if (fd < 0 || !reads(flags) || shim_busy)
		return fd;
	if (shim_decide(dirfd, path, flags, fd) == 0)
		return fd;
	close(fd);
	errno = EACCES;
	return -1;
}

/* fopen modes: "r...", or anything with '+', can read. */
static FILE *after_fopen(const char *path, const char *mode, FILE *f)
{
	int fd;

	if (!f || !mode || (mode[0] != 'r' && !strchr(mode, '+')) || shim_busy)
		return f;
	fd = fileno(f);
	if (fd < 0 || shim_decide(AT_FDCWD, path, O_RDONLY, fd) == 0)
		return f;
	fclose(f);
	errno = EACCES;
	return NULL;
}

#define WRAP_OPEN(name) \
EXPORT int name(const char *path, int flags, ...) \
{ \
	GET_MODE(flags, flags); \
	REAL(name, -1); \
	return after_open(AT_FDCWD, path, flags, real.name(path, flags, mode)); \
}
WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPEN(__open)
WRAP_OPEN(__open64)

#define WRAP_OPENAT(name) \
EXPORT int name(int dirfd, const char *path, int flags, ...) \
{ \
	GET_MODE(flags, flags); \
	REAL(name, -1); \
	return after_open(dirfd, path, flags, real.name(dirfd, path, flags, mode)); \
}
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

/* The _FORTIFY_SOURCE entry points: called without a mode (they abort on
 * O_CREAT themselves). */
#define WRAP_OPEN2(name) \
EXPORT int name(const char *path, int flags) \
{ \
	REAL(name, -1); \
	return after_open(AT_FDCWD, path, flags, real.name(path, flags)); \
}
WRAP_OPEN2(__open_2)
WRAP_OPEN2(__open64_2)

#define WRAP_OPENAT2(name) \
EXPORT int name(int dirfd, const char *path, int flags) \
{ \
	REAL(name, -1); \
	return after_open(dirfd, path, flags, real.name(dirfd, path, flags)); \
}
WRAP_OPENAT2(__openat_2)
WRAP_OPENAT2(__openat64_2)

/* creat() is O_WRONLY|O_CREAT|O_TRUNC: never a read, wrapped so that the
 * list is complete and stays so if that ever changes. */
#define WRAP_CREAT(name) \
EXPORT int name(const char *path, mode_t mode) \
{ \
	REAL(name, -1); \
	return after_open(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, real.name(path, mode)); \
}
WRAP_CREAT(creat)
WRAP_CREAT(creat64)

#define WRAP_FOPEN(name) \
EXPORT FILE *name(const char *path, const char *mode) \
{ \
	REAL(name, NULL); \
	return after_fopen(path, mode, real.name(path, mode)); \
}
WRAP_FOPEN(fopen)
WRAP_FOPEN(fopen64)

/* freopen(NULL, mode, f) reopens f's own file (glibc goes through
 * /proc/self/fd): no path asked for, the fd still decides. */
#define WRAP_FREOPEN(name) \
EXPORT FILE *name(const char *path, const char *mode, FILE *stream) \
{ \
	REAL(name, NULL); \
	return after_fopen(path, mode, real.name(path, mode, stream)); \
}
WRAP_FREOPEN(freopen)
WRAP_FREOPEN(freopen64)

EXPORT int open_by_handle_at(int mount_fd, struct file_handle *handle, int flags)
{
	REAL(open_by_handle_at, -1);
	return after_open(AT_FDCWD, NULL, flags, real.open_by_handle_at(mount_fd, handle, flags));
}
