/* SPDX-License-Identifier: Apache-2.0 */
/*
 * where.c - decide, for a freshly opened fd and the name the program asked
 * for, whether it is a read under a protected root, and under which name.
 *
 * The name asked for decides (design: "decide on the name that was
 * opened"): when it lies, lexically, under a protected root, that name is
 * what libvouch verifies, and libvouch proves that the fd is the file at
 * that name (no symlink on the way unless the policy allows links), or
 * denies.  Looking at where the fd ended up instead is what let a link to a
 * signature file, or a rename between open and readlink, serve unverified
 * bytes under a signed name.
 *
 * Where the fd lives still matters for names outside every root (a bind
 * mount of the model store elsewhere, a hard link outside the root, a
 * symlink above the root such as /models -> /srv/models) and for opens with
 * no name (open_by_handle_at, freopen(NULL)).  Paths and device numbers lie
 * there (btrfs subvolumes and overlayfs files report their own devices);
 * what does not lie is the mount the fd was opened through (statx's
 * stx_mnt_id, free with the one stat we need anyway) and that mount's source
 * in /proc/self/mountinfo (superblock + the mount's root inside the
 * filesystem).  A protected root becomes a set of "prefixes":
 * (superblock, path inside that filesystem) for the root's own mount and for
 * every mount below it.  A mount then falls in one of three classes:
 *   REL_NONE     no prefix on its superblock: nothing protected is reachable
 *                through it (the common case: one statx, nothing else);
 *   REL_LINKS    same superblock as a prefix but a disjoint subtree: only a
 *                hard link (st_nlink > 1) can reach a protected file;
 *   REL_OVERLAP  the mount shows (part of) a protected tree: resolve the fd's
 *                path inside the filesystem and compare it with the prefixes.
 * Hard links are caught by inode identity: an index of the protected files
 * with more than one link, rebuilt whenever a candidate's ctime (which every
 * link(2) updates) is not older than the index.  A file found this way is
 * verified under the name where it lives (libvouch: VOUCH_OPEN_FOUND, so no
 * file is exempt as a signature), unless a leading part of the name asked
 * for is itself a protected root directory (a link above the root): then
 * the rest of the name, as written, is the name.
 *
 * Owns: the mount table snapshot, the prefixes, the hard-link index.  Never
 * calls libvouch; never writes anything.
 */
#include "preload_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <sys/sysmacros.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x1000U
#endif

/* How stale the mount table may get while a process keeps opening files on
 * mounts it already knows: a bind of a protected tree made later onto an
 * already-seen mount id, or a mount id reused after an unmount. */
#define MTAB_REFRESH_NS  (1000ull * 1000 * 1000)
/* Bounds for the hard-link walk: a protected tree is a model store, not a
 * filesystem; past these we stop indexing (and say so once). */
#define INDEX_MAX_FILES  (1u << 20)
#define INDEX_MAX_DEPTH  64
/* Coarse-clock slack when comparing an inode's ctime with the index's age. */
#define INDEX_SLACK_S    1

enum { REL_NONE = 0, REL_LINKS = 1, REL_OVERLAP = 2 };

struct mnt {
	int      id;
	unsigned maj, min;          /* the superblock, as mountinfo shows it */
	char    *root;              /* the mount's root inside its filesystem */
	char    *point;             /* where it is mounted, in this namespace */
	int      rel;
};

struct prefix {
	unsigned maj, min;
	char    *fspath;            /* path inside that filesystem */
	size_t   root;              /* which protected root */
	char    *relbase;           /* that path, relative to the root ("" for the root) */
};

/* Immutable once published; replaced only when the mount table actually
 * changed.  Readers take no lock: they hold a snapshot for the few
 * microseconds of one decision, never across a blocking call, so a replaced
 * snapshot is freed only after MTAB_GRACE_NS (hosts with mount churn, such
 * as container nodes, would otherwise leak one per change). */
struct mtab {
	struct mnt    *m;
	size_t         n;
	int           *by_id;       /* mount id -> index in m, or -1 */
	size_t         nid;
	struct prefix *p;
	size_t         np;
	uint64_t       hash;        /* of the mountinfo text */
	struct mtab   *retired_next;
	uint64_t       retired_ns;
};
#define MTAB_GRACE_NS  (60ull * 1000 * 1000 * 1000)

