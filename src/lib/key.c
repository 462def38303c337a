/* SPDX-License-Identifier: Apache-2.0 */
/*
 * key.c - public keys (Ed25519, ECDSA P-256/384/521), key ids and OMS hints,
 * signature checks, key generation, encrypted secret-key files, passphrases
 * and the Ed25519 / OpenSSL signers.
 *
 * Secret material (seeds, expanded secret keys, passphrases, derived keys,
 * plaintext key files) lives only in sodium_malloc'd memory and is wiped on
 * every path; this file never puts a secret on the ordinary heap or stack
 * except the 32-byte derived key, which is wiped before return.
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
#include <termios.h>
#include <unistd.h>

#define SK_MAGIC      "vouchk01"
#define SK_PEM_BEGIN  "-----BEGIN VOUCH PRIVATE KEY-----\n"
#define SK_PEM_END    "-----END VOUCH PRIVATE KEY-----\n"
#define SK_FILE_MAX   (64u << 10)
#define PASS_MAX      1024
/* Bounds on the KDF cost a key file may ask for: a hostile file must not make
 * us allocate gigabytes or spin for minutes. */
#define KDF_OPS_MAX   16
#define KDF_MEM_MAX   (1ull << 30)

enum { SK_PLAIN = 0, SK_ARGON2ID_SECRETBOX = 1 };

/* Layout of the decoded key blob (all integers little-endian). */
struct sk_blob {
	char     magic[8];
	uint8_t  kind;                       /* VOUCH_KEY_ED25519 */
	uint8_t  enc;                        /* SK_* */
	uint8_t  opslimit[8];
	uint8_t  memlimit[8];
	uint8_t  salt[crypto_pwhash_SALTBYTES];
	uint8_t  nonce[crypto_secretbox_NONCEBYTES];
	uint8_t  pk[32];
	uint8_t  seed[32 + crypto_secretbox_MACBYTES];  /* sealed, or plain + zero pad */
} __attribute__((packed));

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

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

	ret = vouch_read_file(AT_FDCWD, path, SK_FILE_MAX, &buf, &len, NULL);
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

static const EVP_MD *curve_md(enum vouch_key_kind kind)
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
	ok = EVP_DigestVerifyInit(ctx, NULL, hash_override ? hash_override : curve_md(k->kind),
				  NULL, k->pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* ------------------------------------------------------------------------ */
/* Passphrases                                                               */

void vouch_secret_free(void *p, size_t len)
{
	(void)len;
	sodium_free(p);           /* sodium_free wipes before releasing */
}

static int read_line_fd(int fd, char *buf, size_t max, size_t *len)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= max)
			return -E2BIG;
		buf[n++] = c;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return 0;
}

static int tty_prompt(const char *prompt, char *buf, size_t max, size_t *len)
{
	struct termios old, quiet;
	int fd, ret;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -ENOTTY;
	if (tcgetattr(fd, &old) < 0) {
		close(fd);
		return -ENOTTY;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0) { /* best effort */ }
	tcsetattr(fd, TCSAFLUSH, &quiet);
	ret = read_line_fd(fd, buf, max, len);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) { /* best effort */ }
	close(fd);
	return ret;
}

