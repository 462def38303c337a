/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_ops.c - vouchfs's FUSE operations (low-level API).
 *
 * Owns the node table, verification at open, and the read path.  Decisions
 * come from vouch_verify_fd(); this file only decides how to serve what was
 * allowed so that nothing but verified bytes reaches a reader.
 *
 * Why the low-level API: nodes and their page cache must follow file
 * versions (below), and ESTALE from open must reach the kernel so it
 * revalidates the name; the high-level API hides inodes and node ids.
 *
 * A node is one version of one path: the model-relative path (libvouch
 * needs the name the client opened: the governing signature depends on it)
 * plus, for a regular file, its identity as looked up (dev, ino, size, mtime,
 * ctime).  A node's content therefore never changes, so the kernel's page
 * cache of a node holds only bytes of that version, and every open of it is
 * answered with keep_cache.  When the source changes, the next open finds a
 * file that is not its node's version and answers ESTALE: the VFS retries
 * the open with LOOKUP_REVAL, our lookup returns the node of the new version
 * (a new inode, no cached pages), and the open is verified there.  Handles
 * opened before the change stay on the old node and never see a byte of the
 * new version: their cached pages are old verified bytes, their uncached
 * reads fail with EIO (each read checks the backing file, see vouchfs_read).
 *
 * Every resolution is one openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
 * RESOLVE_NO_XDEV) from the pinned root fd: no symlink is followed at any
 * level, no mount is crossed, nothing escapes the root.  Symlinks in the
 * source are never shown as symlinks (the client's kernel would follow them
 * and the verdict would be made on the target's name): an allowed link
 * (allow_symlinks) is a regular file with its target's bytes, verified
 * under the link's own name; any other link is an empty regular file whose
 * open is denied as `symlink` (attr_of, vouchfs_open).
 *
 * Layer: the operations, below vouchfs.c and fs_mount.c.  Calls fs_log.c
 * only; reaches vouchfs.c only through fs->ready (init).  Its state (node
 * table, read buffers, counters) is in struct vouchfs, reached through
 * fuse_req_userdata() in every operation and passed to every helper.
 */
#include "vouchfs_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One node per looked-up path (and file version); a few thousand buckets
 * cover large trees. */
#define NODE_BUCKETS  16384
/* Page-cache fills running at once (each holds a worker and 1 MiB). */
#define MAX_PREFETCH  4

struct handle {                         /* one open file */
	int                  fd;            /* the backing fd that was verified */
	struct vouchfs_node *node;
	struct stat          st;            /* verdict.st: the file as verified */
	atomic_bool          warned;
};

struct dirhandle {
	pthread_mutex_t lock;
	DIR            *dp;
	struct dirent  *entry;      /* read but not yet returned */
	off_t           offset;
};

/* ---------------------------------------------------------------------- */

int vouchfs_nodes_init(struct vouchfs *fs)
{
	fs->table = calloc(NODE_BUCKETS, sizeof(*fs->table));
	if (!fs->table)
		return -ENOMEM;
	/* Made here, destroyed by vouchfs_nodes_free() once table is set. */
	pthread_mutex_init(&fs->table_lock, NULL);
	pthread_mutex_init(&fs->pool_lock, NULL);
	pthread_cond_init(&fs->pool_cond, NULL);
	fs->root_node.relpath = (char *)".";
	fs->root_node.nlookup = 1;
	return fstat(fs->rootfd, &fs->root_node.st) ? -errno : 0;
}

void vouchfs_nodes_free(struct vouchfs *fs)
{
	size_t i;

	if (!fs->table)
		return;
	for (i = 0; i < NODE_BUCKETS; i++) {
		struct vouchfs_node *n = fs->table[i], *next;

		for (; n; n = next) {
			next = n->hnext;
			free(n->relpath);
			free(n);
		}
	}
	free(fs->table);
	fs->table = NULL;
	for (i = 0; i < fs->pool_made; i++)
		free(fs->pool[i]);
	fs->pool_made = fs->pool_free = 0;
	pthread_cond_destroy(&fs->pool_cond);
	pthread_mutex_destroy(&fs->pool_lock);
	pthread_mutex_destroy(&fs->table_lock);
}

void vouchfs_stats_log(const struct vouchfs *fs)
{
	vouchfs_log(fs, "opens %lu, denied %lu, stale opens (ESTALE) %lu, changed-source EIO %lu",
		    atomic_load(&fs->n_open), atomic_load(&fs->n_deny), atomic_load(&fs->n_stale),
		    atomic_load(&fs->n_changed));
}

static size_t path_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;    /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h % NODE_BUCKETS;
}

