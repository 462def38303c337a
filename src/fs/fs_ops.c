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
#include <pthread.h>
#include <sched.h>
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
/* Page-cache fills running at once (each a thread with 1 MiB). */
#define MAX_PREFETCH  4
/* verify = stream: shards hashed ahead of the reader, per file and in all
 * (each a thread; 2 cores), and how far ahead of the last read they go. */
#define AHEAD_PER_NODE 2
#define MAX_AHEAD      4
#define AHEAD_SPAN     (256ull << 20)

struct handle {                         /* one open file */
	int                  fd;            /* the backing fd that was verified */
	struct vouchfs_node *node;
	struct stat          st;            /* verdict.st: the file as verified */
	struct vouch_stream *stream;        /* verify = stream: check before serving */
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
			vouch_stream_unref(n->stream);
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

/* Same node: same path, same file, and for a regular file the same version. */
static bool node_matches(const struct vouchfs_node *n, const char *relpath, const struct stat *st)
{
	if (n->st.st_dev != st->st_dev || n->st.st_ino != st->st_ino ||
	    (n->st.st_mode & S_IFMT) != (st->st_mode & S_IFMT) || strcmp(n->relpath, relpath))
		return false;
	return !S_ISREG(st->st_mode) || vouch_same_version(&n->st, st);
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

/* Drop kernel references (count) and background pins (unpin); the node
 * goes when neither is left.  A background job pins its node: the node's
 * address is its inode number, and a node freed and made again at the
 * same address for another version must never receive the old one's
 * bytes.  Caller holds table_lock. */
static void node_put_locked(struct vouchfs *fs, struct vouchfs_node *n, uint64_t count,
			    unsigned unpin)
{
	struct vouchfs_node **pp;

	n->nlookup -= count < n->nlookup ? count : n->nlookup;
	n->pins -= unpin < n->pins ? unpin : n->pins;
	if (n->nlookup == 0 && n->pins == 0) {
		for (pp = &fs->table[path_hash(n->relpath)]; *pp; pp = &(*pp)->hnext) {
			if (*pp == n) {
				*pp = n->hnext;
				break;
			}
		}
		vouch_stream_unref(n->stream);
		free(n->relpath);
		free(n);
	}
}

static void node_unref(struct vouchfs *fs, struct vouchfs_node *n, uint64_t count)
{
	if (n == &fs->root_node)
		return;
	pthread_mutex_lock(&fs->table_lock);
	node_put_locked(fs, n, count, 0);
	pthread_mutex_unlock(&fs->table_lock);
}

static void node_pin(struct vouchfs *fs, struct vouchfs_node *n)
{
	pthread_mutex_lock(&fs->table_lock);
	n->pins++;
	pthread_mutex_unlock(&fs->table_lock);
}

static void node_unpin(struct vouchfs *fs, struct vouchfs_node *n)
{
	pthread_mutex_lock(&fs->table_lock);
	node_put_locked(fs, n, 0, 1);
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

/* The opening process for the audit record: FUSE reports the thread.  Its
 * name and thread group are read from /proc by libvouch only when a record
 * is written (comm NULL): an open answered from the verdict cache, the
 * common case, costs no /proc read. */
static void fill_subject(fuse_req_t req, struct vouch_subject *who)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);

	who->pid = c->pid;
	who->uid = c->uid;
	who->comm = NULL;
}

/* ---------------------------------------------------------------------- */
/* Background jobs: the page-cache fill after a first open, and (verify =   */
/* stream) hashing shards ahead of the reader.  Each is a detached thread   */
/* with its own fd (a RELEASE may close the handle's) and a pin on its node */
/* (node_put_locked says why); vouchfs_jobs_stop() waits for them all.      */

struct bgjob {
	struct vouchfs      *fs;
	struct vouchfs_node *n;
	int                  fd;
	struct stat          st;            /* the version verified */
	struct vouch_stream *stream;        /* hash ahead; NULL: fill the page cache */
};

/* Push [off, end) of the verified version into the node's page cache, 1 MiB
 * at a time, each piece read and checked exactly like a READ reply (so only
 * bytes of the verified version are stored), never behind the reader: a
 * piece the reader has passed is skipped (its reads filled the cache
 * themselves).  False once the kernel refuses (inode forgotten, mount
 * gone), the file changed or vouchfs is stopping. */
static bool store_range(struct bgjob *j, uint64_t off, uint64_t end, void *buf)
{
	struct vouchfs *fs = j->fs;

	while (off < end && !atomic_load(&fs->jobs_stop)) {
		struct fuse_bufvec bv = FUSE_BUFVEC_INIT(0);
		uint64_t reader = atomic_load(&j->n->read_to);
		size_t want;
		ssize_t got;

		if (reader > off) {
			off = reader & ~(uint64_t)4095;
			if (off >= end)
				break;
		}
		want = end - off < VOUCHFS_MAX_READ ? (size_t)(end - off) : VOUCHFS_MAX_READ;
		got = pread(j->fd, buf, want, (off_t)off);
		if (got <= 0 || !vouch_fd_unchanged(j->fd, &j->st))
			return false;
		bv.buf[0].mem = buf;
		bv.buf[0].size = (size_t)got;
		if (fuse_lowlevel_notify_store(fs->se, ino_of(fs, j->n), (off_t)off, &bv, 0) != 0)
			return false;
		off += (uint64_t)got;
	}
	return !atomic_load(&fs->jobs_stop);
}

/* The fill after a first open (prefetch=MIB; open mode only: in stream
 * mode only verified shards are ever stored, by the hash-ahead job).  At
 * idle priority: it uses what the readers leave, never their time. */
static void *fill_main(void *arg)
{
	struct bgjob *j = arg;
	struct sched_param sp = { 0 };
	uint64_t end = (uint64_t)j->st.st_size, limit = (uint64_t)j->fs->prefetch_mib << 20;
	void *buf = aligned_alloc(4096, VOUCHFS_MAX_READ);

	pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	if (buf)
		store_range(j, 0, end < limit ? end : limit, buf);
	free(buf);
	return NULL;
}

/* Hash the shards ahead of the last read, each once; with prefetch on,
 * push each one that matched into the page cache, so the reader finds
 * checked bytes there instead of asking for them. */
static void *ahead_main(void *arg)
{
	struct bgjob *j = arg;
	void *buf = j->fs->prefetch_mib ? aligned_alloc(4096, VOUCHFS_MAX_READ) : NULL;
	uint64_t a, b;

	while (!atomic_load(&j->fs->jobs_stop) &&
	       vouch_stream_ahead(j->stream, j->fd, atomic_load(&j->n->read_to), AHEAD_SPAN,
				  &a, &b) == 1) {
		if (buf && !store_range(j, a, b, buf))
			break;
	}
	free(buf);
	atomic_fetch_sub(&j->n->ahead, 1);
	return NULL;
}

static void *job_main(void *arg)
{
	struct bgjob *j = arg;
	struct vouchfs *fs = j->fs;
	bool ahead = j->stream != NULL;

	(ahead ? ahead_main : fill_main)(j);
	close(j->fd);
	vouch_stream_unref(j->stream);
	node_unpin(fs, j->n);
	free(j);
	atomic_fetch_sub(ahead ? &fs->n_ahead : &fs->n_prefetching, 1);
	return NULL;
}

/* Start a job for node n (stream: hash ahead, else fill), unless enough run
 * already.  Best effort: nothing depends on it but speed. */
static void job_start(struct vouchfs *fs, struct vouchfs_node *n, int fd, const struct stat *st,
		      struct vouch_stream *stream)
{
	atomic_uint *count = stream ? &fs->n_ahead : &fs->n_prefetching;
	unsigned max = stream ? MAX_AHEAD : MAX_PREFETCH;
	struct bgjob *j = NULL;
	pthread_attr_t attr;
	pthread_t t;

