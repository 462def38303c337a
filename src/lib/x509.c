/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x509.c - what the two certificate verifiers share (x509_chain.c for
 * chains to a configured CA, sigstore.c for Sigstore keyless): bounded
 * reads of trust files, base64 and DER certificates out of bundle JSON,
 * certificate times, the cause of a chain failure, the leaf's key, and the
 * ids a `revoked` entry may name.  It calls neither verifier.
 */
#include "interop_i.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

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

/* ------------------------------------------------------------------------ */
/* Helpers of both verifiers                                                */

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

void interop_revoke_ids(X509 *x, struct vouch_cert_signer *who)
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int mdlen = 0;
	int len;

	if (who->nrevoke + 2 > ARRAY_SIZE(who->revoke))
		return;
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len > 0 && EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32)
		vouch_hex(md, 32, who->revoke[who->nrevoke++]);
	OPENSSL_free(der);
	if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32)
		vouch_hex(md, 32, who->revoke[who->nrevoke++]);
	ERR_clear_error();
}