static struct vouchfs_node *node_of(struct vouchfs *fs, fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &fs->root_node : (struct vouchfs_node *)(uintptr_t)ino;
}

static fuse_ino_t ino_of(struct vouchfs *fs, struct vouchfs_node *n)
{
	return n == &fs->root_node ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)n;
}

/* The same bytes as when verified: same file, size and timestamps.  ctime
 * moves on every write, truncate, chmod or utimes of the file, and cannot
 * be set back by a user. */
static bool same_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Same node: same path, same file, and for a regular file the same version. */
static bool node_matches(const struct vouchfs_node *n, const char *relpath, const struct stat *st)
{
	if (n->st.st_dev != st->st_dev || n->st.st_ino != st->st_ino ||
	    (n->st.st_mode & S_IFMT) != (st->st_mode & S_IFMT) || strcmp(n->relpath, relpath))
		return false;
	return !S_ISREG(st->st_mode) || same_version(&n->st, st);
}

/* Find or create the node for (relpath, st) and take one kernel reference. */
static struct vouchfs_node *node_ref(struct vouchfs *fs, const char *relpath,
				     const struct stat *st)
{
	size_t h = path_hash(relpath);
	struct vouchfs_node *n;

	pthread_mutex_lock(&fs->table_lock);
	for (n = fs->table[h]; n; n = n->hnext)
		if (node_matches(n, relpath, st))
			break;
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (n)
			n->relpath = strdup(relpath);
		if (!n || !n->relpath) {
			if (n)
				free(n->relpath);
			free(n);
			n = NULL;
			goto out;
		}
		n->st = *st;
		n->hnext = fs->table[h];
		fs->table[h] = n;
	}
	n->nlookup++;
out:
	pthread_mutex_unlock(&fs->table_lock);
	return n;
}

static void node_unref(struct vouchfs *fs, struct vouchfs_node *n, uint64_t count)
{
	struct vouchfs_node **pp;

	if (n == &fs->root_node)
		return;
	pthread_mutex_lock(&fs->table_lock);
	n->nlookup -= count < n->nlookup ? count : n->nlookup;
	if (n->nlookup == 0) {
		for (pp = &fs->table[path_hash(n->relpath)]; *pp; pp = &(*pp)->hnext) {
			if (*pp == n) {
				*pp = n->hnext;
				break;
			}
		}
		free(n->relpath);
		free(n);
	}
	pthread_mutex_unlock(&fs->table_lock);
}

/* Open relpath beneath the pinned root.  No symlink is followed at any
 * level (a trailing one with O_PATH|O_NOFOLLOW yields the link itself), no
 * mount is crossed, ".." cannot leave the root.  Returns fd or -errno. */