int vouch_passphrase_read(const struct vouch_passphrase *pp, bool confirm,
			  char **pass, size_t *len, char *err, size_t errlen)
{
	char *a = sodium_malloc(PASS_MAX), *b = NULL;
	size_t la = 0, lb = 0;
	int fd = -1, ret;

	if (!a)
		return -ENOMEM;
	if (pp && pp->file) {
		fd = open(pp->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			ret = verr(err, errlen, -errno, "%s: %s", pp->file, strerror(errno));
			goto out;
		}
		ret = read_line_fd(fd, a, PASS_MAX, &la);
		close(fd);
		if (ret) {
			verr(err, errlen, ret, "%s: cannot read passphrase: %s", pp->file, strerror(-ret));
			goto out;
		}
	} else if (pp && pp->fd >= 0) {
		ret = read_line_fd(pp->fd, a, PASS_MAX, &la);
		if (ret) {
			verr(err, errlen, ret, "passphrase fd %d: %s", pp->fd, strerror(-ret));
			goto out;
		}
	} else {
		ret = tty_prompt("Passphrase: ", a, PASS_MAX, &la);
		if (ret) {
			verr(err, errlen, ret, "no terminal to ask for a passphrase (use --passphrase-file)");
			goto out;
		}
		if (confirm) {
			b = sodium_malloc(PASS_MAX);
			ret = b ? tty_prompt("Passphrase (again): ", b, PASS_MAX, &lb) : -ENOMEM;
			if (!ret && (la != lb || sodium_memcmp(a, b, la) != 0))
				ret = verr(err, errlen, -EINVAL, "passphrases do not match");
			if (ret)
				goto out;
		}
	}
	if (la == 0) {
		ret = verr(err, errlen, -EINVAL, "empty passphrase (use --no-passphrase for an unencrypted key)");
		goto out;
	}
	*pass = a;
	*len = la;
	a = NULL;
	ret = 0;
out:
	if (a)
		sodium_free(a);
	if (b)
		sodium_free(b);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Key generation and the secret-key file                                    */

static int write_new_file(const char *path, const char *data, size_t len, mode_t mode)
{
	/* O_EXCL|O_NOFOLLOW: never overwrite a key, never write through a link. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	size_t off = 0;
	int ret = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret)
		unlink(path);
	return ret;
}

/* base64 of blob in 64-column PEM armor, into sodium memory. */
static char *armor_blob(const struct sk_blob *blob, size_t *outlen)
{
	size_t b64len = sodium_base64_encoded_len(sizeof(*blob), sodium_base64_VARIANT_ORIGINAL);
	size_t cap = strlen(SK_PEM_BEGIN) + b64len + b64len / 64 + 2 + strlen(SK_PEM_END);
	char *b64 = sodium_malloc(b64len), *out = sodium_malloc(cap), *p;
	size_t n;

	if (!b64 || !out) {
		if (b64)
			sodium_free(b64);
		if (out)
			sodium_free(out);
		return NULL;
	}
	sodium_bin2base64(b64, b64len, (const unsigned char *)blob, sizeof(*blob),
			  sodium_base64_VARIANT_ORIGINAL);
	p = out;
	p += sprintf(p, "%s", SK_PEM_BEGIN);
	n = strlen(b64);
	for (size_t i = 0; i < n; i += 64) {
		size_t l = n - i < 64 ? n - i : 64;
		memcpy(p, b64 + i, l);
		p += l;
		*p++ = '\n';
	}
	p += sprintf(p, "%s", SK_PEM_END);
	*outlen = (size_t)(p - out);
	sodium_free(b64);
	return out;
}

int vouch_keygen(const char *prefix, const char *pass, size_t passlen,
		 char keyid[VOUCH_KEYID_LEN + 1], char *err, size_t errlen)
{
	struct sk_blob *blob = sodium_malloc(sizeof(*blob));
	uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	uint8_t *kek = sodium_malloc(crypto_secretbox_KEYBYTES);
	char *pubpath = NULL, *keypath = NULL, *armored = NULL, *pem = NULL;
	struct vouch_key *pub = NULL;
	EVP_PKEY *pkey = NULL;
	size_t armlen = 0;
	int ret;

	if (!blob || !sk || !kek || asprintf(&pubpath, "%s.pub", prefix) < 0 ||
	    asprintf(&keypath, "%s.key", prefix) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	memset(blob, 0, sizeof(*blob));
	memcpy(blob->magic, SK_MAGIC, 8);
	blob->kind = VOUCH_KEY_ED25519;
	randombytes_buf(blob->seed, 32);
	crypto_sign_seed_keypair(blob->pk, sk, blob->seed);
	if (pass) {
		uint64_t ops = crypto_pwhash_OPSLIMIT_MODERATE, mem = crypto_pwhash_MEMLIMIT_MODERATE;

		blob->enc = SK_ARGON2ID_SECRETBOX;
		put64(blob->opslimit, ops);
		put64(blob->memlimit, mem);
		randombytes_buf(blob->salt, sizeof(blob->salt));
		randombytes_buf(blob->nonce, sizeof(blob->nonce));
		if (crypto_pwhash(kek, crypto_secretbox_KEYBYTES, pass, passlen, blob->salt,
				  ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
			ret = verr(err, errlen, -ENOMEM, "key derivation failed (out of memory?)");
			goto out;
		}
		/* In place: seed (32) -> MAC (16) || ciphertext (32). */
		crypto_secretbox_easy(blob->seed, blob->seed, 32, blob->nonce, kek);
	}
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, blob->pk, 32);
	if (!pkey || vouch_key_from_evp(pkey, &pub, err, errlen)) {
		ret = -EINVAL;
		goto out;
	}
	pkey = NULL;
	pem = vouch_key_pem(pub);
	armored = armor_blob(blob, &armlen);
	if (!pem || !armored) {
		ret = -ENOMEM;
		goto out;
	}
	ret = write_new_file(keypath, armored, armlen, 0600);
	if (ret) {
		verr(err, errlen, ret, "%s: %s", keypath, strerror(-ret));
		goto out;
	}
	ret = write_new_file(pubpath, pem, strlen(pem), 0644);
	if (ret) {
		unlink(keypath);
		verr(err, errlen, ret, "%s: %s", pubpath, strerror(-ret));
		goto out;
	}
	memcpy(keyid, pub->id, VOUCH_KEYID_LEN + 1);
out:
	if (armored)
		sodium_free(armored);
	sodium_free(blob);
	sodium_free(sk);
	sodium_free(kek);
	EVP_PKEY_free(pkey);
	vouch_key_free(pub);
	free(pem);
	free(pubpath);
	free(keypath);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Signers                                                                   */

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
	if (EVP_DigestSignInit(ctx, NULL, curve_md(s->pub->kind), NULL, pkey) != 1 ||
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

/* Read a (possibly plaintext) secret-key file into sodium memory. */
static int read_secret_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	char *b;
	size_t have = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SK_FILE_MAX) {
		close(fd);
		return -EINVAL;
	}
	b = sodium_malloc(SK_FILE_MAX + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, b + have, SK_FILE_MAX - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have == SK_FILE_MAX) {
			ret = -EFBIG;
			break;
		}
	}
	close(fd);
	if (ret) {
		sodium_free(b);
		return ret;
	}
	b[have] = '\0';
	*buf = b;
	*len = have;
	return 0;
}

static int load_vouch_sk(const char *path, char *text, size_t len,
			 const struct vouch_passphrase *pp, struct vouch_signer *s,
			 char *err, size_t errlen)
{
	struct sk_blob *blob = sodium_malloc(sizeof(*blob));
	uint8_t *kek = sodium_malloc(crypto_secretbox_KEYBYTES);
	struct ed_priv *priv = calloc(1, sizeof(*priv));
	uint8_t *seed = sodium_malloc(32), pk[32];
	char *b64 = sodium_malloc(len + 1), *pass = NULL, *p, *end;
	size_t b64n = 0, bin = 0, passlen = 0;
	EVP_PKEY *pkey = NULL;
	int ret = -EINVAL;

	if (!blob || !kek || !priv || !seed || !b64) {
		ret = -ENOMEM;
		goto out;
	}
	priv->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!priv->sk) {
		ret = -ENOMEM;
		goto out;
	}
	p = text + strlen(SK_PEM_BEGIN) - 1;   /* text starts with the BEGIN line */
	end = strstr(p, "-----END VOUCH PRIVATE KEY-----");
	if (!end) {
		verr(err, errlen, -EINVAL, "%s: truncated key file", path);
		goto out;
	}
	for (; p < end; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ')
			b64[b64n++] = *p;
	if (sodium_base642bin((unsigned char *)blob, sizeof(*blob), b64, b64n, NULL, &bin,
			      NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bin != sizeof(*blob) || memcmp(blob->magic, SK_MAGIC, 8) != 0 ||
	    blob->kind != VOUCH_KEY_ED25519) {
		verr(err, errlen, -EINVAL, "%s: not a vouch secret key", path);
		goto out;
	}
	if (blob->enc == SK_ARGON2ID_SECRETBOX) {
		uint64_t ops = get64(blob->opslimit), mem = get64(blob->memlimit);

		if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > KDF_OPS_MAX ||
		    mem < crypto_pwhash_MEMLIMIT_MIN || mem > KDF_MEM_MAX) {
			verr(err, errlen, -EINVAL, "%s: key derivation parameters out of range", path);
			goto out;
		}
		ret = vouch_passphrase_read(pp, false, &pass, &passlen, err, errlen);
		if (ret)
			goto out;
		if (crypto_pwhash(kek, crypto_secretbox_KEYBYTES, pass, passlen, blob->salt,
				  ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
			ret = verr(err, errlen, -ENOMEM, "%s: key derivation failed", path);
			goto out;
		}
		if (crypto_secretbox_open_easy(seed, blob->seed, sizeof(blob->seed),
					       blob->nonce, kek) != 0) {
			ret = verr(err, errlen, -EACCES, "%s: wrong passphrase (or damaged key file)", path);
			goto out;
		}
	} else if (blob->enc == SK_PLAIN) {
		memcpy(seed, blob->seed, 32);
	} else {
		verr(err, errlen, -EINVAL, "%s: unknown key encryption %u", path, blob->enc);
		goto out;
	}
	crypto_sign_seed_keypair(pk, priv->sk, seed);
	if (sodium_memcmp(pk, blob->pk, 32) != 0) {
		ret = verr(err, errlen, -EINVAL, "%s: key file is inconsistent", path);
		goto out;
	}
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
	if (!pkey || vouch_key_from_evp(pkey, &s->pub, err, errlen)) {
		ret = -EINVAL;
		goto out;
	}
	pkey = NULL;
	s->priv = priv;
	s->sign = ed_sign;
	s->destroy = ed_destroy;
	priv = NULL;
	ret = 0;
out:
	if (priv) {
		if (priv->sk)
			sodium_free(priv->sk);
		free(priv);
	}
	if (blob)
		sodium_free(blob);
	if (kek)
		sodium_free(kek);
	if (seed)
		sodium_free(seed);
	if (b64)
		sodium_free(b64);
	if (pass)
		sodium_free(pass);
	EVP_PKEY_free(pkey);
	return ret;
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
	ret = read_secret_file(path, &text, &len);
	if (ret) {
		verr(err, errlen, ret, "%s: %s", path,
		     ret == -EINVAL ? "not a regular key file" : strerror(-ret));
		goto out;
	}
	if (!strncmp(text, SK_PEM_BEGIN, strlen(SK_PEM_BEGIN))) {
		ret = load_vouch_sk(path, text, len, pp, s, err, errlen);
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
		EVP_PKEY *pub = EVP_PKEY_dup(pkey);

		/* vouch_key_from_evp only reads public parts; give it its own copy. */
		ret = pub ? vouch_key_from_evp(pub, &s->pub, err, errlen) : -ENOMEM;
		if (ret) {
			EVP_PKEY_free(pub);
			goto out;
		}
	}
	if (s->pub->kind == VOUCH_KEY_ED25519) {
		/* Move the secret into sodium memory and drop OpenSSL's copy. */
		struct ed_priv *priv = calloc(1, sizeof(*priv));
		uint8_t *seed = sodium_malloc(32), pk[32];
		size_t sl = 32;

		if (!priv || !seed || !(priv->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) ||
		    EVP_PKEY_get_raw_private_key(pkey, seed, &sl) != 1) {
			if (priv && priv->sk)
				sodium_free(priv->sk);
			free(priv);
			if (seed)
				sodium_free(seed);
			ret = -ENOMEM;
			goto out;
		}
		crypto_sign_seed_keypair(pk, priv->sk, seed);
		sodium_free(seed);
		s->priv = priv;
		s->sign = ed_sign;
		s->destroy = ed_destroy;
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
