/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tree.c - verify a whole model (a file, or a directory and everything in
 * it) against its signature, as `vouch verify` does: the same
 * authentication, policy, per-file plan and comparison as the fd entry
 * point, plus the checks only a whole view can make: no signed file is
 * missing and no unsigned file is present.  Files and shards of all files
 * are hashed in parallel.
 */
#include "verify_i.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct tree {
	struct vouch_ctx *ctx;
	const struct vouch_bundle *b;
	const struct vouch_verify_opts *o;
	vouch_report_fn report;
	void *arg;
	bool *seen;                 /* per index position */
	bool *seen_meta;            /* per metadata file */
	const char *single;         /* a single-file model: report its path, not "." */
	enum vouch_cause first;
	char first_detail[256];
	unsigned failures;
};

static void problem(struct tree *t, const char *name, enum vouch_cause c, const char *detail)
{
	if (t->single && !strcmp(name, "."))
		name = t->single;
	if (!t->first) {
		t->first = c;
		snprintf(t->first_detail, sizeof(t->first_detail), "%s: %s", name, detail);
	}
	t->failures++;
	if (t->report)
		t->report(t->arg, name, c, detail);
}

static void mark_seen(struct tree *t, const char *name)
{
	const struct vouch_resource *const *first;
	const struct vouch_file_meta *fm;
	size_t n = vouch_bundle_find(t->b, name, &first);
	size_t base = (size_t)(first - vouch_bundle_index(t->b));

	for (size_t i = 0; i < n; i++)
		t->seen[base + i] = true;
	fm = vouch_meta_find(&t->b->st.meta, name);
	if (fm)
		t->seen_meta[fm - t->b->st.meta.files] = true;
}

/* Hash only files that can match: in the manifest, with the signed size. */
static bool want_item(void *arg, const struct vouch_item *it, const struct stat *st)
{
	struct tree *t = arg;
	const struct vouch_resource *const *res;
	char detail[8];
	size_t nres;

	if (t->o->no_hash)
		return false;           /* presence and size only (check_item plans it) */
	return vouch_file_plan(t->b, it->path, (uint64_t)st->st_size, &res, &nres, detail,
			       sizeof(detail)) == VOUCH_CAUSE_OK;
}

static int check_item(void *arg, const struct vouch_item *it, int rc, const struct stat *st,
		      const struct vouch_hash_job *jobs, size_t njobs)
{
	struct tree *t = arg;
	const struct vouch_resource *const *res;
	char detail[256] = "";
	enum vouch_cause c;
	size_t nres;

	if (rc) {
		problem(t, it->path, rc == -ELOOP ? VOUCH_CAUSE_SYMLINK : VOUCH_CAUSE_IO_ERROR,
			rc == -ESTALE ? "changed while it was being verified" : strerror(-rc));
		mark_seen(t, it->path);
		return 0;
	}
	c = vouch_file_plan(t->b, it->path, (uint64_t)st->st_size, &res, &nres, detail, sizeof(detail));
	if (c == VOUCH_CAUSE_NOT_IN_MANIFEST && t->o->ignore_unsigned)
		return 0;
	mark_seen(t, it->path);
	if (!c && nres && !t->o->no_hash)
		c = vouch_file_compare(res, nres, jobs, njobs, detail, sizeof(detail));
	if (c)
		problem(t, it->path, c, detail);
	return 0;
}

static bool is_single_file_bundle(const struct vouch_bundle *b)
{
	const struct vouch_resource *const *r;

	if (b->st.nres > 0)
		return vouch_bundle_find(b, ".", &r) == b->st.nres;
	/* An empty file signed with shards has no resource, only metadata. */
	return b->st.meta.nfiles == 1 && !strcmp(b->st.meta.files[0].path, ".");
}

/* Relative name of sig inside dir, if it is inside, else NULL. */
static char *inside(const char *dir, const char *sig)
{
	char *rd = realpath(dir, NULL), *rs = realpath(sig, NULL), *out = NULL;
	size_t n;

	if (rd && rs) {
		n = strlen(rd);
		if (!strncmp(rs, rd, n) && rs[n] == '/')
			out = strdup(rs + n + 1);
	}
	free(rd);
	free(rs);
	return out;
}

