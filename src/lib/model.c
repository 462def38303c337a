/* SPDX-License-Identifier: Apache-2.0 */
/*
 * model.c - enumerate a model on disk the way OMS serializes it
 * (docs/format.md, "Enumerating a model", "Path order" and "Ignored
 * paths"): every regular file under the model directory, by model-relative
 * POSIX path, in model_signing's component-wise order, with the ignore set
 * applied.  Symlinks are refused unless allowed, and then
 * must resolve inside a root the caller names; FIFOs, sockets and devices
 * are refused always.  Used by signing and by whole-model verification.
 */
#include "model_i.h"
#include "bundle_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 64

struct scan {
	const struct vouch_scan_opts *o;
	struct vouch_items *items;
	char *root_real;             /* realpath of the symlink root */
	char *err;
	size_t errlen;
	enum vouch_cause cause;
};

/* gcc 12 -fanalyzer false positive: it does not carry a block's contents
 * across a realloc that moves it (the strings the list holds read as leaked,
 * uninitialised or freed), nor a store through a symbolic index (l[*n]). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int items_add(struct vouch_items *it, const char *path, uint64_t size, const char *target)
{
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 64;
		struct vouch_item *v = realloc(it->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		it->v = v;
		it->cap = cap;
	}
	if (it->n >= VOUCH_MAX_RESOURCES)
		return -E2BIG;
	char *p = strdup(path), *t = target ? strdup(target) : NULL;

	if (!p || (target && !t)) {     /* a link without its target would read as a file */
		free(p);
		free(t);
		return -ENOMEM;
	}
	it->v[it->n].path = p;
	it->v[it->n].size = size;
	it->v[it->n].target = t;
	it->n++;
	return 0;
}
#pragma GCC diagnostic pop

void vouch_items_free(struct vouch_items *it)
{
	for (size_t i = 0; i < it->n; i++) {
		free(it->v[i].path);
		free(it->v[i].target);
	}
	free(it->v);
	memset(it, 0, sizeof(*it));
}

static int fail(struct scan *s, enum vouch_cause c, int ret, const char *fmt, const char *path)
{
	s->cause = c;
	verr(s->err, s->errlen, ret, "%s: %s", path, fmt);
	return ret;
}

/* An allowed symlink: resolve it and require a regular file inside the root. */
static int add_link(struct scan *s, int dirfd, const char *name, const char *rel)
{
	char *real = NULL, lpath[PATH_MAX];
	struct stat st;
	int ret;

	snprintf(lpath, sizeof(lpath), "/proc/self/fd/%d/%s", dirfd, name);
	real = realpath(lpath, NULL);
	if (!real)
		return fail(s, VOUCH_CAUSE_SYMLINK, -ENOENT, "broken symlink", rel);
	if (strncmp(real, s->root_real, strlen(s->root_real)) ||
	    (real[strlen(s->root_real)] != '/' && real[strlen(s->root_real)] != '\0')) {
		ret = fail(s, VOUCH_CAUSE_SYMLINK, -EPERM, "symlink leads outside the allowed root", rel);
		goto out;
	}
	if (stat(real, &st) < 0) {
		ret = fail(s, VOUCH_CAUSE_IO_ERROR, -errno, "cannot stat symlink target", rel);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = 0;             /* symlinked directories are listed, never descended */
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = fail(s, VOUCH_CAUSE_SYMLINK, -EINVAL, "symlink to a non-regular file", rel);
		goto out;
	}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"     /* items_add's realloc: see there */
	ret = items_add(s->items, rel, (uint64_t)st.st_size, real);
#pragma GCC diagnostic pop
out:
	free(real);
	return ret;
}

static int walk(struct scan *s, int dirfd, const char *prefix, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd, ret = 0;

	if (depth > MAX_DEPTH)
		return fail(s, VOUCH_CAUSE_MALFORMED, -ELOOP, "directory tree too deep", prefix);
	fd = dup(dirfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return fail(s, VOUCH_CAUSE_IO_ERROR, -errno, strerror(errno), prefix[0] ? prefix : ".");
	}
	while ((errno = 0, de = readdir(d))) {
		char rel[PATH_MAX];
		struct stat st;
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(rel, sizeof(rel), "%s%s%s", prefix, prefix[0] ? "/" : "",
				     de->d_name) >= sizeof(rel)) {
			ret = fail(s, VOUCH_CAUSE_MALFORMED, -ENAMETOOLONG, "path too long", prefix);
			break;
		}
		if (vouch_ignored(NULL, s->o->ignore, s->o->nignore, rel))
			continue;
		if (!vouch_path_ok(rel)) {
			ret = fail(s, VOUCH_CAUSE_MALFORMED, -EINVAL,
				   "file name is not valid UTF-8 or has control characters", rel);
			break;
		}
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = fail(s, VOUCH_CAUSE_IO_ERROR, -errno, strerror(errno), rel);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			if (!s->o->allow_symlinks) {
				ret = fail(s, VOUCH_CAUSE_SYMLINK, -ELOOP,
					   "is a symlink (refused; see --allow-symlinks)", rel);
				break;
			}
			ret = add_link(s, dirfd, de->d_name, rel);
		} else if (S_ISDIR(st.st_mode)) {
			sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				ret = fail(s, VOUCH_CAUSE_IO_ERROR, -errno, strerror(errno), rel);
				break;
			}
			ret = walk(s, sub, rel, depth + 1);
			close(sub);
		} else if (S_ISREG(st.st_mode)) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"     /* items_add's realloc: see there */
			ret = items_add(s->items, rel, (uint64_t)st.st_size, NULL);
