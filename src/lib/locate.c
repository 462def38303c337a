/* SPDX-License-Identifier: Apache-2.0 */
/*
 * locate.c - for an open fd and, when known, the name asked for, decide
 * whether it is a read under a protected root, and under which name.  One
 * locator for every front end that sees an fd rather than a path beneath a
 * pinned root: the shim (the fd its own process just opened) and vouchd (the
 * fd a fanotify event or a shim hands it, opened by another process).
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
 * symlink above the root such as /models -> /srv/models), for opens with no
 * name (open_by_handle_at, freopen(NULL)) and for every fd vouchd is handed
 * by the kernel.  Paths and device numbers lie there (btrfs subvolumes and
 * overlayfs files report their own devices); what does not lie is the mount
 * the fd was opened through (statx's stx_mnt_id, free with the one stat we
 * need anyway) and that mount's source in mountinfo (superblock + the
 * mount's root inside the filesystem).  A protected root becomes a set of
 * "prefixes": (superblock, path inside that filesystem) for the root's own
 * mount and for every mount below it.  A mount then falls in one of three
 * classes:
 *   REL_NONE     no prefix on its superblock: nothing protected is reachable
 *                through it (the common case: one statx, nothing else);
 *   REL_LINKS    same superblock as a prefix but a disjoint subtree: only a
 *                hard link (st_nlink > 1) can reach a protected file;
 *   REL_OVERLAP  the mount shows (part of) a protected tree: resolve the fd's
 *                path inside the filesystem and compare it with the prefixes.
 * Hard links are caught by inode identity: an index of the protected files
 * with more than one link, rebuilt whenever a candidate's ctime (which every
 * link(2) updates) is not older than the index.  A file found this way is
 * verified under the name where it lives (VOUCH_OPEN_FOUND, so no file is
 * exempt as a signature), unless a leading part of the name asked for is
 * itself a protected root directory (a link above the root): then the rest
 * of the name, as written, is the name.
 *
 * Another process's fd (opener != 0): its mount may live in another mount
 * namespace (a container's bind mount of the model store).  Mount ids are
 * unique across namespaces, so an id in our own table is ours and is
 * located as above.  Otherwise the opener's /proc/PID/mountinfo names the
 * mount (superblock, root inside the filesystem, mount point in the
 * opener's view), and /proc/self/fd/N, read here, gives the path from that
 * namespace's root: the mount point's tail maps it into the filesystem.
 * That mapping is checked by identity (the name it gives, opened beneath the
 * pinned root without following links, must be the fd's inode) because a
 * chrooted opener's mountinfo is relative to its chroot; whatever cannot be
 * mapped is UNKNOWN when its filesystem holds a protected root.
 *
 * Every open here is a raw syscall (or libvouch's openat2 helper): inside
 * the shim, libc's open is the shim's own wrapper.
 *
 * Owns: the mount table snapshot, the prefixes, the hard-link index, the
 * pinned root fds.  Decides nothing about a model; never writes anything.
 */
#include "vouch_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x1000U
#endif

/* How stale the mount table may get while a process keeps opening files on
 * mounts it already knows: a bind of a protected tree made later onto an
 * already-seen mount id, or a mount id reused after an unmount. */
#define MTAB_REFRESH_NS  (1000ull * 1000 * 1000)
/* Bounds for the hard-link walk: a protected tree is a model store, not a
 * filesystem; past these we stop indexing. */
#define INDEX_MAX_FILES  (1u << 20)
#define INDEX_MAX_DEPTH  64
/* Coarse-clock slack when comparing an inode's ctime with the index's age. */
#define INDEX_SLACK_S    1
/* A mountinfo larger than this is not a real one (a container node has a
 * few thousand lines of ~150 bytes): stop reading rather than grow. */
#define MOUNTINFO_MAX    (64u << 20)

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

struct loc_root {
	char *path;                 /* as configured, lexically normalised */
	char *real;                 /* atomic: where the pinned dir lives in this namespace */
	int   fd;                   /* O_PATH|O_DIRECTORY, or -1 if absent */
	dev_t dev;                  /* what fd was when we opened it: programs that */
	ino_t ino;                  /* close every fd may take the number from us */
};

/* A `real` string replaced while readers may hold it: freed with the locator. */
struct old_str {
	struct old_str *next;
	char           *s;
};

