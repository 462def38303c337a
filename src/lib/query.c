/* SPDX-License-Identifier: Apache-2.0 */
/*
 * query.c - `vouch query`: every signed model under the roots, its
 * signature authenticated and its policy applied exactly as `vouch verify`
 * does (trust.c, policy.c), its attached documents hashed against the
 * signed metadata, then filtered by what those documents claim
 * (dependencies and their versions, OSV advisories, SLSA builder and
 * sources).  A model whose signature or documents do not verify is
 * reported as unverified and nothing it claims is read.  Reads only; never
 * raises an anti-rollback mark; writes an audit record only with --hash
 * (a whole verification, vouch_verify_tree).
 */
#include "prov_i.h"
#include "verify_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WALK_DEPTH 32
#define MODELS_MAX (1u << 20)

struct dep {
	char *spec;                 /* as typed, for messages */
	char *name;                 /* NAME, or a purl's NS/NAME */
	char *type;                 /* a purl's type, or NULL: any ecosystem */
	struct vouch_vcons *c;
	size_t nc;
};

struct vouch_query {
	struct dep *deps;
	size_t ndeps;
	struct vouch_osv *osv;
	char *cve;
	char *builder;
	char *source;
	bool hash_all;
};

int vouch_query_new(struct vouch_query **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void vouch_query_free(struct vouch_query *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->ndeps; i++) {
		free(q->deps[i].spec);
		free(q->deps[i].name);
		free(q->deps[i].type);
		vouch_vcons_free(q->deps[i].c, q->deps[i].nc);
	}
	free(q->deps);
	vouch_osv_free(q->osv);
	free(q->cve);
	free(q->builder);
	free(q->source);
	free(q);
}

int vouch_query_dep(struct vouch_query *q, const char *spec, char *err, size_t errlen)
{
	struct dep d = { 0 }, *nd;
	const char *ops = NULL;
	char *head = NULL, sub[256];
	int ret = -EINVAL;

	/* The constraints start at the first <, >, ! or ==: none of these
	 * appears unencoded in a package URL's name or version. */
	for (const char *p = spec; *p && !ops; p++)
		if (*p == '<' || *p == '>' || *p == '!' || (p[0] == '=' && p[1] == '='))
			ops = p;
	head = strndup(spec, ops ? (size_t)(ops - spec) : strlen(spec));
	d.spec = strdup(spec);
	if (!head || !d.spec) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t l = strlen(head); l && head[l - 1] == ' '; l--)
		head[l - 1] = '\0';
	if (!strncasecmp(head, "pkg:", 4)) {
		struct vouch_purl p;
		if (vouch_purl_parse(head, &p, sub, sizeof(sub))) {
			ret = verr(err, errlen, -EINVAL, "--dep %s: %s", spec, sub);
			goto out;
		}
		d.type = p.type;
		p.type = NULL;
		if (p.ns && asprintf(&d.name, "%s/%s", p.ns, p.name) < 0)
			d.name = NULL;
		else if (!p.ns)
			d.name = strdup(p.name);
		if (p.version && ops) {
			vouch_purl_clear(&p);
			ret = verr(err, errlen, -EINVAL, "--dep %s: a package URL with @VERSION and "
				   "constraints; give one of them", spec);
			goto out;
		}
		if (p.version) {
			char *eq = NULL;
			if (asprintf(&eq, "==%s", p.version) < 0 ||
			    vouch_vcons_parse(eq, &d.c, &d.nc, sub, sizeof(sub))) {
				free(eq);
				vouch_purl_clear(&p);
				ret = verr(err, errlen, -EINVAL, "--dep %s: %s", spec, sub);
				goto out;
			}
			free(eq);
		}
		vouch_purl_clear(&p);
	} else {
		if (!*head || strlen(head) > 256 || strpbrk(head, " \t=,")) {
			ret = verr(err, errlen, -EINVAL, "--dep %s: expected NAME[OP VERSION,...] or a "
				   "package URL (pkg:TYPE/NAME)", spec);
			goto out;
		}
		d.name = strdup(head);
	}
	if (!d.name) {
		ret = -ENOMEM;
		goto out;
	}
	if (ops && vouch_vcons_parse(ops, &d.c, &d.nc, sub, sizeof(sub))) {
		ret = verr(err, errlen, -EINVAL, "--dep %s: %s", spec, sub);
		goto out;
	}
	/* A purl says which ordering applies: its versions must be of it. */
	for (size_t i = 0; d.type && i < d.nc; i++)
		if (vouch_version_check(vouch_vscheme_of_type(d.type), d.c[i].version, sub, sizeof(sub))) {
			ret = verr(err, errlen, -EINVAL, "--dep %s: %s", spec, sub);
			goto out;
		}
	nd = realloc(q->deps, (q->ndeps + 1) * sizeof(*nd));
	if (!nd) {
		ret = -ENOMEM;
		goto out;
	}
	q->deps = nd;
	q->deps[q->ndeps++] = d;
	memset(&d, 0, sizeof(d));
	ret = 0;
