/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vouch_i.h - libvouch's private interfaces, shared between its modules.
 * Nothing here is visible to the front ends (they include only vouch.h).
 */
#ifndef VOUCH_I_H
#define VOUCH_I_H

#include "vouch.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* snprintf into err (if any); always returns `ret` so callers can
 * `return verr(err, errlen, -EINVAL, "%s: ...", path);`. */
int verr(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- keys (key.c) ---- */
enum vouch_key_kind {
	VOUCH_KEY_ED25519 = 1,
	VOUCH_KEY_P256,
	VOUCH_KEY_P384,
	VOUCH_KEY_P521,
};

struct vouch_key {
	enum vouch_key_kind kind;
	EVP_PKEY *pkey;                  /* always set */
	uint8_t   ed[32];                /* raw Ed25519 public key */
	char      id[VOUCH_KEYID_LEN + 1];   /* hex SHA-256(DER SPKI) */
	char      hint[VOUCH_KEYID_LEN + 1]; /* hex SHA-256(canonical PEM) */
};

/* Wrap an OpenSSL public key (takes ownership of pkey on success).  Only
 * Ed25519 and ECDSA P-256/384/521 are accepted. */
int vouch_key_from_evp(EVP_PKEY *pkey, struct vouch_key **out, char *err, size_t errlen);
/* Verify sig over msg: pure Ed25519, or ECDSA (DER) with the curve's hash
 * (P-256: SHA-256, P-384: SHA-384, P-521: SHA-512); hash_override selects
 * another digest for the model_signing v0.2 compatibility path (NULL: none). */
bool vouch_key_verify(const struct vouch_key *k, const uint8_t *msg, size_t len,
		      const uint8_t *sig, size_t siglen, const EVP_MD *hash_override);
/* PEM of the key (canonical SPKI), malloc'd. */
char *vouch_key_pem(const struct vouch_key *k);
/* The digest an ECDSA key of this kind signs with (NULL for Ed25519). */
const EVP_MD *vouch_key_md(enum vouch_key_kind kind);

/* ---- secret-key files (keyfile.c) ---- */
/* Read a secret-key file (regular, not a link, at most 64 KiB) into sodium
 * memory, NUL-terminated; free with sodium_free.  0 or -errno (-EINVAL:
 * not a regular file). */
int vouch_sk_read(const char *path, char **buf, size_t *len);
/* Is text vouch's own armored secret key (else: a PEM OpenSSL may read)? */
bool vouch_sk_armored(const char *text);
/* Open vouch's secret-key file text (asking pp for the passphrase when it
 * is sealed): *seed is the 32-byte Ed25519 seed in sodium memory (free with
 * sodium_free), checked against the public key the file holds.  0, or
 * -errno with err naming path and the cause. */
int vouch_sk_open(const char *path, const char *text, size_t len,
		  const struct vouch_passphrase *pp, uint8_t **seed, char *err, size_t errlen);

/* A signer: sign(msg) -> sig, with its public key.  Backends: Ed25519 secret
 * in sodium memory, an OpenSSL EVP_PKEY (EC PEM, PKCS#11), an external
 * command.  sign() returns 0 or -errno; *sig is malloc'd. */
struct vouch_signer {
	struct vouch_key *pub;
	int  (*sign)(struct vouch_signer *s, const uint8_t *msg, size_t len,
		     uint8_t **sig, size_t *siglen, char *err, size_t errlen);
	void (*destroy)(struct vouch_signer *s);
	void  *priv;
};

/* ---- DSSE / bundle (bundle.c) ---- */
#define VOUCH_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define VOUCH_BUNDLE_MEDIA "application/vnd.dev.sigstore.bundle.v0.3+json"
#define VOUCH_PRED_V1      "https://model_signing/signature/v1.0"
#define VOUCH_PRED_V01     "https://model_signing/Digests/v0.1"
#define VOUCH_STATEMENT_V1 "https://in-toto.io/Statement/v1"

/* PAE(type, payload) = "DSSEv1 <len> <type> <len> <payload>", malloc'd. */
uint8_t *vouch_dsse_pae(const char *type, const uint8_t *payload, size_t len, size_t *outlen);
/* The model_signing 0.2 compatibility encoding (docs/format.md,
 * "model_signing 0.2 compatibility encoding"). */
uint8_t *vouch_dsse_pae_v02(const char *type, const uint8_t *payload, size_t len, size_t *outlen);

/* Base64 (standard, padded) encode; decode accepts standard or URL-safe,
 * padded or not.  Both malloc. */
char    *vouch_b64_encode(const uint8_t *in, size_t len);
uint8_t *vouch_b64_decode(const char *in, size_t inlen, size_t *outlen);

/* Read all of a regular file of at most max bytes (NUL-terminated copy). */
int vouch_read_fd(int fd, size_t max, uint8_t **buf, size_t *len, struct stat *st);
/* The same for the file at dirfd/path (O_NOFOLLOW). */
int vouch_read_file(int dirfd, const char *path, size_t max, uint8_t **buf, size_t *len,
		    struct stat *st);
/* Open NAME inside dirfd for reading, following only root-owned relative
 * symlinks that stay inside the directory (a Kubernetes ConfigMap or Secret
 * volume's `k.pub -> ..data/k.pub`, `..data -> ..TIMESTAMP`) to a root-owned
 * regular file (util.c).  Returns the fd or -errno (-ELOOP, -EPERM: why says
 * which link or file broke the rule). */
int vouch_open_in_dir(int dirfd, const char *name, struct stat *st, char *why, size_t whylen);
/* vouch_read_file through vouch_open_in_dir. */
int vouch_read_file_in(int dirfd, const char *name, size_t max, uint8_t **buf, size_t *len,
		       struct stat *st, char *why, size_t whylen);

/* Write data to path atomically: temp file in the same dir, fsync, rename,
 * fsync dir.  excl: fail with -EEXIST if path exists. */
int vouch_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			    bool excl);
/* Write data to dfd/name atomically with exactly mode (fchmod'ed, whatever
 * the umask): a temp file ".NAME.tmp.PID" beside it (a stale one of this
 * pid removed first), O_EXCL|O_NOFOLLOW, fsync, renameat over whatever is
 * at the name (never followed), then fsync dfd if sync_dir.  0 or -errno;
 * the temp file never stays. */
