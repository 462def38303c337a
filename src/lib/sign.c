/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign.c - hash a model and write its OMS bundle: resources in
 * model_signing's order, the root subject digest, vouch's metadata member,
 * DSSE over the exact payload bytes, one signature per bundle.
 */
#include "bundle_i.h"
#include "model_i.h"
#include "prov_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

/* Recorded in the signed ignore_paths of every directory signature: the
 * signature, the cosignature directory, and the git paths every reference
 * verifier skips (sorted, so golden signatures are stable). */
static const char *const dir_ignores[] = {
	".git", ".gitattributes", ".github", ".gitignore", "model.sig", "model.sig.d",
};

struct collect {
	json_t *resources;
	json_t *files;                /* meta: path -> size */
	EVP_MD_CTX *root;
	bool sharded;
	uint64_t shard_size;
	enum vouch_hash hash;
	char *err;
	size_t errlen;
};

static int collect_item(void *arg, const struct vouch_item *it, int rc, const struct stat *st,
			const struct vouch_hash_job *jobs, size_t njobs)
{
	struct collect *c = arg;
	char hex[129], name[PATH_MAX + 48], algo[64];
	size_t dlen = vouch_hash_len(c->hash);

	if (rc)
		return verr(c->err, c->errlen, rc, "%s: %s", it->path,
			    rc == -ESTALE ? "changed while it was being signed" : strerror(-rc));
	if (c->sharded)
		snprintf(algo, sizeof(algo), "%s-sharded-%" PRIu64, vouch_hash_name(c->hash),
			 c->shard_size);
	else
		snprintf(algo, sizeof(algo), "%s", vouch_hash_name(c->hash));
	for (size_t i = 0; i < njobs; i++) {
		if (jobs[i].rc)
			return verr(c->err, c->errlen, jobs[i].rc, "%s: %s (changed while signing?)",
				    it->path, strerror(-jobs[i].rc));
		vouch_hex(jobs[i].digest, dlen, hex);
		if (c->sharded)
			snprintf(name, sizeof(name), "%s:%" PRIu64 ":%" PRIu64, it->path,
				 jobs[i].off, jobs[i].off + jobs[i].len);
		else
			snprintf(name, sizeof(name), "%s", it->path);
		json_array_append_new(c->resources,
				      json_pack("{s:s, s:s, s:s}", "algorithm", algo, "digest", hex,
						"name", name));
		EVP_DigestUpdate(c->root, jobs[i].digest, dlen);
	}
	json_object_set_new(c->files, it->path, json_integer((json_int_t)st->st_size));
	return 0;
}

static char *basename_of(const char *path)
{
	char *copy = strdup(path), *b, *out;
	size_t n;

	if (!copy)
		return NULL;
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	b = strrchr(copy, '/');
	b = b && b[1] ? b + 1 : copy;
	if (!strcmp(b, ".") || !strcmp(b, "..") || !strcmp(b, "/")) {
		/* "." names nothing: use the real directory's name, as model_signing 1.1 does. */
		char *real = realpath(path, NULL);
		char *r = real ? strrchr(real, '/') : NULL;
		out = strdup(r && r[1] ? r + 1 : "model");
		free(real);
	} else {
		out = strdup(b);
	}
	free(copy);
	return out;
}

