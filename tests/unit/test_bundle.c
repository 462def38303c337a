/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_bundle.c - the bundle parser (bundle.c): the reference tool's
 * signatures ($VOUCH_DATA/oms-vectors/VECTOR/model.sig) and vouch's golden one
 * ($VOUCH_SRC/tests/data/golden-model.sig) parse into the statement they
 * hold (subject, root, resources, method, ignore_paths, metadata, the
 * resource index); the root digest recomputed over the resources matches;
 * and malformed input of every kind returns VOUCH_CAUSE_MALFORMED (or
 * UNSUPPORTED) with a message, no bundle, and - under ASan - no leak.
 */
#include "bundle_i.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

static void root_of(const struct vouch_statement *st, char hex[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t d[32];

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (size_t i = 0; i < st->nres; i++)
		EVP_DigestUpdate(c, st->res[i].digest, st->res[i].digest_len);
	EVP_DigestFinal_ex(c, d, NULL);
	EVP_MD_CTX_free(c);
	vouch_hex(d, 32, hex);
}

/* ---- the reference tool's vectors ---- */

struct vector {
	const char *name;
	const char *material;
	const char *subject;       /* NULL: v0.1 predicate, no subject/root */
	const char *root;
	size_t nres;
	const char *res[2];
	size_t nignore;            /* v1.1.0 records the ignore list */
};

#define R2 "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"
#define RK "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"
#define R1 "afa48c8674afe334b8a7dea34f7b46ab256e9255edf8da2132792341b667a45b"

static const struct vector vectors[] = {
	{ "v0.2.0-certificate", "x509-chain", NULL, NULL, 2, { "signme-1", "signme-2" }, 0 },
	{ "v0.3.1-certificate", "x509-chain", "v0.3.1-certificate", R2, 2, { "signme-1", "signme-2" }, 0 },
	{ "v0.3.1-elliptic-key", "public-key", "signme-1", R1, 1, { "." }, 0 },
	{ "v0.3.1-sigstore", "sigstore", "v0.3.1-sigstore", R2, 2, { "signme-1", "signme-2" }, 0 },
	{ "v1.0.0-certificate", "x509-chain", "v1.0.0-certificate", R2, 2, { "signme-1", "signme-2" }, 0 },
	{ "v1.0.0-elliptic-key", "public-key", "signme-1", R1, 1, { "." }, 0 },
	{ "v1.0.0-sigstore", "sigstore", "v1.0.0-sigstore", R2, 2, { "signme-1", "signme-2" }, 0 },
	{ "v1.0.1-certificate", "x509-chain", "v1.0.1-certificate", R2, 2, { "signme-1", "signme-2" }, 0 },
	{ "v1.0.1-elliptic-key", "public-key", "v1.0.1-elliptic-key", RK, 2, { "signme-1", "signme-2" }, 0 },
	{ "v1.0.1-sigstore", "sigstore", "v1.0.1-sigstore", R2, 2, { "signme-1", "signme-2" }, 0 },
	{ "v1.1.0-certificate", "x509-chain", "v1.1.0-certificate", R2, 2, { "signme-1", "signme-2" }, 6 },
	{ "v1.1.0-elliptic-key", "public-key", "v1.1.0-elliptic-key", RK, 2, { "signme-1", "signme-2" }, 6 },
	{ "v1.1.0-sigstore", "sigstore", "v1.1.0-sigstore", R2, 2, { "signme-1", "signme-2" }, 6 },
};

static void test_vectors(const char *shared)
{
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		const struct vector *w = &vectors[v];
		struct vouch_bundle *b = NULL;
		char path[4096], err[512] = "", hex[65];
		enum vouch_cause c;
		size_t len;
		char *buf;

		snprintf(path, sizeof(path), "%s/oms-vectors/%s/model.sig", shared, w->name);
		buf = read_all(path, &len);
		CHECK(buf, "cannot read %s", path);
		if (!buf)
			continue;
		c = vouch_bundle_parse(buf, len, path, &b, err, sizeof(err));
		free(buf);
		CHECK(c == VOUCH_CAUSE_OK && b, "%s: %s (%s)", w->name, vouch_cause_name(c), err);
		if (c || !b)
			continue;
		CHECK(b->nsigs == 1, "%s: %zu signatures", w->name, b->nsigs);
		CHECK(b->sigs && !strcmp(b->sigs[0].material, w->material), "%s: material %s, want %s",
		      w->name, b->sigs ? b->sigs[0].material : "?", w->material);
		CHECK(b->sigs && b->sigs[0].siglen >= 64, "%s: signature of %zu bytes", w->name,
		      b->sigs ? b->sigs[0].siglen : 0);
		CHECK(!strcmp(b->payload_type, "application/vnd.in-toto+json"), "%s: %s", w->name, b->payload_type);
		CHECK(b->payload_len > 100 && b->payload[0] == '{', "%s: payload", w->name);
		CHECK(!strcmp(b->st.method, "files") && !strcmp(b->st.hash_type, "sha256"),
		      "%s: method %s hash %s", w->name, b->st.method, b->st.hash_type);
		CHECK(b->st.nres == w->nres, "%s: %zu resources, want %zu", w->name, b->st.nres, w->nres);
		for (size_t i = 0; i < w->nres && i < b->st.nres; i++) {
			CHECK(!strcmp(b->st.res[i].name, w->res[i]) && !strcmp(b->st.res[i].path, w->res[i]),
			      "%s: resource %zu is %s", w->name, i, b->st.res[i].name);
			CHECK(!b->st.res[i].sharded && b->st.res[i].digest_len == 32 &&
			      !strcmp(b->st.res[i].algorithm, "sha256"), "%s: resource %zu", w->name, i);
		}
		CHECK(b->st.nignore == w->nignore, "%s: %zu ignore paths, want %zu", w->name,
		      b->st.nignore, w->nignore);
		if (w->nignore) {
			bool ignore_me = false, sig = false;
			for (size_t i = 0; i < b->st.nignore; i++) {
				ignore_me |= !strcmp(b->st.ignore_paths[i], "ignore-me");
				sig |= !strcmp(b->st.ignore_paths[i], "model.sig");
			}
			CHECK(ignore_me && sig, "%s: ignore_paths lack ignore-me or model.sig", w->name);
			CHECK(vouch_ignored(&b->st, NULL, 0, "ignore-me") &&
			      vouch_ignored(&b->st, NULL, 0, "ignore-me/x") &&
			      !vouch_ignored(&b->st, NULL, 0, "ignore-me2") &&
			      !vouch_ignored(&b->st, NULL, 0, "sub/ignore-me") &&
			      !vouch_ignored(&b->st, NULL, 0, "signme-1"), "%s: component-prefix ignore", w->name);
		}
		CHECK(!b->st.meta.present, "%s: no vouch metadata in a reference signature", w->name);
		if (w->subject) {
			CHECK(!strcmp(b->st.predicate_type, VOUCH_PRED_V1), "%s: %s", w->name, b->st.predicate_type);
			CHECK(!strcmp(b->st.subject_name, w->subject), "%s: subject %s", w->name, b->st.subject_name);
			CHECK(b->st.has_root, "%s: no root", w->name);
			vouch_hex(b->st.root, 32, hex);
			CHECK(!strcmp(hex, w->root), "%s: root %s, want %s", w->name, hex, w->root);
			root_of(&b->st, hex);
			CHECK(!strcmp(hex, w->root), "%s: recomputed root %s, want %s", w->name, hex, w->root);
		} else {
			CHECK(!strcmp(b->st.predicate_type, VOUCH_PRED_V01), "%s: %s", w->name, b->st.predicate_type);
			CHECK(!b->st.has_root, "%s: a v0.1 statement has no root", w->name);
		}
		vouch_bundle_free(b);
	}

	/* vouch_bundle_load: relative to a directory fd, O_NOFOLLOW. */
	{
		char dir[4096], err[512] = "";
		struct vouch_bundle *b = NULL;
		enum vouch_cause c;
		int dfd;

		snprintf(dir, sizeof(dir), "%s/oms-vectors/v1.1.0-elliptic-key", shared);
		dfd = open(dir, O_RDONLY | O_DIRECTORY);
		CHECK(dfd >= 0, "open %s", dir);
		c = vouch_bundle_load(dfd, "model.sig", &b, err, sizeof(err));
		CHECK(c == VOUCH_CAUSE_OK && b && b->st.nres == 2, "load: %s (%s)", vouch_cause_name(c), err);
		vouch_bundle_free(b);
		b = NULL;
		c = vouch_bundle_load(dfd, "no-such.sig", &b, err, sizeof(err));
		CHECK(c == VOUCH_CAUSE_NOT_SIGNED && !b, "load of a missing file: %s", vouch_cause_name(c));
		c = vouch_bundle_load(dfd, "signme-1", &b, err, sizeof(err));
		CHECK(c == VOUCH_CAUSE_MALFORMED && !b && err[0], "load of a non-bundle: %s", vouch_cause_name(c));
		if (dfd >= 0)
			close(dfd);
	}
}

