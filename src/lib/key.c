/* SPDX-License-Identifier: Apache-2.0 */
/*
 * key.c - public keys (Ed25519, ECDSA P-256/384/521): reading them, key ids
 * and OMS hints, and signature checks.  Nothing secret passes through here:
 * secret-key files and passphrases are keyfile.c's, signing is signer.c's.
 */
#include "vouch_i.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A public key file: a PEM of a few hundred bytes. */
#define PUBKEY_FILE_MAX (64u << 10)

/* ------------------------------------------------------------------------ */
/* Public keys                                                               */

static void sha256_hex(const void *data, size_t len, char out[VOUCH_KEYID_LEN + 1])
{
	uint8_t md[32];

	SHA256(data, len, md);
	vouch_hex(md, 32, out);
}

char *vouch_key_pem(const struct vouch_key *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (!bio)
		return NULL;
	if (PEM_write_bio_PUBKEY(bio, k->pkey) == 1) {
		n = BIO_get_mem_data(bio, &data);
		out = malloc((size_t)n + 1);
		if (out) {
			memcpy(out, data, (size_t)n);
			out[n] = '\0';
		}
	}
	BIO_free(bio);
	return out;
}

/* The one encoding a key id is taken from: named curve, uncompressed point.
 * A key read from a file keeps the form it was written in (explicit curve
 * parameters, a compressed point), and i2d_PUBKEY would reproduce that form:
 * the same key would get a second id, which a threshold counts twice and a
 * revocation by the first id misses.  So rebuild the key from its curve name
 * and point.  Importing the point also checks that it lies on the curve. */
static EVP_PKEY *ec_canonical(EVP_PKEY *in, const char *group)
{
	unsigned char *pub = NULL;
	size_t publen;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *out = NULL;
	OSSL_PARAM params[3];

	if (EVP_PKEY_set_utf8_string_param(in, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
					   "uncompressed") != 1)
		return NULL;
	publen = EVP_PKEY_get1_encoded_public_key(in, &pub);
	if (publen < 3 || pub[0] != 0x04 || !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)))
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, publen);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		EVP_PKEY_free(out);
		out = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(pub);
	return out;
}

int vouch_key_from_evp(EVP_PKEY *pkey, struct vouch_key **out, char *err, size_t errlen)
{
	struct vouch_key *k;
	unsigned char *der = NULL;
	char curve[64] = "", enc[32] = "";
	const char *group = NULL;
	EVP_PKEY *canon = NULL;
	char *pem;
	size_t len = 32;
	int dlen;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_ED25519:
		k->kind = VOUCH_KEY_ED25519;
		if (EVP_PKEY_get_raw_public_key(pkey, k->ed, &len) != 1 || len != 32)
			goto bad;
		break;
	case EVP_PKEY_EC:
		/* Explicit parameters name no curve: OpenSSL matches them to one
		 * when it can, but the encoding differs (another id for the same
		 * key), and a key that spells out its curve is one to refuse
		 * rather than to interpret (CVE-2020-0601 was such a key). */
		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof(enc),
						   NULL) && strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP)) {
			free(k);
			return verr(err, errlen, -EINVAL, "EC key with explicit curve parameters refused "
				    "(re-encode it with the named curve: openssl pkey -pubin -in KEY "
				    "-ec_param_enc named_curve -pubout)");
		}
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
						    curve, sizeof(curve), NULL))
			goto bad;
		if (!strcmp(curve, "prime256v1") || !strcmp(curve, "P-256")) {
			k->kind = VOUCH_KEY_P256;
			group = "P-256";
		} else if (!strcmp(curve, "secp384r1") || !strcmp(curve, "P-384")) {
			k->kind = VOUCH_KEY_P384;
			group = "P-384";
		} else if (!strcmp(curve, "secp521r1") || !strcmp(curve, "P-521")) {
			k->kind = VOUCH_KEY_P521;
			group = "P-521";
		} else {
			free(k);
			return verr(err, errlen, -EINVAL, "unsupported EC curve %s (want P-256, P-384 or P-521)", curve);
		}
		/* The id and the OMS hint are over the canonical encoding. */
		canon = ec_canonical(pkey, group);
		if (!canon)
			goto bad;
		break;
	default:
		free(k);
		return verr(err, errlen, -EINVAL, "unsupported key type (want Ed25519 or ECDSA P-256/384/521)");
	}
	k->pkey = canon ? canon : pkey;
	dlen = i2d_PUBKEY(k->pkey, &der);
	if (dlen <= 0)
		goto bad;
	sha256_hex(der, (size_t)dlen, k->id);
	OPENSSL_free(der);
	pem = vouch_key_pem(k);
	if (!pem)
		goto bad;
	sha256_hex(pem, strlen(pem), k->hint);
	free(pem);
	/* Ownership of pkey passes to us on success: the canonical copy
	 * replaces it. */
	if (canon)
		EVP_PKEY_free(pkey);
	*out = k;
	return 0;
bad:
	EVP_PKEY_free(canon);
	free(k);
	ERR_clear_error();
	return verr(err, errlen, -EINVAL, "cannot encode public key");
}

int vouch_key_from_pem(const void *pem, size_t len, struct vouch_key **out,
		       char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey;
	int ret;

	if (!bio)
		return -ENOMEM;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!pkey)
		return verr(err, errlen, -EINVAL, "not a PEM public key (SubjectPublicKeyInfo)");
	ret = vouch_key_from_evp(pkey, out, err, errlen);
	if (ret)
		EVP_PKEY_free(pkey);
	return ret;
}

int vouch_key_load(const char *path, struct vouch_key **out, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len;
	char sub[200];
	int ret;

	ret = vouch_read_file(AT_FDCWD, path, PUBKEY_FILE_MAX, &buf, &len, NULL);
	if (ret)
		return verr(err, errlen, ret, "%s: %s", path, strerror(-ret));
	ret = vouch_key_from_pem(buf, len, out, sub, sizeof(sub));
	free(buf);
	if (ret)
		return verr(err, errlen, ret, "%s: %s", path, sub);
	return 0;
}

void vouch_key_free(struct vouch_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

const char *vouch_key_id(const struct vouch_key *key) { return key->id; }
const char *vouch_key_hint(const struct vouch_key *key) { return key->hint; }

const char *vouch_key_type(const struct vouch_key *key)
{
	switch (key->kind) {
	case VOUCH_KEY_ED25519: return "ed25519";
	case VOUCH_KEY_P256:    return "ecdsa-p256";
	case VOUCH_KEY_P384:    return "ecdsa-p384";
	case VOUCH_KEY_P521:    return "ecdsa-p521";
	}
	return "unknown";
}

const EVP_MD *vouch_key_md(enum vouch_key_kind kind)
{
	switch (kind) {
	case VOUCH_KEY_P256: return EVP_sha256();
	case VOUCH_KEY_P384: return EVP_sha384();
	case VOUCH_KEY_P521: return EVP_sha512();
	default:             return NULL;
	}
}

bool vouch_key_verify(const struct vouch_key *k, const uint8_t *msg, size_t len,
		      const uint8_t *sig, size_t siglen, const EVP_MD *hash_override)
{
	EVP_MD_CTX *ctx;
	bool ok;

	if (k->kind == VOUCH_KEY_ED25519)
		return siglen == crypto_sign_BYTES &&
		       crypto_sign_verify_detached(sig, msg, len, k->ed) == 0;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return false;
	ok = EVP_DigestVerifyInit(ctx, NULL, hash_override ? hash_override : vouch_key_md(k->kind),
				  NULL, k->pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

