/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vouchfs_i.h - private interfaces between the parts of vouchfs.
 *
 * vouchfs is a thin front end over vouch.h: it owns FUSE plumbing (fs_ops.c),
 * mounting, pinning and unmounting (fs_mount.c) and the daemon's life cycle
 * (vouchfs.c).  Every allow/deny comes from vouch_verify_fd(); nothing here
 * may include libvouch's private header.
 */
#ifndef VOUCHFS_I_H
#define VOUCHFS_I_H

#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 14)
#include <fuse_lowlevel.h>

#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "vouch.h"

/* One read request is at most this big: libfuse 3.14 and the kernel's
 * max_pages_limit cap a request at 256 pages, measured on Debian 12. */
#define VOUCHFS_MAX_READ   (1u << 20)
/* Where in-place mounts pin their source (root only, see fs_mount.c). */
#define VOUCHFS_PIN_DIR    "/run/vouchfs"
#define VOUCHFS_FSTYPE     "fuse.vouchfs"

struct vouchfs {
	/* what the user asked for */
	const char *cfgpath;        /* -c, or the default if it exists */
	bool        cfg_explicit;
	const char *trust_dir;      /* --trust overrides the config */
	const char *audit_log;      /* --audit-log */
	int         mode;           /* --mode: -1 = from the config */
	bool        foreground;
	bool        debug;
	bool        opt_allow_other;
	unsigned    max_threads;
	double      timeout;        /* entry/attr cache, seconds */
	unsigned    prefetch_mib;   /* page cache filled after a first open */
	char       *source;         /* absolute */
	char       *mountpoint;     /* absolute */
	bool        inplace;

	/* what it runs with */
	struct vouch_config cfg;
	struct vouch_ctx   *ctx;
	int         rootfd;         /* O_PATH directory fd every lookup is beneath */
	char       *pin;            /* private bind of the source (in place, root) */
	bool        raw_mount;      /* we called mount(2) ourselves */
	int         devfd;          /* /dev/fuse of our mount */
	struct fuse_session *se;
	int         ready_fd;       /* daemonize: tell the parent we serve */
	int         hup_pipe[2];    /* SIGHUP -> reload thread */
};

extern struct vouchfs g_fs;

/* fs_ops.c */
extern const struct fuse_lowlevel_ops vouchfs_ops;
int  vouchfs_nodes_init(void);
void vouchfs_nodes_free(void);
/* How many opens were answered, denied, refused as stale (for --debug). */
void vouchfs_stats_log(void);

/* fs_mount.c */
/* Canonical absolute form of path without stat()ing its last component
 * (a dead FUSE mount there answers ENOTCONN). */
char *vouchfs_abspath(const char *path);
/* Pin the source of an in-place mount: a private, read-only bind mount
 * under VOUCHFS_PIN_DIR, reused when a previous instance left it behind.
 * Returns an O_PATH directory fd, or -errno (msg filled). */
int  vouchfs_pin_source(struct vouchfs *fs, char *msg, size_t msglen);
/* Mount fuse.vouchfs on fs->mountpoint with mount(2) and hand the session
 * /dev/fd/N, so that a restart can stack on a dead instance. */
int  vouchfs_mount_raw(struct vouchfs *fs, char *msg, size_t msglen);
/* Raise the mount's readahead so the kernel sends 1 MiB reads. */
void vouchfs_set_readahead(const char *mountpoint, unsigned kb);
/* Unmount every fuse.vouchfs layer stacked on mountpoint (top first), then
 * the source pin of that path.  Returns the number of layers removed, or
 * -errno. */
int  vouchfs_unmount_all(const char *mountpoint, char *msg, size_t msglen);
/* The pin path for a mount point (malloc'd). */
char *vouchfs_pin_path(const char *mountpoint);

/* vouchfs.c */
void vouchfs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Called from init(): the mount answers now. */
void vouchfs_notify_ready(void);

#endif /* VOUCHFS_I_H */
