/* SPDX-License-Identifier: Apache-2.0 */
/*
 * links.c - the symlinks under the protected roots, as vouchd must see them.
 *
 * A fanotify event reports the file an open reached, after the kernel
 * followed every symlink on the way.  So vouchd learns the links from the
 * tree itself: a walk of every root at start, on reload and whenever the
 * notification group saw a name created, moved or deleted on a marked
 * filesystem.  Each link is one of:
 *
 *  - allowed (allow_symlinks = yes, and libvouch resolves it inside the
 *    symlink root): the file it reaches is verified under the link's name,
 *    the name its signature speaks of (a Hugging Face snapshot's link into
 *    blobs/); a directory it reaches lends its name to every file below;
 *  - not allowed: the file or directory it reaches is denied (`symlink`),
 *    and so is every file in the directory holding the link (the model it
 *    was planted in), unless that directory is the protected root itself;
 *    an alert names it once, when it is first seen.
 *
 * What a link outside every marked filesystem reaches is never opened on a
 * marked one: vouchd cannot see such an open at all; it alerts, and denies
 * the rest of that model (docs/vouchd.md, "What vouchd cannot see").
 */
#include "vouchd_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <syslog.h>
#include <unistd.h>

#define WALK_MAX_DEPTH  64
#define WALK_MAX_LINKS  65536

struct link {
	char  *rel;            /* the link's name under its root */
	int    root;
	bool   allowed;
	bool   tdir;           /* it reaches a directory */
	bool   tfound;         /* it reaches something (not dangling) */
	dev_t  tdev;
	ino_t  tino;
	char  *tpath;          /* what it reaches, absolute in our namespace */
	char  *dirpath;        /* the directory holding it, absolute; NULL when that is the root */
};

struct links {
	struct vouch_ctx     *ctx;
	struct vouch_locator *loc;
	size_t                nroots;
	char                **realroot;      /* where each root lives, absolute */
	pthread_mutex_t       lock;
	struct link          *v;
	size_t                n, cap;
	bool                  truncated;
};

static void vec_free(struct link *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].rel);
		free(v[i].tpath);
		free(v[i].dirpath);
	}
	free(v);
}

static char *fd_path(int fd)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] != '/')
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* a == b, or a lies below b. */
static bool under(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (n == 1 && b[0] == '/')
		return true;
	return !strncmp(a, b, n) && (a[n] == '\0' || a[n] == '/');
}

int links_new(struct vouch_ctx *ctx, struct vouch_locator *loc, size_t nroots, struct links **out)
{
	struct links *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->ctx = ctx;
	l->loc = loc;
	l->nroots = nroots;
	l->realroot = calloc(nroots ? nroots : 1, sizeof(char *));
	if (!l->realroot) {
		free(l);
		return -ENOMEM;
	}
	pthread_mutex_init(&l->lock, NULL);
	*out = l;
	return 0;
}