/* ---- vouch's own golden signature ---- */

static void test_golden(const char *src)
{
	static const char *const names[] = {       /* payload order = model_signing's sort */
		"config.json:0:67", "model.bin:0:4096", "model.bin:4096:8192", "model.bin:8192:10000",
		"tokenizer/merges.txt:0:18", "tokenizer/tokenizer.json:0:81",
	};
	const struct vouch_resource *const *first;
	const struct vouch_file_meta *fm;
	struct vouch_bundle *b = NULL;
	char path[4096], err[512] = "", hex[65], rh[65];
	enum vouch_cause c;
	size_t len, n;
	char *buf;

	snprintf(path, sizeof(path), "%s/tests/data/golden-model.sig", src);
	buf = read_all(path, &len);
	CHECK(buf, "cannot read %s", path);
	if (!buf)
		return;
	c = vouch_bundle_parse(buf, len, path, &b, err, sizeof(err));
	free(buf);
	CHECK(c == VOUCH_CAUSE_OK && b, "golden: %s (%s)", vouch_cause_name(c), err);
	if (c || !b)
		return;
	CHECK(!strcmp(b->sigs[0].material, "public-key") && strlen(b->sigs[0].hint) == 64, "golden: hint");
	CHECK(b->sigs[0].siglen == 64, "golden: Ed25519 signature is %zu bytes", b->sigs[0].siglen);
	CHECK(!strcmp(b->st.subject_name, "golden-model"), "golden: subject %s", b->st.subject_name);
	CHECK(!strcmp(b->st.method, "shards") && b->st.shard_size == 4096, "golden: %s %llu",
	      b->st.method, (unsigned long long)b->st.shard_size);
	CHECK(b->st.nres == 6, "golden: %zu resources", b->st.nres);
	for (size_t i = 0; i < 6 && i < b->st.nres; i++) {
		CHECK(!strcmp(b->st.res[i].name, names[i]), "golden: resource %zu is %s", i, b->st.res[i].name);
		CHECK(b->st.res[i].sharded && !strcmp(b->st.res[i].algorithm, "sha256-sharded-4096"),
		      "golden: resource %zu algorithm %s", i, b->st.res[i].algorithm);
	}
	vouch_hex(b->st.root, 32, hex);
	root_of(&b->st, rh);
	CHECK(b->st.has_root && !strcmp(hex, rh), "golden: root %s, recomputed %s", hex, rh);
	CHECK(b->st.nignore == 6, "golden: %zu ignore paths", b->st.nignore);
	for (size_t i = 1; i < b->st.nignore; i++)
		CHECK(strcmp(b->st.ignore_paths[i - 1], b->st.ignore_paths[i]) < 0, "golden: ignore_paths sorted");
	/* vouch's metadata */
	CHECK(b->st.meta.present && !strcmp(b->st.meta.name, "golden") && b->st.meta.version == 3 &&
	      b->st.meta.signed_at == 1767225600 && b->st.meta.expires == 0, "golden: metadata");
	CHECK(b->st.meta.nfiles == 5, "golden: %zu files in the metadata", b->st.meta.nfiles);
	fm = vouch_meta_find(&b->st.meta, "__init__.py");
	CHECK(fm && fm->size == 0, "golden: the empty __init__.py is recorded");
	fm = vouch_meta_find(&b->st.meta, "model.bin");
	CHECK(fm && fm->size == 10000, "golden: model.bin size");
	CHECK(!vouch_meta_find(&b->st.meta, "nope"), "golden: unknown file");
	/* The index: shards of one path, in order; files without shards absent. */
	n = vouch_bundle_find(b, "model.bin", &first);
	CHECK(n == 3, "golden: model.bin has %zu shards", n);
	for (size_t i = 0; i < n && n == 3; i++)
		CHECK(first[i]->start == 4096 * i && first[i]->end == (i == 2 ? 10000 : 4096 * (i + 1)),
		      "golden: shard %zu is %llu-%llu", i, (unsigned long long)first[i]->start,
		      (unsigned long long)first[i]->end);
	CHECK(vouch_bundle_find(b, "__init__.py", &first) == 0, "golden: empty file has no shard");
	CHECK(vouch_bundle_find(b, "model", &first) == 0, "golden: prefix is not a match");
	CHECK(vouch_bundle_find(b, "tokenizer/merges.txt", &first) == 1, "golden: subdir file");
	vouch_bundle_free(b);
}