int vouch_sign_path(struct vouch_signer *s, const char *path,
		    const struct vouch_sign_opts *o, char *err, size_t errlen)
{
	struct collect c = { .err = err, .errlen = errlen };
	struct vouch_scan_opts so = { 0 };
	struct vouch_items items = { 0 };
	json_t *stmt = NULL, *ser = NULL, *meta = NULL, *ign = NULL, *docs = NULL;
	char *payload = NULL, *bundle = NULL, *base = NULL, *out = NULL;
	uint8_t root[32], *pae = NULL, *sig = NULL;
	char roothex[65], ts[32];
	size_t paelen, siglen;
	enum vouch_cause cause;
	unsigned rl = 32;
	struct stat st;
	bool is_dir;
	int rootfd = -1, ret;
	int64_t signed_at;

	c.sharded = !o->method || !strcmp(o->method, "shards");
	if (o->method && strcmp(o->method, "shards") && strcmp(o->method, "files"))
		return verr(err, errlen, -EINVAL, "unknown method %s (want shards or files)", o->method);
	c.shard_size = o->shard_size ? o->shard_size : VOUCH_DEFAULT_SHARD;
	c.hash = o->hash;
	/* 0: now, or SOURCE_DATE_EPOCH (reproducible builds), as vouch.h says. */
	signed_at = o->signed_at;
	if (!signed_at) {
		const char *sde = secure_getenv("SOURCE_DATE_EPOCH");
		char *end;
		long long t = sde && *sde ? strtoll(sde, &end, 10) : -1;

		signed_at = sde && *sde && !*end && t >= 0 ? (int64_t)t : (int64_t)time(NULL);
	}
	if (o->expires && o->expires <= signed_at)
		return verr(err, errlen, -EINVAL, "expires is not after the signing time");
	if ((unsigned)c.hash > VOUCH_HASH_BLAKE3)
		return verr(err, errlen, -EINVAL, "unknown hash type %d", (int)c.hash);
	/* model_signing's rule: BLAKE3 is signed per file (it parallelises
	 * inside a file), shards fall back to files. */
	if (c.hash == VOUCH_HASH_BLAKE3)
		c.sharded = false;
	if (o->version >= (1ull << 53))
		return verr(err, errlen, -EINVAL, "version must be below 2^53");
	if (lstat(path, &st) < 0)
		return verr(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode) && !o->allow_symlinks)
		return verr(err, errlen, -ELOOP, "%s: is a symlink (refused; see --allow-symlinks)", path);
	if (stat(path, &st) < 0)
		return verr(err, errlen, -errno, "%s: %s", path, strerror(errno));
	is_dir = S_ISDIR(st.st_mode);
	if (!is_dir && !S_ISREG(st.st_mode))
		return verr(err, errlen, -EINVAL, "%s: not a regular file or directory", path);
	base = basename_of(path);
	if (o->output)
		out = strdup(o->output);
	else if (asprintf(&out, is_dir ? "%s/model.sig" : "%s.sig", path) < 0)
		out = NULL;
	if (!base || !out) {
		ret = -ENOMEM;
		goto done;
	}
	/* Attached documents are written into the model first, so a
	 * directory's scan below signs them like any other file. */
	if (o->nattach) {
		ret = vouch_docs_place(path, is_dir, o->attach, o->nattach, &docs, err, errlen);
		if (ret)
			goto done;
	}

	if (is_dir) {
		rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0) {
			ret = verr(err, errlen, -errno, "%s: %s", path, strerror(errno));
			goto done;
		}
		so.ignore = (char **)dir_ignores;
		so.nignore = ARRAY_SIZE(dir_ignores);
		so.allow_symlinks = o->allow_symlinks;
		so.symlink_root = o->symlink_root;
		ret = vouch_model_scan(rootfd, &so, &items, &cause, err, errlen);
		if (ret)
			goto done;
	} else {
		char *real = realpath(path, NULL);

		items.v = calloc(1, sizeof(*items.v));
		if (!items.v || !real) {
			free(real);
			ret = -ENOMEM;
			goto done;
		}
		items.n = items.cap = 1;
		items.v[0].path = strdup(".");
		items.v[0].target = real;
	}
	for (size_t i = 0; c.sharded && i < items.n; i++) {
		if (strchr(items.v[i].path, ':')) {
			ret = verr(err, errlen, -EINVAL, "%s: a name containing ':' cannot be shard-signed "
				   "(model_signing splits shard names on ':'); use --method files",
				   items.v[i].path);
			goto done;
		}
	}

	c.resources = json_array();
	c.files = json_object();
	c.root = EVP_MD_CTX_new();
	if (!c.resources || !c.files || !c.root ||
	    EVP_DigestInit_ex(c.root, EVP_sha256(), NULL) != 1) {
		ret = -ENOMEM;
		goto done;
	}
	ret = vouch_model_hash(rootfd, &items, c.sharded, c.shard_size, c.hash, o->threads, NULL,
			       collect_item, &c);
	if (ret)
		goto done;
	EVP_DigestFinal_ex(c.root, root, &rl);
	vouch_hex(root, 32, roothex);

	ser = json_pack("{s:s, s:s, s:b}", "method", c.sharded ? "shards" : "files",
			"hash_type", vouch_hash_name(c.hash), "allow_symlinks", o->allow_symlinks);
	if (c.sharded)
		json_object_set_new(ser, "shard_size", json_integer((json_int_t)c.shard_size));
	if (is_dir) {
		ign = json_array();
		for (size_t i = 0; i < ARRAY_SIZE(dir_ignores); i++)
			json_array_append_new(ign, json_string(dir_ignores[i]));
		json_object_set_new(ser, "ignore_paths", ign);
	}
	vouch_time_format(signed_at, ts);
	meta = json_pack("{s:s, s:I, s:s, s:o}", "name", o->name ? o->name : base,
			 "version", (json_int_t)(o->version ? o->version : 1), "signed_at", ts,
			 "files", c.files);
	c.files = NULL;
	if (meta && o->expires) {
		vouch_time_format(o->expires, ts);
		json_object_set_new(meta, "expires", json_string(ts));
	}
	if (meta && docs) {
		json_object_set_new(meta, "documents", docs);
		docs = NULL;
	}
	stmt = json_pack("{s:s, s:[{s:s, s:{s:s}}], s:s, s:{s:o, s:o, s:o}}",
			 "_type", VOUCH_STATEMENT_V1,
			 "subject", "name", base, "digest", "sha256", roothex,
			 "predicateType", VOUCH_PRED_V1,
			 "predicate", "serialization", ser, "resources", c.resources,
			 VOUCH_META_KEY, meta);
	ser = meta = NULL;
	c.resources = NULL;
	if (!stmt || !(payload = json_dumps(stmt, JSON_COMPACT | JSON_SORT_KEYS))) {
		ret = verr(err, errlen, -EINVAL, "%s: cannot encode the statement (file names must be UTF-8)",
			   path);
		goto done;
	}
	pae = vouch_dsse_pae(VOUCH_PAYLOAD_TYPE, (uint8_t *)payload, strlen(payload), &paelen);
	if (!pae) {
		ret = -ENOMEM;
		goto done;
	}
	ret = s->sign(s, pae, paelen, &sig, &siglen, err, errlen);
	if (ret)
		goto done;
	bundle = vouch_bundle_emit((uint8_t *)payload, strlen(payload), sig, siglen, s->pub->hint);
	if (!bundle) {
		ret = -ENOMEM;
		goto done;
	}
	ret = vouch_write_file_atomic(out, bundle, strlen(bundle), 0644, false);
	if (ret)
		verr(err, errlen, ret, "%s: %s", out, strerror(-ret));
