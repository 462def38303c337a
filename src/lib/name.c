/* SPDX-License-Identifier: Apache-2.0 */
/*
 * name.c - the name a client opened, and whether the file it got is the file
 * at that name.  Every front end decides on the name that was opened (the
 * FUSE node's path, the path a program passed to open) and hashes the fd it
 * will serve; this file ties the two together:
 *   - locate: is the fd the inode at that name, reached without a symlink?
 *     Or through one the policy allows, confined to the symlink root?
 *   - open a name under the symlink policy (vouchfs opens its own fds);
 *   - which names are signature files (served unverified, never models);
 *   - which names are Hugging Face hub refs (refs/<name> beside snapshots/).
 * Owns no state; reads the policy it is given.  Never follows a symlink
 * except in vouch_name_open_confined, which resolves each link by hand and
 * never leaves the symlink root.
 */
#include "verify_i.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Links followed for one name before giving up, as the kernel's MAXSYMLINKS. */
#define NAME_MAX_LINKS 40

/* a == b, or a lies below b, component-wise; b "" is the root itself. */
static bool rel_under(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (n == 0)
		return true;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

/* Lexically fold "." and ".." in a path whose directories are all real
 * (no symlink among them), so ".." is the physical parent.  Returns false
 * if it climbs above its start. */
static bool rel_fold(char *p)
{
	char out[PATH_MAX];
	size_t len = 0;

	for (char *s = p; *s; ) {
		char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);

		if (n == 0 || (n == 1 && s[0] == '.')) {
			/* nothing */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (len == 0)
				return false;
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else {
			if (len + n + 2 > sizeof(out))
				return false;
			if (len)
				out[len++] = '/';
			memcpy(out + len, s, n);
			len += n;
		}
		s = *e ? e + 1 : e;
	}
	out[len] = '\0';
	memcpy(p, out, len + 1);
	return true;
}

/* With O_PATH, a trailing symlink opens as the link itself: for the
 * resolution below that is a link still to follow, as ELOOP says without
 * O_PATH. */
static int link_is_eloop(int fd)
{
	struct stat st;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
		close(fd);
		return -ELOOP;
	}
	return fd;
}

