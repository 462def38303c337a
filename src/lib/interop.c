/*
 * interop.c - trust anchors, and bundles signed with an X.509 certificate
 * chain (oms-spec §5).  Sigstore keyless bundles are in interop_sigstore.c.
 *
 * The chain check reproduces model_signing's (pyOpenSSL X509StoreContext):
 * OpenSSL's own path builder, no partial chains (a path must end at a
 * self-signed --ca certificate), issuers matched by name, AKID and signature
 * (X509_check_issued; the reference test PKI issues a CA:TRUE leaf whose
 * subject equals its issuer's, which a name-only builder gets wrong).
 */
#include "interop_i.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

void vouch_anchors_init(struct vouch_anchors *a)
{
	memset(a, 0, sizeof(*a));
}

void vouch_anchors_clear(struct vouch_anchors *a)
{
	X509_STORE_free(a->cas);
	vouch_sigstore_root_free(a->sigstore);
	free(a->identity);
	free(a->issuer);
	vouch_anchors_init(a);
}

int interop_read(const char *path, size_t max, uint8_t **buf, size_t *len,
		 char *err, size_t errlen)
{
	int ret = vouch_read_file(AT_FDCWD, path, max, buf, len, NULL);

	if (ret == -EFBIG)
		return verr(err, errlen, ret, "%s: larger than %zu bytes", path, max);
	if (ret)
		return verr(err, errlen, ret, "%s: %s", path, strerror(-ret));
	return 0;
}

int vouch_anchors_add_ca(struct vouch_anchors *a, const char *pem_path,
			 char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;
	unsigned long e;
	int n = 0, ret;

	ret = interop_read(pem_path, INTEROP_CAFILE_MAX, &buf, &len, err, errlen);
	if (ret)
		return ret;
	ret = -ENOMEM;
	if (!a->cas && !(a->cas = X509_STORE_new()))
		goto out;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (!bio)
		goto out;
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		/* Adding the same anchor twice is harmless (and not an error
		 * in OpenSSL 3), so --ca may repeat a file. */
		if (X509_STORE_add_cert(a->cas, x) != 1) {
			ret = verr(err, errlen, -EINVAL, "%s: cannot add certificate %d", pem_path, n + 1);
			goto out;
		}
		X509_free(x);
		x = NULL;
		n++;
	}
	/* The loop ends on end of input (PEM "no start line") or on a broken
	 * block; only the former is a complete read. */
	e = ERR_peek_last_error();
	if (n == 0 || (e && ERR_GET_REASON(e) != PEM_R_NO_START_LINE)) {
		ret = verr(err, errlen, -EINVAL, "%s: %s", pem_path,
			   n ? "unparsable PEM certificate after the first ones"
			     : "no PEM certificate found");
		goto out;
	}
	ret = 0;
out:
	ERR_clear_error();
	X509_free(x);
	BIO_free(bio);
	free(buf);
	return ret;
}

