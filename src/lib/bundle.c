/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle.c - the signature format: Sigstore bundle v0.3 -> DSSE envelope ->
 * in-toto Statement v1 -> OMS predicate (docs/format.md, "Bundle" to
 * "Ignored paths", and "What is refused").  One parser for vouch's own
 * bundles and for the reference tool's; it checks structure and internal
 * consistency (root digest, names, shard tiling) but trusts nothing:
 * authentication is verify.c's job.
 */
#include "bundle_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SAFE_INT ((1ull << 53) - 1)

static const char *const default_ignores[] = {
	".git", ".gitattributes", ".github", ".gitignore",
};

/* ------------------------------------------------------------------------ */
/* DSSE pre-authentication encoding                                          */

uint8_t *vouch_dsse_pae(const char *type, const uint8_t *payload, size_t len, size_t *outlen)
{
	char head[128];
	int n = snprintf(head, sizeof(head), "DSSEv1 %zu %s %zu ", strlen(type), type, len);
	uint8_t *out;

	if (n < 0 || (size_t)n >= sizeof(head))
		return NULL;
	out = malloc((size_t)n + len + 1);
	if (!out)
		return NULL;
	memcpy(out, head, (size_t)n);
	memcpy(out + n, payload, len);
	*outlen = (size_t)n + len;
	return out;
}

uint8_t *vouch_dsse_pae_v02(const char *type, const uint8_t *payload, size_t len, size_t *outlen)
{
	/* model_signing 0.2 signed "DSSEV1 ... " + Python's repr(bytes). */
	char head[128];
	int n = snprintf(head, sizeof(head), "DSSEV1 %zu %s %zu b'", strlen(type), type, len);
	uint8_t *out, *p;

	if (n < 0 || (size_t)n >= sizeof(head) || len > SIZE_MAX / 4 - 2 * sizeof(head))
		return NULL;
	out = malloc((size_t)n + 4 * len + 2);
	if (!out)
		return NULL;
	memcpy(out, head, (size_t)n);
	p = out + n;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = payload[i];

		if (c == '\\' || c == '\'') {
			*p++ = '\\';
			*p++ = c;
		} else if (c == '\t') {
			*p++ = '\\'; *p++ = 't';
		} else if (c == '\n') {
			*p++ = '\\'; *p++ = 'n';
		} else if (c == '\r') {
			*p++ = '\\'; *p++ = 'r';
		} else if (c >= 0x20 && c < 0x7f) {
			*p++ = c;
		} else {
			p += sprintf((char *)p, "\\x%02x", c);
		}
	}
	*p++ = '\'';
	*outlen = (size_t)(p - out);
	return out;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;       /* the reference emits lowercase; be exact */
}

static bool parse_hex(const char *s, uint8_t *out, size_t outlen)
{
	if (strlen(s) != 2 * outlen)
		return false;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* Integral JSON number (protobuf Struct turns ints into floats). */
static bool json_u64(const json_t *v, uint64_t max, uint64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || (uint64_t)i > max)
			return false;
		*out = (uint64_t)i;
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!(d >= 0) || d > (double)max || d != (double)(uint64_t)d)
			return false;
		*out = (uint64_t)d;
		return true;
	}
	return false;
}