#pragma GCC diagnostic pop
			if (ret)
				fail(s, VOUCH_CAUSE_MALFORMED, ret, "too many files", rel);
		} else {
			ret = fail(s, VOUCH_CAUSE_SYMLINK, -EINVAL,
				   "is not a regular file (FIFO, socket or device)", rel);
		}
		if (ret)
			break;
	}
	if (!ret && errno)
		ret = fail(s, VOUCH_CAUSE_IO_ERROR, -errno, strerror(errno), prefix[0] ? prefix : ".");
	closedir(d);
	return ret;
}

static int item_cmp(const void *a, const void *b)
{
	return vouch_path_cmp(((const struct vouch_item *)a)->path,
			      ((const struct vouch_item *)b)->path);
}

int vouch_model_scan(int rootfd, const struct vouch_scan_opts *o, struct vouch_items *out,
		     enum vouch_cause *cause, char *err, size_t errlen)
{
	struct scan s = { .o = o, .items = out, .err = err, .errlen = errlen };
	char lpath[64];
	int ret;

	memset(out, 0, sizeof(*out));
	if (o->allow_symlinks) {
		snprintf(lpath, sizeof(lpath), "/proc/self/fd/%d", rootfd);
		s.root_real = realpath(o->symlink_root ? o->symlink_root : lpath, NULL);
		if (!s.root_real) {
			*cause = VOUCH_CAUSE_IO_ERROR;
			return verr(err, errlen, -errno, "%s: %s",
				    o->symlink_root ? o->symlink_root : ".", strerror(errno));
		}
	}
	ret = walk(&s, rootfd, "", 0);
	free(s.root_real);
	if (ret) {
		*cause = s.cause ? s.cause : VOUCH_CAUSE_IO_ERROR;
		vouch_items_free(out);
		return ret;
	}
	qsort(out->v, out->n, sizeof(*out->v), item_cmp);
	*cause = VOUCH_CAUSE_OK;
	return 0;
}

int vouch_item_open(int rootfd, const struct vouch_item *it)
{
	int fd;

	if (it->target) {
		fd = open(it->target, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		return fd < 0 ? -errno : fd;
	}
	if (!strcmp(it->path, "."))
		return -EINVAL;
	return vouch_openat_beneath(rootfd, it->path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
}

size_t vouch_plan_jobs(int fd, uint64_t size, bool sharded, uint64_t shard_size,
		       enum vouch_hash alg, struct vouch_hash_job *jobs, size_t max)
{
	size_t n = 0;

	if (!sharded) {
		if (!max)
			return (size_t)-1;
		jobs[0] = (struct vouch_hash_job){ .fd = fd, .off = 0, .len = size, .alg = alg };
		return 1;
	}
	for (uint64_t off = 0; off < size; off += shard_size) {
		if (n == max)
			return (size_t)-1;
		jobs[n++] = (struct vouch_hash_job){
			.fd = fd, .off = off, .alg = alg,
			.len = size - off < shard_size ? size - off : shard_size,
		};
	}
	return n;
}

/* Batches bound memory and open fds: at most BATCH_FILES files and
 * BATCH_JOBS ranges in flight, enough to keep every core busy. */
#define BATCH_FILES 64
#define BATCH_JOBS  16384       /* 1 TiB of 64 MiB shards in one file */

int vouch_model_hash(int rootfd, const struct vouch_items *items, bool sharded,
		     uint64_t shard_size, enum vouch_hash alg, unsigned threads, vouch_item_want_fn want,
		     vouch_item_fn fn, void *arg)
{
	struct vouch_hash_job *jobs = calloc(BATCH_JOBS, sizeof(*jobs));
	struct { int fd, rc; struct stat st; size_t first, n; } b[BATCH_FILES];
	size_t i = 0;
	int ret = 0;

	if (!jobs)
		return -ENOMEM;
	while (i < items->n && !ret) {
		size_t nb = 0, nj = 0;

		/* Fill a batch. */
		while (i + nb < items->n && nb < BATCH_FILES) {
			const struct vouch_item *it = &items->v[i + nb];
			size_t n;

			b[nb].fd = vouch_item_open(rootfd, it);
			b[nb].rc = b[nb].fd < 0 ? b[nb].fd : 0;
			b[nb].first = nj;
			b[nb].n = 0;
			if (!b[nb].rc && fstat(b[nb].fd, &b[nb].st) < 0)
				b[nb].rc = -errno;
			if (!b[nb].rc && !S_ISREG(b[nb].st.st_mode))
				b[nb].rc = -EINVAL;
			if (!b[nb].rc && (!want || want(arg, it, &b[nb].st))) {
				n = vouch_plan_jobs(b[nb].fd, (uint64_t)b[nb].st.st_size, sharded,
						    shard_size, alg, jobs + nj, BATCH_JOBS - nj);
				if (n == (size_t)-1) {
					if (nb > 0) {     /* no room: leave it for the next batch */
						if (b[nb].fd >= 0)
							close(b[nb].fd);
						break;
					}
					b[nb].rc = -E2BIG;
				} else {
					b[nb].n = n;
					nj += n;
				}
			}
			nb++;
		}
		vouch_hash_jobs(jobs, nj, threads);
		/* A file written while it was hashed (grown, cut, rewritten):
		 * its digests describe no one version of it. */
		for (size_t k = 0; k < nb; k++) {
			if (b[k].fd >= 0 && !b[k].rc && b[k].n && !vouch_fd_unchanged(b[k].fd, &b[k].st))
				b[k].rc = -ESTALE;
		}
		for (size_t k = 0; k < nb; k++) {
			if (!ret)
				ret = fn(arg, &items->v[i + k], b[k].rc, &b[k].st, jobs + b[k].first, b[k].n);
			if (b[k].fd >= 0)
				close(b[k].fd);
		}
		i += nb;
	}
	free(jobs);
	return ret;
}
