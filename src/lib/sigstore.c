/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sigstore.c - Sigstore keyless bundles (docs/format.md, "Sigstore
 * keyless" and "Timestamps"), verified offline against a trusted_root.json
 * the user supplies.
 *
 * Owns: parsing the trusted root; checking one Rekor v1 `dsse` entry (body
 * matches the bundle, SET, inclusion proof, signed checkpoint), RFC 3161
 * timestamps, the Fulcio chain at each verified time, the embedded SCT and
 * the identity/issuer policy.  It never fetches anything (no TUF, no online
 * Rekor lookups): a root that is stale is the user's to refresh.
 *
 * Which time is trusted: the log leaf hashes only the body and the body
 * holds no time, so an inclusion proof authenticates the entry but not
 * integratedTime.  Times come only from a verified SET or a verified RFC 3161
 * token, and the certificate must be valid at every one of them.
 */
#include "interop_i.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#define WHAT "sigstore"

struct ss_window {
	int64_t start, end;          /* inclusive; INT64_MIN/MAX when open */
};

struct ss_log {                  /* a Rekor or CT log */
	uint8_t id[64];
	size_t  idlen;
	EVP_PKEY *key;
	struct ss_window valid;
};

struct ss_ca {                   /* a Fulcio CA or a timestamp authority */
	STACK_OF(X509) *chain;       /* as listed: issuing cert first */
	struct ss_window valid;
};

struct vouch_sigstore_root {
	struct ss_log *tlogs, *ctlogs;
	size_t ntlogs, nctlogs;
	struct ss_ca *cas, *tsas;
	size_t ncas, ntsas;
};

/* Bundles of this media type predate inclusion proofs: their entry must
 * carry a SET instead (later versions must carry a proof). */
#define BUNDLE_V01 "application/vnd.dev.sigstore.bundle+json;version=0.1"
#define OID_ISSUER_V2 "1.3.6.1.4.1.57264.1.8"   /* DER UTF8String */
#define OID_ISSUER_V1 "1.3.6.1.4.1.57264.1.1"   /* raw bytes (deprecated) */

/* ------------------------------------------------------------------------ */
/* Trusted root                                                              */

void vouch_sigstore_root_free(struct vouch_sigstore_root *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ntlogs; i++)
		EVP_PKEY_free(r->tlogs[i].key);
	for (size_t i = 0; i < r->nctlogs; i++)
		EVP_PKEY_free(r->ctlogs[i].key);
	for (size_t i = 0; i < r->ncas; i++)
		sk_X509_pop_free(r->cas[i].chain, X509_free);
	for (size_t i = 0; i < r->ntsas; i++)
		sk_X509_pop_free(r->tsas[i].chain, X509_free);
	free(r->tlogs);
	free(r->ctlogs);
	free(r->cas);
	free(r->tsas);
	free(r);
}

static int parse_window(const json_t *vf, struct ss_window *w)
{
	const json_t *s = json_object_get(vf, "start"), *e = json_object_get(vf, "end");

	w->start = INT64_MIN;
	w->end = INT64_MAX;
	if (s && (!json_is_string(s) || vouch_time_parse(json_string_value(s), &w->start)))
		return -EINVAL;
	if (e && (!json_is_string(e) || vouch_time_parse(json_string_value(e), &w->end)))
		return -EINVAL;
	return 0;
}

static bool in_window(const struct ss_window *w, int64_t t)
{
	return t >= w->start && t <= w->end;
}

static int parse_log(const json_t *j, struct ss_log *l)
{
	const json_t *pk = json_object_get(j, "publicKey");
	const unsigned char *p;
	uint8_t *id = NULL, *der = NULL;
	size_t idlen, len;
	int ret = -EINVAL;

	id = interop_b64(json_object_get(json_object_get(j, "logId"), "keyId"),
			 sizeof(l->id), &idlen);
	der = interop_b64(json_object_get(pk, "rawBytes"), INTEROP_CERT_MAX, &len);
	if (!id || !der || parse_window(json_object_get(pk, "validFor"), &l->valid))
		goto out;
	memcpy(l->id, id, idlen);
	l->idlen = idlen;
	p = der;
	l->key = d2i_PUBKEY(NULL, &p, (long)len);
	if (!l->key || p != der + len)
		goto out;
	ret = 0;
out:
	free(id);
	free(der);
	return ret;
}