static int open_beneath(const struct vouchfs *fs, const char *relpath, int flags)
{
	struct open_how how = {
		.flags   = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	int fd, tries;

	/* EAGAIN: a concurrent rename raced the RESOLVE_BENEATH check. */
	for (tries = 0; tries < 8; tries++) {
		fd = (int)syscall(SYS_openat2, fs->rootfd, relpath, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != EAGAIN)
			break;
	}
	return -errno;
}

static int stat_beneath(const struct vouchfs *fs, const char *relpath, struct stat *st)
{
	int fd, ret;

	if (strcmp(relpath, ".") == 0)
		return fstat(fs->rootfd, st) ? -errno : 0;
	fd = open_beneath(fs, relpath, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	ret = fstat(fd, st) ? -errno : 0;
	close(fd);
	return ret;
}

static char *child_path(const struct vouchfs *fs, const struct vouchfs_node *parent,
			const char *name)
{
	char *p = NULL;

	/* The kernel never sends these, but a name must stay one component. */
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strchr(name, '/'))
		return NULL;
	if (parent == &fs->root_node)
		return strdup(name);
	if (asprintf(&p, "%s/%s", parent->relpath, name) < 0)
		return NULL;
	return p;
}

static void *pool_get(struct vouchfs *fs)
{
	void *buf = NULL;

	pthread_mutex_lock(&fs->pool_lock);
	while (!fs->pool_free && fs->pool_made >= VOUCHFS_READ_BUFFERS)
		pthread_cond_wait(&fs->pool_cond, &fs->pool_lock);
	if (fs->pool_free) {
		buf = fs->pool[--fs->pool_free];
	} else if ((buf = aligned_alloc(4096, VOUCHFS_MAX_READ)) != NULL) {
		fs->pool_made++;
	}
	pthread_mutex_unlock(&fs->pool_lock);
	return buf;
}

static void pool_put(struct vouchfs *fs, void *buf)
{
	pthread_mutex_lock(&fs->pool_lock);
	fs->pool[fs->pool_free++] = buf;
	pthread_cond_signal(&fs->pool_cond);
	pthread_mutex_unlock(&fs->pool_lock);
}

/* ---------------------------------------------------------------------- */

static void vouchfs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct vouchfs *fs = userdata;

	/* 1 MiB requests: max_read here must equal the -o max_read given to
	 * fuse_session_new, or libfuse aborts the mount (EPROTO). */
	conn->max_read = VOUCHFS_MAX_READ;
	conn->max_readahead = VOUCHFS_MAX_READ;
	/* Enough asynchronous readahead in flight to keep two cores busy. */
	conn->max_background = 64;
	conn->congestion_threshold = 48;
	/* Read-only: nothing to write back, and no splice (reads are copied
	 * into our buffer so they can be checked before they are sent). */
	conn->want &= ~(unsigned)(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_SPLICE_READ |
				  FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	/* The mount answers now: the one call up, through the hook. */
	if (fs->ready)
		fs->ready(fs);
}

/* The attributes a client sees for relpath: directories and regular files
 * as they are; nothing else is ever shown as what it is.  A symlink is never shown as
 * one: the client's kernel would follow it and open the target's name, so
 * the verdict would be made on the wrong name.  It is shown as a regular
 * file: with the target's attributes when the policy allows it and it
 * leads to a regular file inside the symlink root, else as an empty file
 * whose open is denied (and recorded) as `symlink`. */
static int attr_of(struct vouchfs *fs, const char *relpath, struct stat *st)
{
	struct vouch_root root = { .fd = fs->rootfd, .path = fs->source };
	struct stat tst;
	int ret, fd;

	ret = stat_beneath(fs, relpath, st);
	if (ret < 0 || S_ISREG(st->st_mode) || S_ISDIR(st->st_mode))
		return ret;
	if (!S_ISLNK(st->st_mode)) {
		/* A FIFO, socket or device planted in the tree: shown as such,
		 * the client's kernel would open it itself (a FIFO even for
		 * writing, through a read-only mount) and vouchfs would never
		 * decide.  An empty regular file whose open reaches us and is
		 * denied as `symlink` ("not a regular file"). */
		st->st_mode = S_IFREG | 0444;
		st->st_size = 0;
		st->st_rdev = 0;
		return 0;
	}
	fd = vouch_open_name(fs->ctx, &root, relpath, O_PATH);
	if (fd >= 0) {
		ret = fstat(fd, &tst);
		close(fd);
		if (ret == 0 && S_ISREG(tst.st_mode)) {
			*st = tst;
			return 0;
		}
	}
	st->st_mode = S_IFREG | 0444;
	st->st_size = 0;
	st->st_nlink = 1;
	return 0;
}

static void reply_entry_for(struct vouchfs *fs, fuse_req_t req, const char *relpath)
{
	struct fuse_entry_param e;
	struct vouchfs_node *n;
	int ret;

	memset(&e, 0, sizeof(e));
	e.attr_timeout = fs->timeout;
	e.entry_timeout = fs->timeout;
	ret = attr_of(fs, relpath, &e.attr);
	if (ret == -ENOENT) {
		/* A negative entry, cached like a positive one. */
		fuse_reply_entry(req, &e);
		return;
	}
	if (ret < 0) {
		/* ELOOP/EXDEV: a symlink or mount on the way; never crossed. */
		fuse_reply_err(req, ret == -ELOOP || ret == -EXDEV ? EACCES : -ret);
		return;
	}
	n = node_ref(fs, relpath, &e.attr);
	if (!n) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	e.ino = ino_of(fs, n);
	if (fuse_reply_entry(req, &e) != 0)
		node_unref(fs, n, 1);       /* the kernel did not take the reference */
}

static void vouchfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct vouchfs *fs = fuse_req_userdata(req);
	char *rel = child_path(fs, node_of(fs, parent), name);

	if (!rel) {
		fuse_reply_err(req, strlen(name) > NAME_MAX ? ENAMETOOLONG : ENOENT);
		return;
	}
	if (strlen(rel) >= PATH_MAX)
		fuse_reply_err(req, ENAMETOOLONG);
	else
		reply_entry_for(fs, req, rel);
	free(rel);
}