out:
	free(head);
	free(d.spec);
	free(d.name);
	free(d.type);
	vouch_vcons_free(d.c, d.nc);
	return ret;
}

int vouch_query_cve(struct vouch_query *q, const char *id, const char *osv_dir,
		    char *err, size_t errlen)
{
	int ret;

	vouch_osv_free(q->osv);
	q->osv = NULL;
	free(q->cve);
	q->cve = strdup(id);
	if (!q->cve)
		return -ENOMEM;
	ret = vouch_osv_load(osv_dir, id, &q->osv, err, errlen);
	return ret;
}

int vouch_query_builder(struct vouch_query *q, const char *id)
{
	free(q->builder);
	q->builder = strdup(id);
	return q->builder ? 0 : -ENOMEM;
}

int vouch_query_source(struct vouch_query *q, const char *prefix)
{
	free(q->source);
	q->source = strdup(prefix);
	return q->source ? 0 : -ENOMEM;
}

void vouch_query_hash_all(struct vouch_query *q, bool on)
{
	q->hash_all = on;
}

/* ---- one model ---- */

struct run {
	struct vouch_ctx *ctx;
	struct vouch_query *q;
	vouch_query_fn fn;
	void *arg;
	unsigned errors;
	int matched;
};

/* The key ids (identities) that counted, from auth.signers
 * ("FILE=WHO(TRUST):counted, ..."). */
static void counted_signers(const char *notes, char *out, size_t cap)
{
	size_t used = 0;
	const char *p = notes;

	out[0] = '\0';
	while (p && *p) {
		const char *end = strstr(p, ", "), *eq = strchr(p, '='), *colon, *paren;
		size_t n = end ? (size_t)(end - p) : strlen(p);

		colon = NULL;
		for (const char *c = p; c < p + n; c++)
			if (*c == ':')
				colon = c;
		if (eq && eq < p + n && colon && colon > eq &&
		    (size_t)(p + n - colon - 1) >= 7 && !strncmp(colon + 1, "counted", 7)) {
			paren = memchr(eq, '(', (size_t)(colon - eq));
			size_t wl = (size_t)((paren ? paren : colon) - eq - 1);
			if (used + wl + 2 < cap) {
				used += (size_t)snprintf(out + used, cap - used, "%s%.*s", used ? "," : "",
							 (int)wl, eq + 1);
			}
		}
		p = end ? end + 2 : NULL;
	}
}

static bool single_file_bundle(const struct vouch_bundle *b)
{
	const struct vouch_resource *const *r;

	if (b->st.nres > 0)
		return vouch_bundle_find(b, ".", &r) == b->st.nres;
	return b->st.meta.nfiles == 1 && !strcmp(b->st.meta.files[0].path, ".");
}

static void row_error(struct run *r, const char *path, const char *detail)
{
	struct vouch_query_row row = { .kind = VOUCH_QUERY_ERROR, .path = path, .name = "",
				       .signers = "", .detail = detail };

	r->errors++;
	r->fn(r->arg, &row);
}

static void row_unverified(struct run *r, const char *path, const struct vouch_bundle *b,
			   enum vouch_cause c, const char *detail)
{
	struct vouch_query_row row = { .kind = VOUCH_QUERY_UNVERIFIED, .path = path,
				       .name = b ? vouch_model_name(b) : "",
				       .version = b ? b->st.meta.version : 0,
				       .signers = "", .cause = c, .detail = detail };

	r->fn(r->arg, &row);
}

/* Read, hash and parse every listed document; add what they claim to f.
 * OK, or the cause with detail (the model is then unverified). */
static enum vouch_cause read_documents(const char *path, bool is_dir, const struct vouch_bundle *b,
				       struct vouch_facts *f, char *detail, size_t dl)
{
	struct vouch_doc_ref *refs = NULL;
	size_t n = 0;
	enum vouch_cause c;
	char sub[300];
	int base = -1;