static bool parse_u64_str(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

static const char *jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static int res_cmp(const void *a, const void *b)
{
	const struct vouch_resource *x = *(struct vouch_resource *const *)a;
	const struct vouch_resource *y = *(struct vouch_resource *const *)b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	return x->start < y->start ? -1 : x->start > y->start;
}

static enum vouch_cause bad(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum vouch_cause bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return VOUCH_CAUSE_MALFORMED;
}

/* vouch's signed metadata member (VOUCH_META_KEY). */
static enum vouch_cause parse_meta(const json_t *m, struct vouch_meta *meta, char *err, size_t errlen)
{
	const json_t *files, *v;
	const char *key, *s;
	size_t i = 0;

	if (!json_is_object(m))
		return bad(err, errlen, "%s is not an object", VOUCH_META_KEY);
	meta->present = true;
	s = jstr(m, "name");
	if (!s || !*s || strlen(s) > 127)
		return bad(err, errlen, "%s: missing or bad name", VOUCH_META_KEY);
	meta->name = strdup(s);
	if (!json_u64(json_object_get(m, "version"), MAX_SAFE_INT, &meta->version))
		return bad(err, errlen, "%s: version must be an integer below 2^53", VOUCH_META_KEY);
	s = jstr(m, "signed_at");
	if (!s || vouch_time_parse(s, &meta->signed_at))
		return bad(err, errlen, "%s: missing or bad signed_at", VOUCH_META_KEY);
	v = json_object_get(m, "expires");
	if (v && (!json_is_string(v) || vouch_time_parse(json_string_value(v), &meta->expires)))
		return bad(err, errlen, "%s: bad expires", VOUCH_META_KEY);
	files = json_object_get(m, "files");
	if (files) {
		if (!json_is_object(files) || json_object_size(files) > VOUCH_MAX_RESOURCES)
			return bad(err, errlen, "%s: files must be an object", VOUCH_META_KEY);
		meta->files = calloc(json_object_size(files) + 1, sizeof(*meta->files));
		if (!meta->files)
			return bad(err, errlen, "%s", "out of memory");
		json_object_foreach((json_t *)files, key, v) {
			if (!vouch_path_ok(key) && strcmp(key, "."))
				return bad(err, errlen, "%s: bad file name", VOUCH_META_KEY);
			if (!json_u64(v, INT64_MAX, &meta->files[i].size))
				return bad(err, errlen, "%s: bad file size", VOUCH_META_KEY);
			meta->files[i++].path = strdup(key);
			meta->nfiles = i;      /* so an error later frees what is here */
		}
		qsort(meta->files, i, sizeof(*meta->files), vouch_file_meta_cmp);
	}
	return VOUCH_CAUSE_OK;
}

int vouch_file_meta_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vouch_file_meta *)a)->path,
		      ((const struct vouch_file_meta *)b)->path);
}

