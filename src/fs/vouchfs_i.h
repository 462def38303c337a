/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vouchfs_i.h - private interfaces between the parts of vouchfs.
 *
 * vouchfs is a thin front end over vouch.h.  Every allow/deny comes from
 * vouch_verify_fd(); nothing here may include libvouch's private header.
 * Its files are layers, each calling only the layers below it:
 *
 *   vouchfs.c    life cycle: arguments, config, reload, signals, the
 *                systemd and daemon handshakes; calls all three below
 *   fs_mount.c   the mount table: pinning, the FUSE session, mounting,
 *                readahead, unmounting; calls fs_ops.c (the ops table
 *                only) and fs_log.c
 *   fs_ops.c     the FUSE operations: node table, open, read path; calls
 *                fs_log.c only
 *   fs_log.c     vouchfs_log(); calls nothing of vouchfs
 *
 * The one way up is a hook in struct vouchfs: fs_ops.c's init() calls
 * fs->ready (vouchfs.c's, set in main) when the mount answers.
 *
 * All of vouchfs's mutable state is in one struct vouchfs, made by main()
 * and handed to fuse_session_new() as the session's userdata: every FUSE
 * operation finds it with fuse_req_userdata(), every helper is given it.
 */
#ifndef VOUCHFS_I_H
#define VOUCHFS_I_H

#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 14)
#include <fuse_lowlevel.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vouch.h"

/* One read request is at most this big: libfuse 3.14 and the kernel's
 * max_pages_limit cap a request at 256 pages, measured on Debian 12. */
#define VOUCHFS_MAX_READ   (1u << 20)
/* Read buffers: each is VOUCHFS_MAX_READ bytes.  Capped so RSS stays small
 * however many worker threads exist (2 cores cannot use more). */
#define VOUCHFS_READ_BUFFERS 16
/* Where in-place mounts pin their source (root only, see fs_mount.c). */
#define VOUCHFS_PIN_DIR    "/run/vouchfs"
#define VOUCHFS_FSTYPE     "fuse.vouchfs"

/* One version of one path (fs_ops.c explains). */
struct vouchfs_node {
	struct vouchfs_node *hnext; /* hash chain, under table_lock */
	uint64_t     nlookup;       /* kernel references, under table_lock */
	char        *relpath;       /* "." for the root */
	struct stat  st;            /* as looked up: the version this node is */
	atomic_bool  opened;        /* an open was answered: pages may be cached */
	unsigned     pins;          /* background work holding it, under table_lock:
				     * freed only when this and nlookup are 0 */
	/* verify = stream: the verifier of this version's shards, set by its
	 * first streaming open (under table_lock), shared by every handle. */
	struct vouch_stream *stream;
	atomic_uint  ahead;         /* hash-ahead jobs running for it */
	_Atomic uint64_t read_to;   /* end of the furthest read served (hash ahead from) */
	atomic_bool  poisoned;      /* verify = stream: a read met a bad shard */
};

struct vouchfs {
	/* what the user asked for (main, before any thread) */
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
	int         verify_opt;     /* -o verify=: 0 open, 1 stream, -1 the config's */
	atomic_bool verify_stream;  /* in force: -o verify=, else the config's verify */
	char       *source;         /* absolute */
	char       *mountpoint;     /* absolute */
	bool        inplace;

	/* what it runs with */
	bool        root;           /* euid 0: pin, mount(2); else fusermount3 */
	struct vouch_config cfg;    /* replaced by the reload thread, under cfg_lock
				     * once the reload thread runs */
	pthread_mutex_t cfg_lock;
	struct vouch_ctx   *ctx;
	struct vouch_metrics_server *metrics;   /* its socket (vouchfs.c), or NULL */
	int         rootfd;         /* O_PATH directory fd every lookup is beneath */
	char       *pin;            /* private bind of the source (in place, root) */
	bool        raw_mount;      /* we called mount(2) ourselves */
	int         devfd;          /* /dev/fuse of our mount */
	struct fuse_session *se;
	int         ready_fd;       /* daemonize: tell the parent we serve */
	atomic_bool daemonized;     /* log to syslog, not stderr (fs_log.c) */
	atomic_bool stopping;       /* the reload thread's next SIGHUP ends it */
	/* The way up: init() calls it once the mount answers (set by main). */
	void      (*ready)(struct vouchfs *fs);

	/* fs_ops.c's, set up by vouchfs_nodes_init() */
	pthread_mutex_t       table_lock;
	struct vouchfs_node **table;        /* node hash table */
	struct vouchfs_node   root_node;    /* FUSE_ROOT_ID, never in the table */
	pthread_mutex_t       pool_lock;
	pthread_cond_t        pool_cond;
	void                 *pool[VOUCHFS_READ_BUFFERS];   /* read buffers */
	unsigned              pool_free, pool_made;
	atomic_ulong          n_open, n_deny, n_stale, n_changed;   /* --debug */
	atomic_uint           n_prefetching;
	atomic_uint           n_ahead;              /* hash-ahead jobs running */
	atomic_bool           jobs_stop;            /* vouchfs_jobs_stop() was called */
};

/* fs_log.c */
/* One line: stderr until vouchfs daemonized, syslog after. */
void vouchfs_log(const struct vouchfs *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* fs_ops.c */
extern const struct fuse_lowlevel_ops vouchfs_ops;
/* The node table and read buffers; fs->rootfd must be open.  0 or -errno.
 * vouchfs_nodes_free() is safe whether or not init ran or succeeded. */
int  vouchfs_nodes_init(struct vouchfs *fs);
void vouchfs_nodes_free(struct vouchfs *fs);
/* Stop the background jobs (page-cache fills, hash-ahead) and wait for
 * them; before the session is destroyed. */
void vouchfs_jobs_stop(struct vouchfs *fs);
/* How many opens were answered, denied, refused as stale (for --debug). */
void vouchfs_stats_log(const struct vouchfs *fs);

/* fs_mount.c */
/* Canonical absolute form of path without stat()ing its last component
 * (a dead FUSE mount there answers ENOTCONN). */
char *vouchfs_abspath(const char *path);
/* Whether other users are served: -o allow_other or the config's. */
bool vouchfs_allow_other(const struct vouchfs *fs);
/* Pin the source of an in-place mount: a private, read-only bind mount
 * under VOUCHFS_PIN_DIR, reused when a previous instance left it behind.
 * Returns an O_PATH directory fd, or -errno (msg filled). */
int  vouchfs_pin_source(struct vouchfs *fs, char *msg, size_t msglen);
/* The FUSE session (fs->se) over vouchfs_ops with fs as its userdata,
 * options for mount(2) as root or for fusermount3 otherwise.  0 or -1. */
int  vouchfs_session_new(struct vouchfs *fs);
/* Mount fs->se on fs->mountpoint: as root with mount(2) (so a restart can
 * stack on a dead instance), else through fusermount3.  0 or -errno (msg
 * filled when there is more to say than "mount failed"). */
int  vouchfs_session_mount(struct vouchfs *fs, char *msg, size_t msglen);
/* A clean stop: remove every layer on the mount point (a crashed
 * instance's too) and the pin, or ask fusermount3 to unmount. */
void vouchfs_session_unmount(struct vouchfs *fs);
/* Raise the mount's readahead so the kernel sends kb-sized reads. */
void vouchfs_set_readahead(const struct vouchfs *fs, unsigned kb);
/* Unmount every fuse.vouchfs layer stacked on mountpoint (top first), then
 * the source pin of that path.  Returns the number of layers removed, or
 * -errno.  fs only says where to log. */
int  vouchfs_unmount_all(const struct vouchfs *fs, const char *mountpoint, char *msg,
			 size_t msglen);
/* The pin path for a mount point (malloc'd). */
char *vouchfs_pin_path(const char *mountpoint);

#endif /* VOUCHFS_I_H */