int vouch_name_open_confined(int srfd, const char *rel, int flags)
{
	char path[PATH_MAX];
	int links = 0;

	if (snprintf(path, sizeof(path), "%s", rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (;;) {
		char target[PATH_MAX], next[PATH_MAX];
		int fd = vouch_openat_beneath(srfd, path, flags);
		ssize_t tl = -1;
		size_t i;

		fd = link_is_eloop(fd);
		if (fd != -ELOOP)
			return fd;
		if (++links > NAME_MAX_LINKS)
			return -ELOOP;
		/* Find the first link on the path: every prefix before it is a
		 * real directory, so what it points to can be folded lexically. */
		for (i = 0; ; i++) {
			if (path[i] != '/' && path[i] != '\0')
				continue;
			char c = path[i];
			path[i] = '\0';
			int pfd = vouch_openat_beneath(srfd, path, O_PATH);
			struct stat st;
			if (pfd >= 0 && fstat(pfd, &st) == 0 && S_ISLNK(st.st_mode))
				tl = readlinkat(pfd, "", target, sizeof(target) - 1);
			if (pfd >= 0)
				close(pfd);
			path[i] = c;
			if (pfd < 0 && pfd != -ELOOP)
				return pfd;
			if (tl >= 0 || c == '\0')
				break;
		}
		if (tl <= 0)
			return tl == 0 ? -ENOENT : -ELOOP;   /* the link moved under us */
		target[tl] = '\0';
		if (target[0] == '/')
			return -EXDEV;                       /* absolute: never beneath */
		/* next = the link's directory + target + the rest after the link */
		const char *dir_end = path + i;
		while (dir_end > path && dir_end[-1] != '/')
			dir_end--;
		int n = snprintf(next, sizeof(next), "%.*s%s%s", (int)(dir_end - path), path, target,
				 path + i);
		if (n < 0 || (size_t)n >= sizeof(next))
			return -ENAMETOOLONG;
		if (!rel_fold(next))
			return -EXDEV;
		if (!next[0])
			return -EISDIR;                      /* the symlink root itself */
		memcpy(path, next, (size_t)n + 1);
	}
}

/* The symlink root for a name under root: cfg->symlink_root if it lies in
 * this root (relative part into *srel), else the root itself (""). */
static const char *symlink_root_rel(const struct vouch_config *cfg, const struct vouch_root *root)
{
	const char *sr = cfg->symlink_root;
	size_t n = strlen(root->path);

	while (n > 1 && root->path[n - 1] == '/')
		n--;
	if (!sr || strncmp(sr, root->path, n) || (sr[n] != '/' && sr[n] != '\0'))
		return "";
	sr += n;
	while (*sr == '/')
		sr++;
	return sr;
}

int vouch_name_open(const struct vouch_config *cfg, const struct vouch_root *root,
		    const char *relpath, int flags)
{
	const char *srel;
	int fd, srfd, ret;

	fd = vouch_openat_beneath(root->fd, relpath, flags);
	if (!cfg->allow_symlinks)
		return fd;
	fd = link_is_eloop(fd);
	if (fd != -ELOOP)
		return fd;
	srel = symlink_root_rel(cfg, root);
	if (!rel_under(relpath, srel))
		return -EXDEV;
	if (!srel[0])
		return vouch_name_open_confined(root->fd, relpath, flags);
	srfd = vouch_openat_beneath(root->fd, srel, O_PATH | O_DIRECTORY);
	if (srfd < 0)
		return srfd == -ELOOP ? -EXDEV : srfd;
	ret = vouch_name_open_confined(srfd, relpath + strlen(srel) + 1, flags);
	close(srfd);
	return ret;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

enum vouch_cause vouch_name_locate(const struct vouch_config *cfg, const struct vouch_root *root,
				   const char *relpath, const struct stat *st, bool *link,
				   char *detail, size_t dl)
{
	struct stat ls;
	int fd;

	*link = false;
	fd = vouch_openat_beneath(root->fd, relpath, O_PATH);
	if (fd >= 0) {
		int r = fstat(fd, &ls);
		close(fd);
		if (r < 0) {
			verr(detail, dl, 0, "cannot stat the name: %s", strerror(errno));
			return VOUCH_CAUSE_IO_ERROR;
		}
		if (!S_ISLNK(ls.st_mode)) {
			if (same_file(&ls, st))
				return VOUCH_CAUSE_OK;
			verr(detail, dl, 0, "the file opened is not the file at that name "
			     "(replaced while it was being opened)");
			return VOUCH_CAUSE_UNLOCATED;
		}
	} else if (fd == -ENOENT || fd == -ENOTDIR) {
		verr(detail, dl, 0, "the name no longer exists (renamed while it was being opened)");
		return VOUCH_CAUSE_UNLOCATED;
	} else if (fd != -ELOOP) {
		verr(detail, dl, 0, "cannot look the name up: %s", strerror(-fd));
		return fd == -EXDEV ? VOUCH_CAUSE_SYMLINK : VOUCH_CAUSE_IO_ERROR;
	}
	/* A symlink is the name or lies on its path inside the root. */
	if (!cfg->allow_symlinks) {
		verr(detail, dl, 0, "%s (allow_symlinks is off)", fd >= 0 ? "is a symlink" :
		     "a directory on its path is a symlink");
		return VOUCH_CAUSE_SYMLINK;
	}
	fd = vouch_name_open(cfg, root, relpath, O_PATH);
	if (fd < 0) {
		verr(detail, dl, 0, "%s", fd == -EXDEV ? "symlink leads outside the symlink root" :
		     fd == -ENOENT ? "broken symlink" : fd == -ELOOP ? "too many levels of symlinks" :
		     strerror(-fd));
		return VOUCH_CAUSE_SYMLINK;
	}
	if (fstat(fd, &ls) < 0) {
		close(fd);
		verr(detail, dl, 0, "cannot stat the link's target: %s", strerror(errno));
		return VOUCH_CAUSE_IO_ERROR;
	}
	close(fd);
	if (!same_file(&ls, st)) {
		verr(detail, dl, 0, "the file opened is not the link's target (retargeted while it "
		     "was being opened)");
		return VOUCH_CAUSE_UNLOCATED;
	}
	*link = true;
	return VOUCH_CAUSE_OK;
}

/* Is relpath governed by a model.sig in its directory or any above it?
 * Anything at such a name (a link, a directory) counts: fail safe. */
static bool governed_by_bundle(int rootfd, const char *relpath)
{
	char cand[PATH_MAX];
	size_t len = strlen(relpath);

	while (len > 0) {
		while (len > 0 && relpath[len - 1] != '/')
			len--;
		if (len > 0)
			len--;                 /* drop the slash */
		if (snprintf(cand, sizeof(cand), "%.*s%smodel.sig", (int)len, relpath,
			     len ? "/" : "") >= (int)sizeof(cand))
			return true;
		int fd = vouch_openat_beneath(rootfd, cand, O_PATH);
		if (fd >= 0)
			close(fd);
		if (fd >= 0 || (fd != -ENOENT && fd != -ENOTDIR))
			return true;
		if (len == 0)
			break;
	}
	return false;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n > k && !memcmp(s + n - k, suffix, k);
}

bool vouch_name_is_signature(int rootfd, const char *relpath)
{
	const char *slash = strrchr(relpath, '/');
	const char *base = slash ? slash + 1 : relpath;
	size_t blen = strlen(base);

	if (!strcmp(base, "model.sig"))
		return true;
	if (!ends_with(base, blen, ".sig"))
		return false;
	if (slash) {
		/* A cosignature: directly in P.sig.d/, where P.sig is a signature. */
		size_t dlen = (size_t)(slash - relpath);
		if (ends_with(relpath, dlen, ".sig.d")) {
			char primary[PATH_MAX];
			if (dlen - 2 >= sizeof(primary))
				return false;
			memcpy(primary, relpath, dlen - 2);
			primary[dlen - 2] = '\0';
			const char *pb = strrchr(primary, '/');
			if (!(pb ? pb[1] : primary[0]) || ends_with(primary, dlen - 2, "/.sig"))
				return false;
			return vouch_name_is_signature(rootfd, primary);
		}
	}
	/* X.sig: where a sidecar lives, unless a bundle governs the place (a
	 * bundle always wins over a sidecar, so vouch never reads it there). */
	return !governed_by_bundle(rootfd, relpath);
}

char *vouch_name_hub_repo(int rootfd, const char *relpath, const char **ref)
{
	const char *p = relpath, *hit = NULL;
	char *repo = NULL, *snap = NULL;
	int fd;

	/* The last "refs/" component with something after it. */
	for (; (p = strstr(p, "refs/")); p++)
		if ((p == relpath || p[-1] == '/') && p[5])
			hit = p;
	if (!hit)
		return NULL;
	repo = strndup(relpath, hit == relpath ? 0 : (size_t)(hit - relpath - 1));
	if (!repo || asprintf(&snap, "%s%ssnapshots", repo, repo[0] ? "/" : "") < 0) {
		free(repo);
		return NULL;
	}
	fd = vouch_openat_beneath(rootfd, snap, O_PATH | O_DIRECTORY);
	free(snap);
	if (fd < 0) {
		free(repo);
		return NULL;
	}
	close(fd);
	*ref = hit + 5;
	return repo;
}