	if (stream && atomic_fetch_add(&n->ahead, 1) >= AHEAD_PER_NODE) {
		atomic_fetch_sub(&n->ahead, 1);
		return;
	}
	if (atomic_fetch_add(count, 1) >= max || atomic_load(&fs->jobs_stop) ||
	    !(j = calloc(1, sizeof(*j))) || (j->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		goto undo;
	j->fs = fs;
	j->n = n;
	j->st = *st;
	j->stream = stream ? vouch_stream_ref(stream) : NULL;
	node_pin(fs, n);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, job_main, j) == 0) {
		pthread_attr_destroy(&attr);
		return;
	}
	pthread_attr_destroy(&attr);
	node_unpin(fs, n);
	vouch_stream_unref(j->stream);
	close(j->fd);
undo:
	free(j);
	atomic_fetch_sub(count, 1);
	if (stream)
		atomic_fetch_sub(&n->ahead, 1);
}

void vouchfs_jobs_stop(struct vouchfs *fs)
{
	atomic_store(&fs->jobs_stop, true);
	while (atomic_load(&fs->n_prefetching) || atomic_load(&fs->n_ahead))
		usleep(1000);
}

/* A refusal vouchfs makes itself, recorded under the node's full source
 * path like libvouch's own (vouch_ctx_refuse) and counted.  Returns true
 * when the open may go on (audit mode). */
static bool refuse(struct vouchfs *fs, const struct vouchfs_node *n, enum vouch_cause cause,
		   const struct stat *st, const struct vouch_subject *who, const char *detail)
{
	char *full = NULL;
	bool allow;

	if (asprintf(&full, "%s/%s", fs->source, n->relpath) < 0)
		full = NULL;
	allow = vouch_ctx_refuse(fs->ctx, cause, full ? full : n->relpath, st, who, detail);
	free(full);
	atomic_fetch_add(&fs->n_deny, !allow);
	return allow;
}

static void vouchfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct vouchfs *fs = fuse_req_userdata(req);
	struct vouchfs_node *n = node_of(fs, ino);
	struct vouch_root root = { .fd = fs->rootfd, .path = fs->source };
	struct vouch_subject who;
	struct vouch_verdict v;
	struct vouch_stream *stream = NULL;
	struct handle *h = NULL;
	bool first;
	int fd, err;

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
	fill_subject(req, &who);
	if (fd < 0) {
		err = -fd;
		if (err == ELOOP || err == EXDEV) {
			/* A mount (or a link swapped in) on the path: never crossed. */
			refuse(fs, n, VOUCH_CAUSE_SYMLINK, NULL, &who, "a mount or a symlink on the path");
			err = EACCES;   /* even in audit mode: there is no file to serve */
		}
		goto fail;
	}
	memset(&v, 0, sizeof(v));
	if (atomic_load(&fs->verify_stream))
		vouch_verify_stream(fs->ctx, &root, n->relpath, fd, 0, &who, &v, &stream);
	else
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
	if (!vouch_same_version(&v.st, &n->st)) {
		/* Verified, but not the version this inode (and its cached
		 * pages) stands for.  ESTALE makes the VFS look the name up
		 * again (LOOKUP_REVAL) and retry the open on the new version's
		 * node, whose page cache is empty.  Its open verifies again
		 * (a cache hit in libvouch). */
		atomic_fetch_add(&fs->n_stale, 1);
		err = ESTALE;
		goto fail;
	}
	if (stream) {
		/* One verifier per version, shared by its handles, so a shard is
		 * hashed once however many readers ask.  A node's verifier stands
		 * for one list of signed digests: an open under another (the
		 * signature was replaced by one for the same bytes) is verified
		 * in full instead, against what it says. */
		pthread_mutex_lock(&fs->table_lock);
		if (!n->stream) {
			n->stream = vouch_stream_ref(stream);
		} else if (!vouch_stream_same(n->stream, stream)) {
			pthread_mutex_unlock(&fs->table_lock);
			vouch_stream_unref(stream);
			stream = NULL;
			memset(&v, 0, sizeof(v));
			if (vouch_verify_fd(fs->ctx, &root, n->relpath, fd, &who, &v) != VOUCH_CAUSE_OK ||
			    !v.allow || !vouch_same_version(&v.st, &n->st)) {
				atomic_fetch_add(&fs->n_deny, !v.allow);
				err = v.allow ? ESTALE : EACCES;
				goto fail;
			}
			pthread_mutex_lock(&fs->table_lock);
		} else {
			vouch_stream_unref(stream);
			stream = vouch_stream_ref(n->stream);
		}
		pthread_mutex_unlock(&fs->table_lock);
		if (stream && vouch_stream_bad(stream, v.detail, sizeof(v.detail))) {
			/* This version is known not to match: refused outright,
			 * recorded with this opener (libvouch does the same when
			 * it still remembers the verdict). */
			if (!refuse(fs, n, VOUCH_CAUSE_HASH_MISMATCH, &v.st, &who, v.detail)) {
				err = EACCES;
				goto fail;
			}
		}
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		err = ENOMEM;
		goto fail;
	}
	h->fd = fd;
	h->node = n;
	h->st = v.st;
	h->stream = stream;
	stream = NULL;      /* the handle's now */
	fi->fh = (uintptr_t)h;
	fi->direct_io = 0;      /* shared mmap must work */
	fi->noflush = 1;        /* read-only: nothing to flush at close */
	/* The node is this exact version, so whatever the kernel cached for
	 * it was read from these bytes and checked (vouchfs_read, prefetch).
	 * Even the first open keeps the cache: without keep_cache the kernel
	 * would drop the pages when it completes this open, which can happen
	 * after the prefetch below has begun to store them. */
	fi->keep_cache = 1;
	first = !atomic_exchange(&n->opened, true);
	/* Before the reply: once it is sent, a RELEASE may free h any time. */
	if (h->stream) {
		/* Stream: start on the first shard before the first read asks. */
		if (!vouch_stream_complete(h->stream))
			job_start(fs, n, h->fd, &h->st, h->stream);
	} else if (first && fs->prefetch_mib && v.st.st_size > 0) {
		/* The first open of a verified version fills the page cache
		 * ahead of the reader (never with unverified bytes: a streamed
		 * handle's cache is filled by its hash-ahead job only). */
		job_start(fs, n, h->fd, &h->st, NULL);
	}
	if (fuse_reply_open(req, fi) != 0) {
		/* The request was interrupted: the kernel holds no handle. */
		vouch_stream_unref(h->stream);
		close(h->fd);
		free(h);
	}
	return;
fail:
	vouch_stream_unref(stream);
	if (fd >= 0)
		close(fd);
	fuse_reply_err(req, err);
}