static void verify_dir(struct tree *t, const char *path, const char *sigpath)
{
	struct vouch_scan_opts so = { .allow_symlinks = t->o->allow_symlinks, .symlink_root = t->o->symlink_root };
	const struct vouch_statement *st = &t->b->st;
	struct vouch_items items = { 0 };
	char **ign = NULL, *sigrel = inside(path, sigpath), err[300] = "";
	size_t nign = 0;
	enum vouch_cause c;
	int rootfd;

	rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		problem(t, path, VOUCH_CAUSE_IO_ERROR, strerror(errno));
		goto out;
	}
	if (is_single_file_bundle(t->b)) {
		problem(t, path, VOUCH_CAUSE_MALFORMED, "the signature is for a single file, not a directory");
		goto out;
	}
	/* Ignore set: signed ignore_paths + the caller's + the signature itself
	 * (and its cosignature directory), as the reference verifier does. */
	for (size_t i = 0; i < st->nignore; i++)
		vouch_config_add(&ign, &nign, st->ignore_paths[i]);
	for (size_t i = 0; i < t->o->nignore; i++)
		vouch_config_add(&ign, &nign, t->o->ignore_paths[i]);
	if (sigrel) {
		char *d = NULL;
		vouch_config_add(&ign, &nign, sigrel);
		if (asprintf(&d, "%s.d", sigrel) >= 0) {
			vouch_config_add(&ign, &nign, d);
			free(d);
		}
	}
	so.ignore = ign;
	so.nignore = nign;
	if (vouch_model_scan(rootfd, &so, &items, &c, err, sizeof(err))) {
		const char *colon = strstr(err, ": ");
		char name[PATH_MAX];
		snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - err) : (int)strlen(err), err);
		problem(t, name, c, colon ? colon + 2 : err);
		goto out;
	}
	vouch_model_hash(rootfd, &items, !strcmp(st->method, "shards"), st->shard_size, st->hash,
			 t->o->threads, want_item, check_item, t);
	/* Signed but absent (and not excluded by the caller's ignore list). */
	for (size_t i = 0; i < st->nres; i++) {
		const struct vouch_resource *r = vouch_bundle_res_at(t->b, i);

		if (t->seen[i] || (i && !strcmp(r->path, vouch_bundle_res_at(t->b, i - 1)->path)))
			continue;
		if (vouch_ignored(NULL, ign, nign, r->path))
			continue;
		problem(t, r->path, VOUCH_CAUSE_MISSING, "signed but not on disk");
	}
	for (size_t i = 0; i < st->meta.nfiles; i++) {
		const struct vouch_resource *const *r;

		if (!t->seen_meta[i] && !vouch_bundle_find(t->b, st->meta.files[i].path, &r))
			problem(t, st->meta.files[i].path, VOUCH_CAUSE_MISSING, "signed but not on disk");
	}
out:
	if (rootfd >= 0)
		close(rootfd);
	vouch_items_free(&items);
	for (size_t i = 0; i < nign; i++)
		free(ign[i]);
	free(ign);
	free(sigrel);
}

static void verify_file(struct tree *t, const char *path, bool sidecar)
{
	struct vouch_items items = { 0 };
	struct vouch_item one = { .path = (char *)"." };
	const char *base = strrchr(path, '/');
	char *real;

	base = base && base[1] ? base + 1 : path;
	if (sidecar && strcmp(t->b->st.subject_name, base)) {
		char d[PATH_MAX + 64];
		snprintf(d, sizeof(d), "signature is for %s, not %s", t->b->st.subject_name, base);
		problem(t, path, VOUCH_CAUSE_NAME_MISMATCH, d);
		return;
	}
	if (!is_single_file_bundle(t->b)) {
		problem(t, path, VOUCH_CAUSE_MALFORMED, "the signature is for a directory, not a single file");
		return;
	}
	real = realpath(path, NULL);
	if (!real) {
		problem(t, path, VOUCH_CAUSE_IO_ERROR, strerror(errno));
		return;
	}
	t->single = path;
	one.target = real;
	items.v = &one;
	items.n = 1;
	vouch_model_hash(-1, &items, !strcmp(t->b->st.method, "shards"), t->b->st.shard_size,
			 t->b->st.hash, t->o->threads, want_item, check_item, t);
	if (!t->seen[0] && t->b->st.nres)
		problem(t, path, VOUCH_CAUSE_MISSING, "not found");
	free(real);
}