static int parse_ca(const json_t *j, struct ss_ca *ca)
{
	const json_t *certs = json_object_get(json_object_get(j, "certChain"), "certificates");
	size_t n = json_array_size(certs);

	if (n == 0 || n > INTEROP_CHAIN_MAX || parse_window(json_object_get(j, "validFor"), &ca->valid))
		return -EINVAL;
	ca->chain = sk_X509_new_null();
	if (!ca->chain)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		X509 *x = interop_cert(json_array_get(certs, i));

		if (!x)
			return -EINVAL;
		if (!sk_X509_push(ca->chain, x)) {
			X509_free(x);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Parse one array member of the root into a freshly allocated table. */
static int parse_list(const json_t *root, const char *name, bool logs, void **tab, size_t *n,
		      const char *path, char *err, size_t errlen)
{
	const json_t *arr = json_object_get(root, name);
	size_t len = json_array_size(arr);
	size_t sz = logs ? sizeof(struct ss_log) : sizeof(struct ss_ca);

	if (arr && !json_is_array(arr))
		return verr(err, errlen, -EINVAL, "%s: %s is not an array", path, name);
	if (len > 64)
		return verr(err, errlen, -EINVAL, "%s: %zu %s (at most 64)", path, len, name);
	*tab = calloc(len ? len : 1, sz);
	if (!*tab)
		return verr(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const json_t *e = json_array_get(arr, i);
		int ret = logs ? parse_log(e, (struct ss_log *)*tab + i)
			       : parse_ca(e, (struct ss_ca *)*tab + i);

		/* count it even when it failed half-way, so free releases it */
		(*n)++;
		if (ret)
			return verr(err, errlen, ret, "%s: %s[%zu] is malformed", path, name, i);
	}
	return 0;
}

int vouch_anchors_load_sigstore(struct vouch_anchors *a, const char *path,
				char *err, size_t errlen)
{
	struct vouch_sigstore_root *r = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	const char *mt;
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	ret = interop_read(path, INTEROP_ROOT_MAX, &buf, &len, err, errlen);
	if (ret)
		return ret;
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		ret = verr(err, errlen, -EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
		goto out;
	}
	mt = json_string_value(json_object_get(root, "mediaType"));
	if (!mt || strncmp(mt, "application/vnd.dev.sigstore.trustedroot", 40)) {
		ret = verr(err, errlen, -EINVAL, "%s: not a Sigstore trusted root (mediaType %s)",
			   path, mt ? mt : "missing");
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = verr(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = parse_list(root, "tlogs", true, (void **)&r->tlogs, &r->ntlogs, path, err, errlen)) ||
	    (ret = parse_list(root, "ctlogs", true, (void **)&r->ctlogs, &r->nctlogs, path, err, errlen)) ||
	    (ret = parse_list(root, "certificateAuthorities", false, (void **)&r->cas, &r->ncas,
			      path, err, errlen)) ||
	    (ret = parse_list(root, "timestampAuthorities", false, (void **)&r->tsas, &r->ntsas,
			      path, err, errlen)))
		goto out;
	if (!r->ntlogs || !r->ncas) {
		ret = verr(err, errlen, -EINVAL, "%s: lists no %s", path,
			   r->ntlogs ? "certificate authority" : "transparency log");
		goto out;
	}
	vouch_sigstore_root_free(a->sigstore);
	a->sigstore = r;
	r = NULL;
	ret = 0;
out:
	ERR_clear_error();
	vouch_sigstore_root_free(r);
	json_decref(root);
	free(buf);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */

/* protobuf-JSON int64: a decimal string (or, leniently, a JSON integer). */
static bool json_int(const json_t *v, int64_t *out)
{
	const char *s;
	int64_t n = 0;
	size_t len;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return *out >= 0;
	}
	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	len = json_string_length(v);
	/* 18 digits cannot overflow int64. */
	if (len == 0 || len > 18)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (s[i] - '0');
	}
	*out = n;
	return true;
}

/* Copy untrusted bytes for a message: printable ASCII only, so a certificate
 * cannot inject newlines or escapes into logs. */
static const char *printable(const void *in, size_t len, char *out, size_t outlen)
{
	const unsigned char *p = in;
	size_t i;

	for (i = 0; i < len && i + 1 < outlen; i++)
		out[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	out[i] = '\0';
	return out;
}

static bool verify_sha256(EVP_PKEY *key, const uint8_t *msg, size_t len,
			  const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok;

	if (!ctx)
		return false;
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

static const struct ss_log *find_log(const struct ss_log *logs, size_t n,
				     const uint8_t *id, size_t idlen)
{
	for (size_t i = 0; i < n; i++)
		if (logs[i].idlen == idlen && !memcmp(logs[i].id, id, idlen))
			return &logs[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Rekor entry                                                               */

/* The body must describe this very envelope: payload hash, our signature,
 * our certificate.  Otherwise a valid log entry for some other signature
 * could be stapled onto the bundle. */
static enum vouch_cause check_body(const uint8_t *body, size_t bodylen, X509 *leaf,
				   const uint8_t *payload, size_t payload_len,
				   const uint8_t *sig, size_t siglen, char *err, size_t errlen)
{
	const json_t *spec, *sigs, *ph;
	uint8_t md[SHA256_DIGEST_LENGTH], *bsig = NULL, *pem = NULL;
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	size_t bsiglen, pemlen;
	enum vouch_cause rc = VOUCH_CAUSE_BAD_SIGNATURE;
	json_t *j;
	BIO *bio = NULL;
	X509 *x = NULL;

	j = json_loadb((const char *)body, bodylen, JSON_REJECT_DUPLICATES, NULL);
	if (!j) {
		rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED, WHAT ": log entry body is not JSON");
		goto out;
	}
	spec = json_object_get(j, "spec");
	if (!json_is_string(json_object_get(j, "kind")) ||
	    strcmp(json_string_value(json_object_get(j, "kind")), "dsse") ||
	    !json_is_string(json_object_get(j, "apiVersion")) ||
	    strcmp(json_string_value(json_object_get(j, "apiVersion")), "0.0.1")) {
		verr(err, errlen, 0, WHAT ": log entry body is not a dsse 0.0.1 entry");
		goto out;
	}
	ph = json_object_get(spec, "payloadHash");
	SHA256(payload, payload_len, md);
	vouch_hex(md, sizeof(md), hex);
	if (!json_is_string(json_object_get(ph, "algorithm")) ||
	    strcmp(json_string_value(json_object_get(ph, "algorithm")), "sha256") ||
	    !json_is_string(json_object_get(ph, "value")) ||
	    strcmp(json_string_value(json_object_get(ph, "value")), hex)) {
		verr(err, errlen, 0, WHAT ": log entry payload hash does not match the bundle's payload");
		goto out;
	}
	sigs = json_object_get(spec, "signatures");
	if (json_array_size(sigs) != 1) {
		verr(err, errlen, 0, WHAT ": log entry lists %zu signatures (want 1)", json_array_size(sigs));
		goto out;
	}
	bsig = interop_b64(json_object_get(json_array_get(sigs, 0), "signature"), 4096, &bsiglen);
	if (!bsig || bsiglen != siglen || memcmp(bsig, sig, siglen)) {
		verr(err, errlen, 0, WHAT ": log entry signature does not match the bundle's signature");
		goto out;
	}
	pem = interop_b64(json_object_get(json_array_get(sigs, 0), "verifier"), 4 * INTEROP_CERT_MAX,
			  &pemlen);
	if (pem && (bio = BIO_new_mem_buf(pem, (int)pemlen)))
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!x || X509_cmp(x, leaf)) {
		verr(err, errlen, 0, WHAT ": log entry certificate does not match the bundle's certificate");
		goto out;
	}
	rc = VOUCH_CAUSE_OK;
out:
	ERR_clear_error();
	X509_free(x);
	BIO_free(bio);
	free(pem);
	free(bsig);
	json_decref(j);
	return rc;
}

/* SET: the log's signature over the canonical JSON of (body, integratedTime,
 * logID, logIndex); keys sorted, no spaces, as Rekor signs it. */
static enum vouch_cause check_set(const json_t *entry, const uint8_t *body, size_t bodylen,
				  const struct ss_log *log, int64_t itime, int64_t index,
				  char *err, size_t errlen)
{
	const json_t *set = json_object_get(json_object_get(entry, "inclusionPromise"),
					    "signedEntryTimestamp");
	char hex[2 * sizeof(log->id) + 1], *b64 = NULL, *msg = NULL;
	enum vouch_cause rc = VOUCH_CAUSE_BAD_SIGNATURE;
	uint8_t *sig = NULL;
	size_t siglen;
	int n;

	sig = interop_b64(set, 512, &siglen);
	if (!sig) {
		rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED, WHAT ": signedEntryTimestamp is not base64");
		goto out;
	}
	b64 = vouch_b64_encode(body, bodylen);
	if (!b64) {
		rc = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	vouch_hex(log->id, log->idlen, hex);
	n = asprintf(&msg, "{\"body\":\"%s\",\"integratedTime\":%lld,\"logID\":\"%s\",\"logIndex\":%lld}",
		     b64, (long long)itime, hex, (long long)index);
	if (n < 0) {
		msg = NULL;
		rc = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	if (!verify_sha256(log->key, (const uint8_t *)msg, (size_t)n, sig, siglen)) {
		verr(err, errlen, 0, WHAT ": signed entry timestamp (SET) does not verify with the log key");
		goto out;
	}
	rc = VOUCH_CAUSE_OK;
out:
	free(msg);
	free(b64);
	free(sig);
	return rc;
}

static void node_hash(const uint8_t *l, const uint8_t *r, uint8_t out[32])
{
	uint8_t buf[65];

	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	SHA256(buf, sizeof(buf), out);
}

/* RFC 9162 §2.1.3.2: recompute the root from the leaf and the audit path. */
static bool proof_ok(const uint8_t leaf[32], uint64_t index, uint64_t size,
		     const uint8_t (*path)[32], size_t n, const uint8_t root[32])
{
	uint64_t fn = index, sn = size - 1;
	uint8_t r[32];

	if (index >= size)
		return false;
	memcpy(r, leaf, 32);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			node_hash(path[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			node_hash(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && !memcmp(r, root, 32);
}

/* The checkpoint is a signed note: "origin\nsize\nb64(root)\n[other\n]\n"
 * then signature lines "— name b64(keyhint4 || sig)\n".  It must carry the
 * proof's size and root and be signed by the same log. */
static enum vouch_cause check_checkpoint(const json_t *cp, const struct ss_log *log,
					 uint64_t size, const uint8_t root[32],
					 char *err, size_t errlen)
{
	static const char dash[] = "\xe2\x80\x94 ";     /* U+2014 EM DASH, space */
	const char *env, *sep, *p, *end, *nl;
	uint8_t *raw = NULL, *croot = NULL;
	size_t len, bodylen, rawlen, crootlen;
	char num[24];
	enum vouch_cause rc = VOUCH_CAUSE_BAD_SIGNATURE;
	bool found = false, ok = false;

	env = json_string_value(json_object_get(cp, "envelope"));
	len = json_string_length(json_object_get(cp, "envelope"));
	if (!env || len > INTEROP_NOTE_MAX || memchr(env, '\0', len) ||
	    !(sep = memmem(env, len, "\n\n", 2))) {
		rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED, WHAT ": checkpoint is not a signed note");
		goto out;
	}
	bodylen = (size_t)(sep - env) + 1;
	/* line 1: origin; line 2: tree size; line 3: root hash */
	p = memchr(env, '\n', bodylen);
	nl = p ? memchr(p + 1, '\n', bodylen - (size_t)(p + 1 - env)) : NULL;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
	if (!p || p == env || !nl || (size_t)(nl - p - 1) != strlen(num) ||
	    memcmp(p + 1, num, strlen(num))) {
		verr(err, errlen, 0, WHAT ": checkpoint tree size does not match the inclusion proof");
		goto out;
	}
	p = nl + 1;
	nl = memchr(p, '\n', bodylen - (size_t)(p - env));
	if (nl)
		croot = vouch_b64_decode(p, (size_t)(nl - p), &crootlen);
	if (!croot || crootlen != 32 || memcmp(croot, root, 32)) {
		verr(err, errlen, 0, WHAT ": checkpoint root hash does not match the inclusion proof");
		goto out;
	}
	/* Signature lines: any whose key hint names this log may be the log's
	 * (hints are only 4 bytes); notes may carry witnesses' signatures too. */
	end = env + len;
	for (p = sep + 2; p < end && !ok; p = nl + 1) {
		const char *sp;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		if ((size_t)(nl - p) < sizeof(dash) - 1 || memcmp(p, dash, sizeof(dash) - 1))
			continue;
		sp = memrchr(p, ' ', (size_t)(nl - p));
		if (!sp || sp < p + sizeof(dash) - 1)
			continue;
		free(raw);
		raw = vouch_b64_decode(sp + 1, (size_t)(nl - sp - 1), &rawlen);
		if (!raw || rawlen <= 4 || log->idlen < 4 || memcmp(raw, log->id, 4))
			continue;
		found = true;
		ok = verify_sha256(log->key, (const uint8_t *)env, bodylen, raw + 4, rawlen - 4);
	}
	if (!ok) {
		verr(err, errlen, 0, found ? WHAT ": checkpoint signature does not verify with the log key"
					 : WHAT ": checkpoint carries no signature by the log");
		goto out;
	}
	rc = VOUCH_CAUSE_OK;
out:
	free(raw);
	free(croot);
	return rc;
}

static enum vouch_cause check_proof(const json_t *proof, const uint8_t *body, size_t bodylen,
				    const struct ss_log *log, char *err, size_t errlen)
{
	const json_t *hashes = json_object_get(proof, "hashes");
	uint8_t (*path)[32] = NULL, leaf[32], *root = NULL, *buf = NULL;
	enum vouch_cause rc = VOUCH_CAUSE_MALFORMED;
	int64_t index, size;
	size_t n = json_array_size(hashes), len;
	EVP_MD_CTX *md = NULL;

	if (!json_int(json_object_get(proof, "logIndex"), &index) ||
	    !json_int(json_object_get(proof, "treeSize"), &size) || !json_is_array(hashes) ||
	    n > INTEROP_PROOF_MAX) {
		verr(err, errlen, 0, WHAT ": malformed inclusion proof");
		goto out;
	}
	root = interop_b64(json_object_get(proof, "rootHash"), 32, &len);
	if (!root || len != 32) {
		verr(err, errlen, 0, WHAT ": malformed inclusion proof root hash");
		goto out;
	}
	path = calloc(n ? n : 1, sizeof(*path));
	if (!path) {
		rc = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		free(buf);
		buf = interop_b64(json_array_get(hashes, i), 32, &len);
		if (!buf || len != 32) {
			verr(err, errlen, 0, WHAT ": malformed inclusion proof hash %zu", i);
			goto out;
		}
		memcpy(path[i], buf, 32);
	}
	/* leaf hash = SHA-256(0x00 || body), RFC 6962 domain separation */
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, "\0", 1) != 1 || EVP_DigestUpdate(md, body, bodylen) != 1 ||
	    EVP_DigestFinal_ex(md, leaf, NULL) != 1) {
		rc = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	if (!proof_ok(leaf, (uint64_t)index, (uint64_t)size, (const uint8_t (*)[32])path, n, root)) {
		rc = verr(err, errlen, VOUCH_CAUSE_BAD_SIGNATURE,
			  WHAT ": inclusion proof does not lead to the root hash");
		goto out;
	}
	if (!json_object_get(proof, "checkpoint")) {
		verr(err, errlen, 0, WHAT ": inclusion proof has no checkpoint");
		goto out;
	}
	rc = check_checkpoint(json_object_get(proof, "checkpoint"), log, (uint64_t)size, root,
			      err, errlen);
out:
	EVP_MD_CTX_free(md);
	free(buf);
	free(root);
	free(path);
	return rc;
}

/* Verify the bundle's single Rekor v1 entry.  *has_time is set when a SET
 * verified, with *itime its integratedTime. */
static enum vouch_cause check_tlog(const json_t *bundle, const json_t *entry, X509 *leaf,
				   const uint8_t *payload, size_t payload_len,
				   const uint8_t *sig, size_t siglen,
				   const struct vouch_sigstore_root *root,
				   bool *has_time, int64_t *itime, char *err, size_t errlen)
{
	const json_t *kv = json_object_get(entry, "kindVersion");
	const char *kind = json_string_value(json_object_get(kv, "kind"));
	const char *ver = json_string_value(json_object_get(kv, "version"));
	const char *mt = json_string_value(json_object_get(bundle, "mediaType"));
	/* bundle.c admits only the known media types, so this is exact */
	bool v01 = mt && !strcmp(mt, BUNDLE_V01);
	const struct ss_log *log;
	enum vouch_cause rc = VOUCH_CAUSE_MALFORMED;
	uint8_t *id = NULL, *body = NULL;
	size_t idlen, bodylen;
	int64_t index, t;
	char buf[80];

	*has_time = false;
	if (!kind || !ver) {
		verr(err, errlen, 0, WHAT ": log entry has no kindVersion");
		goto out;
	}
	/* Rekor v2 logs write hashedrekord/dsse 0.0.2 entries with no SET and
	 * no integrated time; their trust model (witnessed checkpoints, TSA
	 * time) is not implemented, and guessing would misread them. */
	if (strcmp(kind, "dsse") || strcmp(ver, "0.0.1")) {
		rc = verr(err, errlen, VOUCH_CAUSE_UNSUPPORTED,
			  WHAT ": log entry kind %s %s is not supported%s", printable(kind, strlen(kind), buf, 32),
			  printable(ver, strlen(ver), buf + 40, 32),
			  !strcmp(ver, "0.0.2") ? " (Rekor v2 entries are not supported; only Rekor v1 dsse 0.0.1)"
						: " (only Rekor v1 dsse 0.0.1)");
		goto out;
	}
	id = interop_b64(json_object_get(json_object_get(entry, "logId"), "keyId"), 64, &idlen);
	if (!id) {
		verr(err, errlen, 0, WHAT ": log entry has no logId");
		goto out;
	}
	log = find_log(root->tlogs, root->ntlogs, id, idlen);
	if (!log) {
		char hex[129];

		vouch_hex(id, idlen, hex);
		rc = verr(err, errlen, VOUCH_CAUSE_UNTRUSTED_KEY,
			  WHAT ": log entry is from a transparency log the trusted root does not list (logId %s)",
			  hex);
		goto out;
	}
	if (EVP_PKEY_get_base_id(log->key) != EVP_PKEY_EC) {
		rc = verr(err, errlen, VOUCH_CAUSE_UNSUPPORTED,
			  WHAT ": log entry is from a Rekor v2 log (non-ECDSA key); not supported");
		goto out;
	}
	body = interop_b64(json_object_get(entry, "canonicalizedBody"), INTEROP_BODY_MAX, &bodylen);
	if (!body) {
		verr(err, errlen, 0, WHAT ": log entry canonicalizedBody is missing or not base64");
		goto out;
	}
	rc = check_body(body, bodylen, leaf, payload, payload_len, sig, siglen, err, errlen);
	if (rc)
		goto out;
	if (json_object_get(entry, "inclusionPromise")) {
		if (!json_int(json_object_get(entry, "integratedTime"), &t) ||
		    !json_int(json_object_get(entry, "logIndex"), &index)) {
			rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED,
				  WHAT ": log entry integratedTime/logIndex malformed");
			goto out;
		}
		rc = check_set(entry, body, bodylen, log, t, index, err, errlen);
		if (rc)
			goto out;
		if (!in_window(&log->valid, t)) {
			rc = verr(err, errlen, VOUCH_CAUSE_UNTRUSTED_KEY,
				  WHAT ": log key was not valid at the integrated time");
			goto out;
		}
		*has_time = true;
		*itime = t;
	}
	if (json_object_get(entry, "inclusionProof")) {
		rc = check_proof(json_object_get(entry, "inclusionProof"), body, bodylen, log,
				 err, errlen);
		if (rc)
			goto out;
	} else if (!v01) {
		/* sigstore clients require a proof from bundle v0.2 on */
		rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED, WHAT ": log entry has no inclusion proof");
		goto out;
	}
	/* A v0.1 bundle predates inclusion proofs: its SET is what shows the
	 * entry was logged.  Without this, relabelling any bundle v0.1 and
	 * deleting both would leave a signature no log ever saw, admitted on an
	 * RFC 3161 time alone. */
	if (v01 && !*has_time) {
		rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED,
			  WHAT ": a v0.1 bundle's log entry must carry a signed entry timestamp (inclusionPromise)");
		goto out;
	}
	rc = VOUCH_CAUSE_OK;
out:
	free(body);
	free(id);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* RFC 3161 timestamps                                                       */

/* Verify one token against one TSA of the trusted root, at its own time. */
static bool tsa_verifies(TS_RESP *resp, const struct ss_ca *tsa, int64_t t,
			 const uint8_t *sig, size_t siglen)
{
	TS_VERIFY_CTX *v = NULL;
	X509_STORE *store = NULL;
	STACK_OF(X509) *certs = NULL;
	BIO *data = NULL;
	bool ok = false;

	v = TS_VERIFY_CTX_new();
	store = X509_STORE_new();
	certs = X509_chain_up_ref(tsa->chain);
	data = BIO_new_mem_buf(sig, (int)siglen);
	if (!v || !store || !certs || !data)
		goto out;
	/* The chain listed in the root is trusted as a whole (as sigstore
	 * clients do), and judged at the token's time, not now. */
	for (int i = 0; i < sk_X509_num(tsa->chain); i++)
		if (X509_STORE_add_cert(store, sk_X509_value(tsa->chain, i)) != 1)
			goto out;
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)t);
	/* The token's message imprint is over the DSSE signature bytes. */
	TS_VERIFY_CTX_set_flags(v, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
	/* From here v owns store, certs and data (TS_VERIFY_CTX_free). */
	TS_VERIFY_CTX_set_store(v, store);
	TS_VERIFY_CTX_set_certs(v, certs);
	TS_VERIFY_CTX_set_data(v, data);
	store = NULL;
	certs = NULL;
	data = NULL;
	ok = TS_RESP_verify_response(v, resp) == 1;
out:
	ERR_clear_error();
	TS_VERIFY_CTX_free(v);
	X509_STORE_free(store);
	sk_X509_pop_free(certs, X509_free);
	BIO_free(data);
	return ok;
}

/* Every RFC 3161 token in the bundle must verify; each adds a trusted time. */
enum vouch_cause interop_timestamps(const json_t *vm, const uint8_t *sig, size_t siglen,
				    const struct vouch_sigstore_root *root,
				    int64_t *times, size_t *ntimes, char *err, size_t errlen)
{
	const json_t *arr = json_object_get(json_object_get(vm, "timestampVerificationData"),
					    "rfc3161Timestamps");
	size_t n = json_array_size(arr);
	enum vouch_cause rc = VOUCH_CAUSE_MALFORMED;
	TS_RESP *resp = NULL;
	uint8_t *der = NULL;

	*ntimes = 0;
	if (arr && !json_is_array(arr)) {
		verr(err, errlen, 0, WHAT ": rfc3161Timestamps is not an array");
		goto out;
	}
	if (n > INTEROP_TSTAMPS_MAX) {
		verr(err, errlen, 0, WHAT ": %zu RFC 3161 timestamps (at most %d)", n, INTEROP_TSTAMPS_MAX);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p;
		TS_TST_INFO *info;
		size_t len;
		int64_t t;
		bool ok = false;

		der = interop_b64(json_object_get(json_array_get(arr, i), "signedTimestamp"),
				  INTEROP_TSTAMP_MAX, &len);
		p = der;
		if (der)
			resp = d2i_TS_RESP(NULL, &p, (long)len);
		if (!resp || p != der + len) {
			rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED,
				  WHAT ": RFC 3161 timestamp %zu is not a DER TimeStampResp", i);
			goto out;
		}
		info = TS_RESP_get_tst_info(resp);
		t = info ? interop_asn1_time(TS_TST_INFO_get_time(info)) : INT64_MIN;
		if (t == INT64_MIN) {
			rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED,
				  WHAT ": RFC 3161 timestamp %zu has no token or time", i);
			goto out;
		}
		for (size_t k = 0; k < root->ntsas && !ok; k++)
			ok = in_window(&root->tsas[k].valid, t) &&
			     tsa_verifies(resp, &root->tsas[k], t, sig, siglen);
		if (!ok) {
			rc = verr(err, errlen, VOUCH_CAUSE_BAD_SIGNATURE,
				  WHAT ": RFC 3161 timestamp %zu does not verify with any timestamp authority of the trusted root",
				  i);
			goto out;
		}
		times[(*ntimes)++] = t;
		TS_RESP_free(resp);
		resp = NULL;
		free(der);
		der = NULL;
	}
	rc = VOUCH_CAUSE_OK;
out:
	ERR_clear_error();
	TS_RESP_free(resp);
	free(der);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Fulcio certificate                                                        */

/* Chain the leaf to a CA of the root that was valid at t, verifying at t.
 * On success *issuer is the leaf's issuer (up-ref'd) for the SCT check. */
static enum vouch_cause check_chain(X509 *leaf, const struct vouch_sigstore_root *root,
				    int64_t t, X509 **issuer, char *err, size_t errlen)
{
	enum vouch_cause rc = VOUCH_CAUSE_UNTRUSTED_KEY;
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	char when[32];
	int last = 0;
	bool tried = false;

	vouch_time_format(t, when);
	for (size_t i = 0; i < root->ncas && !*issuer; i++) {
		const struct ss_ca *ca = &root->cas[i];

		if (!in_window(&ca->valid, t))
			continue;
		tried = true;
		X509_STORE_CTX_free(ctx);
		X509_STORE_free(store);
		ctx = X509_STORE_CTX_new();
		store = X509_STORE_new();
		if (!ctx || !store) {
			rc = VOUCH_CAUSE_IO_ERROR;
			goto out;
		}
		for (int k = 0; k < sk_X509_num(ca->chain); k++)
			if (X509_STORE_add_cert(store, sk_X509_value(ca->chain, k)) != 1) {
				rc = VOUCH_CAUSE_IO_ERROR;
				goto out;
			}
		X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
		if (X509_STORE_CTX_init(ctx, store, leaf, NULL) != 1) {
			rc = VOUCH_CAUSE_IO_ERROR;
			goto out;
		}
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)t);
		if (X509_verify_cert(ctx) == 1 && X509_STORE_CTX_get0_chain(ctx) &&
		    sk_X509_num(X509_STORE_CTX_get0_chain(ctx)) >= 2) {
			*issuer = sk_X509_value(X509_STORE_CTX_get0_chain(ctx), 1);
			X509_up_ref(*issuer);
		} else {
			last = X509_STORE_CTX_get_error(ctx);
		}
	}
	if (!tried) {
		verr(err, errlen, 0, WHAT ": no certificate authority of the trusted root is valid at %s", when);
		goto out;
	}
	if (!*issuer) {
		rc = verr(err, errlen, interop_x509_cause(last), WHAT ": certificate chain at %s: %s",
			  when, X509_verify_cert_error_string(last));
		goto out;
	}
	rc = VOUCH_CAUSE_OK;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