static void vouchfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			 struct fuse_file_info *fi)
{
	struct vouchfs *fs = fuse_req_userdata(req);
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	ssize_t got;
	bool bad = false;
	void *buf;

	if (size > VOUCHFS_MAX_READ)
		size = VOUCHFS_MAX_READ;
	if (h->stream) {
		struct vouch_subject who;

		fill_subject(req, &who);
		bad = vouch_stream_check(h->stream, h->fd, (uint64_t)off, size, &who) < 0;
	}
	if (bad) {
		/* A shard that does not match its signed digest (recorded once,
		 * by libvouch), or the file changed: no byte of it is served. */
		struct vouchfs_node *n = h->node;
		bool first = !atomic_exchange(&n->poisoned, true);

		if (first) {
			vouchfs_log(fs, "%s/%s: content does not match the signature (verify = stream): EIO",
				    fs->source, n->relpath);
			node_pin(fs, n);        /* h may go with a RELEASE once we reply */
		}
		fuse_reply_err(req, EIO);
		if (first) {
			/* Every later read fails, the ones the kernel would answer
			 * from pages it cached before too: drop them (after the
			 * reply: this READ's pages are locked until then). */
			fuse_lowlevel_notify_inval_inode(fs->se, ino, 0, 0);
			node_unpin(fs, n);
		}
		return;
	}
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
	if (!vouch_fd_unchanged(h->fd, &h->st)) {
		atomic_fetch_add(&fs->n_changed, 1);
		if (!atomic_exchange(&h->warned, true))
			vouchfs_log(fs, "%s/%s: source changed since it was verified: EIO",
				    fs->source, h->node->relpath);
		fuse_reply_err(req, EIO);
		goto out;
	}
	/* Where the reader is: hash ahead from here, never fill behind it.
	 * Before the reply: once it is sent, a RELEASE may free h any time. */
	atomic_store(&h->node->read_to, (uint64_t)off + (uint64_t)got);
	if (h->stream && vouch_stream_pending(h->stream, (uint64_t)off + (uint64_t)got, AHEAD_SPAN))
		job_start(fs, h->node, h->fd, &h->st, h->stream);
	fuse_reply_buf(req, buf, (size_t)got);
out:
	pool_put(fs, buf);
}

static void vouchfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	vouch_stream_unref(h->stream);
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