/* ---- malformed input ---- */

/* A bundle around statement text stmt (root recomputed unless keep_root). */
static char *bundle_of(const char *stmt, bool keep_root)
{
	json_t *s = json_loads(stmt, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, NULL), *res, *b;
	char *text = NULL, *p64 = NULL, *out = NULL;
	uint8_t sig[64] = { 1 };
	char *s64 = vouch_b64_encode(sig, sizeof(sig));

	if (s && !keep_root && json_is_array(res = json_object_get(json_object_get(s, "predicate"), "resources"))) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		uint8_t d[32], one[32];
		char hex[65];
		size_t i;
		json_t *r;

		EVP_DigestInit_ex(c, EVP_sha256(), NULL);
		json_array_foreach(res, i, r) {
			const char *dg = json_string_value(json_object_get(r, "digest"));
			for (size_t k = 0; dg && strlen(dg) == 64 && k < 32; k++)
				sscanf(dg + 2 * k, "%2hhx", &one[k]);
			if (dg && strlen(dg) == 64)
				EVP_DigestUpdate(c, one, 32);
		}
		EVP_DigestFinal_ex(c, d, NULL);
		EVP_MD_CTX_free(c);
		vouch_hex(d, 32, hex);
		json_object_set_new(json_object_get(json_array_get(json_object_get(s, "subject"), 0), "digest"),
				    "sha256", json_string(hex));
	}
	text = s ? json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS | JSON_ALLOW_NUL) : strdup(stmt);
	p64 = vouch_b64_encode((const uint8_t *)text, strlen(text));
	b = json_pack("{s:s, s:{s:{s:s}}, s:{s:s, s:s, s:[{s:s, s:s}]}}",
		      "mediaType", VOUCH_BUNDLE_MEDIA, "verificationMaterial", "publicKey", "hint", "",
		      "dsseEnvelope", "payload", p64, "payloadType", VOUCH_PAYLOAD_TYPE,
		      "signatures", "sig", s64, "keyid", "");
	out = json_dumps(b, 0);
	json_decref(b);
	json_decref(s);
	free(text);
	free(p64);
	free(s64);
	return out;
}