void links_free(struct links *l)
{
	if (!l)
		return;
	vec_free(l->v, l->n);
	for (size_t r = 0; r < l->nroots; r++)
		free(l->realroot[r]);
	free(l->realroot);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* One link found by the walk: what does it reach, may it? */
static void classify(struct links *l, size_t r, int rootfd, const char *rel, struct link *k)
{
	const struct vouch_config *cfg = vouch_ctx_config(l->ctx);
	struct vouch_root root = { .fd = rootfd, .path = vouch_locator_root_path(l->loc, r) };
	struct stat st;
	int fd = -1;

	memset(k, 0, sizeof(*k));
	k->root = (int)r;
	if (cfg->allow_symlinks) {
		fd = vouch_open_name(l->ctx, &root, rel, O_PATH | O_CLOEXEC);
		k->allowed = fd >= 0;
	}
	if (fd < 0)
		/* Where the kernel would take an open: anywhere at all. */
		fd = openat(rootfd, rel, O_PATH | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0) {
		k->tfound = true;
		k->tdev = st.st_dev;
		k->tino = st.st_ino;
		k->tdir = S_ISDIR(st.st_mode);
		k->tpath = fd_path(fd);
	}
	if (fd >= 0)
		close(fd);
	k->rel = strdup(rel);
	if (strchr(rel, '/') && l->realroot[r]) {
		size_t dl = (size_t)(strrchr(rel, '/') - rel);
		size_t rl = strlen(l->realroot[r]);

		k->dirpath = malloc(rl + 1 + dl + 1);
		if (k->dirpath)
			snprintf(k->dirpath, rl + 1 + dl + 1, "%s/%.*s", l->realroot[r], (int)dl, rel);
	}
}

static void walk(struct links *l, size_t r, int rootfd, int dirfd, const char *rel, int depth,
		 struct link **v, size_t *n, size_t *cap)
{
	DIR *d;
	struct dirent *de;

	if (depth > WALK_MAX_DEPTH || !(d = fdopendir(dirfd))) {
		close(dirfd);
		return;
	}
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		unsigned char type = de->d_type;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", de->d_name) >= (int)sizeof(sub))
			continue;
		if (type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
		}
		if (type == DT_DIR) {
			int fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				walk(l, r, rootfd, fd, sub, depth + 1, v, n, cap);
		} else if (type == DT_LNK) {
			if (*n >= WALK_MAX_LINKS) {
				l->truncated = true;
				break;
			}
			if (*n == *cap) {
				struct link *nv = realloc(*v, (*cap = *cap ? *cap * 2 : 32) * sizeof(**v));
				if (!nv)
					break;
				*v = nv;
			}
			classify(l, r, rootfd, sub, &(*v)[*n]);
			if ((*v)[*n].rel) {
				(*n)++;
			} else {
				free((*v)[*n].tpath);
				free((*v)[*n].dirpath);
			}
		}
	}
	closedir(d);
}

static bool known(const struct link *v, size_t n, const struct link *k)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].root == k->root && v[i].allowed == k->allowed && !strcmp(v[i].rel, k->rel))
			return true;
	return false;
}

static void alert_link(struct links *l, const struct link *k)
{
	char name[4 * PATH_MAX + 1], to[4 * PATH_MAX + 1];

	vouch_escape(k->rel, name, sizeof(name));
	vouch_escape(k->tpath ? k->tpath : "(nothing: dangling)", to, sizeof(to));
	vouch_ctx_log(l->ctx, LOG_ALERT, "vouchd: symlink %s/%s -> %s is not allowed "
		      "(allow_symlinks, symlink_root): what it reaches%s is denied while it exists%s",
		      vouch_locator_root_path(l->loc, (size_t)k->root), name, to,
		      k->dirpath ? " and every file beside it" : "",
		      k->tfound ? "" : "; if it comes to lead off the protected filesystems, "
		      "opens through it are not seen");
}

void links_rebuild(struct links *l)
{
	struct link *v = NULL, *old;
	size_t n = 0, cap = 0, oldn;

	if (!l)
		return;
	l->truncated = false;
	for (size_t r = 0; r < l->nroots; r++) {
		int rootfd = vouch_locator_root_fd(l->loc, r), fd;

		if (rootfd < 0)
			continue;
		free(l->realroot[r]);
		l->realroot[r] = fd_path(rootfd);
		fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			walk(l, r, rootfd, fd, "", 0, &v, &n, &cap);
	}
	pthread_mutex_lock(&l->lock);
	old = l->v;
	oldn = l->n;
	l->v = v;
	l->n = n;
	l->cap = cap;
	pthread_mutex_unlock(&l->lock);
	/* Say so once for each link the policy does not allow. */
	for (size_t i = 0; i < n; i++)
		if (!v[i].allowed && !known(old, oldn, &v[i]))
			alert_link(l, &v[i]);
	if (l->truncated)
		vouch_ctx_log(l->ctx, LOG_ALERT, "vouchd: more than %d symlinks under the protected "
			      "roots: the rest are not indexed", WALK_MAX_LINKS);
	vec_free(old, oldn);
}