static enum vouch_cause parse_v1(const json_t *stmt, struct vouch_statement *st,
				 char *err, size_t errlen)
{
	const json_t *subj, *pred, *ser, *res, *ign, *m;
	char algo_shard[96];
	EVP_MD_CTX *ctx;
	uint8_t root[32];
	unsigned rl = 32;
	const char *s;
	size_t i;

	subj = json_object_get(stmt, "subject");
	if (!json_is_array(subj) || json_array_size(subj) != 1)
		return bad(err, errlen, "%s", "statement must have exactly one subject");
	s = jstr(json_array_get(subj, 0), "name");
	st->subject_name = strdup(s ? s : "");
	s = jstr(json_object_get(json_array_get(subj, 0), "digest"), "sha256");
	if (!s || !parse_hex(s, st->root, 32))
		return bad(err, errlen, "%s", "subject digest is not a sha256 hex string");
	st->has_root = true;

	pred = json_object_get(stmt, "predicate");
	ser = json_object_get(pred, "serialization");
	if (!json_is_object(pred) || !json_is_object(ser))
		return bad(err, errlen, "%s", "predicate has no serialization");
	s = jstr(ser, "method");
	if (!s || (strcmp(s, "files") && strcmp(s, "shards")))
		return bad(err, errlen, "%s", "serialization.method must be files or shards");
	st->method = strdup(s);
	s = jstr(ser, "hash_type");
	if (!s)
		return bad(err, errlen, "%s", "serialization.hash_type missing");
	st->hash_type = strdup(s);
	if (!vouch_hash_parse(s, &st->hash)) {
		verr(err, errlen, 0, "hash_type %.64s is not supported (sha256, blake2b or blake3)", s);
		return VOUCH_CAUSE_UNSUPPORTED;
	}
	/* model_signing signs blake3 per file (its shards fall back to files):
	 * a sharded blake3 manifest is no form it writes. */
	if (st->hash == VOUCH_HASH_BLAKE3 && !strcmp(st->method, "shards")) {
		verr(err, errlen, 0, "hash_type blake3 with method shards is not a form model_signing "
		     "writes (BLAKE3 is signed per file)");
		return VOUCH_CAUSE_UNSUPPORTED;
	}
	st->allow_symlinks = json_is_true(json_object_get(ser, "allow_symlinks"));
	if (!strcmp(st->method, "shards")) {
		if (!json_u64(json_object_get(ser, "shard_size"), INT64_MAX, &st->shard_size) ||
		    st->shard_size == 0)
			return bad(err, errlen, "%s", "serialization.shard_size must be a positive integer");
		snprintf(algo_shard, sizeof(algo_shard), "%s-sharded-%" PRIu64,
			 vouch_hash_name(st->hash), st->shard_size);
	}
	ign = json_object_get(ser, "ignore_paths");
	if (ign) {
		if (!json_is_array(ign) || json_array_size(ign) > 4096)
			return bad(err, errlen, "%s", "serialization.ignore_paths must be a list");
		st->ignore_paths = calloc(json_array_size(ign) + 1, sizeof(char *));
		for (i = 0; i < json_array_size(ign); i++) {
			s = json_string_value(json_array_get(ign, i));
			if (!s)
				return bad(err, errlen, "%s", "ignore_paths entries must be strings");
			st->ignore_paths[st->nignore++] = strdup(s);
		}
	}

	res = json_object_get(pred, "resources");
	if (!json_is_array(res) || json_array_size(res) > VOUCH_MAX_RESOURCES)
		return bad(err, errlen, "%s", "predicate.resources must be a list");
	st->res = calloc(json_array_size(res) + 1, sizeof(*st->res));
	if (!st->res)
		return bad(err, errlen, "%s", "out of memory");
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (i = 0; i < json_array_size(res); i++) {
		const json_t *r = json_array_get(res, i);
		struct vouch_resource *rr = &st->res[i];
		const char *name = jstr(r, "name"), *alg = jstr(r, "algorithm"), *dg = jstr(r, "digest");

		st->nres = i + 1;
		rr->digest_len = vouch_hash_len(st->hash);
		if (!name || !alg || !dg || !parse_hex(dg, rr->digest, rr->digest_len)) {
			EVP_MD_CTX_free(ctx);
			return bad(err, errlen, "a resource lacks name, algorithm or a %s digest (%zu hex "
				   "digits)", st->hash_type, 2 * rr->digest_len);
		}
		rr->name = strdup(name);
		rr->algorithm = strdup(alg);
		EVP_DigestUpdate(ctx, rr->digest, rr->digest_len);
		if (!strcmp(st->method, "files")) {
			rr->path = strdup(name);
			rr->start = 0;
			rr->end = UINT64_MAX;
			if (strcmp(alg, st->hash_type)) {
				EVP_MD_CTX_free(ctx);
				return bad(err, errlen, "resource algorithm %s does not match hash_type", alg);
			}
		} else {
			/* "path:start:end", split into exactly three parts. */
			const char *c1 = strchr(name, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

			if (!c1 || !c2 || strchr(c2 + 1, ':') ||
			    !parse_u64_str(c1 + 1, (size_t)(c2 - c1 - 1), &rr->start) ||
			    !parse_u64_str(c2 + 1, strlen(c2 + 1), &rr->end) || rr->end <= rr->start ||
			    rr->end - rr->start > st->shard_size) {
				EVP_MD_CTX_free(ctx);
				return bad(err, errlen, "bad shard name %s", name);
			}
			rr->path = strndup(name, (size_t)(c1 - name));
			rr->sharded = true;
			if (strcmp(alg, algo_shard)) {
				EVP_MD_CTX_free(ctx);
				return bad(err, errlen, "shard algorithm %s does not match the serialization", alg);
			}
		}
		if (!rr->path || (!vouch_path_ok(rr->path) && strcmp(rr->path, "."))) {
			EVP_MD_CTX_free(ctx);
			return bad(err, errlen, "%s", "a resource name is not a safe relative path "
				   "(empty, absolute, '..', control bytes or invalid UTF-8)");
		}
	}
	EVP_DigestFinal_ex(ctx, root, &rl);
	EVP_MD_CTX_free(ctx);
	if (memcmp(root, st->root, 32))
		return bad(err, errlen, "%s", "subject digest does not match the resources (manifest inconsistent)");

	m = json_object_get(pred, VOUCH_META_KEY);
	if (m)
		return parse_meta(m, &st->meta, err, errlen);
	return VOUCH_CAUSE_OK;
}

static enum vouch_cause parse_v01(const json_t *stmt, struct vouch_statement *st,
				  char *err, size_t errlen)
{
	const json_t *subj = json_object_get(stmt, "subject");
	size_t i;

	if (!json_is_array(subj) || json_array_size(subj) > VOUCH_MAX_RESOURCES)
		return bad(err, errlen, "%s", "statement subject must be a list");
	st->method = strdup("files");
	st->hash_type = strdup("sha256");
	st->subject_name = strdup("");
	st->res = calloc(json_array_size(subj) + 1, sizeof(*st->res));
	if (!st->res)
		return bad(err, errlen, "%s", "out of memory");
	for (i = 0; i < json_array_size(subj); i++) {
		const json_t *r = json_array_get(subj, i);
		const char *name = jstr(r, "name"), *dg = jstr(json_object_get(r, "digest"), "sha256");
		struct vouch_resource *rr = &st->res[i];

		st->nres = i + 1;
		if (!name || !dg || !parse_hex(dg, rr->digest, 32) ||
		    (!vouch_path_ok(name) && strcmp(name, ".")))
			return bad(err, errlen, "%s", "a subject lacks a safe name or a sha256 digest");
		rr->name = strdup(name);
		rr->path = strdup(name);
		rr->algorithm = strdup("sha256");
		rr->digest_len = 32;
		rr->end = UINT64_MAX;
	}
	return VOUCH_CAUSE_OK;
}

/* Sort an index by (path, start) and check for duplicates and that each
 * file's shards tile [0, size) exactly. */
static enum vouch_cause build_index(struct bundle_priv *bp, char *err, size_t errlen)
{
	struct vouch_statement *st = &bp->pub.st;
	size_t i;

	bp->idx = calloc(st->nres + 1, sizeof(*bp->idx));
	if (!bp->idx)
		return bad(err, errlen, "%s", "out of memory");
	for (i = 0; i < st->nres; i++)
		bp->idx[i] = &st->res[i];
	qsort(bp->idx, st->nres, sizeof(*bp->idx), res_cmp);
	for (i = 0; i < st->nres; i++) {
		const struct vouch_resource *r = bp->idx[i];
		const struct vouch_resource *p = i ? bp->idx[i - 1] : NULL;
		bool same = p && !strcmp(p->path, r->path);

		if (!r->sharded) {
			if (same)
				return bad(err, errlen, "duplicate resource %s", r->path);
			continue;
		}
		if (same ? r->start != p->end : r->start != 0)
			return bad(err, errlen, "shards of %s do not tile the file", r->path);
		if (same && p->end - p->start != st->shard_size)
			return bad(err, errlen, "shards of %s do not tile the file", r->path);
	}
	return VOUCH_CAUSE_OK;
}

static void meta_free(struct vouch_meta *m)
{
	free(m->name);
	for (size_t i = 0; i < m->nfiles; i++)
		free(m->files[i].path);
	free(m->files);
}

/* The bundle and its private part, from the private pointer: gcc -fanalyzer
 * does not see that (struct bundle_priv *)&bp->pub is bp, so a parse that
 * failed frees through this, not through vouch_bundle_free. */
static void bundle_priv_free(struct bundle_priv *bp)
{
	struct vouch_bundle *b;
	struct vouch_statement *st;

	if (!bp)
		return;
	b = &bp->pub;
	st = &b->st;
	free(b->payload);
	free(b->payload_type);
	for (size_t i = 0; i < b->nsigs; i++) {
		free(b->sigs[i].source);
		free(b->sigs[i].sig);
		json_decref(b->sigs[i].json);
	}
	free(b->sigs);
	free(st->subject_name);
	free(st->predicate_type);
	free(st->method);
	free(st->hash_type);
	for (size_t i = 0; i < st->nignore; i++)
		free(st->ignore_paths[i]);
	free(st->ignore_paths);
	for (size_t i = 0; i < st->nres; i++) {
		free(st->res[i].name);
		free(st->res[i].path);
		free(st->res[i].algorithm);
	}
	free(st->res);
	meta_free(&st->meta);
	free(bp->idx);
	json_decref(b->json);
	free(bp);
}

void vouch_bundle_free(struct vouch_bundle *b)
{
	bundle_priv_free((struct bundle_priv *)b);
}

/* The bundle versions Sigstore clients define, and nothing else: the
 * version decides which log evidence a keyless bundle must carry
 * (sigstore.c), so an unknown label is not read as a known one. */
static bool media_known(const char *media)
{
	static const char *const known[] = {
		VOUCH_BUNDLE_MEDIA,
		"application/vnd.dev.sigstore.bundle+json;version=0.1",
		"application/vnd.dev.sigstore.bundle+json;version=0.2",
		"application/vnd.dev.sigstore.bundle+json;version=0.3",
	};

	for (size_t i = 0; media && i < ARRAY_SIZE(known); i++)
		if (!strcmp(media, known[i]))
			return true;
	return false;
}

/* Parse one Sigstore bundle's envelope: payload, type and its one signature. */
static enum vouch_cause parse_envelope(json_t *root, const char *source, uint8_t **payload,
				       size_t *plen, char **ptype, struct vouch_signature *sig,
				       char *err, size_t errlen)
{
	const json_t *vm, *env, *sigs, *pk;
	const char *media, *p, *t, *s, *hint;

	if (!json_is_object(root))
		return bad(err, errlen, "%s", "not a JSON object");
	media = jstr(root, "mediaType");
	if (!media_known(media))
		return bad(err, errlen, "%s", "mediaType is not a Sigstore bundle v0.1, v0.2 or v0.3");
	vm = json_object_get(root, "verificationMaterial");
	env = json_object_get(root, "dsseEnvelope");
	if (!json_is_object(vm))
		return bad(err, errlen, "%s", "verificationMaterial missing");
	if (!json_is_object(env)) {
		if (json_object_get(root, "messageSignature")) {
			verr(err, errlen, 0, "a messageSignature bundle is not a model signature");
			return VOUCH_CAUSE_UNSUPPORTED;
		}
		return bad(err, errlen, "%s", "dsseEnvelope missing");
	}
	p = jstr(env, "payload");
	t = jstr(env, "payloadType");
	sigs = json_object_get(env, "signatures");
	if (!p || !t || !json_is_array(sigs))
		return bad(err, errlen, "%s", "dsseEnvelope lacks payload, payloadType or signatures");
	/* Every Sigstore client rejects more than one signature: so do we. */
	if (json_array_size(sigs) != 1)
		return bad(err, errlen, "%s", "DSSE envelope must hold exactly one signature");
	s = jstr(json_array_get(sigs, 0), "sig");
	if (!s)
		return bad(err, errlen, "%s", "DSSE signature has no sig");
	*payload = vouch_b64_decode(p, strlen(p), plen);
	sig->sig = vouch_b64_decode(s, strlen(s), &sig->siglen);
	if (!*payload || !sig->sig)
		return bad(err, errlen, "%s", "payload or sig is not base64");
	*ptype = strdup(t);
	sig->source = strdup(source ? source : "");
	if (!vouch_sig_kind_of(vm, &sig->kind))
		return bad(err, errlen, "%s", "verificationMaterial has no key, certificate chain or certificate");
	sig->material = vouch_sig_kind_info(sig->kind)->name;
	pk = json_object_get(vm, "publicKey");
	hint = jstr(pk, "hint");
	if (sig->kind == VOUCH_SIG_KEY && hint && strlen(hint) == VOUCH_KEYID_LEN)
		memcpy(sig->hint, hint, VOUCH_KEYID_LEN + 1);
	return VOUCH_CAUSE_OK;
}

static const struct vouch_sig_kind_info sig_kinds[] = {
	{ VOUCH_SIG_KEY, "public-key", "a trusted public key (trust directory or --key)" },
	{ VOUCH_SIG_X509, "x509-chain",
	  "X.509 certificate chain signature: give --ca ROOT.pem (or ca = in the config)" },
	{ VOUCH_SIG_SIGSTORE, "sigstore",
	  "Sigstore keyless signature: give --sigstore-root, --identity and --issuer "
	  "(or sigstore_root, sigstore_identity, sigstore_issuer in the config)" },
};

const struct vouch_sig_kind_info *vouch_sig_kind_info(enum vouch_sig_kind kind)
{
	for (size_t i = 0; i < sizeof(sig_kinds) / sizeof(sig_kinds[0]); i++)
		if (sig_kinds[i].kind == kind)
			return &sig_kinds[i];
	return &sig_kinds[0];     /* unreachable: every enum value has a row */
}

bool vouch_sig_kind_of(const json_t *vm, enum vouch_sig_kind *kind)
{
	const json_t *chain = json_object_get(vm, "x509CertificateChain");

	if (json_object_get(vm, "publicKey"))
		*kind = VOUCH_SIG_KEY;
	else if (chain && json_array_size(json_object_get(vm, "tlogEntries")) == 0)
		*kind = VOUCH_SIG_X509;
	else if (chain || json_object_get(vm, "certificate"))
		*kind = VOUCH_SIG_SIGSTORE;     /* a chain with log entries: the older keyless form */
	else
		return false;
	return true;
}

enum vouch_cause vouch_bundle_parse(const void *buf, size_t len, const char *source,
				    struct vouch_bundle **out, char *err, size_t errlen)
{
	struct bundle_priv *bp = calloc(1, sizeof(*bp));
	struct vouch_bundle *b;
	json_t *stmt = NULL;
	json_error_t jerr;
	enum vouch_cause c;
	const char *s;

	if (!bp)
		return bad(err, errlen, "%s", "out of memory");
	b = &bp->pub;
	if (len > VOUCH_SIG_MAX) {
		c = bad(err, errlen, "%s", "signature file too large");
		goto out;
	}
	/* Strict: no duplicate keys, UTF-8 only (jansson's default), no NUL in
	 * strings, nothing after the value. */
	b->json = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!b->json) {
		verr(err, errlen, 0, "not valid JSON (line %d: %s)", jerr.line, jerr.text);
		c = VOUCH_CAUSE_MALFORMED;
		goto out;
	}
	b->sigs = calloc(1, sizeof(*b->sigs));
	if (!b->sigs) {
		c = bad(err, errlen, "%s", "out of memory");
		goto out;
	}
	b->nsigs = 1;
	c = parse_envelope(b->json, source, &b->payload, &b->payload_len, &b->payload_type,
			   &b->sigs[0], err, errlen);
	if (c)
		goto out;
	b->sigs[0].json = json_incref(b->json);
	if (strcmp(b->payload_type, VOUCH_PAYLOAD_TYPE)) {
		c = bad(err, errlen, "payloadType %s is not in-toto", b->payload_type);
		goto out;
	}
	stmt = json_loadb((const char *)b->payload, b->payload_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(stmt)) {
		verr(err, errlen, 0, "payload is not a JSON statement (line %d: %s)", jerr.line, jerr.text);
		c = VOUCH_CAUSE_MALFORMED;
		goto out;
	}
	s = jstr(stmt, "_type");
	if (!s || strcmp(s, VOUCH_STATEMENT_V1)) {
		c = bad(err, errlen, "%s", "payload is not an in-toto Statement v1");
		goto out;
	}
	s = jstr(stmt, "predicateType");
	b->st.predicate_type = strdup(s ? s : "");
	if (s && !strcmp(s, VOUCH_PRED_V1)) {
		c = parse_v1(stmt, &b->st, err, errlen);
	} else if (s && !strcmp(s, VOUCH_PRED_V01)) {
		c = parse_v01(stmt, &b->st, err, errlen);
	} else {
		verr(err, errlen, 0, "predicateType %s is not a model signature", s ? s : "(none)");
		c = VOUCH_CAUSE_UNSUPPORTED;
	}
	if (!c)
		c = build_index(bp, err, errlen);
out:
	json_decref(stmt);
	if (c) {
		bundle_priv_free(bp);
		return c;
	}
	*out = b;
	return VOUCH_CAUSE_OK;
}