static void vouchfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct vouchfs *fs = fuse_req_userdata(req);

	node_unref(fs, node_of(fs, ino), nlookup);
	fuse_reply_none(req);
}

static void vouchfs_forget_multi(fuse_req_t req, size_t count,
				 struct fuse_forget_data *forgets)
{
	struct vouchfs *fs = fuse_req_userdata(req);
	size_t i;

	for (i = 0; i < count; i++)
		node_unref(fs, node_of(fs, forgets[i].ino), forgets[i].nlookup);
	fuse_reply_none(req);
}

static void vouchfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct vouchfs *fs = fuse_req_userdata(req);
	struct vouchfs_node *n = node_of(fs, ino);
	struct stat st;
	int ret;

	/* A file node is one version: its attributes are that version's, so
	 * the kernel never resizes or invalidates the pages it holds for it.
	 * A changed file is seen through a new node at the next lookup. */
	if (S_ISREG(n->st.st_mode)) {
		fuse_reply_attr(req, &n->st, fs->timeout);
		return;
	}
	ret = stat_beneath(fs, n->relpath, &st);
	if (ret == 0 && (st.st_dev != n->st.st_dev || st.st_ino != n->st.st_ino))
		ret = -ESTALE;          /* the VFS looks the path up again */
	if (ret < 0)
		fuse_reply_err(req, ret == -ELOOP || ret == -EXDEV ? EACCES : -ret);
	else
		fuse_reply_attr(req, &st, fs->timeout);
}

static void vouchfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct vouchfs *fs = fuse_req_userdata(req);
	struct dirhandle *d;
	int fd;

	d = calloc(1, sizeof(*d));
	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fd = open_beneath(fs, node_of(fs, ino)->relpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0) {
		free(d);
		fuse_reply_err(req, fd == -ELOOP || fd == -EXDEV ? EACCES : -fd);
		return;
	}
	d->dp = fdopendir(fd);
	if (!d->dp) {
		close(fd);
		free(d);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_init(&d->lock, NULL);
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi) != 0) {
		closedir(d->dp);
		free(d);
	}
}