/* A file appeared or went at dir/name: every link that names that path
 * reaches another file now (a Hugging Face blob downloaded again and
 * renamed into place).  Classify those links again.  True if any. */
static bool retarget(struct links *l, int dirfd, const char *name)
{
	char *dir = fd_path(dirfd), path[PATH_MAX];
	size_t hits = 0;
	struct { int root; char *rel; } redo[16];

	if (!dir)
		return false;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		free(dir);
		return false;
	}
	free(dir);
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->n && hits < 16; i++)
		if (l->v[i].tpath && !strcmp(l->v[i].tpath, path) &&
		    (redo[hits].rel = strdup(l->v[i].rel)) != NULL)
			redo[hits++].root = l->v[i].root;
	pthread_mutex_unlock(&l->lock);
	for (size_t h = 0; h < hits; h++) {
		int rootfd = vouch_locator_root_fd(l->loc, (size_t)redo[h].root);
		struct link k;

		memset(&k, 0, sizeof(k));
		if (rootfd >= 0)
			classify(l, (size_t)redo[h].root, rootfd, redo[h].rel, &k);
		pthread_mutex_lock(&l->lock);
		for (size_t i = 0; i < l->n; i++)
			if (l->v[i].root == redo[h].root && !strcmp(l->v[i].rel, redo[h].rel)) {
				struct link old = l->v[i];

				if (k.rel) {
					l->v[i] = k;
					k.rel = NULL;
				} else {
					l->v[i] = l->v[--l->n];
				}
				free(old.rel);
				free(old.tpath);
				free(old.dirpath);
				break;
			}
		pthread_mutex_unlock(&l->lock);
		if (k.rel) {              /* gone meanwhile */
			free(k.rel);
			free(k.tpath);
			free(k.dirpath);
		}
		free(redo[h].rel);
	}
	return hits > 0;
}

/* One name created, moved in, moved out or removed in the directory at
 * dirfd (opened from the notification's file handle): the index follows
 * without walking the tree (a loop of touch/rm in a writable corner would
 * otherwise make every decision on the host wait for a walk).  Returns
 * false when the change cannot be placed (the caller walks everything). */
static int links_apply(struct links *l, int dirfd, const char *name, bool gone)
{
	char *dir = fd_path(dirfd), rel[PATH_MAX];
	struct link k;
	struct stat st;
	bool have = false, placed = false, removed = false;
	size_t r;

	if (!dir)
		return -1;
	for (r = 0; r < l->nroots; r++)
		if (l->realroot[r] && under(dir, l->realroot[r]))
			break;
	if (r == l->nroots) {
		free(dir);
		return 0;                       /* not under any root: nothing to index */
	}
	{
		const char *tail = dir + strlen(l->realroot[r]);

		if (*tail == '/')
			tail++;
		if (snprintf(rel, sizeof(rel), "%s%s%s", tail, *tail ? "/" : "", name) >= (int)sizeof(rel)) {
			free(dir);
			return -1;
		}
	}
	free(dir);
	if (!gone && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		int rootfd = vouch_locator_root_fd(l->loc, r);

		if (rootfd < 0)
			return -1;
		classify(l, r, rootfd, rel, &k);
		have = k.rel != NULL;
	}
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].root == (int)r && !strcmp(l->v[i].rel, rel)) {
			struct link old = l->v[i];

			l->v[i] = l->v[--l->n];
			removed = true;
			free(old.rel);
			free(old.tpath);
			free(old.dirpath);
			break;
		}
	if (have) {
		struct link *nv = l->n < l->cap ? l->v : realloc(l->v, (l->cap = l->cap * 2 + 8) * sizeof(*nv));

		if (nv) {
			l->v = nv;
			l->v[l->n++] = k;
			placed = true;
		}
	}
	pthread_mutex_unlock(&l->lock);
	if (have && !placed) {
		free(k.rel);
		free(k.tpath);
		free(k.dirpath);
		return -1;
	}
	if (placed && !k.allowed)
		alert_link(l, &k);
	if (!have && retarget(l, dirfd, name))
		return 1;
	return placed || removed;
}