enum vouch_cause vouch_bundle_load(int dirfd, const char *path, struct vouch_bundle **out,
				   char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char sub[256];
	enum vouch_cause c;
	int ret;

	ret = vouch_read_file(dirfd, path, VOUCH_SIG_MAX, &buf, &len, NULL);
	if (ret == -ENOENT) {
		verr(err, errlen, 0, "%s: no signature", path);
		return VOUCH_CAUSE_NOT_SIGNED;
	}
	if (ret == -ELOOP || ret == -EINVAL) {
		verr(err, errlen, 0, "%s: signature is a symlink or not a regular file", path);
		return VOUCH_CAUSE_SYMLINK;
	}
	if (ret == -EFBIG) {
		verr(err, errlen, 0, "%s: signature larger than %u bytes", path, VOUCH_SIG_MAX);
		return VOUCH_CAUSE_MALFORMED;
	}
	if (ret) {
		verr(err, errlen, 0, "%s: %s", path, strerror(-ret));
		return VOUCH_CAUSE_IO_ERROR;
	}
	c = vouch_bundle_parse(buf, len, path, out, sub, sizeof(sub));
	free(buf);
	if (c)
		verr(err, errlen, 0, "%s: %s", path, sub);
	return c;
}

/* ------------------------------------------------------------------------ */
/* Lookups                                                                   */