static void vouchfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			    struct fuse_file_info *fi)
{
	struct dirhandle *d = (struct dirhandle *)(uintptr_t)fi->fh;
	char *buf, *p;
	size_t rem;
	int err = 0;

	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	p = buf;
	rem = size;
	for (;;) {
		struct stat st;
		size_t entsize;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = errno;
				break;
			}
		}
		memset(&st, 0, sizeof(st));
		st.st_ino = d->entry->d_ino;
		/* Links, FIFOs, sockets and devices are shown as regular files (attr_of). */
		st.st_mode = (mode_t)(d->entry->d_type == DT_DIR || d->entry->d_type == DT_UNKNOWN ?
				      d->entry->d_type : DT_REG) << 12;
		entsize = fuse_add_direntry(req, p, rem, d->entry->d_name, &st,
					    d->entry->d_off);
		if (entsize > rem)
			break;          /* keep the entry for the next call */
		p += entsize;
		rem -= entsize;
		d->offset = d->entry->d_off;
		d->entry = NULL;
	}
	pthread_mutex_unlock(&d->lock);
	/* An error after some entries: return those, the next call repeats it. */
	if (err && p == buf)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, (size_t)(p - buf));
	free(buf);
}

static void vouchfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirhandle *d = (struct dirhandle *)(uintptr_t)fi->fh;

	closedir(d->dp);
	pthread_mutex_destroy(&d->lock);
	free(d);
	fuse_reply_err(req, 0);
}

/* The opening process for the audit record: FUSE reports the thread.
 * /proc/<tid>/status (vouch_proc_identity) costs tens of microseconds on
 * every open, most of it the memory statistics it also prints.  Most opens
 * come from a thread group leader, which pidfd_open() accepts (it refuses
 * other threads with EINVAL): then tgid = tid and only the comm is read. */
static void fill_subject(fuse_req_t req, struct vouch_subject *who, char *comm, size_t len)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	pid_t tgid = c->pid;
	char path[48];
	ssize_t n = -1;
	int fd;

	fd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (fd >= 0) {
		close(fd);
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)c->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, comm, len - 1);
			close(fd);
		}
		if (n > 0) {
			comm[n] = '\0';
			comm[strcspn(comm, "\n")] = '\0';
		}
	}
	if (n <= 0 && vouch_proc_identity(c->pid, &tgid, comm, len) < 0)
		snprintf(comm, len, "?");
	who->pid = tgid;
	who->uid = c->uid;
	who->comm = comm;
}

/* Push the file into the kernel's page cache for this node, from the
 * start, in 1 MiB pieces, each read and checked exactly like a READ reply
 * (so only bytes of the verified version are stored).  Runs in the worker
 * that answered the open, after the reply: the client reads cached pages
 * while this runs ahead of it, instead of waiting for READ round trips. */
static void prefetch(struct vouchfs *fs, fuse_ino_t ino, int fd, const struct stat *verified)
{
	uint64_t limit = (uint64_t)fs->prefetch_mib << 20;
	off_t off = 0, end = verified->st_size;
	struct stat st;
	void *buf;

	if ((uint64_t)end > limit)
		end = (off_t)limit;
	/* Best effort: a few at a time, each with its own buffer, so the read
	 * buffers stay free for READs and memory stays bounded. */
	if (atomic_fetch_add(&fs->n_prefetching, 1) >= MAX_PREFETCH)
		goto out;
	buf = aligned_alloc(4096, VOUCHFS_MAX_READ);
	if (!buf)
		goto out;
	while (off < end) {
		struct fuse_bufvec bv = FUSE_BUFVEC_INIT(0);
		size_t want = end - off < VOUCHFS_MAX_READ ? (size_t)(end - off) : VOUCHFS_MAX_READ;
		ssize_t got = pread(fd, buf, want, off);

		if (got <= 0 || fstat(fd, &st) != 0 || !same_version(&st, verified))
			break;
		bv.buf[0].mem = buf;
		bv.buf[0].size = (size_t)got;
		/* Fails once the kernel forgot the inode or the mount went. */
		if (fuse_lowlevel_notify_store(fs->se, ino, off, &bv, 0) != 0)
			break;
		off += got;
	}
	free(buf);
out:
	atomic_fetch_sub(&fs->n_prefetching, 1);
}