int vouch_anchors_set_policy(struct vouch_anchors *a, const char *identity,
			     const char *issuer, char *err, size_t errlen)
{
	char *id = NULL, *is = NULL;

	if ((identity && !*identity) || (issuer && !*issuer))
		return verr(err, errlen, -EINVAL, "empty --identity or --issuer");
	if ((identity && !(id = strdup(identity))) || (issuer && !(is = strdup(issuer)))) {
		free(id);
		return verr(err, errlen, -ENOMEM, "out of memory");
	}
	if (id) {
		free(a->identity);
		a->identity = id;
	}
	if (is) {
		free(a->issuer);
		a->issuer = is;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Helpers shared with interop_sigstore.c                                    */

uint8_t *interop_b64(const json_t *s, size_t max, size_t *len)
{
	size_t n;

	if (!json_is_string(s))
		return NULL;
	n = json_string_length(s);
	/* 4 characters per 3 bytes; the +4 leaves room for padding. */
	if (n == 0 || n / 4 * 3 > max + 4)
		return NULL;
	uint8_t *out = vouch_b64_decode(json_string_value(s), n, len);
	if (out && *len > max) {
		free(out);
		return NULL;
	}
	return out;
}

X509 *interop_cert(const json_t *obj)
{
	const unsigned char *p;
	uint8_t *der;
	size_t len;
	X509 *x = NULL;

	der = interop_b64(json_object_get(obj, "rawBytes"), INTEROP_CERT_MAX, &len);
	if (!der)
		return NULL;
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	/* Trailing bytes after the certificate would be unsigned data riding
	 * along: refuse them. */
	if (x && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	free(der);
	ERR_clear_error();
	return x;
}

int64_t interop_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;
	time_t s;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return INT64_MIN;
	s = timegm(&tm);
	if (s == (time_t)-1)
		return INT64_MIN;
	return (int64_t)s;
}

enum vouch_cause interop_x509_cause(int x509_err)
{
	switch (x509_err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return VOUCH_CAUSE_EXPIRED;
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		return VOUCH_CAUSE_MALFORMED;
	default:
		return VOUCH_CAUSE_UNTRUSTED_KEY;
	}
}

enum vouch_cause interop_leaf_key(X509 *leaf, bool ec_only, struct vouch_key **key,
				  const char *what, char *err, size_t errlen)
{
	EVP_PKEY *pk = X509_get_pubkey(leaf);
	char sub[160];

	if (!pk) {
		ERR_clear_error();
		return verr(err, errlen, VOUCH_CAUSE_MALFORMED, "%s: unreadable leaf public key", what);
	}
	/* model_signing accepts only EC keys for certificates (its
	 * _check_supported_ec_key); vouch_key_from_evp would also take Ed25519. */
	if (ec_only && EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC) {
		EVP_PKEY_free(pk);
		return verr(err, errlen, VOUCH_CAUSE_UNSUPPORTED,
			    "%s: leaf key is not ECDSA P-256/384/521", what);
	}
	if (vouch_key_from_evp(pk, key, sub, sizeof(sub)) != 0) {
		EVP_PKEY_free(pk);
		return verr(err, errlen, VOUCH_CAUSE_UNSUPPORTED, "%s: leaf key: %s", what, sub);
	}
	return VOUCH_CAUSE_OK;
}

/* ------------------------------------------------------------------------ */
/* X.509 chain method                                                        */

/* model_signing: keyUsage digitalSignature, or failing that EKU codeSigning.
 * Both extensions must be present for their branch to count: OpenSSL
 * reports an absent extension as "everything allowed". */
static bool leaf_usage_ok(X509 *leaf)
{
	uint32_t flags = X509_get_extension_flags(leaf);

	if ((flags & EXFLAG_KUSAGE) && (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE))
		return true;
	return (flags & EXFLAG_XKUSAGE) && (X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN);
}

static enum vouch_cause authenticate_chain(const json_t *chain, const struct vouch_anchors *a,
					   struct vouch_key **key, int64_t *signed_time,
					   char *err, size_t errlen)
{
	static const char what[] = "certificate chain";
	const json_t *certs = json_object_get(chain, "certificates");
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *ctx = NULL;
	enum vouch_cause rc;
	X509 *leaf = NULL;
	int64_t nb;
	size_t n;

	n = json_array_size(certs);
	if (!json_is_array(certs) || n == 0) {
		rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED, "%s: no certificates", what);
		goto out;
	}
	if (n > INTEROP_CHAIN_MAX) {
		rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED, "%s: %zu certificates (at most %d)",
			  what, n, INTEROP_CHAIN_MAX);
		goto out;
	}
	if (!a || !a->cas) {
		rc = verr(err, errlen, VOUCH_CAUSE_UNTRUSTED_KEY,
			  "%s: signed with an X.509 certificate, but no CA is configured (give --ca FILE)",
			  what);
		goto out;
	}
	rc = VOUCH_CAUSE_IO_ERROR;              /* allocation failures below */
	if (!(untrusted = sk_X509_new_null()) || !(ctx = X509_STORE_CTX_new()))
		goto out;
	for (size_t i = 0; i < n; i++) {
		X509 *x = interop_cert(json_array_get(certs, i));

		if (!x) {
			rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED,
				  "%s: certificate %zu is not base64 DER X.509", what, i);
			goto out;
		}
		if (i == 0) {
			leaf = x;
		} else if (!sk_X509_push(untrusted, x)) {
			X509_free(x);
			goto out;
		}
	}
	nb = interop_asn1_time(X509_get0_notBefore(leaf));
	if (nb == INT64_MIN) {
		rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED, "%s: leaf has an unreadable notBefore", what);
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, a->cas, leaf, untrusted) != 1)
		goto out;
	/* The bundle carries no trusted signing time.  model_signing verifies
	 * at the leaf's notBefore, so an expired chain still verifies; that
	 * is kept by default for interoperability (a deployed model must not
	 * start failing to load the day a certificate expires), and
	 * ca_check_now gives the stricter reading. */
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
				   a->ca_check_now ? time(NULL) : (time_t)nb);
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);

		/* Without partial chains an intermediate alone never suffices:
		 * say so, as it is the usual mistake. */
		bool noroot = e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
			      e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;

		rc = verr(err, errlen, interop_x509_cause(e), "%s: %s (depth %d)%s", what,
			  X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(ctx),
			  noroot ? "; --ca must hold the self-signed root the chain ends at" : "");
		goto out;
	}
	if (!leaf_usage_ok(leaf)) {
		rc = verr(err, errlen, VOUCH_CAUSE_UNTRUSTED_KEY,
			  "%s: leaf has neither keyUsage digitalSignature nor EKU codeSigning", what);
		goto out;
	}
	rc = interop_leaf_key(leaf, true, key, what, err, errlen);
	if (rc == VOUCH_CAUSE_OK)
		*signed_time = nb;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(leaf);
	return rc;
}

