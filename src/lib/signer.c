/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signer.c - signing with a key in hand: Ed25519 in sodium memory (from a
 * vouch secret-key file, keyfile.c, or an Ed25519 PEM), or any private key
 * OpenSSL reads (EC for the reference verifier).  External signers (PKCS#11,
 * a signing command) are signer_ext.c's.
 */
#include "vouch_i.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct ed_priv {
	uint8_t *sk;              /* sodium_malloc, crypto_sign_SECRETKEYBYTES */
};

static int ed_sign(struct vouch_signer *s, const uint8_t *msg, size_t len,
		   uint8_t **sig, size_t *siglen, char *err, size_t errlen)
{
	struct ed_priv *p = s->priv;

	*sig = malloc(crypto_sign_BYTES);
	if (!*sig)
		return -ENOMEM;
	crypto_sign_detached(*sig, NULL, msg, len, p->sk);
	*siglen = crypto_sign_BYTES;
	return 0;
}

static void ed_destroy(struct vouch_signer *s)
{
	struct ed_priv *p = s->priv;

	if (p) {
		sodium_free(p->sk);
		free(p);
	}
}

/* An Ed25519 signer from a 32-byte seed (the caller's, left as it is): the
 * expanded secret key in sodium memory, the public key derived from it. */
static int ed_from_seed(struct vouch_signer *s, const uint8_t *seed, char *err, size_t errlen)
{
	struct ed_priv *priv = calloc(1, sizeof(*priv));
	EVP_PKEY *pkey = NULL;
	uint8_t pk[32];

	if (!priv || !(priv->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES))) {
		free(priv);
		return -ENOMEM;
	}
	crypto_sign_seed_keypair(pk, priv->sk, seed);
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
	if (!pkey || vouch_key_from_evp(pkey, &s->pub, err, errlen)) {
		EVP_PKEY_free(pkey);      /* still ours: vouch_key_from_evp took nothing */
		sodium_free(priv->sk);
		free(priv);
		return -EINVAL;
	}
	s->priv = priv;
	s->sign = ed_sign;
	s->destroy = ed_destroy;
	return 0;
}

static int evp_sign(struct vouch_signer *s, const uint8_t *msg, size_t len,
		    uint8_t **sig, size_t *siglen, char *err, size_t errlen)
{
	EVP_PKEY *pkey = s->priv;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = 0;
	int ret = -EIO;

	*sig = NULL;
	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestSignInit(ctx, NULL, vouch_key_md(s->pub->kind), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &n, msg, len) != 1)
		goto out;
	*sig = malloc(n);
	if (!*sig) {
		ret = -ENOMEM;
		goto out;
	}
	if (EVP_DigestSign(ctx, *sig, &n, msg, len) != 1) {
		free(*sig);
		*sig = NULL;
		goto out;
	}
	*siglen = n;
	ret = 0;
out:
	if (ret)
		verr(err, errlen, ret, "signing failed");
	EVP_MD_CTX_free(ctx);
	return ret;
}

static void evp_destroy(struct vouch_signer *s)
{
	EVP_PKEY_free(s->priv);
}

struct pem_cb_arg {
	const struct vouch_passphrase *pp;
	char *err;
	size_t errlen;
};

static int pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct pem_cb_arg *a = u;
	char *pass = NULL;
	size_t len = 0;

	if (vouch_passphrase_read(a->pp, false, &pass, &len, a->err, a->errlen))
		return -1;
	if (len > (size_t)size)
		len = (size_t)size;
	memcpy(buf, pass, len);
	sodium_free(pass);
	return (int)len;
}

int vouch_signer_load(const char *path, const struct vouch_passphrase *pp,
		      struct vouch_signer **out, char *err, size_t errlen)
{
	struct vouch_signer *s = calloc(1, sizeof(*s));
	struct pem_cb_arg cb = { pp, err, errlen };
	EVP_PKEY *pkey = NULL;
	char *text = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int ret;

	if (!s)
		return -ENOMEM;
	ret = vouch_sk_read(path, &text, &len);
	if (ret) {
		verr(err, errlen, ret, "%s: %s", path,
		     ret == -EINVAL ? "not a regular key file" : strerror(-ret));
		goto out;
	}
	if (vouch_sk_armored(text)) {
		uint8_t *seed = NULL;

		ret = vouch_sk_open(path, text, len, pp, &seed, err, errlen);
		if (!ret) {
			ret = ed_from_seed(s, seed, err, errlen);
			sodium_free(seed);
		}
		goto out;
	}
	/* Otherwise a PEM private key OpenSSL understands (EC for the reference
	 * verifier, or Ed25519). */
	if (err && errlen)
		err[0] = '\0';
	bio = BIO_new_mem_buf(text, (int)len);
	pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, &cb) : NULL;
	if (!pkey) {
		ret = -EINVAL;
		if (!err || !err[0])
			verr(err, errlen, ret, "%s: not a vouch secret key or a PEM private key", path);
		goto out;
	}
	{
		EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		EVP_PKEY *pub;
		int pair = chk ? EVP_PKEY_pairwise_check(chk) : 0;

		EVP_PKEY_CTX_free(chk);
		/* A key file whose public part is not its private key's would
		 * sign under one key id and claim another. */
		if (pair != 1) {
			ret = verr(err, errlen, -EINVAL, "%s: its public key does not belong to its "
				   "private key", path);
			goto out;
		}
		pub = EVP_PKEY_dup(pkey);

		/* vouch_key_from_evp only reads public parts; give it its own copy. */
		ret = pub ? vouch_key_from_evp(pub, &s->pub, err, errlen) : -ENOMEM;
		if (ret) {
			EVP_PKEY_free(pub);
			goto out;
		}
	}
	if (s->pub->kind == VOUCH_KEY_ED25519) {
		/* Move the secret into sodium memory and drop OpenSSL's copy. */
		uint8_t *seed = sodium_malloc(32);
		size_t sl = 32;

		vouch_key_free(s->pub);
		s->pub = NULL;
		ret = !seed || EVP_PKEY_get_raw_private_key(pkey, seed, &sl) != 1 || sl != 32 ?
		      verr(err, errlen, -ENOMEM, "%s: cannot read the Ed25519 key", path) :
		      ed_from_seed(s, seed, err, errlen);
		if (seed)
			sodium_free(seed);
		if (ret)
			goto out;
	} else {
		s->priv = pkey;
		s->sign = evp_sign;
		s->destroy = evp_destroy;
		pkey = NULL;
	}
	ret = 0;
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	if (text)
		sodium_free(text);
	if (ret) {
		vouch_signer_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void vouch_signer_free(struct vouch_signer *s)
{
	if (!s)
		return;
	if (s->destroy)
		s->destroy(s);
	vouch_key_free(s->pub);
	free(s);
}

const struct vouch_key *vouch_signer_key(const struct vouch_signer *s)
{
	return s->pub;
}