int vouch_write_at_atomic(int dfd, const char *name, const void *data, size_t len, mode_t mode,
			  bool sync_dir);

/* ---- config (config.c) ---- */
/* Deep copy; dst is overwritten. */
int vouch_config_copy(struct vouch_config *dst, const struct vouch_config *src);
/* A role name (sign-off by role): 1 to 64 of letters, digits, '.', '_', '-'. */
bool vouch_role_name_ok(const char *s);
/* Add the role names of a comma-separated list (spaces trimmed, empty items
 * and repeats skipped) to *list.  -EINVAL if one is not a role name. */
int vouch_roles_parse(const char *v, char ***list, size_t *n);

/* ---- hashing (hash.c) ---- */
struct vouch_hash_job {
	int       fd;
	uint64_t  off, len;      /* len UINT64_MAX: to EOF */
	enum vouch_hash alg;
	uint8_t   digest[64];    /* vouch_hash_len(alg) bytes */
	int       rc;            /* 0, -errno, -ERANGE if the file was short */
};
/* Bytes of a digest of this kind (32 or 64). */
size_t vouch_hash_len(enum vouch_hash h);
/* Run jobs on up to `threads` workers (0: one per core); blocks until all are
 * done.  BLAKE3 jobs fewer than the workers are each split across them
 * (BLAKE3's tree).  Memory: one 1 MiB buffer per worker. */
void vouch_hash_jobs(struct vouch_hash_job *jobs, size_t n, unsigned threads);
unsigned vouch_ncpu(void);

/* ---- paths ---- */
/* Compare model-relative paths the way model_signing sorts them (component-
 * wise), docs/format.md, "Path order". */
int vouch_path_cmp(const char *a, const char *b);
/* A safe model-relative name: non-empty, relative, no "." or ".." component,
 * no empty component, no NUL/control bytes, valid UTF-8. */
bool vouch_path_ok(const char *p);
/* Open relpath beneath dirfd without following any symlink at any level
 * (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS). */
int vouch_openat_beneath(int dirfd, const char *relpath, int flags);
/* Its fallback where openat2 is refused (ENOSYS/EPERM under some seccomp
 * sandboxes): a component-by-component O_NOFOLLOW walk, same results. */
int vouch_openat_beneath_walk(int dirfd, const char *relpath, int flags);

#endif /* VOUCH_I_H */