#define DG "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""
#define DG2 "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\""
#define META "\"https://vouch.dev/metadata/v1\""
/* A statement with two resources (files serialization) and vouch metadata;
 * %s slots: resource 0 name, resource 1 name, extra serialization members,
 * metadata members. */
#define STMT(n0, n1, ser, meta) \
	"{\"_type\":\"https://in-toto.io/Statement/v1\"," \
	"\"predicateType\":\"https://model_signing/signature/v1.0\"," \
	"\"subject\":[{\"name\":\"m\",\"digest\":{\"sha256\":\"00\"}}]," \
	"\"predicate\":{\"serialization\":{\"method\":\"files\",\"hash_type\":\"sha256\"," \
	"\"allow_symlinks\":false" ser "}," \
	"\"resources\":[{\"name\":" n0 ",\"algorithm\":\"sha256\",\"digest\":" DG "}," \
	"{\"name\":" n1 ",\"algorithm\":\"sha256\",\"digest\":" DG2 "}]," \
	META ":{\"name\":\"m\",\"version\":1,\"signed_at\":\"2026-01-01T00:00:00Z\"" meta "}}}"
#define OK_STMT STMT("\"a\"", "\"b/c\"", "", ",\"files\":{\"a\":1,\"b/c\":2}")

/* A shards statement: resource names given whole. */
#define SHARDS(n0, n1, size) \
	"{\"_type\":\"https://in-toto.io/Statement/v1\"," \
	"\"predicateType\":\"https://model_signing/signature/v1.0\"," \
	"\"subject\":[{\"name\":\"m\",\"digest\":{\"sha256\":\"00\"}}]," \
	"\"predicate\":{\"serialization\":{\"method\":\"shards\",\"hash_type\":\"sha256\"," \
	"\"allow_symlinks\":false,\"shard_size\":" size "}," \
	"\"resources\":[{\"name\":\"" n0 "\",\"algorithm\":\"sha256-sharded-" size "\",\"digest\":" DG "}," \
	"{\"name\":\"" n1 "\",\"algorithm\":\"sha256-sharded-" size "\",\"digest\":" DG2 "}]}}"

static enum vouch_cause parse_text(const char *text, size_t len, struct vouch_bundle **b,
				   char *err, size_t errlen)
{
	*b = NULL;
	err[0] = '\0';
	return vouch_bundle_parse(text, len, "t.sig", b, err, errlen);
}

static void expect_stmt(const char *stmt, bool keep_root, enum vouch_cause want, const char *what)
{
	struct vouch_bundle *b;
	char *text = bundle_of(stmt, keep_root), err[512];
	enum vouch_cause c;

	CHECK(text, "%s: cannot build the bundle", what);
	if (!text)
		return;
	c = parse_text(text, strlen(text), &b, err, sizeof(err));
	CHECK(c == want, "%s: got %s (%s), want %s", what, vouch_cause_name(c), err, vouch_cause_name(want));
	if (want)
		CHECK(!b && err[0], "%s: a refused bundle must come with a message and no bundle", what);
	vouch_bundle_free(b);
	free(text);
}