struct ino_ent {
	dev_t  dev;
	ino_t  ino;
	size_t root;
	char  *rel;
};

static struct {
	struct shim_root *roots;
	size_t            nroots;
	bool              rebuild;       /* a root was re-pinned: rebuild prefixes */
	struct mtab      *tab;           /* atomic pointer */
	struct mtab      *retired;       /* replaced snapshots, newest first */
	uint64_t          checked_ns;    /* atomic: last mount-table check */
	pthread_mutex_t   lock;          /* refresh and the index */
	struct ino_ent   *idx;
	size_t            nidx;
	time_t            idx_built;     /* 0: never */
	bool              idx_truncated;
} W = { .lock = PTHREAD_MUTEX_INITIALIZER };

int shim_sys_openat(int dirfd, const char *path, int flags)
{
	/* The raw syscall: the shim's own reads must not re-enter its wrappers
	 * (they would anyway pass through under shim_busy, but this keeps the
	 * mount-table code usable from any context). */
	return (int)syscall(SYS_openat, dirfd, path, flags | O_CLOEXEC, 0);
}

/* ---- paths ---------------------------------------------------------- */

bool path_under(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (n == 1 && b[0] == '/')
		return a[0] == '/';
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

bool path_normalize(const char *in, char *out, size_t outlen)
{
	size_t len = 0;

	if (in[0] != '/' || outlen < 2)
		return false;
	out[len++] = '/';
	out[len] = '\0';
	for (const char *p = in; *p; ) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 1 && out[len - 1] != '/')
				len--;
			if (len > 1)
				len--;             /* drop the slash too */
			out[len] = '\0';
		} else {
			if (len + (len > 1) + n + 1 > outlen)
				return false;
			if (len > 1)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
		p = e;
	}
	return true;
}

/* out = base + tail, where tail is "" or starts with '/'; base "/" adds nothing. */
static bool path_join(const char *base, const char *tail, char *out, size_t outlen)
{
	int n;

	if (!strcmp(base, "/"))
		n = snprintf(out, outlen, "%s", *tail ? tail : "/");
	else
		n = snprintf(out, outlen, "%s%s", base, tail);
	return n > 0 && (size_t)n < outlen;
}

/* The part of a (under b) after b: "" or "/...". */
static const char *path_tail(const char *a, const char *b)
{
	return strcmp(b, "/") ? a + strlen(b) : a;
}

/* ---- the mount table ------------------------------------------------- */

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s, size_t n)
{
	char *o = malloc(n + 1), *q = o;

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n + 1 && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*q++ = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
			i += 3;
		} else {
			*q++ = s[i];
		}
	}
	*q = '\0';
	return o;
}