enum vouch_cause vouch_verify_tree(struct vouch_ctx *ctx, const char *path,
				   const struct vouch_verify_opts *opts,
				   vouch_report_fn report, void *arg, struct vouch_verdict *out)
{
	static const struct vouch_verify_opts none;
	struct tree t = { .ctx = ctx, .o = opts ? opts : &none, .report = report, .arg = arg };
	struct vouch_verdict v = { 0 };
	struct vouch_auth auth = { 0 };
	struct timespec t0, t1;
	char *sigpath = NULL, *real = NULL, detail[256] = "";
	struct stat st;
	bool is_dir;
	int sigfd = -1;
	enum vouch_cause c;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (lstat(path, &st) < 0) {
		/* A signature for it, but no file: a signed file is missing.  No
		 * signature either: nothing to verify, an operational error. */
		int e = errno;
		char *sc = NULL;
		bool signed_for = e == ENOENT && (t.o->sigpath ||
			(asprintf(&sc, "%s.sig", path) >= 0 && lstat(sc, &st) == 0));

		free(sc);
		problem(&t, path, signed_for ? VOUCH_CAUSE_MISSING : VOUCH_CAUSE_IO_ERROR, strerror(e));
		goto decide;
	}
	if (S_ISLNK(st.st_mode) && !t.o->allow_symlinks) {
		problem(&t, path, VOUCH_CAUSE_SYMLINK, "is a symlink");
		goto decide;
	}
	if (stat(path, &st) < 0) {
		problem(&t, path, VOUCH_CAUSE_IO_ERROR, strerror(errno));
		goto decide;
	}
	v.st = st;
	real = realpath(path, NULL);       /* the audit record names the absolute path */
	is_dir = S_ISDIR(st.st_mode);
	if (!is_dir && !S_ISREG(st.st_mode)) {
		problem(&t, path, VOUCH_CAUSE_SYMLINK, "not a regular file or directory");
		goto decide;
	}
	if (t.o->sigpath)
		sigpath = strdup(t.o->sigpath);
	else if (asprintf(&sigpath, is_dir ? "%s/model.sig" : "%s.sig", path) < 0)
		sigpath = NULL;
	if (!sigpath) {
		problem(&t, path, VOUCH_CAUSE_IO_ERROR, "out of memory");
		goto decide;
	}

	if (ctx)
		pthread_rwlock_rdlock(&ctx->rw);
	sigfd = open(sigpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (sigfd < 0) {
		problem(&t, sigpath, errno == ENOENT ? VOUCH_CAUSE_NOT_SIGNED :
			errno == ELOOP ? VOUCH_CAUSE_SYMLINK : VOUCH_CAUSE_IO_ERROR,
			errno == ENOENT ? "no signature" : strerror(errno));
		goto unlock;
	}
	if (t.o->content_only) {
		/* Files against the manifest only (vouch cosign): no trust needed. */
		close(sigfd);
		sigfd = -1;
		auth.cause = vouch_bundle_load(AT_FDCWD, sigpath, &auth.b, auth.detail, sizeof(auth.detail));
	} else {
		vouch_authenticate_fd(ctx, AT_FDCWD, sigfd, sigpath, &auth);
	}
	/* Who signed, also when it did not count: the report names stragglers. */
	snprintf(v.signers, sizeof(v.signers), "%s", auth.signers);
	if (auth.b) {
		snprintf(v.model, sizeof(v.model), "%s", vouch_model_name(auth.b));
		v.version = auth.b->st.meta.version;
	}
	if (auth.cause) {
		const char *d = auth.detail;
		size_t n = strlen(sigpath);
		if (!strncmp(d, sigpath, n) && d[n] == ':')
			d += n + 2;           /* the report names the file already */
		problem(&t, sigpath, auth.cause, d);
		goto unlock;
	}
	t.b = auth.b;
	snprintf(v.model, sizeof(v.model), "%s", vouch_model_name(auth.b));
	v.version = auth.b->st.meta.version;
	snprintf(v.keyid, sizeof(v.keyid), "%s", auth.keyid);
	c = t.o->content_only ? VOUCH_CAUSE_OK :
	    vouch_policy_check(ctx, &auth, real, t.o->expect_name, detail, sizeof(detail));
	if (!t.o->content_only)      /* the role each signer fills, for the report */
		vouch_rule_roles(ctx, &auth, real, v.signers, sizeof(v.signers), NULL, 0);
	if (c) {
		problem(&t, path, c, detail);
		goto unlock;
	}
	t.seen = calloc(auth.b->st.nres + 1, sizeof(bool));
	t.seen_meta = calloc(auth.b->st.meta.nfiles + 1, sizeof(bool));
	if (!t.seen || !t.seen_meta) {
		problem(&t, path, VOUCH_CAUSE_IO_ERROR, "out of memory");
		goto unlock;
	}
	if (is_dir)
		verify_dir(&t, path, sigpath);
	else
		verify_file(&t, path, !t.o->sigpath);
	if (!t.first && t.o->record && ctx) {
		bool raised;
		c = vouch_accept(ctx, auth.b, &raised, detail, sizeof(detail));
		if (c)
			problem(&t, path, c, detail);
	}
unlock:
	if (ctx)
		pthread_rwlock_unlock(&ctx->rw);
decide:
	v.cause = t.first;
	v.allow = t.first == VOUCH_CAUSE_OK;
	if (t.first)
		snprintf(v.detail, sizeof(v.detail), "%s", t.first_detail);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ctx)
		vouch_record(ctx, real ? real : path, &v, NULL,
		     (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (out)
		*out = v;
	if (sigfd >= 0)
		close(sigfd);
	vouch_auth_clear(&auth);
	free(t.seen);
	free(t.seen_meta);
	free(sigpath);
	free(real);
	return v.cause;
}