static void vouchfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct vouchfs *fs = fuse_req_userdata(req);
	struct vouchfs_node *n = node_of(fs, ino);
	struct vouch_root root = { .fd = fs->rootfd, .path = fs->source };
	struct vouch_subject who;
	struct vouch_verdict v;
	struct handle *h = NULL;
	char comm[64];
	int fd, sfd, err;

	if ((fi->flags & O_ACCMODE) != O_RDONLY ||
	    (fi->flags & (O_TRUNC | O_APPEND | O_CREAT))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/* The node's own name, opened as the verdict will see it: no symlink
	 * followed unless the policy allows links (then confined to the
	 * symlink root).  O_NONBLOCK: a FIFO swapped in under the source must
	 * not hang a worker; it is harmless for regular files. */
	fd = vouch_open_name(fs->ctx, &root, n->relpath, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd == -ELOOP || fd == -EXDEV || fd == -ENOENT) {
		/* A link that may not be followed, or leads out, or nowhere: hand
		 * the link itself to the verdict, which denies it and says why. */
		fd = open_beneath(fs, n->relpath, O_PATH | O_NOFOLLOW);
	}
	fill_subject(req, &who, comm, sizeof(comm));
	if (fd < 0) {
		err = -fd;
		if (err == ELOOP || err == EXDEV) {
			/* A mount (or a link swapped in) on the path: never crossed. */
			char *full = NULL;
			bool allow;

			if (asprintf(&full, "%s/%s", fs->source, n->relpath) < 0)
				full = NULL;
			allow = vouch_ctx_refuse(fs->ctx, VOUCH_CAUSE_SYMLINK, full ? full : n->relpath,
						 NULL, &who, "a mount or a symlink on the path");
			free(full);
			atomic_fetch_add(&fs->n_deny, !allow);
			err = EACCES;   /* even in audit mode: there is no file to serve */
		}
		goto fail;
	}
	memset(&v, 0, sizeof(v));
	vouch_verify_fd(fs->ctx, &root, n->relpath, fd, &who, &v);
	atomic_fetch_add(&fs->n_open, 1);
	if (!v.allow && v.cause == VOUCH_CAUSE_UNLOCATED) {
		/* The name was replaced while it was checked (a publish): ESTALE
		 * makes the VFS look it up again and retry the open on the new
		 * version's node (once; a second ESTALE reaches the client). */
		atomic_fetch_add(&fs->n_stale, 1);
		err = ESTALE;
		goto fail;
	}
	if (!v.allow) {
		atomic_fetch_add(&fs->n_deny, 1);
		err = EACCES;
		goto fail;
	}
	if (!same_version(&v.st, &n->st)) {
		/* Verified, but not the version this inode (and its cached
		 * pages) stands for.  ESTALE makes the VFS look the name up
		 * again (LOOKUP_REVAL) and retry the open on the new version's
		 * node, whose page cache is empty.  Its open verifies again
		 * (a cache hit in libvouch). */
		atomic_fetch_add(&fs->n_stale, 1);
		err = ESTALE;
		goto fail;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		err = ENOMEM;
		goto fail;
	}
	h->fd = fd;
	h->node = n;
	h->st = v.st;
	fi->fh = (uintptr_t)h;
	fi->direct_io = 0;      /* shared mmap must work */
	fi->noflush = 1;        /* read-only: nothing to flush at close */
	/* The node is this exact version, so whatever the kernel cached for
	 * it was read from these bytes and checked (vouchfs_read, prefetch).
	 * Even the first open keeps the cache: without keep_cache the kernel
	 * would drop the pages when it completes this open, which can happen
	 * after the prefetch below has begun to store them. */
	fi->keep_cache = 1;
	/* The first open of a version fills the page cache ahead of the
	 * reader; its own fd, since a RELEASE may close h->fd meanwhile. */
	sfd = atomic_exchange(&n->opened, true) || fs->prefetch_mib == 0 || v.st.st_size == 0 ?
	      -1 : dup(fd);
	if (fuse_reply_open(req, fi) != 0) {
		/* The request was interrupted: the kernel holds no handle. */
		close(h->fd);
		free(h);
	} else if (sfd >= 0) {
		prefetch(fs, ino, sfd, &v.st);
	}
	if (sfd >= 0)
		close(sfd);
	return;
fail:
	if (fd >= 0)
		close(fd);
	fuse_reply_err(req, err);
}

