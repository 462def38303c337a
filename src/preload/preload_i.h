/* SPDX-License-Identifier: Apache-2.0 */
/*
 * preload_i.h - private interfaces of the LD_PRELOAD shim (src/preload/).
 *
 * wrap.c   the interposed libc symbols; nothing else is exported
 * shim.c   lifecycle: config, verification context, fork, alerts, the verdict
 * where.c  "is this fd a file under a protected root?", decided by identity
 *
 * The shim is a front end over vouch.h; it never decides whether a model is
 * good (libvouch does), only which opens are model reads under a protected
 * root and therefore need asking.
 */
#ifndef PRELOAD_I_H
#define PRELOAD_I_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "vouch.h"

/* Set while this thread runs shim code: opens made by the shim itself or by
 * libvouch (config, keys, signatures, mountinfo) pass straight through. */
extern __thread int shim_busy __attribute__((tls_model("initial-exec")));

/* The decision for a freshly opened fd.  dirfd/path: what the caller asked
 * for (path NULL when there is none: open_by_handle_at, freopen(NULL)).
 * flags: the open flags (only O_DIRECT matters here).  Returns 0 to let the
 * open succeed, -EACCES to fail it; errno is preserved either way and the
 * fd is never closed here (the caller owns it). */
int shim_decide(int dirfd, const char *path, int flags, int fd);

/* ---- where.c ---- */

struct shim_root {
	char *path;              /* as configured, lexically normalised */
	char *real;              /* where the pinned dir lives in this namespace */
	int   fd;                /* O_PATH|O_DIRECTORY, or -1 if absent at start */
	dev_t dev;               /* what fd was when we opened it: programs that */
	ino_t ino;               /* close every fd may take the number from us */
};

enum where_kind {
	WHERE_FREE = 0,          /* not under any protected root: let it be */
	WHERE_PROTECTED,         /* under root `root`, at `rel` */
	WHERE_UNKNOWN,           /* on a mount that reaches a root, but unresolvable */
};

struct where {
	enum where_kind kind;
	bool   blind;            /* no /proc here: only names and inodes could be checked */
	bool   named;            /* rel is the name asked for, not where the fd was found */
	int    root;
	struct stat st;
	char   path[PATH_MAX];   /* the file's path in this namespace, for records */
	char   rel[PATH_MAX];
};

/* Pin the roots (open them) and read the mount table.  Roots that do not
 * exist yet are retried at each mount-table refresh. */
void where_init(struct shim_root *roots, size_t nroots);
/* Locate fd.  Costs one statx when fd's mount cannot reach a protected root
 * and the path is absolute. */
void where_fd(int dirfd, const char *path, int fd, struct where *w);
/* The pinned fd of root r, checked to still be ours (re-pinned if a program
 * closed or reused the number); -1 if the root cannot be opened. */
int where_root_fd(size_t r);
void where_atfork_prepare(void);
void where_atfork_parent(void);
void where_atfork_child(void);

/* Lexically normalise an absolute path into out ("/a/./b/../c//" -> "/a/c").
 * Returns false if it does not fit. */
bool path_normalize(const char *in, char *out, size_t outlen);
/* a == b, or a lies below b (component-wise). */
bool path_under(const char *a, const char *b);

/* An open(2) that never comes back into the shim's own wrappers. */
int shim_sys_openat(int dirfd, const char *path, int flags);

#endif /* PRELOAD_I_H */
