/* SPDX-License-Identifier: Apache-2.0 */
/*
 * preload_i.h - private interfaces of the LD_PRELOAD shim (src/preload/).
 *
 * wrap.c   the interposed libc symbols; nothing else is exported
 * shim.c   lifecycle: config, verification context, fork, alerts, the verdict
 * ask.c    the connection to vouchd (vouchd_socket), one per process
 *
 * Where an fd lives is libvouch's locator (vouch_locate, shared with
 * vouchd).
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

/* An open(2) that never comes back into the shim's own wrappers. */
int shim_sys_openat(int dirfd, const char *path, int flags);

/* ---- ask.c ---- */

/* Ask vouchd, listening on sock_path, about fd (name: the absolute name the
 * program asked for, or "" when the fd was not located by it).  Returns 0
 * with *out filled, or -errno when vouchd cannot be asked (not listening,
 * not root's or ours, timed out, closed the connection): the caller fails
 * closed.  Thread-safe; a thread waits only for its own request. */
int shim_ask(const char *sock_path, int fd, const char *name, struct vouch_ask_reply *out);
/* Around fork.  In the child the parent's connections are not the child's
 * to use (a reply meant for the parent could be read there): its copies are
 * closed. */
void shim_ask_atfork_prepare(void);
void shim_ask_atfork_parent(void);
void shim_ask_atfork_child(void);

#endif /* PRELOAD_I_H */