struct vouch_locator {
	struct loc_root  *roots;
	size_t            nroots;
	bool              rebuild;       /* a root was re-pinned: rebuild prefixes */
	struct mtab      *tab;           /* atomic pointer */
	struct mtab      *retired;       /* replaced snapshots, newest first */
	uint64_t          checked_ns;    /* atomic: last mount-table check */
	pthread_mutex_t   lock;          /* refresh, pinning and the index */
	struct ino_ent   *idx;
	size_t            nidx;
	time_t            idx_built;     /* 0: never */
	bool              idx_truncated;
	struct old_str   *old_reals;
	dev_t             ns_dev;        /* our mount namespace (/proc/self/ns/mnt) */
	ino_t             ns_ino;
};

/* The raw syscall: inside the shim libc's openat is the shim's own wrapper,
 * and the locator runs in the middle of the shim's decision. */
static int sys_openat(int dirfd, const char *path, int flags)
{
	return (int)syscall(SYS_openat, dirfd, path, flags | O_CLOEXEC, 0);
}

/* ---- paths ---------------------------------------------------------- */

/* a == b, or a lies below b (component-wise). */
static bool path_under(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (n == 1 && b[0] == '/')
		return a[0] == '/';
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

/* Lexically normalise an absolute path ("/a/./b/../c//" -> "/a/c"); false
 * if it is not absolute or does not fit. */
static bool path_normalize(const char *in, char *out, size_t outlen)
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

/* /proc/self/mountinfo, or /proc/PID/mountinfo for pid > 0. */
static char *read_mountinfo(pid_t pid, size_t *len)
{
	char name[64];
	size_t cap = 16384, n = 0;
	char *buf = NULL;
	int fd;

	if (pid > 0)
		snprintf(name, sizeof(name), "/proc/%d/mountinfo", (int)pid);
	else
		snprintf(name, sizeof(name), "/proc/self/mountinfo");
	fd = sys_openat(AT_FDCWD, name, O_RDONLY);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (!buf || n + 4096 > cap) {
			if (cap > MOUNTINFO_MAX)
				goto fail;
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				goto fail;
			buf = nb;
		}
		/* buf is never NULL here: the test above allocates it or leaves. */
		// cppcheck-suppress nullPointerArithmeticRedundantCheck
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

/* One mountinfo line: "id parent maj:min root point ...".  Fields are cut
 * in place (line is modified).  Returns false for a line that is not one. */
static bool parse_line(char *line, int *id, unsigned *maj, unsigned *min,
		       char **root, size_t *rootlen, char **point, size_t *pointlen)
{
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
	if (k < 5 || sscanf(f[2], "%u:%u", maj, min) != 2)
		return false;
	*id = atoi(f[0]);
	*root = f[3];
	*rootlen = fl[3];
	*point = f[4];
	*pointlen = fl[4];
	return *id >= 0;
}

static int parse_mountinfo(char *text, struct mnt **out, size_t *nout)
{
	size_t cap = 64, n = 0;
	struct mnt *m = malloc(cap * sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (char *line = text, *next; line && *line; line = next) {
		char *root, *point;
		size_t rootlen, pointlen;
		struct mnt e = { 0 };

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!parse_line(line, &e.id, &e.maj, &e.min, &root, &rootlen, &point, &pointlen))
			continue;
		if (n == cap) {
			struct mnt *nm = realloc(m, (cap *= 2) * sizeof(*m));
			if (!nm)
				goto nomem;
			m = nm;
		}
		e.root = unescape(root, rootlen);
		e.point = unescape(point, pointlen);
		if (!e.root || !e.point) {
			free(e.root);
			free(e.point);
			goto nomem;
		}
		m[n++] = e;
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

/* gcc 12 -fanalyzer false positive: after a store through a symbolic index
 * (v[i].a = ...) it forgets what an earlier store into the same block held,
 * and reports that pointer leaked; every one is freed with the array. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
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
#pragma GCC diagnostic pop

static int fd_mount_id(int fd)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == 0 && (sx.stx_mask & STATX_MNT_ID))
		return (int)sx.stx_mnt_id;
	return -1;
}

/* (Re)open a root that was missing, and learn where it lives.  Under
 * L->lock.  `real` is published atomically: lexical_rel() reads it without
 * the lock (a replaced string is freed only with the locator). */
static void root_pin(struct vouch_locator *L, struct loc_root *r)
{
	char link[64], buf[PATH_MAX];
	struct stat st;
	ssize_t n;

	int fd;

	if (r->fd >= 0)
		return;
	fd = sys_openat(AT_FDCWD, r->path, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0) {
		r->dev = st.st_dev;
		r->ino = st.st_ino;
	}
	/* Published after dev/ino: vouch_locator_root_fd reads it unlocked. */
	__atomic_store_n(&r->fd, fd, __ATOMIC_RELEASE);
	/* Newly pinned: its prefixes must be built even if the mount table
	 * did not change (a root directory created after start). */
	L->rebuild = true;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n > 0 && buf[0] == '/') {
		buf[n] = '\0';
		char *old = __atomic_load_n(&r->real, __ATOMIC_ACQUIRE);
		if (!old || strcmp(old, buf)) {
			struct old_str *o = old ? malloc(sizeof(*o)) : NULL;
			char *s = strdup(buf);
			if (!s || (old && !o)) {
				free(s);
				free(o);
				return;
			}
			__atomic_store_n(&r->real, s, __ATOMIC_RELEASE);
			if (o) {
				o->s = old;
				o->next = L->old_reals;
				L->old_reals = o;
			}
		}
	}
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

/* The class of a mount (maj:min, root inside the fs) against the prefixes. */
static int mount_class(const struct mtab *t, unsigned maj, unsigned min, const char *root)
{
	int rel = REL_NONE;

	for (size_t k = 0; t && k < t->np; k++) {
		const struct prefix *p = &t->p[k];
		if (p->maj != maj || p->min != min)
			continue;
		if (path_under(root, p->fspath) || path_under(p->fspath, root))
			return REL_OVERLAP;
		rel = REL_LINKS;
	}
	return rel;
}

static struct mtab *mtab_build(struct vouch_locator *L, char *text, uint64_t hash)
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

	for (size_t r = 0; r < L->nroots; r++) {
		struct loc_root *root = &L->roots[r];
		const struct mnt *m;
		char fs[PATH_MAX];

		root_pin(L, root);
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
	for (size_t i = 0; i < t->n; i++)
		t->m[i].rel = mount_class(t, t->m[i].maj, t->m[i].min, t->m[i].root);
	return t;
fail:
	mtab_free(t);
	return NULL;
}

/* Under L->lock: queue a replaced snapshot, free those past their grace. */
static void mtab_retire(struct vouch_locator *L, struct mtab *old)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	struct mtab **pp = &L->retired;

	old->retired_ns = now;
	old->retired_next = L->retired;
	L->retired = old;
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
static void mtab_refresh(struct vouch_locator *L, bool force)
{
	struct mtab *cur;
	char *text;
	size_t len;
	uint64_t h;

	if (force)
		pthread_mutex_lock(&L->lock);
	else if (pthread_mutex_trylock(&L->lock))
		return;
	__atomic_store_n(&L->checked_ns, now_ns(CLOCK_MONOTONIC_COARSE), __ATOMIC_RELAXED);
	/* Pin first: without /proc there is no mount table, but the roots'
	 * fds are still what libvouch reads signatures through. */
	for (size_t r = 0; r < L->nroots; r++)
		root_pin(L, &L->roots[r]);
	text = read_mountinfo(0, &len);
	if (text) {
		h = fnv1a(text, len);
		cur = __atomic_load_n(&L->tab, __ATOMIC_ACQUIRE);
		bool missing_root = false;
		for (size_t r = 0; r < L->nroots; r++)
			missing_root |= L->roots[r].fd < 0;
		if (!cur || cur->hash != h || missing_root || L->rebuild) {
			L->rebuild = false;
			struct mtab *t = mtab_build(L, text, h);
			if (t) {
				__atomic_store_n(&L->tab, t, __ATOMIC_RELEASE);
				if (cur)
					mtab_retire(L, cur);
			}
		}
		free(text);
	}
	pthread_mutex_unlock(&L->lock);
}

/* ---- life cycle -------------------------------------------------------- */

int vouch_locator_new(char *const *roots, size_t nroots, struct vouch_locator **out)
{
	struct vouch_locator *L;
	struct stat st;

	*out = NULL;
	L = calloc(1, sizeof(*L));
	if (!L)
		return -ENOMEM;
	pthread_mutex_init(&L->lock, NULL);
	L->roots = calloc(nroots ? nroots : 1, sizeof(*L->roots));
	if (!L->roots) {
		free(L);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nroots; i++) {
		char norm[PATH_MAX];

		L->roots[i].fd = -1;
		L->roots[i].path = strdup(path_normalize(roots[i], norm, sizeof(norm)) ? norm : roots[i]);
		if (!L->roots[i].path) {
			L->nroots = i;
			vouch_locator_free(L);
			return -ENOMEM;
		}
	}
	L->nroots = nroots;
	if (stat("/proc/self/ns/mnt", &st) == 0) {
		L->ns_dev = st.st_dev;
		L->ns_ino = st.st_ino;
	}
	mtab_refresh(L, true);
	*out = L;
	return 0;
}

static bool root_fd_ours(const struct loc_root *root, int fd);

void vouch_locator_free(struct vouch_locator *loc)
{
	struct mtab *t;

	if (!loc)
		return;
	for (size_t r = 0; r < loc->nroots; r++) {
		/* A number a program took over is not ours to close. */
		if (root_fd_ours(&loc->roots[r], loc->roots[r].fd))
			close(loc->roots[r].fd);
		free(loc->roots[r].path);
		free(loc->roots[r].real);
	}
	free(loc->roots);
	for (struct old_str *o = loc->old_reals, *n; o; o = n) {
		n = o->next;
		free(o->s);
		free(o);
	}
	if ((t = loc->tab))
		mtab_free(t);
	while ((t = loc->retired)) {
		loc->retired = t->retired_next;
		mtab_free(t);
	}
	for (size_t i = 0; i < loc->nidx; i++)
		free(loc->idx[i].rel);
	free(loc->idx);
	pthread_mutex_destroy(&loc->lock);
	free(loc);
}

/* Is the pinned fd of root r still the directory we opened? */
static bool root_fd_ours(const struct loc_root *root, int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_dev == root->dev && st.st_ino == root->ino;
}

int vouch_locator_root_fd(struct vouch_locator *loc, size_t r)
{
	struct loc_root *root;
	int fd;

	if (!loc || r >= loc->nroots)
		return -1;
	root = &loc->roots[r];
	fd = __atomic_load_n(&root->fd, __ATOMIC_ACQUIRE);
	if (root_fd_ours(root, fd))
		return fd;
	/* Closed (close_range at daemon start-up) or reused behind our back:
	 * the number is no longer ours, so never close it; pin the root again
	 * and recompute where it lives. */
	pthread_mutex_lock(&loc->lock);
	if (root->fd == fd) {
		__atomic_store_n(&root->fd, -1, __ATOMIC_RELEASE);
		loc->rebuild = true;
	}
	pthread_mutex_unlock(&loc->lock);
	mtab_refresh(loc, true);
	return __atomic_load_n(&root->fd, __ATOMIC_ACQUIRE);
}

const char *vouch_locator_root_path(const struct vouch_locator *loc, size_t r)
{
	return loc && r < loc->nroots ? loc->roots[r].path : NULL;
}

void vouch_locator_atfork_prepare(struct vouch_locator *loc)
{
	if (loc)
		pthread_mutex_lock(&loc->lock);
}

void vouch_locator_atfork_parent(struct vouch_locator *loc)
{
	if (loc)
		pthread_mutex_unlock(&loc->lock);
}

void vouch_locator_atfork_child(struct vouch_locator *loc)
{
	if (loc)
		pthread_mutex_init(&loc->lock, NULL);
}

/* ---- the hard-link index --------------------------------------------- */

static int ino_cmp(const void *a, const void *b)
{
	const struct ino_ent *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void index_walk(struct vouch_locator *L, int dirfd, size_t root, const char *rel, int depth,
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
			int fd = sys_openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			if (fd >= 0)
				index_walk(L, fd, root, sub, depth + 1, v, n, cap);
		} else if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
			if (*n >= INDEX_MAX_FILES) {
				L->idx_truncated = true;
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

/* Under L->lock. */
static void index_build(struct vouch_locator *L)
{
	struct ino_ent *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < L->nidx; i++)
		free(L->idx[i].rel);
	free(L->idx);
	L->idx_built = time(NULL);
	for (size_t r = 0; r < L->nroots; r++) {
		if (L->roots[r].fd < 0)
			continue;
		int fd = sys_openat(L->roots[r].fd, ".", O_RDONLY | O_DIRECTORY);
		if (fd >= 0)
			index_walk(L, fd, r, "", 0, &v, &n, &cap);
	}
	if (n)
		qsort(v, n, sizeof(*v), ino_cmp);
	L->idx = v;
	L->nidx = n;
}

/* Is (dev, ino) a protected file with another name?  ctime: the inode's
 * change time; a link made after the index was built changed it. */
static bool index_lookup(struct vouch_locator *L, dev_t dev, ino_t ino, time_t ctime,
			 struct vouch_location *w)
{
	struct ino_ent key = { .dev = dev, .ino = ino }, *hit;
	bool found = false;

	pthread_mutex_lock(&L->lock);
	if (!L->idx_built || ctime >= L->idx_built - INDEX_SLACK_S)
		index_build(L);
	hit = L->nidx ? bsearch(&key, L->idx, L->nidx, sizeof(*L->idx), ino_cmp) : NULL;
	if (hit) {
		w->root = (int)hit->root;
		snprintf(w->rel, sizeof(w->rel), "%s", hit->rel);
		found = true;
	}
	pthread_mutex_unlock(&L->lock);
	return found;
}

/* ---- the decision ------------------------------------------------------ */

/* The root an absolute path lies under, by name only, and the path relative
 * to it (into w->root, w->rel). */
static bool lexical_rel(struct vouch_locator *L, const char *path, struct vouch_location *w)
{
	char norm[PATH_MAX];

	if (!path_normalize(path, norm, sizeof(norm)))
		return false;
	for (size_t r = 0; r < L->nroots; r++) {
		const char *real = __atomic_load_n(&L->roots[r].real, __ATOMIC_ACQUIRE);
		const char *base = real && path_under(norm, real) ? real : L->roots[r].path;
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

/* statx an fd (or cwd with AT_FDCWD) and find its mount's class.  force:
 * re-read the mount table at once for a mount id we have not seen (false
 * only for another namespace's fd, whose mount cannot be in our table). */
static int classify(struct vouch_locator *L, int fd, struct statx *sx, const struct mnt **mp,
		    bool force)
{
	struct mtab *t;
	const struct mnt *m;

	*mp = NULL;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_MNT_ID, sx))
		return -errno;
	if (!(sx->stx_mask & STATX_MNT_ID))
		return -ENOSYS;
	if (now_ns(CLOCK_MONOTONIC_COARSE) - __atomic_load_n(&L->checked_ns, __ATOMIC_RELAXED) > MTAB_REFRESH_NS)
		mtab_refresh(L, false);
	t = __atomic_load_n(&L->tab, __ATOMIC_ACQUIRE);
	m = mtab_get(t, (int)sx->stx_mnt_id);
	if (!m && force) {
		/* A mount we have not seen: new since the last read. */
		mtab_refresh(L, true);
		t = __atomic_load_n(&L->tab, __ATOMIC_ACQUIRE);
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

/* Where fd lives (for another namespace's mount: from that namespace's
 * root); strips " (deleted)". */
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
static bool match_prefix(struct vouch_locator *L, const struct mnt *m, const char *nspath,
			 struct vouch_location *w)
{
	const struct mtab *t = __atomic_load_n(&L->tab, __ATOMIC_ACQUIRE);
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
static bool asked_abs(struct vouch_locator *L, int dirfd, const char *path, char *abs, size_t len)
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
		int rel = classify(L, dirfd, &sx, &m, true);
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
static bool asked_through_root(struct vouch_locator *L, const char *abs, struct vouch_location *w)
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
		fd = sys_openat(AT_FDCWD, prefix, O_PATH | O_DIRECTORY);
		prefix[i] = c;
		if (fd < 0)
			continue;
		int ok = fstat(fd, &st);
		close(fd);
		if (ok)
			continue;
		for (size_t r = 0; r < L->nroots; r++) {
			if (L->roots[r].fd < 0 || st.st_dev != L->roots[r].dev || st.st_ino != L->roots[r].ino)
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

/* ---- another process's fd ----------------------------------------------- */

/* Does the opener see names as we do (same mount namespace, same root)?
 * Then a name it asked for means here what it meant there. */
static bool opener_shares_view(struct vouch_locator *L, pid_t opener)
{
	char p[64];
	struct stat a, b;

	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)opener);
	if (!L->ns_ino || stat(p, &a) || a.st_dev != L->ns_dev || a.st_ino != L->ns_ino)
		return false;
	snprintf(p, sizeof(p), "/proc/%d/root", (int)opener);
	return stat(p, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static bool opener_same_ns(struct vouch_locator *L, pid_t opener)
{
	char p[64];
	struct stat a;

	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)opener);
	return L->ns_ino && stat(p, &a) == 0 && a.st_dev == L->ns_dev && a.st_ino == L->ns_ino;
}

/* Find mount `id` in the opener's mountinfo.  Fills m (strings owned by the
 * caller).  False when the process is gone or does not show that mount. */
/* Another mount namespace's table, parsed once and kept: reading and
 * parsing /proc/PID/mountinfo for every event would let a user with a
 * namespace of 20000 mounts slow every open on the host.  Read again at
 * most every NS_REREAD_NS per namespace, when a mount is not in it. */
#define NS_TABS        16
#define NS_REREAD_NS   (100ull * 1000 * 1000)
struct ns_tab {
	dev_t       dev;
	ino_t       ino;
	uint64_t    read_ns, used_ns;
	struct mnt *m;              /* sorted by id */
	size_t      n;
};
static struct ns_tab ns_tabs[NS_TABS];
static pthread_mutex_t ns_lock = PTHREAD_MUTEX_INITIALIZER;

static int mnt_id_cmp(const void *a, const void *b)
{
	const struct mnt *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static void ns_tab_clear(struct ns_tab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->m[i].root);
		free(t->m[i].point);
	}
	free(t->m);
	t->m = NULL;
	t->n = 0;
}

static bool ns_tab_read(struct ns_tab *t, pid_t opener)
{
	size_t len;
	char *text = read_mountinfo(opener, &len);
	struct mnt *m;
	size_t n;

	if (!text)
		return false;
	if (parse_mountinfo(text, &m, &n) < 0) {
		free(text);
		return false;
	}
	free(text);
	ns_tab_clear(t);
	qsort(m, n, sizeof(*m), mnt_id_cmp);
	t->m = m;
	t->n = n;
	t->read_ns = now_ns(CLOCK_MONOTONIC);
	return true;
}

/* Find mount `id` as the opener's namespace shows it.  Fills m (strings
 * owned by the caller).  False when the process is gone or its namespace
 * does not show that mount. */
static bool opener_mount(pid_t opener, int id, struct mnt *m)
{
	char p[64];
	struct stat st;
	struct mnt key = { .id = id };
	const struct mnt *hit = NULL;

	memset(m, 0, sizeof(*m));
	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)opener);
	if (stat(p, &st))
		return false;
	for (int pass = 0; pass < 2; pass++) {
		struct ns_tab *t = NULL, *victim = &ns_tabs[0];
		uint64_t now, wait = 0;

		pthread_mutex_lock(&ns_lock);
		for (size_t i = 0; i < NS_TABS; i++) {
			if (ns_tabs[i].m && ns_tabs[i].dev == st.st_dev && ns_tabs[i].ino == st.st_ino) {
				t = &ns_tabs[i];
				break;
			}
			if (ns_tabs[i].used_ns < victim->used_ns)
				victim = &ns_tabs[i];
		}
		if (!t) {
			t = victim;
			ns_tab_clear(t);
			t->dev = st.st_dev;
			t->ino = st.st_ino;
			t->read_ns = 0;
		}
		if (t->m)
			hit = bsearch(&key, t->m, t->n, sizeof(*t->m), mnt_id_cmp);
		if (!hit) {
			/* A mount newer than our copy: read again, but not more
			 * often than every NS_REREAD_NS for this namespace (the
			 * wait is spent without the lock). */
			now = now_ns(CLOCK_MONOTONIC);
			if (t->m && now - t->read_ns < NS_REREAD_NS)
				wait = NS_REREAD_NS - (now - t->read_ns);
			else if (ns_tab_read(t, opener))
				hit = bsearch(&key, t->m, t->n, sizeof(*t->m), mnt_id_cmp);
		}
		t->used_ns = now_ns(CLOCK_MONOTONIC);
		if (hit) {
			m->id = hit->id;
			m->maj = hit->maj;
			m->min = hit->min;
			m->root = strdup(hit->root);
			m->point = strdup(hit->point);
		}
		pthread_mutex_unlock(&ns_lock);
		if (hit || !wait)
			break;
		nanosleep(&(struct timespec){ 0, (long)wait }, NULL);
	}
	if (hit && (!m->root || !m->point)) {
		free(m->root);
		free(m->point);
		m->root = m->point = NULL;
		return false;
	}
	return hit != NULL;
}

/* Is (dev) a superblock that holds a protected root, as far as we can tell
 * without the fd's mount?  By the prefixes' superblocks and by the pinned
 * roots' own st_dev (btrfs subvolumes report their own). */
static bool dev_holds_root(struct vouch_locator *L, dev_t dev)
{
	const struct mtab *t = __atomic_load_n(&L->tab, __ATOMIC_ACQUIRE);

	for (size_t k = 0; t && k < t->np; k++)
		if (makedev(t->p[k].maj, t->p[k].min) == dev)
			return true;
	for (size_t r = 0; r < L->nroots; r++)
		if (L->roots[r].fd >= 0 && L->roots[r].dev == dev)
			return true;
	/* No mount table at all: we cannot tell, so it might. */
	return !t;
}

/* The located name must be the fd's inode, reached beneath the pinned root
 * without a link: the mapping through another namespace's mountinfo is only
 * as good as that view (a chrooted opener's mount points are relative to
 * its chroot). */
static bool found_is_fd(struct vouch_locator *L, const struct vouch_location *w)
{
	struct stat st;
	int rfd, fd;
	bool same;

	rfd = vouch_locator_root_fd(L, (size_t)w->root);
	if (rfd < 0)
		return false;
	if (!w->rel[0])
		return fstat(rfd, &st) == 0 && st.st_dev == w->st.st_dev && st.st_ino == w->st.st_ino;
	fd = vouch_openat_beneath(rfd, w->rel, O_PATH);
	if (fd < 0)
		return false;
	same = fstat(fd, &st) == 0 && st.st_dev == w->st.st_dev && st.st_ino == w->st.st_ino;
	close(fd);
	return same;
}

/* Is nspath (the kernel's path of the fd, from the root of the opener's
 * mount namespace) a name of the fd's inode as the opener sees its tree?
 * Only if the opener is not chrooted: its mountinfo is then relative to
 * that same root, and the mount-point arithmetic below means what it says.
 * A chrooted opener (a container runtime's pivot done by chroot) would
 * otherwise map a protected file to a path outside every root: FREE. */
static bool opener_path_is_fd(pid_t opener, const char *nspath, const struct stat *st)
{
	char p[PATH_MAX + 32];
	struct stat ps;
	int fd, n;

	n = snprintf(p, sizeof(p), "/proc/%d/root%s", (int)opener, nspath);
	if (n < 0 || (size_t)n >= sizeof(p))
		return false;
	fd = sys_openat(AT_FDCWD, p, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return false;
	n = fstat(fd, &ps);
	close(fd);
	return n == 0 && ps.st_dev == st->st_dev && ps.st_ino == st->st_ino;
}

/* What locate_foreign found. */
enum foreign { F_FREE, F_PROTECTED, F_UNKNOWN, F_LINKS /* only a hard link can make it ours */ };

/* An fd opened by another process through a mount not in our table; w
 * filled for F_PROTECTED. */
static enum foreign locate_foreign(struct vouch_locator *L, int fd, pid_t opener,
				       const struct statx *sx, struct vouch_location *w)
{
	struct mnt m;
	const struct mtab *t;
	enum foreign kind = F_UNKNOWN;
	char nspath[PATH_MAX];
	int rel;

	if (!opener_mount(opener, (int)sx->stx_mnt_id, &m)) {
		/* Gone, or a mount the opener does not show: our table may be
		 * the stale one (a mount made here since the last read). */
		const struct mnt *own;
		struct statx sx2;
		rel = classify(L, fd, &sx2, &own, true);
		if (own) {
			if (rel == REL_NONE)
				return F_FREE;
			if (rel == REL_OVERLAP && fd_path(fd, nspath, sizeof(nspath)) &&
			    match_prefix(L, own, nspath, w)) {
				snprintf(w->path, sizeof(w->path), "%s", nspath);
				return F_PROTECTED;
			}
			return F_LINKS;
		}
		return dev_holds_root(L, w->st.st_dev) ? F_UNKNOWN : F_FREE;
	}
	t = __atomic_load_n(&L->tab, __ATOMIC_ACQUIRE);
	rel = mount_class(t, m.maj, m.min, m.root);
	if (rel == REL_NONE) {
		kind = F_FREE;
	} else if (rel == REL_LINKS) {
		kind = F_LINKS;
	} else if (fd_path(fd, nspath, sizeof(nspath)) && path_under(nspath, m.point) &&
		   opener_path_is_fd(opener, nspath, &w->st)) {
		if (match_prefix(L, &m, nspath, w)) {
			snprintf(w->path, sizeof(w->path), "%s", nspath);
			kind = found_is_fd(L, w) ? F_PROTECTED : F_UNKNOWN;
		} else {
			kind = F_LINKS;    /* outside the roots: a link? */
		}
	}
	/* else: the opener's view does not prefix the path, or the path is not
	 * the file there (a chroot, a rename since): unknown */
	free(m.root);
	free(m.point);
	return kind;
}

/* ---- the one entry point ------------------------------------------------ */

void vouch_locate(struct vouch_locator *L, int dirfd, const char *path, int fd, pid_t opener,
		  struct vouch_location *w)
{
	struct statx sx;
	const struct mnt *m = NULL;
	char abs[PATH_MAX];
	bool have_abs, same_ns = true;
	int rel;

	w->kind = VOUCH_WHERE_FREE;
	w->blind = false;
	w->named = false;
	w->root = -1;
	w->path[0] = w->rel[0] = '\0';
	memset(&w->st, 0, sizeof(w->st));
	if (!L)
		return;
	if (opener)
		same_ns = opener_same_ns(L, opener);
	rel = classify(L, fd, &sx, &m, same_ns);
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
		same_ns = true;           /* no mount id: nothing to look up elsewhere */
	}
	to_stat(&sx, &w->st);
	if (S_ISDIR(sx.stx_mode))
		return;                       /* listing a directory reads no model */
	/* The name asked for decides whenever it lies under a protected root,
	 * wherever the fd ended up: libvouch then proves the fd is the file at
	 * that name (or a link the policy allows), or denies.  Another
	 * process's name counts only when it is absolute and that process sees
	 * the same tree we do. */
	if (!opener)
		have_abs = asked_abs(L, dirfd, path, abs, sizeof(abs));
	else
		have_abs = path && path[0] == '/' && opener_shares_view(L, opener) &&
			   path_normalize(path, abs, sizeof(abs));
	if (have_abs && lexical_rel(L, abs, w)) {
		snprintf(w->path, sizeof(w->path), "%s", abs);
		w->kind = VOUCH_WHERE_PROTECTED;
		w->named = true;
		return;
	}
	if (rel == REL_NONE)
		return;
	if (opener && !m && !same_ns) {
		/* Another namespace's mount: where the kernel says the fd lives,
		 * through the opener's view of its mounts. */
		enum foreign k = locate_foreign(L, fd, opener, &sx, w);
		if (k == F_PROTECTED) {
			w->kind = VOUCH_WHERE_PROTECTED;
			return;
		}
		w->root = -1;
		w->rel[0] = '\0';
		if (k == F_FREE)
			return;
		if (S_ISREG(sx.stx_mode) && sx.stx_nlink > 1 &&
		    index_lookup(L, w->st.st_dev, w->st.st_ino, (time_t)sx.stx_ctime.tv_sec, w)) {
			if (!w->path[0])
				fd_path(fd, w->path, sizeof(w->path));
			w->kind = VOUCH_WHERE_PROTECTED;
			return;
		}
		w->path[0] = '\0';
		if (k == F_UNKNOWN) {
			fd_path(fd, w->path, sizeof(w->path));
			w->kind = VOUCH_WHERE_UNKNOWN;
		}
		return;
	}
	/* No name, or a name outside every root: where does the file live? */
	if (rel == REL_OVERLAP && !fd_path(fd, w->path, sizeof(w->path))) {
		w->path[0] = '\0';
		if (errno != ENOENT) {
			w->kind = VOUCH_WHERE_UNKNOWN;    /* a path we cannot read: fail closed */
			return;
		}
		/* No /proc (a process that chrooted itself, a bare container):
		 * where a file lives cannot be read here.  Refusing every file on
		 * the root's filesystem would break programs that have nothing to
		 * do with models; fall back to what still works (inode index, the
		 * name asked for) and let the caller say so once. */
		w->blind = true;
	} else if (rel == REL_OVERLAP) {
		if (!opener && !path && !path_is_fd(w->path, &w->st)) {
			/* Opened by handle, and /proc cannot say where: a file on a
			 * filesystem holding a protected tree stays unlocated.  (For
			 * another process's fd the kernel's path is where it lives,
			 * possibly in a namespace whose names we cannot stat.) */
			w->kind = VOUCH_WHERE_UNKNOWN;
			return;
		}
		/* Without the mount table only a lexical match is possible. */
		if (m ? match_prefix(L, m, w->path, w) : lexical_rel(L, w->path, w)) {
			w->kind = VOUCH_WHERE_PROTECTED;
			if (have_abs && asked_through_root(L, abs, w)) {
				snprintf(w->path, sizeof(w->path), "%s", abs);
				w->named = true;
			}
			return;
		}
		w->root = -1;
		w->rel[0] = '\0';
	}
	if (S_ISREG(sx.stx_mode) && sx.stx_nlink > 1 &&
	    index_lookup(L, w->st.st_dev, w->st.st_ino, (time_t)sx.stx_ctime.tv_sec, w)) {
		if (!w->path[0])
			fd_path(fd, w->path, sizeof(w->path));
		w->kind = VOUCH_WHERE_PROTECTED;
		return;
	}
	if (w->blind && !path)
		w->kind = VOUCH_WHERE_UNKNOWN;
}