/* RFC 6962 §3.2 digitally-signed struct for a precertificate entry. */
static bool sct_verifies(const SCT *sct, const struct ss_log *log, const uint8_t ihash[32],
			 const uint8_t *tbs, size_t tbslen)
{
	const unsigned char *ext = NULL, *sig = NULL;
	size_t extlen = SCT_get0_extensions(sct, (unsigned char **)&ext);
	size_t siglen = SCT_get0_signature(sct, (unsigned char **)&sig);
	uint64_t ts = SCT_get_timestamp(sct);
	size_t len = 2 + 8 + 2 + 32 + 3 + tbslen + 2 + extlen, o = 0;
	uint8_t *m;
	bool ok;

	if (tbslen >= (1u << 24) || extlen >= (1u << 16) || !sig || !siglen)
		return false;
	m = malloc(len);
	if (!m)
		return false;
	m[o++] = 0;                         /* version v1 */
	m[o++] = 0;                         /* signature_type certificate_timestamp */
	for (int i = 7; i >= 0; i--)
		m[o++] = (uint8_t)(ts >> (8 * i));
	m[o++] = 0;                         /* entry_type precert_entry (1) */
	m[o++] = 1;
	memcpy(m + o, ihash, 32);
	o += 32;
	m[o++] = (uint8_t)(tbslen >> 16);
	m[o++] = (uint8_t)(tbslen >> 8);
	m[o++] = (uint8_t)tbslen;
	memcpy(m + o, tbs, tbslen);
	o += tbslen;
	m[o++] = (uint8_t)(extlen >> 8);
	m[o++] = (uint8_t)extlen;
	if (extlen)
		memcpy(m + o, ext, extlen);
	ok = verify_sha256(log->key, m, len, sig, siglen);
	free(m);
	return ok;
}