static void expect_text(const char *text, size_t len, enum vouch_cause want, const char *what)
{
	struct vouch_bundle *b;
	char err[512];
	enum vouch_cause c = parse_text(text, len, &b, err, sizeof(err));

	CHECK(c == want, "%s: got %s (%s), want %s", what, vouch_cause_name(c), err, vouch_cause_name(want));
	if (want)
		CHECK(!b && err[0], "%s: a refused bundle must come with a message and no bundle", what);
	vouch_bundle_free(b);
}

static void test_malformed_statements(void)
{
	const enum vouch_cause M = VOUCH_CAUSE_MALFORMED, OK = VOUCH_CAUSE_OK;

	expect_stmt(OK_STMT, false, OK, "the template itself");
	expect_stmt(SHARDS("f:0:4", "f:4:6", "4"), false, OK, "the shards template");
	/* names */
	expect_stmt(STMT("\"../x\"", "\"b\"", "", ""), false, M, "name ../x");
	expect_stmt(STMT("\"a/../../x\"", "\"b\"", "", ""), false, M, "name a/../../x");
	expect_stmt(STMT("\"..\"", "\"b\"", "", ""), false, M, "name ..");
	expect_stmt(STMT("\"/etc/passwd\"", "\"b\"", "", ""), false, M, "absolute name");
	expect_stmt(STMT("\"a//b\"", "\"b\"", "", ""), false, M, "name a//b");
	expect_stmt(STMT("\"a/\"", "\"b\"", "", ""), false, M, "name a/");
	expect_stmt(STMT("\"./a\"", "\"b\"", "", ""), false, M, "name ./a");
	expect_stmt(STMT("\"\"", "\"b\"", "", ""), false, M, "empty name");
	expect_stmt(STMT("\"a\\u0000b\"", "\"b\"", "", ""), false, M, "NUL in a name");
	expect_stmt(STMT("\"a\\u0001b\"", "\"b\"", "", ""), false, M, "control byte in a name");
	expect_stmt(STMT("\"a\\nb\"", "\"b\"", "", ""), false, M, "newline in a name");
	expect_stmt(STMT("\"a\\ud800b\"", "\"b\"", "", ""), false, M, "lone surrogate in a name");
	expect_stmt(STMT("\"a\xff" "b\"", "\"b\"", "", ""), false, M, "invalid UTF-8 in a name");
	expect_stmt(STMT("\"a\xc0\xaf" "b\"", "\"b\"", "", ""), false, M, "overlong UTF-8 in a name");
	expect_stmt(STMT("\"a\"", "\"a\"", "", ""), false, M, "duplicate name");
	expect_stmt(STMT("42", "\"b\"", "", ""), false, M, "numeric name");
	expect_stmt(STMT("null", "\"b\"", "", ""), false, M, "null name");
	/* shard names */
	expect_stmt(SHARDS("f:0:4", "f:0:4", "4"), false, M, "duplicate shard");
	expect_stmt(SHARDS("f:0:4", "f:5:6", "4"), false, M, "gap between shards");
	expect_stmt(SHARDS("f:0:4", "f:2:6", "4"), false, M, "overlapping shards");
	expect_stmt(SHARDS("f:1:4", "f:4:6", "4"), false, M, "first shard not at 0");
	expect_stmt(SHARDS("f:0:8", "g:0:1", "4"), false, M, "shard larger than shard_size");
	expect_stmt(SHARDS("f:0", "g:0:1", "4"), false, M, "two-part shard name");
	expect_stmt(SHARDS("f:0:4:5", "g:0:1", "4"), false, M, "four-part shard name");
	expect_stmt(SHARDS("f:4:0", "g:0:1", "4"), false, M, "reversed shard");
	expect_stmt(SHARDS("f:0:0", "g:0:1", "4"), false, M, "empty shard");
	expect_stmt(SHARDS("f:-0:4", "g:0:1", "4"), false, M, "signed shard offset");
	expect_stmt(SHARDS("f:00:4", "g:0:1", "4"), false, M, "zero-padded shard offset");
	expect_stmt(SHARDS("f:0:x", "g:0:1", "4"), false, M, "non-numeric shard end");
	expect_stmt(SHARDS("f:0:99999999999999999999", "g:0:1", "4"), false, M, "shard end overflows");
	expect_stmt(SHARDS(":0:4", "g:0:1", "4"), false, M, "empty shard path");
	expect_stmt(SHARDS("../f:0:4", "g:0:1", "4"), false, M, "shard path ../f");
	expect_stmt(SHARDS("f:0:4", "g:0:1", "0"), false, M, "shard_size 0");
	expect_stmt(SHARDS("f:0:4", "g:0:1", "-4"), false, M, "negative shard_size");
	expect_stmt(SHARDS("f:0:4", "g:0:1", "4.5"), false, M, "fractional shard_size");
	expect_stmt(SHARDS("f:0:4", "g:0:1", "\"4\""), false, M, "string shard_size");
	/* the root */
	expect_stmt(OK_STMT, true, M, "root not matching the resources");
	/* mistyped or missing fields */
	expect_stmt("{}", false, M, "empty statement");
	expect_stmt("[]", false, M, "statement is a list");
	expect_stmt("\"x\"", false, M, "statement is a string");
	expect_stmt("not json", false, M, "statement is not JSON");
	expect_stmt("{\"_type\":\"https://in-toto.io/Statement/v1\"}", false, VOUCH_CAUSE_UNSUPPORTED,
		    "statement without predicateType");
	expect_stmt(STMT("\"a\"", "\"b\"", ",\"method\":\"zip\"", ""), false, M, "duplicate key (method)");
	expect_stmt(STMT("\"a\"", "\"b\"", ",\"ignore_paths\":\"x\"", ""), false, M, "ignore_paths string");
	expect_stmt(STMT("\"a\"", "\"b\"", ",\"ignore_paths\":[1]", ""), false, M, "ignore_paths of numbers");
	expect_stmt(STMT("\"a\"", "\"b\"", "", ",\"version\":2"), false, M, "duplicate metadata key");
	expect_stmt(STMT("\"a\"", "\"b\"", "", ",\"files\":[]"), false, M, "metadata files a list");
	expect_stmt(STMT("\"a\"", "\"b\"", "", ",\"files\":{\"a\":\"1\"}"), false, M, "metadata size string");
	expect_stmt(STMT("\"a\"", "\"b\"", "", ",\"files\":{\"a\":-1}"), false, M, "metadata size negative");
	expect_stmt(STMT("\"a\"", "\"b\"", "", ",\"files\":{\"a\":1,\"b/c\":\"2\"}"), false, M,
		    "metadata size string after a good entry");
	expect_stmt(STMT("\"a\"", "\"b\"", "", ",\"files\":{\"a\":1,\"../x\":2}"), false, M,
		    "metadata name ../x after a good entry");
	expect_stmt(STMT("\"a\"", "\"b\"", "", ",\"files\":{\"/x\":1}"), false, M, "metadata name /x");
	expect_stmt(STMT("\"a\"", "\"b\"", "", ",\"expires\":\"soon\""), false, M, "expires junk");
	expect_stmt(STMT("\"a\"", "\"b\"", "", ",\"expires\":1"), false, M, "expires a number");

	{       /* fields of the template replaced one at a time */
		static const struct { const char *from, *to; enum vouch_cause want; } edits[] = {
			{ "\"resources\":[", "\"resources\":{\"x\":[", VOUCH_CAUSE__COUNT },  /* skipped */
			{ "\"_type\":\"https://in-toto.io/Statement/v1\"", "\"_type\":\"x\"", VOUCH_CAUSE_MALFORMED },
			{ "\"_type\":\"https://in-toto.io/Statement/v1\"", "\"_type\":1", VOUCH_CAUSE_MALFORMED },
			{ "\"predicateType\":\"https://model_signing/signature/v1.0\"",
			  "\"predicateType\":\"https://example.com/other\"", VOUCH_CAUSE_UNSUPPORTED },
			{ "\"predicateType\":\"https://model_signing/signature/v1.0\"",
			  "\"predicateType\":7", VOUCH_CAUSE_UNSUPPORTED },
			{ "\"method\":\"files\"", "\"method\":\"zip\"", VOUCH_CAUSE_MALFORMED },
			{ "\"method\":\"files\"", "\"method\":[]", VOUCH_CAUSE_MALFORMED },
			{ "\"hash_type\":\"sha256\"", "\"hash_type\":\"md5\"", VOUCH_CAUSE_UNSUPPORTED },
			{ "\"hash_type\":\"sha256\"", "\"hash_type\":null", VOUCH_CAUSE_MALFORMED },
			{ "\"algorithm\":\"sha256\",\"digest\":" DG, "\"algorithm\":\"md5\",\"digest\":" DG,
			  VOUCH_CAUSE_MALFORMED },
			{ "\"algorithm\":\"sha256\",\"digest\":" DG, "\"algorithm\":\"sha256\",\"digest\":5",
			  VOUCH_CAUSE_MALFORMED },
			{ "\"algorithm\":\"sha256\",\"digest\":" DG, "\"algorithm\":\"sha256\",\"digest\":\"AA\"",
			  VOUCH_CAUSE_MALFORMED },
			{ "\"algorithm\":\"sha256\",\"digest\":" DG, "\"digest\":" DG, VOUCH_CAUSE_MALFORMED },
			{ "\"version\":1", "\"version\":\"1\"", VOUCH_CAUSE_MALFORMED },
			{ "\"version\":1", "\"version\":-1", VOUCH_CAUSE_MALFORMED },
			{ "\"version\":1", "\"version\":9007199254740992", VOUCH_CAUSE_MALFORMED },
			{ "\"version\":1", "\"version\":1.5", VOUCH_CAUSE_MALFORMED },
			{ "\"version\":1", "\"version\":null", VOUCH_CAUSE_MALFORMED },
			{ "\"version\":1,", "", VOUCH_CAUSE_MALFORMED },
			{ "{\"name\":\"m\",\"version\"", "{\"name\":\"\",\"version\"", VOUCH_CAUSE_MALFORMED },
			{ "{\"name\":\"m\",\"version\"", "{\"name\":3,\"version\"", VOUCH_CAUSE_MALFORMED },
			{ "\"signed_at\":\"2026-01-01T00:00:00Z\"", "\"signed_at\":\"yesterday\"", VOUCH_CAUSE_MALFORMED },
			{ "\"signed_at\":\"2026-01-01T00:00:00Z\"", "\"signed_at\":1767225600", VOUCH_CAUSE_MALFORMED },
			{ "\"subject\":[{\"name\":\"m\",\"digest\":{\"sha256\":\"00\"}}]", "\"subject\":[]",
			  VOUCH_CAUSE_MALFORMED },
			{ "\"subject\":[{\"name\":\"m\",\"digest\":{\"sha256\":\"00\"}}]", "\"subject\":{}",
			  VOUCH_CAUSE_MALFORMED },
			{ "\"subject\":[{\"name\":\"m\",\"digest\":{\"sha256\":\"00\"}}]",
			  "\"subject\":[{\"name\":\"m\",\"digest\":{\"sha256\":\"00\"}},{\"name\":\"n\",\"digest\":{\"sha256\":\"00\"}}]",
			  VOUCH_CAUSE_MALFORMED },
			{ "{\"sha256\":\"00\"}", "{\"sha512\":\"00\"}", VOUCH_CAUSE_MALFORMED },
			{ "\"serialization\":{", "\"serialization\":[],\"x\":{", VOUCH_CAUSE_MALFORMED },
		};
		static const char tmpl[] = OK_STMT;

		for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
			const char *at = strstr(tmpl, edits[i].from);
			char buf[4096], what[256];
			bool keep_root = strstr(edits[i].from, "sha256\":\"00") != NULL;

			if (edits[i].want == VOUCH_CAUSE__COUNT)
				continue;
			CHECK(at, "edit %zu does not apply", i);
			if (!at)
				continue;
			snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - tmpl), tmpl, edits[i].to,
				 at + strlen(edits[i].from));
			snprintf(what, sizeof(what), "edit %zu (%s)", i, edits[i].to);
			expect_stmt(buf, keep_root, edits[i].want, what);
		}
	}
	/* resources of other types */
	expect_stmt("{\"_type\":\"https://in-toto.io/Statement/v1\","
		    "\"predicateType\":\"https://model_signing/signature/v1.0\","
		    "\"subject\":[{\"name\":\"m\",\"digest\":{\"sha256\":\"00\"}}],"
		    "\"predicate\":{\"serialization\":{\"method\":\"files\",\"hash_type\":\"sha256\"},"
		    "\"resources\":{}}}", false, M, "resources {}");
	expect_stmt("{\"_type\":\"https://in-toto.io/Statement/v1\","
		    "\"predicateType\":\"https://model_signing/signature/v1.0\","
		    "\"subject\":[{\"name\":\"m\",\"digest\":{\"sha256\":\"00\"}}],"
		    "\"predicate\":{\"serialization\":{\"method\":\"files\",\"hash_type\":\"sha256\"},"
		    "\"resources\":[1,\"x\",null]}}", false, M, "resources of non-objects");
	expect_stmt("{\"_type\":\"https://in-toto.io/Statement/v1\","
		    "\"predicateType\":\"https://model_signing/signature/v1.0\","
		    "\"subject\":[{\"name\":\"m\",\"digest\":{\"sha256\":\"00\"}}],"
		    "\"predicate\":{\"serialization\":{\"method\":\"files\",\"hash_type\":\"sha256\"}}}",
		    false, M, "no resources");
	/* v0.1 statements */
	expect_stmt("{\"_type\":\"https://in-toto.io/Statement/v1\","
		    "\"predicateType\":\"https://model_signing/Digests/v0.1\","
		    "\"subject\":[{\"name\":\"../x\",\"digest\":{\"sha256\":" DG "}}],\"predicate\":{}}",
		    false, M, "v0.1 subject ../x");
	expect_stmt("{\"_type\":\"https://in-toto.io/Statement/v1\","
		    "\"predicateType\":\"https://model_signing/Digests/v0.1\","
		    "\"subject\":[{\"name\":\"a\",\"digest\":{\"sha256\":" DG "}},"
		    "{\"name\":\"a\",\"digest\":{\"sha256\":" DG2 "}}],\"predicate\":{}}",
		    false, M, "v0.1 duplicate subject");
	expect_stmt("{\"_type\":\"https://in-toto.io/Statement/v1\","
		    "\"predicateType\":\"https://model_signing/Digests/v0.1\","
		    "\"subject\":{},\"predicate\":{}}", false, M, "v0.1 subject {}");
}

