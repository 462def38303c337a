/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_interop.c - certificate and Sigstore keyless authentication against
 * the model_signing vectors ($VOUCH_DATA/oms-vectors), and each way of
 * tampering with them rejected for the right reason; with a generated PKI:
 * the chain's time (now, or a verified RFC 3161 time), the usages a leaf
 * must allow, who a CA-issued leaf is (ca_identity), the log evidence each
 * bundle version must carry, and one key id per EC key (issue 25).
 */
#include "interop_i.h"
#include "check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#define IDENTITY "stefanb@us.ibm.com"
#define ISSUER   "https://sigstore.verify.ibm.com/oauth2"

static char vec[4096];


static const char *vpath(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *vpath(const char *fmt, ...)
{
	static char buf[8192];
	char rel[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(buf, sizeof(buf), "%s/%s", vec, rel);
	return buf;
}

static json_t *load_bundle(const char *name)
{
	json_error_t e;
	json_t *j = json_load_file(vpath("%s/model.sig", name), JSON_REJECT_DUPLICATES, &e);

	if (!j) {
		fprintf(stderr, "cannot load %s: %s\n", name, e.text);
		exit(1);
	}
	return j;
}

static uint8_t *b64(const json_t *s, size_t *len)
{
	uint8_t *p = vouch_b64_decode(json_string_value(s), json_string_length(s), len);

	if (!p) {
		fprintf(stderr, "bad base64 in a vector\n");
		exit(1);
	}
	return p;
}

static json_t *dsse(const json_t *b, const char *k)
{
	if (!strcmp(k, "sig"))
		return json_object_get(json_array_get(json_object_get(json_object_get(b, "dsseEnvelope"),
								      "signatures"), 0), "sig");
	return json_object_get(json_object_get(b, "dsseEnvelope"), k);
}

/* Authenticate, then (when that worked) check the DSSE signature with the
 * returned key, as the verifier does.  Returns the cause; *dsse_ok says
 * whether the envelope signature verified. */
static enum vouch_cause run(const json_t *b, const struct vouch_anchors *a, bool v02,
			    bool *dsse_ok, int64_t *t, char *err, size_t errlen)
{
	struct vouch_key *key = NULL;
	uint8_t *payload, *sig, *pae;
	size_t plen, slen, paelen;
	enum vouch_cause rc;

	payload = b64(dsse(b, "payload"), &plen);
	sig = b64(dsse(b, "sig"), &slen);
	err[0] = '\0';
	*dsse_ok = false;
	rc = vouch_interop_authenticate(b, payload, plen, sig, slen, a, &key, t, err, errlen);
	if (rc == VOUCH_CAUSE_OK) {
		pae = v02 ? vouch_dsse_pae_v02(VOUCH_PAYLOAD_TYPE, payload, plen, &paelen)
			  : vouch_dsse_pae(VOUCH_PAYLOAD_TYPE, payload, plen, &paelen);
		*dsse_ok = pae && vouch_key_verify(key, pae, paelen, sig, slen,
						    v02 ? EVP_sha256() : NULL);
		free(pae);
	} else {
		CHECK(key == NULL, "key returned with cause %d", rc);
	}
	vouch_key_free(key);
	free(payload);
	free(sig);
	return rc;
}

/* Expect a cause; for OK also a verifying DSSE signature. */
static void expect(const char *what, const json_t *b, const struct vouch_anchors *a, bool v02,
		   enum vouch_cause want, const char *needle)
{
	char err[512];
	bool ok;
	int64_t t = 0;
	enum vouch_cause rc = run(b, a, v02, &ok, &t, err, sizeof(err));

	CHECK(rc == want, "%s: cause %s, want %s (%s)", what, vouch_cause_name(rc),
	      vouch_cause_name(want), err);
	if (rc == VOUCH_CAUSE_OK && want == VOUCH_CAUSE_OK) {
		CHECK(ok, "%s: DSSE signature does not verify with the authenticated key", what);
		CHECK(t > 1700000000 && t < 1900000000, "%s: implausible signing time %lld", what,
		      (long long)t);
	}
	if (needle && rc != VOUCH_CAUSE_OK)
		CHECK(strstr(err, needle), "%s: message '%s' lacks '%s'", what, err, needle);
	printf("%-4s %-52s %s%s%s\n", rc == want ? "ok" : "BAD", what, vouch_cause_name(rc),
	       rc ? ": " : "", rc ? err : "");
}

/* A look-alike root: self-signed CN=root-ca with a fresh key. */
static void make_lookalike(const char *path)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	FILE *f;

	if (!k || !x || !n)
		exit(1);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"root-ca", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	ASN1_TIME_set(X509_getm_notBefore(x), 1600000000);
	ASN1_TIME_set(X509_getm_notAfter(x), 2100000000);
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,keyCertSign");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (!X509_sign(x, k, EVP_sha256()))
		exit(1);
	f = fopen(path, "w");
	if (!f || !PEM_write_X509(f, x) || fclose(f))
		exit(1);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
}

static json_t *entry0(json_t *b)
{
	return json_array_get(json_object_get(json_object_get(b, "verificationMaterial"),
					      "tlogEntries"), 0);
}

/* Flip one bit of a base64 field's decoded bytes and re-encode it. */
static void flip_b64(json_t *obj, const char *key, size_t at)
{
	size_t len;
	uint8_t *p = b64(json_object_get(obj, key), &len);
	char *s;

	p[at % len] ^= 0x01;
	s = vouch_b64_encode(p, len);
	json_object_set_new(obj, key, json_string(s));
	free(s);
	free(p);
}

static void sigstore_negatives(const char *name, const struct vouch_anchors *good)
{
	json_t *orig = load_bundle(name), *b, *e, *body;
	struct vouch_anchors a;
	char what[128], *s;
	uint8_t *raw;
	size_t len;

#define T(label) (snprintf(what, sizeof(what), "%s %s", name, label), what)
	/* policy */
	vouch_anchors_init(&a);
	expect(T("no sigstore root"), orig, &a, false, VOUCH_CAUSE_UNTRUSTED_KEY, "--sigstore-root");
	a.sigstore = good->sigstore;
	expect(T("no identity"), orig, &a, false, VOUCH_CAUSE_UNTRUSTED_KEY, "--identity");
	a.identity = "someone@example.com";
	a.issuer = good->issuer;
	expect(T("wrong identity"), orig, &a, false, VOUCH_CAUSE_UNTRUSTED_KEY,
	       "identity " IDENTITY " does not match wanted someone@example.com");
	a.identity = IDENTITY "x";
	expect(T("identity with a suffix"), orig, &a, false, VOUCH_CAUSE_UNTRUSTED_KEY, "identity");
	a.identity = good->identity;
	a.issuer = "https://accounts.google.com";
	expect(T("wrong issuer"), orig, &a, false, VOUCH_CAUSE_UNTRUSTED_KEY, "OIDC issuer");
	/* the x509 CA store is no substitute for a Sigstore root */
	a.issuer = good->issuer;
	a.sigstore = NULL;
	a.cas = good->cas;
	expect(T("only --ca configured"), orig, &a, false, VOUCH_CAUSE_UNTRUSTED_KEY, "--sigstore-root");

	/* Rekor entry fields */
	b = json_deep_copy(orig);
	e = entry0(b);
	{
		char num[32];

		snprintf(num, sizeof(num), "%llu",
			 strtoull(json_string_value(json_object_get(e, "integratedTime")), NULL, 10) + 1);
		json_object_set_new(e, "integratedTime", json_string(num));
	}
	expect(T("integratedTime + 1"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE, "SET");
	json_decref(b);

	b = json_deep_copy(orig);
	e = entry0(b);
	json_object_set_new(e, "logIndex", json_string("1"));
	expect(T("logIndex edited"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE, "SET");
	json_decref(b);

	b = json_deep_copy(orig);
	flip_b64(json_object_get(entry0(b), "inclusionPromise"), "signedEntryTimestamp", 20);
	expect(T("SET bit flip"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE, "SET");
	json_decref(b);

	/* A body edit that still matches the bundle (envelopeHash is not
	 * recomputable) must fail the SET and the proof. */
	b = json_deep_copy(orig);
	e = entry0(b);
	raw = b64(json_object_get(e, "canonicalizedBody"), &len);
	body = json_loadb((char *)raw, len, 0, NULL);
	free(raw);
	json_object_set_new(json_object_get(json_object_get(body, "spec"), "envelopeHash"), "value",
			    json_string("0000000000000000000000000000000000000000000000000000000000000000"));
	s = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	raw = (uint8_t *)vouch_b64_encode((uint8_t *)s, strlen(s));
	json_object_set_new(e, "canonicalizedBody", json_string((char *)raw));
	free(raw);
	free(s);
	expect(T("canonicalizedBody edited"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE, NULL);
	/* ... and without a SET, the inclusion proof alone catches it */
	json_object_del(e, "inclusionPromise");
	expect(T("canonicalizedBody edited, no SET"), b, good, false,
	       VOUCH_CAUSE_BAD_SIGNATURE, "inclusion proof");
	json_decref(body);
	json_decref(b);

	b = json_deep_copy(orig);
	e = entry0(b);
	raw = b64(json_object_get(e, "canonicalizedBody"), &len);
	body = json_loadb((char *)raw, len, 0, NULL);
	free(raw);
	json_object_set_new(json_object_get(json_object_get(body, "spec"), "payloadHash"), "value",
			    json_string("1111111111111111111111111111111111111111111111111111111111111111"));
	s = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	raw = (uint8_t *)vouch_b64_encode((uint8_t *)s, strlen(s));
	json_object_set_new(e, "canonicalizedBody", json_string((char *)raw));
	free(raw);
	free(s);
	json_decref(body);
	expect(T("body payloadHash for another payload"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE,
	       "payload hash");
	json_decref(b);

	b = json_deep_copy(orig);
	e = json_object_get(entry0(b), "inclusionProof");
	flip_b64(e, "rootHash", 3);
	expect(T("proof rootHash edited"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE, NULL);
	json_decref(b);

	b = json_deep_copy(orig);
	e = json_object_get(entry0(b), "inclusionProof");
	{
		json_t *h = json_object_get(e, "hashes");
		json_t *wrap = json_object();

		json_object_set(wrap, "h", json_array_get(h, 2));
		flip_b64(wrap, "h", 7);
		json_array_set(h, 2, json_object_get(wrap, "h"));
		json_decref(wrap);
	}
	expect(T("proof hash edited"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE, "inclusion proof");
	json_decref(b);

	b = json_deep_copy(orig);
	e = json_object_get(entry0(b), "inclusionProof");
	json_object_set_new(e, "logIndex", json_string("5"));
	expect(T("proof logIndex edited"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE, "inclusion proof");
	json_decref(b);

	b = json_deep_copy(orig);
	e = json_object_get(json_object_get(entry0(b), "inclusionProof"), "checkpoint");
	s = strdup(json_string_value(json_object_get(e, "envelope")));
	s[0] = 'R';                                 /* origin line */
	json_object_set_new(e, "envelope", json_string(s));
	free(s);
	expect(T("checkpoint origin edited"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE, "checkpoint");
	json_decref(b);

	b = json_deep_copy(orig);
	e = json_object_get(json_object_get(entry0(b), "inclusionProof"), "checkpoint");
	s = strdup(json_string_value(json_object_get(e, "envelope")));
	{
		char *p = strstr(s, "\n\n");
		char *sp = strrchr(p, ' ');

		sp[12] = sp[12] == 'A' ? 'B' : 'A'; /* inside the DER signature */
	}
	json_object_set_new(e, "envelope", json_string(s));
	free(s);
	expect(T("checkpoint signature edited"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE, "checkpoint");
	json_decref(b);

	b = json_deep_copy(orig);
	json_object_del(entry0(b), "inclusionProof");
	expect(T("no inclusion proof"), b, good, false, VOUCH_CAUSE_MALFORMED, "inclusion proof");
	json_decref(b);

	b = json_deep_copy(orig);
	json_object_set_new(json_object_get(entry0(b), "kindVersion"), "version", json_string("0.0.2"));
	expect(T("rekor v2 entry"), b, good, false, VOUCH_CAUSE_UNSUPPORTED, "Rekor v2");
	json_decref(b);

	b = json_deep_copy(orig);
	json_object_set_new(json_object_get(entry0(b), "logId"), "keyId",
			    json_string("zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A="));
	expect(T("entry claims the rekor v2 log"), b, good, false, VOUCH_CAUSE_UNSUPPORTED, "Rekor v2");
	json_decref(b);

	b = json_deep_copy(orig);
	flip_b64(json_object_get(entry0(b), "logId"), "keyId", 0);
	expect(T("unknown log"), b, good, false, VOUCH_CAUSE_UNTRUSTED_KEY, "does not list");
	json_decref(b);

	b = json_deep_copy(orig);
	flip_b64(json_array_get(json_object_get(json_object_get(b, "dsseEnvelope"), "signatures"), 0),
		 "sig", 12);
	expect(T("DSSE signature bit flip"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE, "signature");
	json_decref(b);

	b = json_deep_copy(orig);
	flip_b64(json_object_get(json_object_get(b, "verificationMaterial"), "certificate"),
		 "rawBytes", 700);
	{
		char err[512];
		bool ok;
		int64_t t;
		enum vouch_cause rc = run(b, good, false, &ok, &t, err, sizeof(err));

		CHECK(rc != VOUCH_CAUSE_OK, "%s: certificate bit flip accepted", name);
		printf("%-4s %-52s %s: %s\n", rc ? "ok" : "BAD", T("certificate bit flip"),
		       vouch_cause_name(rc), err);
	}
	json_decref(b);

	/* neither a SET nor a timestamp: no trusted time */
	b = json_deep_copy(orig);
	json_object_del(entry0(b), "inclusionPromise");
	json_object_del(json_object_get(b, "verificationMaterial"), "timestampVerificationData");
	expect(T("no SET, no timestamp"), b, good, false, VOUCH_CAUSE_UNTRUSTED_KEY, "signing time");
	json_decref(b);

	if (json_object_get(json_object_get(json_object_get(orig, "verificationMaterial"),
					    "timestampVerificationData"), "rfc3161Timestamps")) {
		json_t *ts;

		/* the TSA time alone is enough */
		b = json_deep_copy(orig);
		json_object_del(entry0(b), "inclusionPromise");
		expect(T("no SET, TSA time only"), b, good, false, VOUCH_CAUSE_OK, NULL);
		json_decref(b);

		b = json_deep_copy(orig);
		ts = json_array_get(json_object_get(json_object_get(json_object_get(b,
			"verificationMaterial"), "timestampVerificationData"), "rfc3161Timestamps"), 0);
		flip_b64(ts, "signedTimestamp", 1000);
		expect(T("RFC 3161 token bit flip"), b, good, false, VOUCH_CAUSE_BAD_SIGNATURE, "RFC 3161");
		json_decref(b);

		/* a TSA the root does not list */
		{
			struct vouch_anchors c;
			char err[256];

			vouch_anchors_init(&c);
			if (vouch_anchors_load_sigstore(&c, "root-no-tsa.json", err, sizeof(err)) == 0) {
				c.identity = good->identity;
				c.issuer = good->issuer;
				expect(T("TSA not in the trusted root"), orig, &c, false,
				       VOUCH_CAUSE_BAD_SIGNATURE, "timestamp authority");
				c.identity = c.issuer = NULL;
			} else {
				CHECK(0, "root-no-tsa.json: %s", err);
			}
			vouch_anchors_clear(&c);
		}
	}
	json_decref(orig);
#undef T
}

/* ---- generated PKI: time rule, usages, key types, malformed chains ---- */

static X509 *mk_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
		     time_t nb, time_t na, const char *bc, const char *ku, const char *eku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	const char *vals[3] = { bc, ku, eku };
	const int nids[3] = { NID_basic_constraints, NID_key_usage, NID_ext_key_usage };
	X509V3_CTX ctx;

	if (!x || !n)
		exit(1);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)nb & 0xffff);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	ASN1_TIME_set(X509_getm_notBefore(x), nb);
	ASN1_TIME_set(X509_getm_notAfter(x), na);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	for (int i = 0; i < 3; i++) {
		X509_EXTENSION *e;

		if (!vals[i])
			continue;
		e = X509V3_EXT_conf_nid(NULL, &ctx, nids[i], vals[i]);
		if (!e)
			exit(1);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	/* Ed25519 signs without a separate digest */
	if (!X509_sign(x, ikey ? ikey : key,
		       EVP_PKEY_get_base_id(ikey ? ikey : key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()))
		exit(1);
	X509_NAME_free(n);
	return x;
}

static json_t *chain_bundle(X509 *const *certs, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(certs[i], &der);
		char *s = vouch_b64_encode(der, (size_t)len);

		json_array_append_new(arr, json_pack("{s:s}", "rawBytes", s));
		free(s);
		OPENSSL_free(der);
	}
	return json_pack("{s:s, s:{s:{s:o}}}", "mediaType", VOUCH_BUNDLE_MEDIA,
			 "verificationMaterial", "x509CertificateChain", "certificates", arr);
}

/* authenticate only (no DSSE envelope involved) */
static void expect_auth(const char *what, const json_t *b, const struct vouch_anchors *a,
			enum vouch_cause want, const char *needle, int64_t want_time)
{
	struct vouch_key *key = NULL;
	char err[512] = "";
	int64_t t = 0;
	enum vouch_cause rc = vouch_interop_authenticate(b, (const uint8_t *)"x", 1,
							 (const uint8_t *)"y", 1, a, &key, &t,
							 err, sizeof(err));

	CHECK(rc == want, "%s: cause %s, want %s (%s)", what, vouch_cause_name(rc),
	      vouch_cause_name(want), err);
	CHECK((rc == VOUCH_CAUSE_OK) == (key != NULL), "%s: key/cause mismatch", what);
	if (rc == VOUCH_CAUSE_OK && want_time)
		CHECK(t == want_time, "%s: signed_time %lld, want %lld", what, (long long)t,
		      (long long)want_time);
	if (needle && rc != VOUCH_CAUSE_OK)
		CHECK(strstr(err, needle), "%s: message '%s' lacks '%s'", what, err, needle);
	printf("%-4s %-52s %s%s%s\n", rc == want ? "ok" : "BAD", what, vouch_cause_name(rc),
	       rc ? ": " : "", rc ? err : "");
	vouch_key_free(key);
}

/* Add SAN entries (X509V3 config syntax, e.g. "email:a@x.org") and re-sign. */
static void add_san(X509 *x, const char *san, EVP_PKEY *ikey)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	if (!e || !X509_add_ext(x, e, -1) || !X509_sign(x, ikey, EVP_sha256()))
		exit(1);
	X509_EXTENSION_free(e);
}

static void generated_pki(void)
{
	const time_t now = time(NULL);
	const time_t nb = now - 86400, na = now + 30 * 86400;    /* valid now */
	const time_t onb = 978307200, ona = 1009843200;          /* 2001-01-01 .. 2002-01-01 */
	EVP_PKEY *rk = EVP_EC_gen("P-256"), *lk = EVP_EC_gen("P-384");
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *root, *notca, *c[INTEROP_CHAIN_MAX + 1];
	struct vouch_anchors a, bad;
	char err[256];
	FILE *f;
	json_t *b;

	if (!rk || !lk || !rsa || !ed)
		exit(1);
	root = mk_cert("gen-root", rk, NULL, NULL, onb - 86400, na + 86400 * 365 * 50,
		       "critical,CA:TRUE", "critical,keyCertSign", NULL);
	notca = mk_cert("gen-root", rk, NULL, NULL, onb - 86400, na + 86400 * 365 * 50,
			"critical,CA:FALSE", NULL, NULL);
	f = fopen("gen-root.pem", "w");
	if (!f || !PEM_write_X509(f, root) || fclose(f))
		exit(1);
	f = fopen("gen-notca.pem", "w");
	if (!f || !PEM_write_X509(f, notca) || fclose(f))
		exit(1);
	vouch_anchors_init(&a);
	vouch_anchors_init(&bad);
	CHECK(vouch_anchors_add_ca(&a, "gen-root.pem", err, sizeof(err)) == 0, "%s", err);
	CHECK(vouch_anchors_add_ca(&bad, "gen-notca.pem", err, sizeof(err)) == 0, "%s", err);

	/* The time rule: no timestamp in the bundle, so the chain is judged
	 * now; the leaf's own notBefore (model_signing's time) proves nothing. */
	c[0] = mk_cert("leaf", lk, root, rk, onb, ona, NULL, "critical,digitalSignature", NULL);
	b = chain_bundle(c, 1);
	expect_auth("gen: expired leaf, no timestamp", b, &a, VOUCH_CAUSE_EXPIRED, "no timestamp", 0);
	a.ca_check_now = true;
	expect_auth("gen: expired leaf, --ca checked now", b, &a, VOUCH_CAUSE_EXPIRED, "expired", 0);
	a.ca_check_now = false;
	json_decref(b);
	X509_free(c[0]);

	c[0] = mk_cert("leaf", lk, root, rk, nb, na, NULL, "critical,digitalSignature", NULL);
	b = chain_bundle(c, 1);
	expect_auth("gen: valid leaf, keyUsage digitalSignature only", b, &a, VOUCH_CAUSE_OK, NULL, 0);
	expect_auth("gen: anchor is not a CA", b, &bad, VOUCH_CAUSE_UNTRUSTED_KEY, "certificate chain", 0);
	json_decref(b);
	X509_free(c[0]);

	/* Usage: every extension the leaf has must allow code signing. */
	{
		static const struct {
			const char *what, *ku, *eku;
			enum vouch_cause want;
			const char *needle;
		} u[] = {
			{ "gen: EKU codeSigning only", NULL, "codeSigning", VOUCH_CAUSE_OK, NULL },
			{ "gen: digitalSignature + codeSigning", "critical,digitalSignature", "codeSigning",
			  VOUCH_CAUSE_OK, NULL },
			{ "gen: serverAuth leaf (digitalSignature)", "critical,digitalSignature", "serverAuth",
			  VOUCH_CAUSE_UNTRUSTED_KEY, "codeSigning" },
			{ "gen: EKU anyExtendedKeyUsage", "critical,digitalSignature", "anyExtendedKeyUsage",
			  VOUCH_CAUSE_UNTRUSTED_KEY, "codeSigning" },
			{ "gen: keyEncipherment + codeSigning", "critical,keyEncipherment", "codeSigning",
			  VOUCH_CAUSE_UNTRUSTED_KEY, "digitalSignature" },
			{ "gen: neither digitalSignature nor codeSigning", "critical,keyEncipherment", "serverAuth",
			  VOUCH_CAUSE_UNTRUSTED_KEY, "codeSigning" },
			{ "gen: no usage extensions at all", NULL, NULL, VOUCH_CAUSE_UNTRUSTED_KEY, "neither" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(u); i++) {
			c[0] = mk_cert("leaf", lk, root, rk, nb, na, NULL, u[i].ku, u[i].eku);
			b = chain_bundle(c, 1);
			expect_auth(u[i].what, b, &a, u[i].want, u[i].needle, 0);
			json_decref(b);
			X509_free(c[0]);
		}
	}

	c[0] = mk_cert("leaf", rsa, root, rk, nb, na, NULL, "critical,digitalSignature", NULL);
	b = chain_bundle(c, 1);
	expect_auth("gen: RSA leaf", b, &a, VOUCH_CAUSE_UNSUPPORTED, "ECDSA", 0);
	json_decref(b);
	X509_free(c[0]);

	c[0] = mk_cert("leaf", ed, root, rk, nb, na, NULL, "critical,digitalSignature", NULL);
	b = chain_bundle(c, 1);
	expect_auth("gen: Ed25519 leaf", b, &a, VOUCH_CAUSE_UNSUPPORTED, "ECDSA", 0);
	json_decref(b);
	X509_free(c[0]);

	/* a self-signed leaf is its own anchor only if configured as one */
	c[0] = mk_cert("self", lk, NULL, NULL, nb, na, NULL, "critical,digitalSignature", NULL);
	b = chain_bundle(c, 1);
	expect_auth("gen: self-signed leaf", b, &a, VOUCH_CAUSE_UNTRUSTED_KEY, "certificate chain", 0);
	json_decref(b);
	X509_free(c[0]);

	for (size_t i = 0; i < ARRAY_SIZE(c); i++)
		c[i] = root;
	b = chain_bundle(c, ARRAY_SIZE(c));
	expect_auth("gen: chain longer than the cap", b, &a, VOUCH_CAUSE_MALFORMED, "at most", 0);
	json_decref(b);

	b = json_pack("{s:{s:{s:[{s:s}]}}}", "verificationMaterial", "x509CertificateChain",
		      "certificates", "rawBytes", "AAAA");
	expect_auth("gen: certificate not DER", b, &a, VOUCH_CAUSE_MALFORMED, "DER", 0);
	json_decref(b);
	b = json_pack("{s:{s:{s:s}}}", "verificationMaterial", "publicKey", "hint", "00");
	expect_auth("gen: public-key bundle", b, &a, VOUCH_CAUSE_MALFORMED, "no certificate", 0);
	json_decref(b);
	b = json_pack("{s:s}", "mediaType", VOUCH_BUNDLE_MEDIA);
	expect_auth("gen: no verificationMaterial", b, &a, VOUCH_CAUSE_MALFORMED, NULL, 0);
	json_decref(b);

	vouch_anchors_clear(&a);
	vouch_anchors_clear(&bad);
	X509_free(root);
	X509_free(notca);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

/* ---- who a CA-issued leaf is: identity, pin, anchor file, revocation ids ---- */

/* Authenticate b (chain only) and return the cause, filling *who. */
static enum vouch_cause who_of(const json_t *b, const struct vouch_anchors *a,
			       struct vouch_cert_signer *who, char *err, size_t errlen)
{
	struct vouch_key *key = NULL;
	int64_t t = 0;
	enum vouch_cause rc;

	err[0] = '\0';
	rc = vouch_interop_authenticate_signer(b, (const uint8_t *)"x", 1, (const uint8_t *)"y", 1,
					       a, &key, &t, who, err, errlen);
	vouch_key_free(key);
	return rc;
}

static void expect_who(const char *what, X509 *leaf, const struct vouch_anchors *a,
		       enum vouch_cause want, const char *identity, bool dn)
{
	struct vouch_cert_signer who;
	char err[512];
	json_t *b = chain_bundle(&leaf, 1);
	enum vouch_cause rc = who_of(b, a, &who, err, sizeof(err));

	CHECK(rc == want, "%s: cause %s, want %s (%s)", what, vouch_cause_name(rc),
	      vouch_cause_name(want), err);
	if (rc == VOUCH_CAUSE_OK && identity) {
		CHECK(!strcmp(who.identity, identity), "%s: identity '%s', want '%s'", what,
		      who.identity, identity);
		CHECK(who.identity_is_dn == dn && !who.sigstore, "%s: identity kind", what);
	}
	if (rc != VOUCH_CAUSE_OK && want != VOUCH_CAUSE_OK && identity)
		CHECK(strstr(err, identity), "%s: message '%s' lacks '%s'", what, err, identity);
	printf("%-4s %-52s %s: %s\n", rc == want ? "ok" : "BAD", what, vouch_cause_name(rc),
	       rc ? err : who.identity);
	json_decref(b);
}

static void identities(void)
{
	const time_t nb = time(NULL) - 86400, na = time(NULL) + 30 * 86400;
	EVP_PKEY *rk = EVP_EC_gen("P-256"), *lk = EVP_EC_gen("P-256");
	X509 *root, *leaf;
	struct vouch_anchors a;
	struct vouch_cert_signer who;
	char *const pin_cn[] = { "alice" }, *const pin_mail[] = { "*@x.org", "pipeline-?" };
	char err[512];
	json_t *b;
	FILE *f;

	if (!rk || !lk)
		exit(1);
	root = mk_cert("id-root", rk, NULL, NULL, nb - 86400, na + 86400, "critical,CA:TRUE",
		       "critical,keyCertSign", NULL);
	f = fopen("id-root.pem", "w");
	if (!f || !PEM_write_X509(f, root) || fclose(f))
		exit(1);
	vouch_anchors_init(&a);
	/* another CA first: the chain must be placed in the second file */
	CHECK(vouch_anchors_add_ca(&a, "lookalike.pem", err, sizeof(err)) == 0, "%s", err);
	CHECK(vouch_anchors_add_ca(&a, "id-root.pem", err, sizeof(err)) == 0, "%s", err);

	/* No pin: the subject DN. */
	leaf = mk_cert("alice", lk, root, rk, nb, na, NULL, "critical,digitalSignature", "codeSigning");
	expect_who("who: no pin, CN=alice", leaf, &a, VOUCH_CAUSE_OK, "CN=alice", true);
	b = chain_bundle(&leaf, 1);
	CHECK(who_of(b, &a, &who, err, sizeof(err)) == VOUCH_CAUSE_OK, "%s", err);
	CHECK(who.ca_file == 1, "anchor file %zu, want 1", who.ca_file);
	CHECK(who.nrevoke == 4, "%zu revocation ids, want 4 (leaf and root: key id + fingerprint)",
	      who.nrevoke);
	{
		unsigned char md[32];
		unsigned int mdlen;
		char hex[65];

		X509_digest(leaf, EVP_sha256(), md, &mdlen);
		vouch_hex(md, 32, hex);
		CHECK(!strcmp(who.revoke[1], hex), "leaf fingerprint %s, want %s", who.revoke[1], hex);
	}
	json_decref(b);

	/* Pinned by CN. */
	CHECK(vouch_anchors_set_ca_identity(&a, pin_cn, 1, err, sizeof(err)) == 0, "%s", err);
	expect_who("who: pin alice, CN=alice", leaf, &a, VOUCH_CAUSE_OK, "alice", false);
	X509_free(leaf);
	leaf = mk_cert("alice2", lk, root, rk, nb, na, NULL, "critical,digitalSignature", "codeSigning");
	expect_who("who: pin alice, CN=alice2", leaf, &a, VOUCH_CAUSE_UNTRUSTED_KEY, "alice2", false);
	X509_free(leaf);
	/* With a SAN, the CN is no name: CN=alice + SAN a@x.org is a@x.org. */
	leaf = mk_cert("alice", lk, root, rk, nb, na, NULL, "critical,digitalSignature", "codeSigning");
	add_san(leaf, "email:a@x.org", rk);
	expect_who("who: pin alice, CN=alice with SAN a@x.org", leaf, &a, VOUCH_CAUSE_UNTRUSTED_KEY,
		   "a@x.org", false);
	CHECK(vouch_anchors_set_ca_identity(&a, pin_mail, 2, err, sizeof(err)) == 0, "%s", err);
	expect_who("who: pin *@x.org, SAN a@x.org", leaf, &a, VOUCH_CAUSE_OK, "a@x.org", false);
	X509_free(leaf);
	leaf = mk_cert("m", lk, root, rk, nb, na, NULL, "critical,digitalSignature", "codeSigning");
	add_san(leaf, "email:a@x.org.evil.net", rk);
	expect_who("who: pin *@x.org, SAN a@x.org.evil.net", leaf, &a, VOUCH_CAUSE_UNTRUSTED_KEY,
		   "a@x.org.evil.net", false);
	X509_free(leaf);
	leaf = mk_cert("m", lk, root, rk, nb, na, NULL, "critical,digitalSignature", "codeSigning");
	add_san(leaf, "URI:https://ci.example/x, DNS:pipeline-7", rk);
	expect_who("who: pin pipeline-?, second SAN (DNS) matches", leaf, &a, VOUCH_CAUSE_OK,
		   "pipeline-7", false);
	X509_free(leaf);
	/* A SAN with a NUL inside: never matched (a C string would end there). */
	leaf = mk_cert("m", lk, root, rk, nb, na, NULL, "critical,digitalSignature", "codeSigning");
	{
		GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *v = ASN1_IA5STRING_new();

		if (!gens || !g || !v || !ASN1_STRING_set(v, "a@x.org\0.evil.net", 17))
			exit(1);
		GENERAL_NAME_set0_value(g, GEN_EMAIL, v);
		sk_GENERAL_NAME_push(gens, g);
		if (!X509_add1_ext_i2d(leaf, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) ||
		    !X509_sign(leaf, rk, EVP_sha256()))
			exit(1);
		GENERAL_NAMES_free(gens);
	}
	expect_who("who: pin *@x.org, SAN a@x.org<NUL>.evil.net", leaf, &a, VOUCH_CAUSE_UNTRUSTED_KEY,
		   "ca_identity", false);
	X509_free(leaf);

	/* bad globs are refused */
	{
		char *const empty[] = { "" }, *const ctl[] = { "a\nb" };

		CHECK(vouch_anchors_set_ca_identity(&a, empty, 1, err, sizeof(err)) == -EINVAL,
		      "empty glob accepted");
		CHECK(vouch_anchors_set_ca_identity(&a, ctl, 1, err, sizeof(err)) == -EINVAL,
		      "glob with a newline accepted");
	}
	vouch_anchors_clear(&a);
	X509_free(root);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(lk);
}

/* ---- an RFC 3161 timestamp as the chain's time ---- */

static int fixed_time(struct TS_resp_ctx *ctx, void *data, long *sec, long *usec)
{
	(void)ctx;
	*sec = (long)*(const time_t *)data;
	*usec = 0;
	return 1;
}

/* A DER TimeStampResp by tsa over SHA-256(data) at time t, base64. */
static char *mk_token(X509 *tsa, EVP_PKEY *tkey, const char *data, time_t t)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	ASN1_OBJECT *policy = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
	BIO *in = BIO_new(BIO_s_mem());
	unsigned char md[32], *der = NULL;
	TS_RESP *resp;
	char *out;
	int len;

	if (!req || !mi || !alg || !ctx || !policy || !in)
		exit(1);
	SHA256((const unsigned char *)data, strlen(data), md);
	X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL);
	if (!TS_MSG_IMPRINT_set_algo(mi, alg) || !TS_MSG_IMPRINT_set_msg(mi, md, 32) ||
	    !TS_REQ_set_version(req, 1) || !TS_REQ_set_msg_imprint(req, mi) ||
	    !TS_REQ_set_cert_req(req, 1) || !i2d_TS_REQ_bio(in, req) ||
	    !TS_RESP_CTX_set_signer_cert(ctx, tsa) || !TS_RESP_CTX_set_signer_key(ctx, tkey) ||
	    !TS_RESP_CTX_set_def_policy(ctx, policy) || !TS_RESP_CTX_add_md(ctx, EVP_sha256()))
		exit(1);
	TS_RESP_CTX_set_time_cb(ctx, fixed_time, &t);
	resp = TS_RESP_create_response(ctx, in);
	if (!resp || (len = i2d_TS_RESP(resp, &der)) <= 0)
		exit(1);
	out = vouch_b64_encode(der, (size_t)len);
	OPENSSL_free(der);
	TS_RESP_free(resp);
	TS_RESP_CTX_free(ctx);
	TS_REQ_free(req);
	TS_MSG_IMPRINT_free(mi);
	X509_ALGOR_free(alg);
	ASN1_OBJECT_free(policy);
	BIO_free(in);
	return out;
}

static void timestamped_chain(void)
{
	const time_t onb = 978307200, ona = 1009843200;          /* 2001 */
	EVP_PKEY *rk = EVP_EC_gen("P-256"), *lk = EVP_EC_gen("P-256"), *tk = EVP_EC_gen("P-256");
	X509 *root, *leaf, *tsa;
	struct vouch_anchors a;
	char err[512], *tok, *der64;
	unsigned char *der = NULL;
	json_t *r, *b, *tsas;
	FILE *f;
	int len;

	if (!rk || !lk || !tk)
		exit(1);
	root = mk_cert("ts-root", rk, NULL, NULL, onb - 86400, onb + 86400 * 365 * 60,
		       "critical,CA:TRUE", "critical,keyCertSign", NULL);
	leaf = mk_cert("ts-leaf", lk, root, rk, onb, ona, NULL, "critical,digitalSignature", "codeSigning");
	tsa = mk_cert("ts-tsa", tk, NULL, NULL, onb - 86400, onb + 86400 * 365 * 60, NULL,
		      "critical,digitalSignature", "critical,timeStamping");
	f = fopen("ts-root.pem", "w");
	if (!f || !PEM_write_X509(f, root) || fclose(f))
		exit(1);
	/* The production root with this TSA as its only timestamp authority. */
	r = json_load_file(vpath("sigstore-trusted-root.json"), 0, NULL);
	len = i2d_X509(tsa, &der);
	der64 = vouch_b64_encode(der, (size_t)len);
	OPENSSL_free(der);
	tsas = json_pack("[{s:{s:[{s:s}]}, s:{s:s}}]", "certChain", "certificates", "rawBytes", der64,
			 "validFor", "start", "2000-01-01T00:00:00Z");
	free(der64);
	if (!r || !tsas)
		exit(1);
	json_object_set_new(r, "timestampAuthorities", tsas);
	if (json_dump_file(r, "root-own-tsa.json", 0))
		exit(1);
	json_decref(r);
	vouch_anchors_init(&a);
	CHECK(vouch_anchors_add_ca(&a, "ts-root.pem", err, sizeof(err)) == 0, "%s", err);
	CHECK(vouch_anchors_load_sigstore(&a, "root-own-tsa.json", err, sizeof(err)) == 0, "%s", err);

	b = chain_bundle(&leaf, 1);
	expect_auth("ts: expired leaf, no timestamp", b, &a, VOUCH_CAUSE_EXPIRED, "no timestamp", 0);
	/* a token over the signature ("y") inside the leaf's validity */
	tok = mk_token(tsa, tk, "y", onb + 86400);
	json_object_set_new(json_object_get(b, "verificationMaterial"), "timestampVerificationData",
			    json_pack("{s:[{s:s}]}", "rfc3161Timestamps", "signedTimestamp", tok));
	free(tok);
	expect_auth("ts: expired leaf, timestamp while valid", b, &a, VOUCH_CAUSE_OK, NULL, onb + 86400);
	a.ca_check_now = true;
	expect_auth("ts: the same, checked now", b, &a, VOUCH_CAUSE_EXPIRED, "expired", 0);
	a.ca_check_now = false;
	/* the token names a time after the leaf expired */
	tok = mk_token(tsa, tk, "y", ona + 86400);
	json_object_set_new(json_object_get(b, "verificationMaterial"), "timestampVerificationData",
			    json_pack("{s:[{s:s}]}", "rfc3161Timestamps", "signedTimestamp", tok));
	free(tok);
	expect_auth("ts: timestamp after the leaf expired", b, &a, VOUCH_CAUSE_EXPIRED, "expired", 0);
	/* a token over other bytes proves nothing about this signature */
	tok = mk_token(tsa, tk, "z", onb + 86400);
	json_object_set_new(json_object_get(b, "verificationMaterial"), "timestampVerificationData",
			    json_pack("{s:[{s:s}]}", "rfc3161Timestamps", "signedTimestamp", tok));
	free(tok);
	expect_auth("ts: timestamp over another signature", b, &a, VOUCH_CAUSE_BAD_SIGNATURE, "RFC 3161", 0);
	json_decref(b);

	vouch_anchors_clear(&a);
	X509_free(root);
	X509_free(leaf);
	X509_free(tsa);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(tk);
}

/* ---- the log evidence each bundle version requires; the legacy form ---- */

static void bundle_versions(const struct vouch_anchors *ss)
{
	static const char v01[] = "application/vnd.dev.sigstore.bundle+json;version=0.1";
	static const char v02[] = "application/vnd.dev.sigstore.bundle+json;version=0.2";
	json_t *orig = load_bundle("v1.1.0-sigstore"), *b, *vm;
	struct vouch_cert_signer who;
	struct vouch_bundle *pb = NULL;
	struct vouch_key *key = NULL;
	uint8_t *payload, *sig;
	size_t plen, slen;
	char err[512], *text;
	int64_t t;

	b = json_deep_copy(orig);
	json_object_set_new(b, "mediaType", json_string(v01));
	json_object_del(entry0(b), "inclusionPromise");
	json_object_del(entry0(b), "inclusionProof");
	expect("v0.1 relabel, no SET, no proof (TSA time only)", b, ss, false, VOUCH_CAUSE_MALFORMED,
	       "signed entry timestamp");
	json_decref(b);

	b = json_deep_copy(orig);
	json_object_set_new(b, "mediaType", json_string(v01));
	json_object_del(entry0(b), "inclusionPromise");
	expect("v0.1 relabel, no SET, proof kept", b, ss, false, VOUCH_CAUSE_MALFORMED,
	       "signed entry timestamp");
	json_decref(b);

	b = json_deep_copy(orig);
	json_object_set_new(b, "mediaType", json_string(v01));
	json_object_del(entry0(b), "inclusionProof");
	expect("v0.1 relabel, SET kept, no proof (as v0.1 allows)", b, ss, false, VOUCH_CAUSE_OK, NULL);
	json_decref(b);

	b = json_deep_copy(orig);
	json_object_set_new(b, "mediaType", json_string(v02));
	json_object_del(entry0(b), "inclusionProof");
	expect("v0.2, SET kept, no proof", b, ss, false, VOUCH_CAUSE_MALFORMED, "inclusion proof");
	json_decref(b);

	/* The parser admits the four known media types only. */
	b = json_deep_copy(orig);
	json_object_set_new(b, "mediaType",
			    json_string("application/vnd.dev.sigstore.bundle+json;version=0.9"));
	text = json_dumps(b, 0);
	CHECK(vouch_bundle_parse(text, strlen(text), "v09", &pb, err, sizeof(err)) == VOUCH_CAUSE_MALFORMED,
	      "bundle version 0.9 parsed");
	printf("%-4s %-52s %s\n", pb ? "BAD" : "ok", "bundle version 0.9", err);
	vouch_bundle_free(pb);
	pb = NULL;
	free(text);
	json_decref(b);

	/* The older form: the leaf in x509CertificateChain, with a log entry.
	 * Keyless, and labelled so. */
	b = json_deep_copy(orig);
	json_object_set_new(b, "mediaType", json_string(v02));
	vm = json_object_get(b, "verificationMaterial");
	json_object_set_new(vm, "x509CertificateChain",
			    json_pack("{s:[O]}", "certificates", json_object_get(vm, "certificate")));
	json_object_del(vm, "certificate");
	payload = b64(dsse(b, "payload"), &plen);
	sig = b64(dsse(b, "sig"), &slen);
	CHECK(vouch_interop_authenticate_signer(b, payload, plen, sig, slen, ss, &key, &t, &who, err,
						sizeof(err)) == VOUCH_CAUSE_OK, "legacy form: %s", err);
	CHECK(who.sigstore && !strcmp(who.identity, IDENTITY), "legacy form: signer %s%s",
	      who.sigstore ? "sigstore:" : "x509:", who.identity);
	printf("%-4s %-52s %s%s\n", who.sigstore ? "ok" : "BAD", "legacy form is keyless",
	       who.sigstore ? "sigstore:" : "x509:", who.identity);
	vouch_key_free(key);
	free(payload);
	free(sig);
	text = json_dumps(b, 0);
	CHECK(vouch_bundle_parse(text, strlen(text), "legacy", &pb, err, sizeof(err)) == VOUCH_CAUSE_OK &&
	      !strcmp(pb->sigs[0].material, "sigstore"), "legacy form not labelled sigstore: %s", err);
	vouch_bundle_free(pb);
	free(text);
	json_decref(b);
	json_decref(orig);
}

/* ---- one EC key, one id ---- */

static char *pubkey_pem(EVP_PKEY *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	if (!bio || !PEM_write_bio_PUBKEY(bio, k))
		exit(1);
	n = BIO_get_mem_data(bio, &data);
	out = strndup(data, (size_t)n);
	BIO_free(bio);
	return out;
}

static void key_encodings(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256"), *c;
	struct vouch_key *named = NULL, *other = NULL;
	char err[256] = "", *pem;
	int ret;

	if (!k)
		exit(1);
	pem = pubkey_pem(k);
	CHECK(vouch_key_from_pem(pem, strlen(pem), &named, err, sizeof(err)) == 0, "%s", err);
	free(pem);

	c = EVP_PKEY_dup(k);
	if (!c || !EVP_PKEY_set_utf8_string_param(c, OSSL_PKEY_PARAM_EC_ENCODING, "explicit"))
		exit(1);
	pem = pubkey_pem(c);
	ret = vouch_key_from_pem(pem, strlen(pem), &other, err, sizeof(err));
	CHECK(ret == -EINVAL && strstr(err, "explicit"), "explicit-parameter key: %d %s", ret, err);
	printf("%-4s %-52s %s\n", ret ? "ok" : "BAD", "key: explicit curve parameters", err);
	vouch_key_free(other);
	other = NULL;
	free(pem);
	EVP_PKEY_free(c);

	c = EVP_PKEY_dup(k);
	if (!c || !EVP_PKEY_set_utf8_string_param(c, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
						  "compressed"))
		exit(1);
	pem = pubkey_pem(c);
	CHECK(vouch_key_from_pem(pem, strlen(pem), &other, err, sizeof(err)) == 0, "%s", err);
	CHECK(other && named && !strcmp(other->id, named->id) && !strcmp(other->hint, named->hint),
	      "a compressed-point copy has another key id or hint");
	printf("%-4s %-52s %s\n", other && named && !strcmp(other->id, named->id) ? "ok" : "BAD",
	       "key: compressed point, same id and hint", other ? other->id : err);
	vouch_key_free(other);
	free(pem);
	EVP_PKEY_free(c);
	vouch_key_free(named);
	EVP_PKEY_free(k);
}

/* ---- edited trusted roots ---- */

static json_t *root_json(void)
{
	json_t *r = json_load_file(vpath("sigstore-trusted-root.json"), 0, NULL);

	if (!r)
		exit(1);
	return r;
}

/* Load an edited root into a (on top of the policy it has). */
static int load_root(struct vouch_anchors *a, json_t *r, char *err, size_t errlen)
{
	int ret;

	if (json_dump_file(r, "edited-root.json", 0))
		exit(1);
	json_decref(r);
	ret = vouch_anchors_load_sigstore(a, "edited-root.json", err, errlen);
	return ret;
}

static void edited_roots(void)
{
	json_t *b = load_bundle("v1.0.0-sigstore"), *r, *cas;
	struct vouch_anchors a;
	char err[256];

	vouch_anchors_init(&a);
	vouch_anchors_set_policy(&a, IDENTITY, ISSUER, err, sizeof(err));

	r = root_json();
	json_object_set_new(r, "ctlogs", json_array());
	CHECK(load_root(&a, r, err, sizeof(err)) == 0, "%s", err);
	expect("root: no CT logs (SCT)", b, &a, false, VOUCH_CAUSE_BAD_SIGNATURE, "SCT");

	r = root_json();
	cas = json_object_get(r, "certificateAuthorities");
	json_object_set_new(json_object_get(json_array_get(cas, 1), "validFor"), "end",
			    json_string("2023-01-01T00:00:00Z"));
	CHECK(load_root(&a, r, err, sizeof(err)) == 0, "%s", err);
	expect("root: Fulcio CA window ends before signing", b, &a, false, VOUCH_CAUSE_UNTRUSTED_KEY,
	       "no certificate authority");

	r = root_json();
	cas = json_object_get(r, "certificateAuthorities");
	/* the 2021 CA's certificates under the 2022 CA's window */
	json_object_set(json_array_get(cas, 1), "certChain",
			json_object_get(json_array_get(cas, 0), "certChain"));
	CHECK(load_root(&a, r, err, sizeof(err)) == 0, "%s", err);
	expect("root: other Fulcio CA", b, &a, false, VOUCH_CAUSE_UNTRUSTED_KEY, "certificate chain");

	r = root_json();
	json_object_set_new(json_object_get(json_object_get(json_array_get(json_object_get(r, "tlogs"), 0),
							    "publicKey"), "validFor"),
			    "start", json_string("2030-01-01T00:00:00Z"));
	CHECK(load_root(&a, r, err, sizeof(err)) == 0, "%s", err);
	expect("root: Rekor key not yet valid", b, &a, false, VOUCH_CAUSE_UNTRUSTED_KEY, "log key");

	/* the CT log key swapped for Rekor's: SCT signature fails */
	r = root_json();
	json_object_set(json_object_get(json_array_get(json_object_get(r, "ctlogs"), 1), "publicKey"),
			"rawBytes",
			json_object_get(json_object_get(json_array_get(json_object_get(r, "tlogs"), 0),
							"publicKey"), "rawBytes"));
	CHECK(load_root(&a, r, err, sizeof(err)) == 0, "%s", err);
	expect("root: wrong CT log key", b, &a, false, VOUCH_CAUSE_BAD_SIGNATURE, "SCT");

	/* the Rekor key swapped for the CT log's: SET fails */
	r = root_json();
	json_object_set(json_object_get(json_array_get(json_object_get(r, "tlogs"), 0), "publicKey"),
			"rawBytes",
			json_object_get(json_object_get(json_array_get(json_object_get(r, "ctlogs"), 1),
							"publicKey"), "rawBytes"));
	CHECK(load_root(&a, r, err, sizeof(err)) == 0, "%s", err);
	expect("root: wrong Rekor key", b, &a, false, VOUCH_CAUSE_BAD_SIGNATURE, "SET");

	/* broken roots are refused at load time, and the old one stays */
	r = root_json();
	json_object_set_new(json_object_get(json_array_get(json_object_get(r, "tlogs"), 0), "publicKey"),
			    "rawBytes", json_string("AAAA"));
	CHECK(load_root(&a, r, err, sizeof(err)) != 0, "root with a bad key accepted");
	CHECK(strstr(err, "tlogs[0]"), "message '%s' lacks tlogs[0]", err);
	r = root_json();
	json_object_set_new(r, "certificateAuthorities", json_array());
	CHECK(load_root(&a, r, err, sizeof(err)) != 0, "root without CAs accepted");
	r = root_json();
	json_object_set_new(json_object_get(json_array_get(json_object_get(r, "certificateAuthorities"), 0),
					    "validFor"), "start", json_string("yesterday"));
	CHECK(load_root(&a, r, err, sizeof(err)) != 0, "root with a bad time accepted");
	expect("root: previous root kept after failed loads", b, &a, false, VOUCH_CAUSE_BAD_SIGNATURE,
	       "SET");

	vouch_anchors_clear(&a);
	json_decref(b);
}

int main(void)
{
	static const char *const certs[] = {
		"v0.2.0-certificate", "v0.3.1-certificate", "v1.0.0-certificate",
		"v1.0.1-certificate", "v1.1.0-certificate",
	};
	static const char *const sigstore[] = {
		"v0.3.1-sigstore", "v1.0.0-sigstore", "v1.0.1-sigstore", "v1.1.0-sigstore",
	};
	struct vouch_anchors ca, ss, lk, in, none;
	const char *shared = getenv("VOUCH_DATA");
	char err[512];
	json_t *b;
	int ret;

	/* The vectors are part of the repository (tests/data): missing is a
	 * failure, never a skip. */
	if (!shared)
		shared = "tests/data";
	snprintf(vec, sizeof(vec), "%s/oms-vectors", shared);
	if (access(vpath("README.md"), R_OK)) {
		printf("no vectors in %s\n", vec);
		return 1;
	}
	if (vouch_init())
		return 1;
	vouch_anchors_init(&ca);
	vouch_anchors_init(&ss);
	vouch_anchors_init(&lk);
	vouch_anchors_init(&in);
	vouch_anchors_init(&none);

	ret = vouch_anchors_add_ca(&ca, vpath("keys/ca-cert.pem"), err, sizeof(err));
	CHECK(ret == 0, "add_ca: %s", err);
	ret = vouch_anchors_load_sigstore(&ss, vpath("sigstore-trusted-root.json"), err, sizeof(err));
	CHECK(ret == 0, "load_sigstore: %s", err);
	ret = vouch_anchors_set_policy(&ss, IDENTITY, ISSUER, err, sizeof(err));
	CHECK(ret == 0, "set_policy: %s", err);
	make_lookalike("lookalike.pem");
	ret = vouch_anchors_add_ca(&lk, "lookalike.pem", err, sizeof(err));
	CHECK(ret == 0, "add_ca lookalike: %s", err);
	ret = vouch_anchors_add_ca(&in, vpath("keys/int-ca-cert.pem"), err, sizeof(err));
	CHECK(ret == 0, "add_ca intermediate: %s", err);
	if (check_failures)
		CHECK_EXIT();

	/* loaders refuse junk */
	CHECK(vouch_anchors_add_ca(&none, vpath("keys/signing-key-pub.pem"), err, sizeof(err)) != 0,
	      "a public key accepted as a CA file");
	CHECK(vouch_anchors_load_sigstore(&none, vpath("v1.0.0-sigstore/model.sig"), err,
					  sizeof(err)) != 0, "a bundle accepted as a trusted root");
	CHECK(vouch_anchors_add_ca(&none, "/nonexistent", err, sizeof(err)) == -ENOENT,
	      "missing CA file: %s", err);
	vouch_anchors_clear(&none);

	/* a root without the TSA, for the negative below */
	{
		json_t *r = json_load_file(vpath("sigstore-trusted-root.json"), 0, NULL);

		json_object_set_new(r, "timestampAuthorities", json_array());
		json_dump_file(r, "root-no-tsa.json", 0);
		json_decref(r);
	}

	for (size_t i = 0; i < ARRAY_SIZE(certs); i++) {
		bool v02 = !strncmp(certs[i], "v0.2.0", 6);
		char what[128];

		b = load_bundle(certs[i]);
		expect(certs[i], b, &ca, v02, VOUCH_CAUSE_OK, NULL);
		ca.ca_check_now = true;
		snprintf(what, sizeof(what), "%s at now", certs[i]);
		expect(what, b, &ca, v02, VOUCH_CAUSE_OK, NULL);
		ca.ca_check_now = false;
		snprintf(what, sizeof(what), "%s look-alike root CA", certs[i]);
		expect(what, b, &lk, v02, VOUCH_CAUSE_UNTRUSTED_KEY, "certificate chain");
		snprintf(what, sizeof(what), "%s intermediate as the only anchor", certs[i]);
		expect(what, b, &in, v02, VOUCH_CAUSE_UNTRUSTED_KEY, "certificate chain");
		snprintf(what, sizeof(what), "%s no --ca", certs[i]);
		expect(what, b, &none, v02, VOUCH_CAUSE_UNTRUSTED_KEY, "--ca");
		snprintf(what, sizeof(what), "%s sigstore anchors only", certs[i]);
		expect(what, b, &ss, v02, VOUCH_CAUSE_UNTRUSTED_KEY, "--ca");
		/* a flipped signature bit authenticates the chain but fails DSSE */
		{
			json_t *c = json_deep_copy(b);
			bool ok;
			int64_t t;
			enum vouch_cause rc;

			flip_b64(json_array_get(json_object_get(json_object_get(c, "dsseEnvelope"),
								"signatures"), 0), "sig", 9);
			rc = run(c, &ca, v02, &ok, &t, err, sizeof(err));
			CHECK(rc == VOUCH_CAUSE_OK && !ok, "%s: flipped signature bit: cause %s, dsse %d",
			      certs[i], vouch_cause_name(rc), ok);
			printf("%-4s %s flipped signature bit: DSSE %s\n", !ok ? "ok" : "BAD", certs[i],
			       ok ? "verified" : "rejected");
			/* a chain missing its intermediate cannot be built */
			json_array_remove(json_object_get(json_object_get(json_object_get(c,
				"verificationMaterial"), "x509CertificateChain"), "certificates"), 1);
			snprintf(what, sizeof(what), "%s leaf without its intermediate", certs[i]);
			expect(what, c, &ca, v02, VOUCH_CAUSE_UNTRUSTED_KEY, "certificate chain");
			json_decref(c);
		}
		json_decref(b);
	}

	for (size_t i = 0; i < ARRAY_SIZE(sigstore); i++) {
		b = load_bundle(sigstore[i]);
		expect(sigstore[i], b, &ss, false, VOUCH_CAUSE_OK, NULL);
		json_decref(b);
		sigstore_negatives(sigstore[i], &ss);
	}

	generated_pki();
	identities();
	timestamped_chain();
	bundle_versions(&ss);
	key_encodings();
	edited_roots();

	vouch_anchors_clear(&ca);
	vouch_anchors_clear(&ss);
	vouch_anchors_clear(&lk);
	vouch_anchors_clear(&in);
	CHECK_EXIT();
}