/* The leaf must carry an SCT from a CT log of the trusted root: Fulcio
 * publishes every certificate it issues, so a certificate it never logged is
 * not one to trust. */
static enum vouch_cause check_sct(X509 *leaf, X509 *issuer, const struct vouch_sigstore_root *root,
				  char *err, size_t errlen)
{
	enum vouch_cause rc = VOUCH_CAUSE_UNTRUSTED_KEY;
	STACK_OF(SCT) *scts = NULL;
	unsigned char *tbs = NULL, *spki = NULL;
	uint8_t ihash[32];
	X509 *pre = NULL;
	int tbslen, spkilen, idx;
	bool ok = false;

	scts = X509_get_ext_d2i(leaf, NID_ct_precert_scts, NULL, NULL);
	if (!scts || sk_SCT_num(scts) == 0) {
		verr(err, errlen, 0, WHAT ": certificate has no embedded SCT");
		goto out;
	}
	/* The precertificate the log signed = the leaf's TBS without the SCT
	 * extension (Fulcio signs precertificates with the issuing CA itself). */
	pre = X509_dup(leaf);
	idx = pre ? X509_get_ext_by_NID(pre, NID_ct_precert_scts, -1) : -1;
	if (idx < 0) {
		rc = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	X509_EXTENSION_free(X509_delete_ext(pre, idx));
	tbslen = i2d_re_X509_tbs(pre, &tbs);
	spkilen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
	if (tbslen <= 0 || spkilen <= 0) {
		rc = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	SHA256(spki, (size_t)spkilen, ihash);
	for (int i = 0; i < sk_SCT_num(scts) && !ok; i++) {
		const SCT *s = sk_SCT_value(scts, i);
		const unsigned char *id = NULL;
		size_t idlen = SCT_get0_log_id(s, (unsigned char **)&id);
		const struct ss_log *log;

		if (SCT_get_version(s) != SCT_VERSION_V1 || !id)
			continue;
		log = find_log(root->ctlogs, root->nctlogs, id, idlen);
		if (!log || !in_window(&log->valid, (int64_t)(SCT_get_timestamp(s) / 1000)))
			continue;
		ok = sct_verifies(s, log, ihash, tbs, (size_t)tbslen);
	}
	if (!ok) {
		rc = verr(err, errlen, VOUCH_CAUSE_BAD_SIGNATURE,
			  WHAT ": no embedded SCT verifies with a CT log of the trusted root");
		goto out;
	}
	rc = VOUCH_CAUSE_OK;
out:
	ERR_clear_error();
	OPENSSL_free(tbs);
	OPENSSL_free(spki);
	X509_free(pre);
	SCT_LIST_free(scts);
	return rc;
}

/* Identity = a SAN email or URI equal to --identity; issuer = the Fulcio
 * OIDC issuer extension (v2 DER UTF8String, else legacy raw) equal to
 * --issuer.  Exact byte comparison: no case folding, no prefix match. */
static enum vouch_cause check_policy(X509 *leaf, const struct vouch_anchors *a,
				     char *err, size_t errlen)
{
	enum vouch_cause rc = VOUCH_CAUSE_UNTRUSTED_KEY;
	GENERAL_NAMES *sans = NULL;
	ASN1_OBJECT *o2 = NULL, *o1 = NULL;
	ASN1_UTF8STRING *u = NULL;
	const unsigned char *iss = NULL;
	char seen[128] = "", buf[128];
	size_t isslen = 0, idlen = strlen(a->identity);
	bool match = false;
	int idx;

	sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; i < sk_GENERAL_NAME_num(sans) && !match; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		const ASN1_IA5STRING *s;

		if (g->type == GEN_EMAIL)
			s = g->d.rfc822Name;
		else if (g->type == GEN_URI)
			s = g->d.uniformResourceIdentifier;
		else
			continue;
		if (!seen[0])
			printable(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), seen, sizeof(seen));
		match = (size_t)ASN1_STRING_length(s) == idlen &&
			!memcmp(ASN1_STRING_get0_data(s), a->identity, idlen);
	}
	if (!match) {
		verr(err, errlen, 0, WHAT ": identity %s does not match wanted %s",
		     seen[0] ? seen : "(none)", printable(a->identity, idlen, buf, sizeof(buf)));
		goto out;
	}
	o2 = OBJ_txt2obj(OID_ISSUER_V2, 1);
	o1 = OBJ_txt2obj(OID_ISSUER_V1, 1);
	if (!o1 || !o2) {
		rc = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	if ((idx = X509_get_ext_by_OBJ(leaf, o2, -1)) >= 0) {
		const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
		const unsigned char *p = ASN1_STRING_get0_data(os);

		u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(os));
		if (!u || p != ASN1_STRING_get0_data(os) + ASN1_STRING_length(os)) {
			rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED,
				  WHAT ": certificate issuer extension is not a UTF8String");
			goto out;
		}
		iss = ASN1_STRING_get0_data(u);
		isslen = (size_t)ASN1_STRING_length(u);
	} else if ((idx = X509_get_ext_by_OBJ(leaf, o1, -1)) >= 0) {
		const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));

		iss = ASN1_STRING_get0_data(os);
		isslen = (size_t)ASN1_STRING_length(os);
	}
	if (!iss || isslen != strlen(a->issuer) || memcmp(iss, a->issuer, isslen)) {
		verr(err, errlen, 0, WHAT ": OIDC issuer %s does not match wanted %s",
		     iss ? printable(iss, isslen, seen, sizeof(seen)) : "(none)",
		     printable(a->issuer, strlen(a->issuer), buf, sizeof(buf)));
		goto out;
	}
	rc = VOUCH_CAUSE_OK;
