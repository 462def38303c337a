/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vouchd_i.h - private interfaces of vouchd, the host-wide verifier.
 *
 * vouchd.c  arguments, configuration, the filesystems to mark, --disarm
 * broker.c  the process that owns the fanotify group: reads every permission
 *           event, hands it to the worker, writes the worker's answer; never
 *           parses, hashes or allocates on the event path, never answers
 *           "allow" for a file on its own
 * worker.c  the verifier process: decides each event with libvouch, answers
 *           the shim's questions (vouchd_socket); may crash or be killed:
 *           the broker gives its unanswered events to the next worker
 * links.c   the symlinks under the protected roots (fanotify reports the
 *           file a link led to, never the link): which are allowed and what
 *           each names, which are not and what they reach
 *
 * See docs/vouchd.md for the design and its limits.
 */
#ifndef VOUCHD_I_H
#define VOUCHD_I_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vouch.h"

#define EXIT_USAGE 2
#define EXIT_OPER  3

#define VOUCHD_RUN_DIR     "/run/vouch"
#define VOUCHD_CTL_DEFAULT VOUCHD_RUN_DIR "/vouchd.ctl"

/* Broker <-> worker messages on a SOCK_SEQPACKET socketpair.  An event goes
 * to the worker with its fd (SCM_RIGHTS); the answer names the slot and the
 * generation it was sent under, so an answer can never land on a reused
 * slot. */
enum { VD_EVENT = 1, VD_VERDICT, VD_MARK, VD_READY, VD_TID };
struct vd_msg {
	uint32_t type;
	uint32_t slot;
	uint32_t gen;
	int32_t  pid;          /* VD_EVENT: the opening thread; VD_TID: a worker thread */
	uint64_t mask;         /* VD_EVENT: FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM */
	uint32_t allow;        /* VD_VERDICT */
	uint32_t pad;
};

/* One message, with an fd (SCM_RIGHTS) when fd >= 0; 0 or -errno. */
int  vouchd_send(int sock, const struct vd_msg *m, int fd, int flags);
/* One message without waiting: 0 (*fd: the fd it carried, or -1),
 * -EAGAIN (none now), -ECONNRESET (the other end closed), -EBADMSG (a
 * message of another size: dropped, its fd closed) or -errno. */
int  vouchd_recv(int sock, struct vd_msg *m, int *fd);

/* A listening Unix socket at path (replacing whatever socket is there),
 * of this type, with exactly mode; the fd or -errno. */
int  vouchd_listen(const char *path, int type, mode_t mode, int backlog);

struct vouchd_opts {
	const char *config;
	bool        cfg_explicit;
	bool        foreground;
	int         mode;          /* -1: as configured */
	const char *audit_log;
	const char *ctl_path;      /* --control */
};

extern struct vouchd_opts g_opt;

/* vouchd.c */
void vouchd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int  vouchd_load_config(struct vouch_config *cfg, char *err, size_t errlen);
/* The filesystem (superblock) a file or directory lives on, as
 * /proc/self/mountinfo names it: btrfs subvolumes share one. */
int  vouchd_sb_dev(int fd, dev_t *out);
/* Refuse to mark the filesystem holding dir fd if it holds the system or
 * vouchd itself, or is an overlayfs (a deadlock); why filled. */
bool vouchd_sb_forbidden(int fd, dev_t sb, char *why, size_t len);
void vouchd_system_devs(void);

/* broker.c: runs until disarmed or stopped; returns the exit code.  fan:
 * the group (from systemd's fd store, or -1 to make one); ask: the socket
 * vouchd.socket passed (or -1). */
int  broker_run(const struct vouch_config *cfg, int fan, int ask);

/* worker.c: the verifier process's main; sock is its end of the pair,
 * ask the listening socket for the shim (or -1). */
int  worker_main(int sock, int ask) __attribute__((noreturn));

/* links.c */
struct links;
int  links_new(struct vouch_ctx *ctx, struct vouch_locator *loc, size_t nroots,
	       struct links **out);
void links_free(struct links *l);
/* Walk the roots again: called at start, on reload and whenever the
 * notification group reported a change under a marked filesystem.  Alerts
 * once for each disallowed link newly seen. */
void links_rebuild(struct links *l);
/* One name changed in a directory (a notification: the directory's file
 * handle on the filesystem with this fsid, the name, and whether it went
 * away): the index follows.  1: a link came or went; 0: no link changed;
 * -1: it could not tell (walk again). */
int  links_event(struct links *l, const void *fsid, const void *handle, const char *name, bool gone);
/* For a located file: does a disallowed link reach it (then *why names the
 * link), and which names do allowed links give it (at most max; each is a
 * root index + relative name)?  Returns the number of names. */
struct link_name {
	int  root;
	char rel[4096];
};
bool   links_tainted(struct links *l, const struct vouch_location *where, char *why, size_t len);
size_t links_names(struct links *l, const struct vouch_location *where,
		   struct link_name *out, size_t max);

#endif /* VOUCHD_I_H */