done:
	if (rootfd >= 0)
		close(rootfd);
	vouch_items_free(&items);
	json_decref(c.resources);
	json_decref(c.files);
	json_decref(ser);
	json_decref(meta);
	json_decref(docs);
	json_decref(stmt);
	EVP_MD_CTX_free(c.root);
	free(payload);
	free(bundle);
	free(pae);
	free(sig);
	free(base);
	free(out);
	return ret;
}

int vouch_cosign(struct vouch_signer *s, const char *sigpath, char **out_path,
		 char *err, size_t errlen)
{
	struct vouch_bundle *b = NULL;
	uint8_t *pae = NULL, *sig = NULL;
	char *dir = NULL, *out = NULL, *bundle = NULL, sub[256];
	size_t paelen, siglen;
	enum vouch_cause c;
	int ret;

	c = vouch_bundle_load(AT_FDCWD, sigpath, &b, sub, sizeof(sub));
	if (c)
		return verr(err, errlen, -EINVAL, "%s", sub);
	/* The byte-identical payload: a cosignature over anything else counts
	 * for nothing. */
	pae = vouch_dsse_pae(b->payload_type, b->payload, b->payload_len, &paelen);
	if (!pae || asprintf(&dir, "%s.d", sigpath) < 0 ||
	    asprintf(&out, "%s/%s.sig", dir, s->pub->id) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ret = verr(err, errlen, -errno, "%s: %s", dir, strerror(errno));
		goto out;
	}
	ret = s->sign(s, pae, paelen, &sig, &siglen, err, errlen);
	if (ret)
		goto out;
	bundle = vouch_bundle_emit(b->payload, b->payload_len, sig, siglen, s->pub->hint);
	if (!bundle) {
		ret = -ENOMEM;
		goto out;
	}
	ret = vouch_write_file_atomic(out, bundle, strlen(bundle), 0644, false);
	if (ret) {
		verr(err, errlen, ret, "%s: %s", out, strerror(-ret));
		goto out;
	}
	if (out_path) {
		*out_path = out;
		out = NULL;
	}
out:
	vouch_bundle_free(b);
	free(pae);
	free(sig);
	free(dir);
	free(out);
	free(bundle);
	return ret;
}

int vouch_cosign_prune(const char *sigpath, void (*removed)(void *arg, const char *file),
		       void *arg, char *err, size_t errlen)
{
	struct vouch_bundle *b = NULL;
	struct dirent *de;
	char *dir = NULL, sub[256];
	DIR *d = NULL;
	int dfd, n = 0, ret;

	if (vouch_bundle_load(AT_FDCWD, sigpath, &b, sub, sizeof(sub)))
		return verr(err, errlen, -EINVAL, "%s", sub);
	if (asprintf(&dir, "%s.d", sigpath) < 0) {
		dir = NULL;
		ret = -ENOMEM;
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		ret = errno == ENOENT ? 0 : verr(err, errlen, -errno, "%s: %s", dir, strerror(errno));
		goto out;
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		ret = -ENOMEM;
		goto out;
	}
	while ((de = readdir(d))) {
		struct vouch_bundle *cb = NULL;
		size_t len = strlen(de->d_name);
		char *path = NULL;

		if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".sig"))
			continue;
		/* Not a bundle: not ours to judge (vouch inspect reports it). */
		if (vouch_bundle_load(dirfd(d), de->d_name, &cb, sub, sizeof(sub)))
			continue;
		if (cb->payload_len != b->payload_len || memcmp(cb->payload, b->payload, b->payload_len)) {
			if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
				ret = verr(err, errlen, -errno, "%s/%s: %s", dir, de->d_name, strerror(errno));
				vouch_bundle_free(cb);
				goto out;
			}
			n++;
			if (removed && asprintf(&path, "%s/%s", dir, de->d_name) >= 0) {
				removed(arg, path);
				free(path);
			}
		}
		vouch_bundle_free(cb);
	}
	if (n)
		fsync(dirfd(d));
	ret = n;
out:
	if (d)
		closedir(d);
	vouch_bundle_free(b);
	free(dir);
	return ret;
}