static void vouchfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			 struct fuse_file_info *fi)
{
	struct vouchfs *fs = fuse_req_userdata(req);
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	struct stat st;
	ssize_t got;
	void *buf;

	if (size > VOUCHFS_MAX_READ)
		size = VOUCHFS_MAX_READ;
	buf = pool_get(fs);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	got = pread(h->fd, buf, size, off);
	if (got < 0) {
		fuse_reply_err(req, errno);
		goto out;
	}
	/* Checked after the copy: a write or truncate updates ctime before it
	 * touches the data, so a change that overlapped this pread shows. */
	if (fstat(h->fd, &st) != 0 || !same_version(&st, &h->st)) {
		atomic_fetch_add(&fs->n_changed, 1);
		if (!atomic_exchange(&h->warned, true))
			vouchfs_log(fs, "%s/%s: source changed since it was verified: EIO",
				    fs->source, h->node->relpath);
		fuse_reply_err(req, EIO);
		goto out;
	}
	fuse_reply_buf(req, buf, (size_t)got);
out:
	pool_put(fs, buf);
}

static void vouchfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	close(h->fd);
	free(h);
	fuse_reply_err(req, 0);
}

static void vouchfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	const struct vouchfs *fs = fuse_req_userdata(req);
	struct statvfs sv;

	if (fstatvfs(fs->rootfd, &sv) != 0) {
		fuse_reply_err(req, errno);
		return;
	}
	sv.f_flag |= ST_RDONLY;
	fuse_reply_statfs(req, &sv);
}

static void vouchfs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	/* Mode bits are the kernel's job (default_permissions). */
	fuse_reply_err(req, (mask & W_OK) ? EROFS : 0);
}

/* Everything that would change the tree answers EROFS.  The mount is also
 * MS_RDONLY, so most never get here; these are the second line. */
static void vouchfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			    int to_set, struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void vouchfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
			  mode_t mode, dev_t rdev)
{
	fuse_reply_err(req, EROFS);
}

static void vouchfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	fuse_reply_err(req, EROFS);
}

static void vouchfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void vouchfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
			    const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void vouchfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			   fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	fuse_reply_err(req, EROFS);
}

static void vouchfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
			 const char *newname)
{
	fuse_reply_err(req, EROFS);
}

static void vouchfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
			  off_t off, struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void vouchfs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
			   mode_t mode, struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void vouchfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			     const char *value, size_t size, int flags)
{
	fuse_reply_err(req, EROFS);
}

static void vouchfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void vouchfs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			      off_t length, struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

const struct fuse_lowlevel_ops vouchfs_ops = {
	.init         = vouchfs_init,
	.lookup       = vouchfs_lookup,
	.forget       = vouchfs_forget,
	.forget_multi = vouchfs_forget_multi,
	.getattr      = vouchfs_getattr,
	.opendir      = vouchfs_opendir,
	.readdir      = vouchfs_readdir,
	.releasedir   = vouchfs_releasedir,
	.open         = vouchfs_open,
	.read         = vouchfs_read,
	.release      = vouchfs_release,
	.statfs       = vouchfs_statfs,
	.access       = vouchfs_access,
	.setattr      = vouchfs_setattr,
	.mknod        = vouchfs_mknod,
	.mkdir        = vouchfs_mkdir,
	.unlink       = vouchfs_unlink,
	.rmdir        = vouchfs_unlink,
	.symlink      = vouchfs_symlink,
	.rename       = vouchfs_rename,
	.link         = vouchfs_link,
	.write        = vouchfs_write,
	.create       = vouchfs_create,
	.setxattr     = vouchfs_setxattr,
	.removexattr  = vouchfs_removexattr,
	.fallocate    = vouchfs_fallocate,
};