static void test_malformed_bundles(const char *src)
{
	const enum vouch_cause M = VOUCH_CAUSE_MALFORMED;
	char path[4096];
	size_t len;
	char *golden;

	expect_text("", 0, M, "empty input");
	expect_text("   ", 3, M, "whitespace");
	expect_text("hello", 5, M, "not JSON");
	expect_text("[]", 2, M, "a list");
	expect_text("{}", 2, M, "an empty object");
	expect_text("null", 4, M, "null");
	expect_text("\0\0\0", 3, M, "NUL bytes");
	expect_text("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}", 62, M, "only a mediaType");

	snprintf(path, sizeof(path), "%s/tests/data/golden-model.sig", src);
	golden = read_all(path, &len);
	CHECK(golden, "cannot read %s", path);
	if (!golden)
		return;
	expect_text(golden, len, VOUCH_CAUSE_OK, "the golden bundle");
	/* Every truncation of a valid bundle is refused (jansson's "premature
	 * end"), never half-parsed. */
	for (size_t n = 0; n < len; n++) {
		struct vouch_bundle *b;
		char err[512];
		enum vouch_cause c = parse_text(golden, n, &b, err, sizeof(err));
		size_t rest = n;

		while (rest < len && (golden[rest] == '\n' || golden[rest] == ' '))
			rest++;
		if (rest == len)
			continue;      /* only trailing whitespace cut off */
		CHECK(c == M && !b, "truncated to %zu of %zu bytes: %s", n, len, vouch_cause_name(c));
		vouch_bundle_free(b);
	}
	/* Trailing garbage, a second document. */
	{
		char *two = malloc(2 * len + 1);
		memcpy(two, golden, len);
		memcpy(two + len, golden, len);
		expect_text(two, 2 * len, M, "two bundles back to back");
		memcpy(two + len, "x", 1);
		expect_text(two, len + 1, M, "trailing garbage");
		free(two);
	}
	/* Too large: one byte over VOUCH_SIG_MAX, even if it would parse. */
	{
		size_t big = (size_t)VOUCH_SIG_MAX + 1;
		char *buf = malloc(big);
		memset(buf, ' ', big);
		memcpy(buf, golden, len);
		expect_text(buf, big, M, "larger than VOUCH_SIG_MAX");
		expect_text(buf, VOUCH_SIG_MAX, VOUCH_CAUSE_OK, "exactly VOUCH_SIG_MAX (padded with spaces)");
		free(buf);
	}
	/* Deep nesting is bounded. */
	{
		size_t depth = 100000;
		char *buf = malloc(2 * depth);
		memset(buf, '[', depth);
		memset(buf + depth, ']', depth);
		expect_text(buf, 2 * depth, M, "deeply nested lists");
		free(buf);
	}
	/* Every single byte of the bundle replaced by a few values: whatever
	 * the cause, no crash and no leak (ASan), and OK only with a bundle. */
	{
		static const char subst[] = { '"', '{', '0', 'A', '\\', '\0', (char)0xff };
		char *copy = malloc(len);

		for (size_t i = 0; i < len; i++) {
			for (size_t k = 0; k < sizeof(subst); k++) {
				struct vouch_bundle *b;
				char err[512];
				enum vouch_cause c;

				memcpy(copy, golden, len);
				copy[i] = subst[k];
				c = parse_text(copy, len, &b, err, sizeof(err));
				CHECK((c == VOUCH_CAUSE_OK) == (b != NULL), "byte %zu = %02x: %s with%s a bundle",
				      i, (unsigned char)subst[k], vouch_cause_name(c), b ? "" : "out");
				CHECK(c == VOUCH_CAUSE_OK || err[0], "byte %zu: no message", i);
				vouch_bundle_free(b);
			}
		}
		free(copy);
	}
	free(golden);
}

int main(void)
{
	const char *shared = getenv("VOUCH_DATA"), *src = getenv("VOUCH_SRC");

	if (vouch_init() < 0) {
		fprintf(stderr, "vouch_init failed\n");
		return 1;
	}
	if (!shared)
		shared = "tests/data";   /* run from the repository root */
	if (!src)
		src = ".";
	test_vectors(shared);
	test_golden(src);
	test_malformed_statements();
	test_malformed_bundles(src);
	CHECK_EXIT();
}