static char *read_mountinfo(size_t *len)
{
	int fd = shim_sys_openat(AT_FDCWD, "/proc/self/mountinfo", O_RDONLY);
	size_t cap = 16384, n = 0;
	char *buf = NULL;

	if (fd < 0)
		return NULL;
	for (;;) {
		if (!buf || n + 4096 > cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				goto fail;
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

static int parse_mountinfo(char *text, struct mnt **out, size_t *nout)
{
	size_t cap = 64, n = 0;
	struct mnt *m = malloc(cap * sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* id parent maj:min root point ... */
		char *f[5];
		size_t fl[5];
		char *p = line;
		int k;
		for (k = 0; k < 5; k++) {
			while (*p == ' ')
				p++;
			if (!*p)
				break;
			f[k] = p;
			while (*p && *p != ' ')
				p++;
			fl[k] = (size_t)(p - f[k]);
		}
		if (k < 5)
			continue;
		if (n == cap) {
			struct mnt *nm = realloc(m, (cap *= 2) * sizeof(*m));
			if (!nm)
				goto nomem;
			m = nm;
		}
		struct mnt *e = &m[n];
		memset(e, 0, sizeof(*e));
		e->id = atoi(f[0]);
		if (sscanf(f[2], "%u:%u", &e->maj, &e->min) != 2)
			continue;
		e->root = unescape(f[3], fl[3]);
		e->point = unescape(f[4], fl[4]);
		if (!e->root || !e->point) {
			free(e->root);
			free(e->point);
			goto nomem;
		}
		n++;
	}
	*out = m;
	*nout = n;
	return 0;
nomem:
	for (size_t i = 0; i < n; i++) {
		free(m[i].root);
		free(m[i].point);
	}
	free(m);
	return -ENOMEM;
}

static const struct mnt *mtab_get(const struct mtab *t, int id)
{
	if (!t || id < 0 || (size_t)id >= t->nid || t->by_id[id] < 0)
		return NULL;
	return &t->m[t->by_id[id]];
}

static int add_prefix(struct mtab *t, size_t *cap, unsigned maj, unsigned min,
		      const char *fspath, size_t root, const char *relbase)
{
	if (t->np == *cap) {
		struct prefix *np = realloc(t->p, (*cap = *cap ? *cap * 2 : 8) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		t->p = np;
	}
	struct prefix *p = &t->p[t->np];
	p->maj = maj;
	p->min = min;
	p->root = root;
	p->fspath = strdup(fspath);
	p->relbase = strdup(relbase);
	if (!p->fspath || !p->relbase) {
		free(p->fspath);
		free(p->relbase);
		return -ENOMEM;
	}
	t->np++;
	return 0;
}

static int fd_mount_id(int fd)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == 0 && (sx.stx_mask & STATX_MNT_ID))
		return (int)sx.stx_mnt_id;
	return -1;
}

/* (Re)open a root that was missing, and learn where it lives.  `real` is
 * published atomically: where_path_protected() reads it without the lock
 * (an old string is never freed, so a reader never sees freed memory). */
static void root_pin(struct shim_root *r)
{
	char link[64], buf[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (r->fd < 0) {
		r->fd = shim_sys_openat(AT_FDCWD, r->path, O_PATH | O_DIRECTORY);
		if (r->fd < 0)
			return;
		if (fstat(r->fd, &st) == 0) {
			r->dev = st.st_dev;
			r->ino = st.st_ino;
		}
		snprintf(link, sizeof(link), "/proc/self/fd/%d", r->fd);
		n = readlink(link, buf, sizeof(buf) - 1);
		if (n > 0 && buf[0] == '/') {
			buf[n] = '\0';
			char *old = __atomic_load_n(&r->real, __ATOMIC_ACQUIRE);
			if (!old || strcmp(old, buf))
				__atomic_store_n(&r->real, strdup(buf), __ATOMIC_RELEASE);
		}
	}
}

static struct mtab *mtab_build(char *text, uint64_t hash)
{
	struct mtab *t = calloc(1, sizeof(*t));
	size_t pcap = 0;
	int maxid = 0;

	if (!t)
		return NULL;
	t->hash = hash;
	if (parse_mountinfo(text, &t->m, &t->n))
		goto fail;
	for (size_t i = 0; i < t->n; i++)
		if (t->m[i].id > maxid)
			maxid = t->m[i].id;
	t->nid = (size_t)maxid + 1;
	t->by_id = malloc(t->nid * sizeof(*t->by_id));
	if (!t->by_id)
		goto fail;
	for (size_t i = 0; i < t->nid; i++)
		t->by_id[i] = -1;
	/* Later lines win: a mount id appears once, but keep the rule simple. */
	for (size_t i = 0; i < t->n; i++)
		t->by_id[t->m[i].id] = (int)i;

	for (size_t r = 0; r < W.nroots; r++) {
		struct shim_root *root = &W.roots[r];
		const struct mnt *m;
		char fs[PATH_MAX];

		root_pin(root);
		if (root->fd < 0 || !root->real)
			continue;
		/* The root's own mount: where the pinned directory really is. */
		m = mtab_get(t, fd_mount_id(root->fd));
		if (m && path_under(root->real, m->point) &&
		    path_join(m->root, path_tail(root->real, m->point), fs, sizeof(fs)) &&
		    add_prefix(t, &pcap, m->maj, m->min, fs, r, ""))
			goto fail;
		/* Every mount at or below the root shows protected content too. */
		for (size_t i = 0; i < t->n; i++) {
			const struct mnt *sub = &t->m[i];
			if (sub == m || !path_under(sub->point, root->real))
				continue;
			const char *rb = path_tail(sub->point, root->real);
			if (add_prefix(t, &pcap, sub->maj, sub->min, sub->root, r, rb[0] == '/' ? rb + 1 : rb))
				goto fail;
		}
	}
	for (size_t i = 0; i < t->n; i++) {
		struct mnt *m = &t->m[i];
		m->rel = REL_NONE;
		for (size_t k = 0; k < t->np; k++) {
			const struct prefix *p = &t->p[k];
			if (p->maj != m->maj || p->min != m->min)
				continue;
			if (path_under(m->root, p->fspath) || path_under(p->fspath, m->root)) {
				m->rel = REL_OVERLAP;
				break;
			}
			m->rel = REL_LINKS;
		}
	}
	return t;
fail:
	/* Leaks the partial table's strings: only on ENOMEM. */
	free(t->by_id);
	free(t->m);
	free(t->p);
	free(t);
	return NULL;
}

static void mtab_free(struct mtab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->m[i].root);
		free(t->m[i].point);
	}
	for (size_t k = 0; k < t->np; k++) {
		free(t->p[k].fspath);
		free(t->p[k].relbase);
	}
	free(t->m);
	free(t->by_id);
	free(t->p);
	free(t);
}

/* Under W.lock: queue a replaced snapshot, free those past their grace. */
static void mtab_retire(struct mtab *old)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	struct mtab **pp = &W.retired;

	old->retired_ns = now;
	old->retired_next = W.retired;
	W.retired = old;
	while (*pp) {
		struct mtab *t = *pp;
		if (now - t->retired_ns > MTAB_GRACE_NS) {
			*pp = t->retired_next;
			mtab_free(t);
		} else {
			pp = &t->retired_next;
		}
	}
}