enum vouch_cause vouch_interop_authenticate(const json_t *bundle,
					    const uint8_t *payload, size_t payload_len,
					    const uint8_t *sig, size_t siglen,
					    const struct vouch_anchors *a,
					    struct vouch_key **key, int64_t *signed_time,
					    char *err, size_t errlen)
{
	const json_t *vm = json_object_get(bundle, "verificationMaterial");
	const json_t *cert = json_object_get(vm, "certificate");
	const json_t *chain = json_object_get(vm, "x509CertificateChain");
	const json_t *tlog = json_object_get(vm, "tlogEntries");
	enum vouch_cause rc;
	X509 *leaf = NULL;

	*key = NULL;
	*signed_time = 0;
	if (!json_is_object(vm))
		return verr(err, errlen, VOUCH_CAUSE_MALFORMED, "bundle has no verificationMaterial");
	if (cert && chain)
		return verr(err, errlen, VOUCH_CAUSE_MALFORMED,
			    "verificationMaterial has both certificate and x509CertificateChain");
	/* tlogEntries is absent or [] for the certificate method; a chain with
	 * log entries is a Sigstore bundle of media type 0.1/0.2, whose leaf
	 * lives in the chain rather than in "certificate". */
	if (chain && json_array_size(tlog) == 0)
		return authenticate_chain(chain, a, key, signed_time, err, errlen);
	if (!cert && !chain)
		return verr(err, errlen, VOUCH_CAUSE_MALFORMED,
			    "verificationMaterial holds no certificate");
	leaf = interop_cert(cert ? cert : json_array_get(json_object_get(chain, "certificates"), 0));
	if (!leaf)
		return verr(err, errlen, VOUCH_CAUSE_MALFORMED,
			    "sigstore: certificate is not base64 DER X.509");
	rc = interop_sigstore_authenticate(bundle, leaf, payload, payload_len, sig, siglen, a,
					   key, signed_time, err, errlen);
	X509_free(leaf);
	return rc;
}
