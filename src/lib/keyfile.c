/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keyfile.c - secrets at rest and in hand: passphrases (a file, an fd or the
 * terminal, never argv or the environment), key generation, and vouch's
 * secret-key file (an Ed25519 seed, sealed with a key derived from the
 * passphrase by Argon2id, in PEM-like armor; docs/keys.md).
 *
 * Secret material (seeds, expanded secret keys, passphrases, derived keys,
 * plaintext key files) lives only in sodium_malloc'd memory and is wiped on
 * every path.
 */
#include "vouch_i.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int vouch_sk_read(const char *path, char **buf, size_t *len)
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

bool vouch_sk_armored(const char *text)
{
	return !strncmp(text, SK_PEM_BEGIN, strlen(SK_PEM_BEGIN));
}

int vouch_sk_open(const char *path, const char *text, size_t len,
		  const struct vouch_passphrase *pp, uint8_t **seed_out, char *err, size_t errlen)
{
	struct sk_blob *blob = sodium_malloc(sizeof(*blob));
	uint8_t *kek = sodium_malloc(crypto_secretbox_KEYBYTES);
	uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	uint8_t *seed = sodium_malloc(32), pk[32];
	char *b64 = sodium_malloc(len + 1), *pass = NULL;
	const char *p, *end;
	size_t b64n = 0, bin = 0, passlen = 0;
	int ret = -EINVAL;

	if (!blob || !kek || !sk || !seed || !b64) {
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
	crypto_sign_seed_keypair(pk, sk, seed);
	if (sodium_memcmp(pk, blob->pk, 32) != 0) {
		ret = verr(err, errlen, -EINVAL, "%s: key file is inconsistent", path);
		goto out;
	}
	*seed_out = seed;
	seed = NULL;
	ret = 0;
out:
	if (blob)
		sodium_free(blob);
	if (kek)
		sodium_free(kek);
	if (sk)
		sodium_free(sk);
	if (seed)
		sodium_free(seed);
	if (b64)
		sodium_free(b64);
	if (pass)
		sodium_free(pass);
	return ret;
}