size_t vouch_bundle_find(const struct vouch_bundle *b, const char *path,
			 const struct vouch_resource *const **first)
{
	const struct bundle_priv *bp = (const struct bundle_priv *)b;
	size_t lo = 0, hi = b->st.nres, n = 0;

	while (lo < hi) {                      /* lower bound on path */
		size_t mid = (lo + hi) / 2;
		if (strcmp(bp->idx[mid]->path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + n < b->st.nres && !strcmp(bp->idx[lo + n]->path, path))
		n++;
	*first = (const struct vouch_resource *const *)&bp->idx[lo];
	return n;
}

const struct vouch_resource *vouch_bundle_res_at(const struct vouch_bundle *b, size_t i)
{
	return ((const struct bundle_priv *)b)->idx[i];
}

const struct vouch_file_meta *vouch_meta_find(const struct vouch_meta *m, const char *path)
{
	struct vouch_file_meta key = { .path = (char *)path };

	if (!m->present || !m->files)
		return NULL;
	return bsearch(&key, m->files, m->nfiles, sizeof(*m->files), vouch_file_meta_cmp);
}

bool vouch_ignored(const struct vouch_statement *st, char *const *extra, size_t nextra,
		   const char *relpath)
{
	/* A path is ignored iff an ignore entry is a component prefix of it
	 * ("./x/" means "x", as model_signing normalizes it). */
	#define PREFIX_OF(ig) ({ const char *i_ = (ig); size_t l_; \
		while (i_[0] == '.' && i_[1] == '/') i_ += 2; \
		l_ = strlen(i_); while (l_ > 1 && i_[l_ - 1] == '/') l_--; \
		l_ && !strncmp(relpath, i_, l_) && (relpath[l_] == '\0' || relpath[l_] == '/'); })
	for (size_t i = 0; i < ARRAY_SIZE(default_ignores); i++)
		if (PREFIX_OF(default_ignores[i]))
			return true;
	for (size_t i = 0; st && i < st->nignore; i++)
		if (PREFIX_OF(st->ignore_paths[i]))
			return true;
	for (size_t i = 0; i < nextra; i++)
		if (PREFIX_OF(extra[i]))
			return true;
	#undef PREFIX_OF
	return false;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

char *vouch_bundle_emit(const uint8_t *payload, size_t plen, const uint8_t *sig, size_t siglen,
			const char *hint)
{
	char *p64 = vouch_b64_encode(payload, plen), *s64 = vouch_b64_encode(sig, siglen);
	json_t *root = NULL;
	char *out = NULL;

	if (!p64 || !s64)
		goto out;
	/* Exactly the members Sigstore clients accept, in their canonical order;
	 * an empty keyid, because sigstore-go skips a key whose keyid mismatches. */
	root = json_pack("{s:s, s:{s:{s:s}, s:[]}, s:{s:s, s:s, s:[{s:s, s:s}]}}",
			 "mediaType", VOUCH_BUNDLE_MEDIA,
			 "verificationMaterial", "publicKey", "hint", hint, "tlogEntries",
			 "dsseEnvelope", "payload", p64, "payloadType", VOUCH_PAYLOAD_TYPE,
			 "signatures", "sig", s64, "keyid", "");
	if (root)
		out = json_dumps(root, JSON_INDENT(2));
out:
	json_decref(root);
	free(p64);
	free(s64);
	return out;
}

const struct vouch_resource *const *vouch_bundle_index(const struct vouch_bundle *b)
{
	return (const struct vouch_resource *const *)((const struct bundle_priv *)b)->idx;
}

void vouch_cosignatures_load(int dirfd, const char *sigpath, struct vouch_bundle *b,
			     void (*warn)(void *arg, const char *msg), void *arg)
{
	char *dpath = NULL;
	struct dirent *de;
	DIR *d;
	int dfd;

	if (asprintf(&dpath, "%s.d", sigpath) < 0)
		return;
	dfd = dirfd == AT_FDCWD ? open(dpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
				: vouch_openat_beneath(dirfd, dpath, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		free(dpath);
		return;
	}
	while ((de = readdir(d)) && b->nsigs < VOUCH_SIGNERS_MAX) {
		struct vouch_bundle *cb = NULL;
		struct vouch_signature *v;
		char err[200], src[PATH_MAX], line[PATH_MAX + 300];
		enum vouch_cause c;

		size_t nl = strlen(de->d_name);

		/* Only *.sig files are cosignatures: the same rule that decides
		 * which names are served unverified as signatures (name.c). */
		if (de->d_name[0] == '.' || nl <= 4 || strcmp(de->d_name + nl - 4, ".sig"))
			continue;
		snprintf(src, sizeof(src), "%s/%s", dpath, de->d_name);
		c = vouch_bundle_load(dfd, de->d_name, &cb, err, sizeof(err));
		if (c) {
			snprintf(line, sizeof(line), "cosignature %s ignored: %s: %s", src,
				 vouch_cause_name(c), err);
			if (warn)
				warn(arg, line);
			continue;
		}
		if (cb->payload_len != b->payload_len || memcmp(cb->payload, b->payload, b->payload_len)) {
			snprintf(line, sizeof(line), "cosignature %s ignored: it signs another payload than %s",
				 src, sigpath);
			if (warn)
				warn(arg, line);
			vouch_bundle_free(cb);
			continue;
		}
		v = realloc(b->sigs, (b->nsigs + 1) * sizeof(*v));
		if (!v) {
			vouch_bundle_free(cb);
			break;
		}
		b->sigs = v;
		/* Take the cosigner's signature over (its bundle is otherwise equal). */
		b->sigs[b->nsigs] = cb->sigs[0];     /* with its own bundle JSON */
		free(b->sigs[b->nsigs].source);
		b->sigs[b->nsigs].source = strdup(src);   /* NULL if out of memory: callers check */
		memset(&cb->sigs[0], 0, sizeof(cb->sigs[0]));
		b->nsigs++;
		vouch_bundle_free(cb);
	}
	closedir(d);
	free(dpath);
}