int links_event(struct links *l, const void *fsid, const void *handle, const char *name, bool gone)
{
	struct statfs sf;
	int mfd = -1, dirfd, ret;

	if (!l)
		return 0;
	for (size_t r = 0; r < l->nroots && mfd < 0; r++) {
		int fd = vouch_locator_root_fd(l->loc, r);

		if (fd >= 0 && fstatfs(fd, &sf) == 0 && !memcmp(&sf.f_fsid, fsid, sizeof(sf.f_fsid)))
			mfd = fd;
	}
	if (mfd < 0)
		return 0;                       /* not a filesystem we index */
	dirfd = open_by_handle_at(mfd, (struct file_handle *)handle, O_PATH | O_CLOEXEC);
	if (dirfd < 0)
		return gone && errno == ESTALE ? 0 : -1;
	ret = links_apply(l, dirfd, name, gone);
	close(dirfd);
	return ret;
}

/* Where w lives, absolute in our namespace (PROTECTED only). */
static bool real_path(struct links *l, const struct vouch_location *w, char *out, size_t len)
{
	if (w->kind != VOUCH_WHERE_PROTECTED || w->root < 0 || (size_t)w->root >= l->nroots ||
	    !l->realroot[w->root])
		return false;
	return snprintf(out, len, "%s%s%s", l->realroot[w->root], *w->rel ? "/" : "", w->rel) <
	       (int)len;
}

static bool reaches(const struct link *k, const struct vouch_location *w, const char *wpath)
{
	if (!k->tfound)
		return false;
	if (!k->tdir)
		return k->tdev == w->st.st_dev && k->tino == w->st.st_ino;
	return wpath && k->tpath && under(wpath, k->tpath) && strcmp(wpath, k->tpath);
}

bool links_tainted(struct links *l, const struct vouch_location *w, char *why, size_t len)
{
	char wpath[PATH_MAX];
	bool have, hit = false;

	if (!l || w->kind == VOUCH_WHERE_UNKNOWN)
		return false;
	have = real_path(l, w, wpath, sizeof(wpath));
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->n && !hit; i++) {
		const struct link *k = &l->v[i];
		char name[1024];

		if (k->allowed)
			continue;
		if (reaches(k, w, have ? wpath : NULL)) {
			vouch_escape(k->rel, name, sizeof(name));
			snprintf(why, len, "reached by symlink %s, which the policy does not allow", name);
			hit = true;
		} else if (have && k->dirpath && under(wpath, k->dirpath)) {
			vouch_escape(k->rel, name, sizeof(name));
			snprintf(why, len, "its model directory holds symlink %s, which the policy "
				 "does not allow", name);
			hit = true;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return hit;
}

size_t links_names(struct links *l, const struct vouch_location *w, struct link_name *out, size_t max)
{
	char wpath[PATH_MAX];
	bool have;
	size_t n = 0;

	if (!l)
		return 0;
	have = real_path(l, w, wpath, sizeof(wpath));
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->n && n < max; i++) {
		const struct link *k = &l->v[i];

		if (!k->allowed || !reaches(k, w, have ? wpath : NULL))
			continue;
		out[n].root = k->root;
		if (k->tdir)
			snprintf(out[n].rel, sizeof(out[n].rel), "%s%s", k->rel, wpath + strlen(k->tpath));
		else
			snprintf(out[n].rel, sizeof(out[n].rel), "%s", k->rel);
		n++;
	}
	pthread_mutex_unlock(&l->lock);
	return n;
}