out:
	ERR_clear_error();
	ASN1_UTF8STRING_free(u);
	ASN1_OBJECT_free(o1);
	ASN1_OBJECT_free(o2);
	GENERAL_NAMES_free(sans);
	return rc;
}

/* Fulcio leaves are short-lived code-signing certificates: both usages. */
static bool leaf_usage_ok(X509 *leaf)
{
	uint32_t flags = X509_get_extension_flags(leaf);

	return (flags & EXFLAG_KUSAGE) && (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) &&
	       (flags & EXFLAG_XKUSAGE) && (X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN);
}

enum vouch_cause interop_sigstore_authenticate(const json_t *bundle, X509 *leaf,
					       const uint8_t *payload, size_t payload_len,
					       const uint8_t *sig, size_t siglen,
					       const struct vouch_anchors *a,
					       struct vouch_key **key, int64_t *signed_time,
					       struct vouch_cert_signer *who,
					       char *err, size_t errlen)
{
	const json_t *vm = json_object_get(bundle, "verificationMaterial");
	const json_t *entries = json_object_get(vm, "tlogEntries");
	int64_t times[1 + INTEROP_TSTAMPS_MAX], itime = 0;
	size_t ntimes = 0, nts = 0;
	enum vouch_cause rc;
	X509 *issuer = NULL;
	bool has_set = false;

	if (!a || !a->sigstore || !a->identity || !a->issuer) {
		rc = verr(err, errlen, VOUCH_CAUSE_UNTRUSTED_KEY,
			  WHAT ": signed keylessly with Sigstore, but no %s is configured (give %s)",
			  !a || !a->sigstore ? "trusted root" : !a->identity ? "identity" : "issuer",
			  !a || !a->sigstore ? "--sigstore-root FILE --identity ID --issuer URL"
			  : !a->identity ? "--identity ID" : "--issuer URL");
		goto out;
	}
	if (!json_is_array(entries) || json_array_size(entries) == 0) {
		rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED, WHAT ": bundle has no tlogEntries");
		goto out;
	}
	/* sigstore clients require exactly one entry; several would each need
	 * their own policy on which one counts. */
	if (json_array_size(entries) > 1) {
		rc = verr(err, errlen, VOUCH_CAUSE_UNSUPPORTED, WHAT ": %zu log entries (want exactly 1)",
			  json_array_size(entries));
		goto out;
	}
	rc = check_tlog(bundle, json_array_get(entries, 0), leaf, payload, payload_len, sig, siglen,
			a->sigstore, &has_set, &itime, err, errlen);
	if (rc)
		goto out;
	if (has_set)
		times[ntimes++] = itime;
	rc = interop_timestamps(vm, sig, siglen, a->sigstore, times + ntimes, &nts, err, errlen);
	if (rc)
		goto out;
	ntimes += nts;
	if (ntimes == 0) {
		rc = verr(err, errlen, VOUCH_CAUSE_UNTRUSTED_KEY,
			  WHAT ": no verified signing time (neither a signed entry timestamp nor an RFC 3161 timestamp)");
		goto out;
	}
	/* The certificate lives ten minutes: it must have been valid at every
	 * time we could verify, not merely at one of them. */
	for (size_t i = 0; i < ntimes; i++) {
		X509_free(issuer);
		issuer = NULL;
		rc = check_chain(leaf, a->sigstore, times[i], &issuer, err, errlen);
		if (rc)
			goto out;
	}
	if (!leaf_usage_ok(leaf)) {
		rc = verr(err, errlen, VOUCH_CAUSE_UNTRUSTED_KEY,
			  WHAT ": certificate lacks keyUsage digitalSignature or EKU codeSigning");
		goto out;
	}
	rc = check_sct(leaf, issuer, a->sigstore, err, errlen);
	if (rc)
		goto out;
	rc = check_policy(leaf, a, err, errlen);
	if (rc)
		goto out;
	rc = interop_leaf_key(leaf, false, key, WHAT, err, errlen);
	if (rc)
		goto out;
	/* One identity is one signer, however many certificates (and bundle
	 * forms) it signed with: Fulcio keys are fresh per signature. */
	who->sigstore = true;
	snprintf(who->identity, sizeof(who->identity), "%s", a->identity);
	interop_revoke_ids(leaf, who);
	*signed_time = times[0];
out:
	X509_free(issuer);
	return rc;
}