/* Re-read the mount table; publish a new snapshot if it changed.  force:
 * even if another thread is refreshing (we need an unknown mount id). */
static void mtab_refresh(bool force)
{
	struct mtab *cur;
	char *text;
	size_t len;
	uint64_t h;

	if (force)
		pthread_mutex_lock(&W.lock);
	else if (pthread_mutex_trylock(&W.lock))
		return;
	__atomic_store_n(&W.checked_ns, now_ns(CLOCK_MONOTONIC_COARSE), __ATOMIC_RELAXED);
	/* Pin first: without /proc there is no mount table, but the roots'
	 * fds are still what libvouch reads signatures through. */
	for (size_t r = 0; r < W.nroots; r++)
		root_pin(&W.roots[r]);
	text = read_mountinfo(&len);
	if (text) {
		h = fnv1a(text, len);
		cur = __atomic_load_n(&W.tab, __ATOMIC_ACQUIRE);
		bool missing_root = false;
		for (size_t r = 0; r < W.nroots; r++)
			missing_root |= W.roots[r].fd < 0;
		if (!cur || cur->hash != h || missing_root || W.rebuild) {
			W.rebuild = false;
			struct mtab *t = mtab_build(text, h);
			if (t) {
				__atomic_store_n(&W.tab, t, __ATOMIC_RELEASE);
				if (cur)
					mtab_retire(cur);
			}
		}
		free(text);
	}
	pthread_mutex_unlock(&W.lock);
}

void where_init(struct shim_root *roots, size_t nroots)
{
	W.roots = roots;
	W.nroots = nroots;
	mtab_refresh(true);
}

int where_root_fd(size_t r)
{
	struct shim_root *root = &W.roots[r];
	struct stat st;
	int fd = root->fd;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_dev == root->dev && st.st_ino == root->ino)
		return fd;
	/* Closed (close_range at daemon start-up) or reused behind our back:
	 * the number is no longer ours, so never close it; pin the root again
	 * and recompute where it lives. */
	pthread_mutex_lock(&W.lock);
	if (root->fd == fd) {
		root->fd = -1;
		W.rebuild = true;
	}
	pthread_mutex_unlock(&W.lock);
	mtab_refresh(true);
	return root->fd;
}

void where_atfork_prepare(void)
{
	pthread_mutex_lock(&W.lock);
}

void where_atfork_parent(void)
{
	pthread_mutex_unlock(&W.lock);
}

void where_atfork_child(void)
{
	pthread_mutex_init(&W.lock, NULL);
}

/* ---- the hard-link index --------------------------------------------- */