	c = vouch_docs_of_bundle(b, &refs, &n, sub, sizeof(sub));
	if (c) {
		snprintf(detail, dl, "%s", sub);
		goto out;
	}
	if (!n)
		goto out;
	if (is_dir) {
		base = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		base = dir ? open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		free(dir);
	}
	if (base < 0) {
		c = VOUCH_CAUSE_IO_ERROR;
		snprintf(detail, dl, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *buf = NULL, md[32];
		size_t len = 0;
		enum vouch_doc_kind kind;
		json_t *j;
		int fd, ret;

		/* Beneath the model, no symlink at any level: the document is
		 * the file at its signed name, nothing it points to. */
		fd = vouch_openat_beneath(base, refs[i].name,
					  O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			c = fd == -ENOENT ? VOUCH_CAUSE_MISSING :
			    fd == -ELOOP || fd == -EXDEV ? VOUCH_CAUSE_SYMLINK : VOUCH_CAUSE_IO_ERROR;
			snprintf(detail, dl, "document %s: %s", refs[i].name,
				 fd == -ENOENT ? "signed but not on disk" : strerror(-fd));
			goto out;
		}
		ret = vouch_read_fd(fd, VOUCH_DOC_MAX, &buf, &len, NULL);
		close(fd);
		if (ret) {
			c = ret == -EINVAL ? VOUCH_CAUSE_SYMLINK : ret == -EFBIG ?
			    VOUCH_CAUSE_SIZE_MISMATCH : VOUCH_CAUSE_IO_ERROR;
			snprintf(detail, dl, "document %s: %s", refs[i].name,
				 ret == -EFBIG ? "larger than any document vouch signs" :
				 ret == -EINVAL ? "not a regular file" : strerror(-ret));
			goto out;
		}
		SHA256(buf, len, md);
		if (memcmp(md, refs[i].sha256, 32)) {
			free(buf);
			c = VOUCH_CAUSE_HASH_MISMATCH;
			snprintf(detail, dl, "document %s differs from the signed digest", refs[i].name);
			goto out;
		}
		/* Authentic from here on: it is what the trusted signer signed. */
		j = vouch_doc_parse(buf, len, sub, sizeof(sub));
		free(buf);
		ret = j ? vouch_doc_classify(refs[i].type, j, &kind, sub, sizeof(sub)) : -EINVAL;
		if (!ret && kind != refs[i].kind)
			ret = verr(sub, sizeof(sub), -EINVAL, "is %s, not the %s the metadata says",
				   vouch_doc_kind_name(kind), vouch_doc_kind_name(refs[i].kind));
		if (!ret)
			ret = vouch_doc_facts(j, kind, f, sub, sizeof(sub));
		json_decref(j);
		if (ret) {
			c = VOUCH_CAUSE_MALFORMED;
			snprintf(detail, dl, "document %s: %s", refs[i].name, sub);
			goto out;
		}
	}
out:
	if (base >= 0)
		close(base);
	vouch_doc_refs_free(refs, n);
	return c;
}

/* Does component c satisfy dep d?  0 with *hit, or -EINVAL (err). */
static int dep_match(const struct dep *d, const struct vouch_component *c, bool *hit,
		     char *err, size_t errlen)
{
	const char *ctype = c->purl.type, *cname = c->name;
	char full[600];

	*hit = false;
	if (ctype) {
		cname = c->purl.name;
		if (c->purl.ns) {
			snprintf(full, sizeof(full), "%s/%s", c->purl.ns, c->purl.name);
			cname = full;
		}
	}
	if (d->type && (!ctype || strcmp(d->type, ctype)))
		return 0;
	if (!vouch_pkg_name_eq(ctype, d->name, cname))
		return 0;
	if (!d->nc) {
		*hit = true;
		return 0;
	}
	if (!c->version)
		return verr(err, errlen, -EINVAL, "component %s has no version to compare with %s",
			    c->name, d->spec);
	return vouch_vcons_test(vouch_vscheme_of_type(ctype), c->version, d->c, d->nc, hit,
				err, errlen);
}

static void query_model(struct run *r, const char *path, bool is_dir)
{
	struct vouch_query *q = r->q;
	struct vouch_auth auth = { 0 };
	struct vouch_facts f = { 0 };
	char *sigpath = NULL, *real = NULL, detail[512] = "", signers[VOUCH_SIGNERS_LEN];
	bool *hit = NULL, locked = false;
	const char **adv = NULL;
	enum vouch_cause c;
	int sigfd = -1;

	if (asprintf(&sigpath, is_dir ? "%s/model.sig" : "%s.sig", path) < 0) {
		sigpath = NULL;
		row_error(r, path, "out of memory");
		goto out;
	}
	real = realpath(path, NULL);
	pthread_rwlock_rdlock(&r->ctx->rw);
	locked = true;
	sigfd = open(sigpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (sigfd < 0) {
		row_unverified(r, path, NULL, errno == ELOOP ? VOUCH_CAUSE_SYMLINK : VOUCH_CAUSE_IO_ERROR,
			       strerror(errno));
		goto out;
	}
	vouch_authenticate_fd(r->ctx, AT_FDCWD, sigfd, sigpath, &auth);
	if (auth.cause) {
		row_unverified(r, path, auth.b, auth.cause, auth.detail);
		goto out;
	}
	c = vouch_policy_check(r->ctx, &auth, real ? real : path, NULL, detail, sizeof(detail));
	if (c) {
		row_unverified(r, path, auth.b, c, detail);
		goto out;
	}
	if (is_dir == single_file_bundle(auth.b)) {
		row_unverified(r, path, auth.b, VOUCH_CAUSE_MALFORMED, is_dir ?
			       "the signature is for a single file, not a directory" :
			       "the signature is for a directory, not a single file");
		goto out;
	}
	if (!is_dir) {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (strcmp(auth.b->st.subject_name, base)) {
			snprintf(detail, sizeof(detail), "signature is for %s, not %s",
				 auth.b->st.subject_name, base);
			row_unverified(r, path, auth.b, VOUCH_CAUSE_NAME_MISMATCH, detail);
			goto out;
		}
	}
	pthread_rwlock_unlock(&r->ctx->rw);
	locked = false;
	if (q->hash_all) {
		struct vouch_verify_opts vo = { 0 };
		struct vouch_verdict v;

		if (vouch_verify_tree(r->ctx, path, &vo, NULL, NULL, &v)) {
			row_unverified(r, path, auth.b, v.cause, v.detail);
			goto out;
		}
	}
	c = read_documents(path, is_dir, auth.b, &f, detail, sizeof(detail));
	if (c) {
		row_unverified(r, path, auth.b, c, detail);
		goto out;
	}

	/* Filters: every one given must hold. */
	counted_signers(auth.signers, signers, sizeof(signers));
	{
		struct vouch_query_row row = { .kind = VOUCH_QUERY_MATCH, .path = path,
					       .name = vouch_model_name(auth.b),
					       .version = auth.b->st.meta.version, .signers = signers,
					       .builder = f.nbuilders ? f.builders[0] : NULL };
		bool ok = true, any_rows = false;

		if (q->builder) {
			bool b = false;
			for (size_t i = 0; i < f.nbuilders && !b; i++)
				b = !strcmp(f.builders[i], q->builder);
			ok = ok && b;
		}
		if (q->source) {
			bool s = false;
			for (size_t i = 0; i < f.nsources && !s; i++)
				s = !strncmp(f.sources[i], q->source, strlen(q->source));
			ok = ok && s;
		}
		hit = calloc(f.n + 1, sizeof(*hit));
		adv = calloc(f.n + 1, sizeof(*adv));
		if (!hit || !adv) {
			row_error(r, path, "out of memory");
			goto out;
		}
		for (size_t d = 0; d < q->ndeps; d++) {
			bool any = false;
			for (size_t i = 0; i < f.n; i++) {
				bool h;
				char sub[300];
				if (dep_match(&q->deps[d], &f.c[i], &h, sub, sizeof(sub))) {
					row_error(r, path, sub);
					continue;
				}
				if (h)
					hit[i] = any = true;
			}
			ok = ok && any;
		}
		if (q->osv) {
			bool any = false;
			for (size_t i = 0; i < f.n; i++) {
				char sub[400];
				if (vouch_osv_match(q->osv, &f.c[i], &adv[i], sub, sizeof(sub))) {
					row_error(r, path, sub);
					continue;
				}
				if (adv[i])
					hit[i] = any = true;
			}
			ok = ok && any;
		}
		if (!ok)
			goto out;
		r->matched++;
		for (size_t i = 0; i < f.n; i++) {
			if (!hit[i])
				continue;
			row.component = f.c[i].name;
			row.component_version = f.c[i].version;
			row.purl = f.c[i].purl_text;
			row.advisory = adv[i];
			r->fn(r->arg, &row);
			any_rows = true;
		}
		if (!any_rows)
			r->fn(r->arg, &row);
	}
out:
	if (locked)
		pthread_rwlock_unlock(&r->ctx->rw);
	if (sigfd >= 0)
		close(sigfd);
	vouch_auth_clear(&auth);
	vouch_facts_clear(&f);
	free(hit);
	free(adv);
	free(sigpath);
	free(real);
}

/* ---- finding models ---- */

struct found {
	char **path;
	bool *dir;
	size_t n, cap;
};

/* gcc 12 -fanalyzer false positive (as in admin.c): a pointer stored
 * through a symbolic index (fo->path[fo->n], names[n]) is reported leaked;
 * every one is freed with its array. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int found_add(struct found *fo, const char *path, bool dir)
{
	if (fo->n >= MODELS_MAX)
		return -EFBIG;
	if (fo->n == fo->cap) {
		size_t cap = fo->cap ? fo->cap * 2 : 256;
		char **np = realloc(fo->path, cap * sizeof(*np));
		bool *nd;
		if (!np)
			return -ENOMEM;
		fo->path = np;
		nd = realloc(fo->dir, cap * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		fo->dir = nd;
		fo->cap = cap;
	}
	if (!(fo->path[fo->n] = strdup(path)))
		return -ENOMEM;
	fo->dir[fo->n++] = dir;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory with model.sig is a model (not descended: what is below it
 * is its own); otherwise each F.sig beside a regular file F is one, and
 * subdirectories are walked.  Symlinks are never followed. */
static void walk(struct run *r, struct found *fo, int dfd, const char *path, unsigned depth)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d;

	if (fstatat(dfd, "model.sig", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		close(dfd);
		if (found_add(fo, path, true))
			row_error(r, path, "too many models");
		return;
	}
	d = fdopendir(dfd);
	if (!d) {
		row_error(r, path, strerror(errno));
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		char **nn;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof(*nn));
			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *sub = NULL;
		size_t l = strlen(names[i]);

		if (asprintf(&sub, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/",
			     names[i]) < 0)
			continue;
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			free(sub);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			/* Cosignature and document directories hold no models. */
			bool skip = (l > 6 && !strcmp(names[i] + l - 6, ".sig.d")) ||
				    (l >= 6 && !strcmp(names[i] + l - 6, ".vouch")) || !strcmp(names[i], ".git");
			if (!skip && depth < WALK_DEPTH) {
				int fd = openat(dirfd(d), names[i],
						O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (fd >= 0)
					walk(r, fo, fd, sub, depth + 1);
			} else if (!skip) {
				row_error(r, sub, "deeper than 32 levels: not searched");
			}
		} else if (S_ISREG(st.st_mode) && l > 4 && !strcmp(names[i] + l - 4, ".sig")) {
			struct stat ms;
			names[i][l - 4] = '\0';
			sub[strlen(sub) - 4] = '\0';
			if (fstatat(dirfd(d), names[i], &ms, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(ms.st_mode) && found_add(fo, sub, false))
				row_error(r, sub, "too many models");
		}
		free(sub);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

#pragma GCC diagnostic pop

int vouch_query_run(struct vouch_ctx *ctx, struct vouch_query *q, char *const *roots,
		    size_t nroots, vouch_query_fn fn, void *arg, unsigned *errors)
{
	struct run r = { .ctx = ctx, .q = q, .fn = fn, .arg = arg };
	struct found fo = { 0 };

	for (size_t i = 0; i < nroots; i++) {
		struct stat st;
		char *sig = NULL;

		if (lstat(roots[i], &st) < 0) {
			row_error(&r, roots[i], strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int fd = open(roots[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				row_error(&r, roots[i], strerror(errno));
			else
				walk(&r, &fo, fd, roots[i], 0);
		} else if (S_ISREG(st.st_mode) && asprintf(&sig, "%s.sig", roots[i]) >= 0) {
			if (lstat(sig, &st) == 0 && S_ISREG(st.st_mode))
				found_add(&fo, roots[i], false);
			else
				row_error(&r, roots[i], "no signature (ROOT.sig) beside this file");
			free(sig);
		} else {
			row_error(&r, roots[i], "not a directory or a regular file (symlinks are not "
				  "followed)");
		}
	}
	for (size_t i = 0; i < fo.n; i++) {
		query_model(&r, fo.path[i], fo.dir[i]);
		free(fo.path[i]);
	}
	free(fo.path);
	free(fo.dir);
	if (errors)
		*errors = r.errors;
	return r.matched;
}