static int ino_cmp(const void *a, const void *b)
{
	const struct ino_ent *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void index_walk(int dirfd, size_t root, const char *rel, int depth,
		       struct ino_ent **v, size_t *n, size_t *cap)
{
	DIR *d;
	struct dirent *de;

	if (depth > INDEX_MAX_DEPTH || !(d = fdopendir(dirfd))) {
		close(dirfd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		char sub[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", de->d_name) >= (int)sizeof(sub))
			continue;
		if (S_ISDIR(st.st_mode)) {
			int fd = shim_sys_openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			if (fd >= 0)
				index_walk(fd, root, sub, depth + 1, v, n, cap);
		} else if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
			if (*n >= INDEX_MAX_FILES) {
				W.idx_truncated = true;
				break;
			}
			if (*n == *cap) {
				struct ino_ent *nv = realloc(*v, (*cap = *cap ? *cap * 2 : 64) * sizeof(**v));
				if (!nv)
					break;
				*v = nv;
			}
			char *r = strdup(sub);
			if (!r)
				break;
			(*v)[(*n)++] = (struct ino_ent){ st.st_dev, st.st_ino, root, r };
		}
	}
	closedir(d);
}

static void index_build(void)
{
	struct ino_ent *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < W.nidx; i++)
		free(W.idx[i].rel);
	free(W.idx);
	W.idx_built = time(NULL);
	for (size_t r = 0; r < W.nroots; r++) {
		if (W.roots[r].fd < 0)
			continue;
		int fd = shim_sys_openat(W.roots[r].fd, ".", O_RDONLY | O_DIRECTORY);
		if (fd >= 0)
			index_walk(fd, r, "", 0, &v, &n, &cap);
	}
	if (n)
		qsort(v, n, sizeof(*v), ino_cmp);
	W.idx = v;
	W.nidx = n;
}

/* Is (dev, ino) a protected file with another name?  ctime: the inode's
 * change time; a link made after the index was built changed it. */
static bool index_lookup(dev_t dev, ino_t ino, time_t ctime, struct where *w)
{
	struct ino_ent key = { .dev = dev, .ino = ino }, *hit;
	bool found = false;

	pthread_mutex_lock(&W.lock);
	if (!W.idx_built || ctime >= W.idx_built - INDEX_SLACK_S)
		index_build();
	hit = bsearch(&key, W.idx, W.nidx, sizeof(*W.idx), ino_cmp);
	if (hit) {
		w->root = (int)hit->root;
		snprintf(w->rel, sizeof(w->rel), "%s", hit->rel);
		found = true;
	}
	pthread_mutex_unlock(&W.lock);
	return found;
}

/* ---- the decision ------------------------------------------------------ */

/* The root an absolute path lies under, by name only, and the path relative
 * to it (into w->root, w->rel). */
static bool lexical_rel(const char *path, struct where *w)
{
	char norm[PATH_MAX];

	if (!path_normalize(path, norm, sizeof(norm)))
		return false;
	for (size_t r = 0; r < W.nroots; r++) {
		const char *real = __atomic_load_n(&W.roots[r].real, __ATOMIC_ACQUIRE);
		const char *base = real && path_under(norm, real) ? real : W.roots[r].path;
		if (path_under(norm, base)) {
			const char *t = path_tail(norm, base);
			int n = snprintf(w->rel, sizeof(w->rel), "%s", *t == '/' ? t + 1 : t);
			if (n <= 0 || (size_t)n >= sizeof(w->rel))
				return false;
			w->root = (int)r;
			return true;
		}
	}
	return false;
}

/* statx an fd (or cwd with AT_FDCWD) and find its mount's class. */
static int classify(int fd, struct statx *sx, const struct mnt **mp)
{
	struct mtab *t;
	const struct mnt *m;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_MNT_ID, sx))
		return -errno;
	if (!(sx->stx_mask & STATX_MNT_ID))
		return -ENOSYS;
	if (now_ns(CLOCK_MONOTONIC_COARSE) - __atomic_load_n(&W.checked_ns, __ATOMIC_RELAXED) > MTAB_REFRESH_NS)
		mtab_refresh(false);
	t = __atomic_load_n(&W.tab, __ATOMIC_ACQUIRE);
	m = mtab_get(t, (int)sx->stx_mnt_id);
	if (!m) {
		/* A mount we have not seen: new since the last read. */
		mtab_refresh(true);
		t = __atomic_load_n(&W.tab, __ATOMIC_ACQUIRE);
		m = mtab_get(t, (int)sx->stx_mnt_id);
	}
	*mp = m;
	return m ? m->rel : REL_OVERLAP;    /* unknown mount: take the careful road */
}

static void to_stat(const struct statx *sx, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx->stx_dev_major, sx->stx_dev_minor);
	st->st_ino = sx->stx_ino;
	st->st_mode = sx->stx_mode;
	st->st_nlink = sx->stx_nlink;
	st->st_uid = sx->stx_uid;
	st->st_gid = sx->stx_gid;
	st->st_size = (off_t)sx->stx_size;
	st->st_mtim.tv_sec = sx->stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = sx->stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = sx->stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = sx->stx_ctime.tv_nsec;
}

/* Where fd lives in this namespace; strips " (deleted)". */
static bool fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	if (fd == AT_FDCWD)
		return getcwd(buf, len) && buf[0] == '/';
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n <= 0 || (size_t)n >= len - 1 || buf[0] != '/')
		return false;
	buf[n] = '\0';
	if (n > 10 && !strcmp(buf + n - 10, " (deleted)"))
		buf[n - 10] = '\0';
	return true;
}

/* Match the fd's namespace path against the prefixes of its mount's
 * superblock; outermost root wins (it sees the most signatures). */
static bool match_prefix(const struct mnt *m, const char *nspath, struct where *w)
{
	const struct mtab *t = __atomic_load_n(&W.tab, __ATOMIC_ACQUIRE);
	const struct prefix *best = NULL;
	char fs[PATH_MAX];

	if (!path_under(nspath, m->point) ||
	    !path_join(m->root, path_tail(nspath, m->point), fs, sizeof(fs)))
		return false;
	for (size_t k = 0; t && k < t->np; k++) {
		const struct prefix *p = &t->p[k];
		if (p->maj == m->maj && p->min == m->min && path_under(fs, p->fspath) &&
		    (!best || strlen(p->fspath) < strlen(best->fspath)))
			best = p;
	}
	if (!best)
		return false;
	const char *tail = path_tail(fs, best->fspath);
	if (*tail == '/')
		tail++;
	int n = snprintf(w->rel, sizeof(w->rel), "%s%s%s", best->relbase,
			 *best->relbase && *tail ? "/" : "", tail);
	if (n <= 0 || (size_t)n >= sizeof(w->rel))
		return false;
	w->root = (int)best->root;
	return true;
}

/* The absolute, lexically normalised form of the name asked for (dirfd +
 * path).  A relative name costs a statx of its starting directory, and
 * that directory's path only if its mount can reach a root or the name
 * climbs with "..".  False when it cannot lie under a root or cannot be
 * formed. */
static bool asked_abs(int dirfd, const char *path, char *abs, size_t len)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	struct statx sx;
	const struct mnt *m;

	if (!path || !*path)
		return false;
	if (path[0] == '/')
		return path_normalize(path, abs, len);
	bool climbs = !strncmp(path, "../", 3) || strstr(path, "/../") || !strcmp(path, "..");
	if (!climbs) {
		int rel = classify(dirfd, &sx, &m);
		if (rel == REL_NONE || rel == REL_LINKS || rel == -ENOENT)
			return false;
	}
	if (!fd_path(dirfd, dir, sizeof(dir)))
		return false;
	if (snprintf(tmp, sizeof(tmp), "%s/%s", dir, path) >= (int)sizeof(tmp))
		return false;
	return path_normalize(tmp, abs, len);
}

/* The name asked for lies outside every root, yet the file is inside one:
 * find the longest leading part of the name that is a protected root
 * directory itself (a symlink or bind above the root, such as /models ->
 * /srv/models), and take the rest of the name as it was written, so that a
 * link inside the root is still seen as one.  Costs one open per
 * component; only runs for files that live under a root. */
static bool asked_through_root(const char *abs, struct where *w)
{
	char prefix[PATH_MAX];
	size_t n = strlen(abs);

	if (n >= sizeof(prefix))
		return false;
	memcpy(prefix, abs, n + 1);
	for (size_t i = n; i > 1; i--) {
		struct stat st;
		int fd;

		if (prefix[i] != '/' && prefix[i] != '\0')
			continue;
		char c = prefix[i];
		prefix[i] = '\0';
		fd = shim_sys_openat(AT_FDCWD, prefix, O_PATH | O_DIRECTORY);
		prefix[i] = c;
		if (fd < 0)
			continue;
		int ok = fstat(fd, &st);
		close(fd);
		if (ok)
			continue;
		for (size_t r = 0; r < W.nroots; r++) {
			if (W.roots[r].fd < 0 || st.st_dev != W.roots[r].dev || st.st_ino != W.roots[r].ino)
				continue;
			if (c == '\0' || snprintf(w->rel, sizeof(w->rel), "%s", abs + i + 1) >= (int)sizeof(w->rel))
				return false;
			w->root = (int)r;
			return true;
		}
	}
	return false;
}

/* The fd was opened by handle or reopened with no name: its path in /proc
 * must really lead to it (a disconnected dentry reads "/"). */
static bool path_is_fd(const char *path, const struct stat *st)
{
	struct stat ps;

	return path[0] == '/' && stat(path, &ps) == 0 && ps.st_dev == st->st_dev &&
	       ps.st_ino == st->st_ino;
}

void where_fd(int dirfd, const char *path, int fd, struct where *w)
{
	struct statx sx;
	const struct mnt *m = NULL;
	char abs[PATH_MAX];
	bool have_abs;
	int rel;

	w->kind = WHERE_FREE;
	w->blind = false;
	w->named = false;
	w->root = -1;
	w->path[0] = w->rel[0] = '\0';
	rel = classify(fd, &sx, &m);
	if (rel < 0) {
		/* No statx (old kernel, seccomp): fall back to fstat and treat
		 * every mount as possibly protected. */
		struct stat st;
		if (fstat(fd, &st))
			return;
		memset(&sx, 0, sizeof(sx));
		sx.stx_mode = st.st_mode;
		sx.stx_dev_major = major(st.st_dev);
		sx.stx_dev_minor = minor(st.st_dev);
		sx.stx_ino = st.st_ino;
		sx.stx_nlink = (unsigned)st.st_nlink;
		sx.stx_size = (uint64_t)st.st_size;
		sx.stx_ctime.tv_sec = st.st_ctim.tv_sec;
		rel = REL_OVERLAP;
		m = NULL;
	}
	to_stat(&sx, &w->st);
	if (S_ISDIR(sx.stx_mode))
		return;                       /* listing a directory reads no model */
	/* The name asked for decides whenever it lies under a protected root,
	 * wherever the fd ended up: libvouch then proves the fd is the file at
	 * that name (or a link the policy allows), or denies. */
	have_abs = asked_abs(dirfd, path, abs, sizeof(abs));
	if (have_abs && lexical_rel(abs, w)) {
		snprintf(w->path, sizeof(w->path), "%s", abs);
		w->kind = WHERE_PROTECTED;
		w->named = true;
		return;
	}
	if (rel == REL_NONE)
		return;
	/* No name, or a name outside every root: where does the file live? */
	if (rel == REL_OVERLAP && !fd_path(fd, w->path, sizeof(w->path))) {
		w->path[0] = '\0';
		if (errno != ENOENT) {
			w->kind = WHERE_UNKNOWN;    /* a path we cannot read: fail closed */
			return;
		}
		/* No /proc (a process that chrooted itself, a bare container):
		 * where a file lives cannot be read here.  Refusing every file on
		 * the root's filesystem would break programs that have nothing to
		 * do with models; fall back to what still works (inode index, the
		 * name asked for) and let the caller say so once. */
		w->blind = true;
	} else if (rel == REL_OVERLAP) {
		if (!path && !path_is_fd(w->path, &w->st)) {
			/* Opened by handle, and /proc cannot say where: a file on a
			 * filesystem holding a protected tree stays unlocated. */
			w->kind = WHERE_UNKNOWN;
			return;
		}
		/* Without the mount table only a lexical match is possible. */
		if (m ? match_prefix(m, w->path, w) : lexical_rel(w->path, w)) {
			w->kind = WHERE_PROTECTED;
			if (have_abs && asked_through_root(abs, w)) {
				snprintf(w->path, sizeof(w->path), "%s", abs);
				w->named = true;
			}
			return;
		}
	}
	if (S_ISREG(sx.stx_mode) && sx.stx_nlink > 1 &&
	    index_lookup(w->st.st_dev, w->st.st_ino, (time_t)sx.stx_ctime.tv_sec, w)) {
		if (!w->path[0])
			fd_path(fd, w->path, sizeof(w->path));
		w->kind = WHERE_PROTECTED;
		return;
	}
	if (w->blind && !path)
		w->kind = WHERE_UNKNOWN;
}
