/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vouch.h - the whole public API of libvouch.
 *
 * libvouch owns the signature format (OpenSSF Model Signing bundles), keys,
 * hashing, trust policy, the verify decision, the verdict cache and the audit
 * trail.  The front ends (the `vouch` CLI, vouchfs, the LD_PRELOAD shim) are
 * thin layers over it, so that they can never disagree: every allow/deny is
 * made by vouch_verify_fd() or vouch_verify_tree().
 *
 * Conventions: functions return 0 or a negative errno (operational failure),
 * or an enum vouch_cause (verification result).  Where a function can fail
 * for a reason worth telling a person, it takes `char *err, size_t errlen` and
 * writes one line there naming the file and the cause.  Nothing in the library
 * prints to stdout/stderr or exits.
 */
#ifndef VOUCH_H
#define VOUCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The configuration every program reads unless VOUCH_CONFIG (or -c) names
 * another: SYSCONFDIR/vouch/vouch.conf, SYSCONFDIR as given to make. */
#ifndef VOUCH_SYSCONFDIR
#define VOUCH_SYSCONFDIR "/etc"
#endif
#define VOUCH_DEFAULT_CONFIG VOUCH_SYSCONFDIR "/vouch/vouch.conf"
/* `git describe` at build time, else the VERSION file. */
#ifndef VOUCH_VERSION
#define VOUCH_VERSION "unknown"
#endif

/* Budgets for untrusted input.  A model's signature is small (about 100 bytes
 * per resource); anything larger than this is hostile or broken. */
#define VOUCH_SIG_MAX        (16u << 20)
#define VOUCH_MAX_RESOURCES  (1u << 20)
#define VOUCH_KEYID_LEN      64                  /* hex SHA-256 */
/* A bundle's signatures (its own and its cosignatures) and the threshold are
 * bounded by this: the loader reads at most this many. */
#define VOUCH_SIGNERS_MAX    64
#define VOUCH_STR_(x)        #x
#define VOUCH_STR(x)         VOUCH_STR_(x)         /* a number macro as a string literal */
#define VOUCH_SIGNERS_LEN    1024                /* vouch_verdict.signers */
/* Default shard size for vouch's own signatures; see docs/format.md for why. */
#define VOUCH_DEFAULT_SHARD  (64ull << 20)
/* The predicate member that carries vouch's own signed metadata. */
#define VOUCH_META_KEY       "https://vouch.dev/metadata/v1"

/* The outcome of a verification.  Names (vouch_cause_name) are the `cause=`
 * values of the audit record and of CLI messages. */
enum vouch_cause {
	VOUCH_CAUSE_OK = 0,
	VOUCH_CAUSE_NOT_SIGNED,       /* no signature governs the file */
	VOUCH_CAUSE_BAD_SIGNATURE,    /* DSSE signature does not verify */
	VOUCH_CAUSE_UNTRUSTED_KEY,    /* signature by a key we do not trust */
	VOUCH_CAUSE_THRESHOLD,        /* fewer than k trusted signers */
	VOUCH_CAUSE_REVOKED_KEY,
	VOUCH_CAUSE_EXPIRED,          /* past `expires`, or signed in the future */
	VOUCH_CAUSE_ROLLBACK,         /* version below the recorded high-water mark */
	VOUCH_CAUSE_NAME_MISMATCH,    /* signed name differs from the expected one */
	VOUCH_CAUSE_NOT_IN_MANIFEST,  /* file present but not signed (an extra file) */
	VOUCH_CAUSE_MISSING,          /* signed file absent from disk */
	VOUCH_CAUSE_SIZE_MISMATCH,
	VOUCH_CAUSE_HASH_MISMATCH,
	VOUCH_CAUSE_MALFORMED,        /* signature file unparsable or inconsistent */
	VOUCH_CAUSE_SYMLINK,          /* a symlink or non-regular file where a file should be */
	VOUCH_CAUSE_IO_ERROR,
	VOUCH_CAUSE_UNSUPPORTED,      /* a well-formed feature vouch does not implement */
	VOUCH_CAUSE_UNLOCATED,        /* the file opened cannot be tied to the name asked for
				       * (replaced while opening, opened by handle, no path) */
	VOUCH_CAUSE__COUNT
};

const char *vouch_cause_name(enum vouch_cause cause);

/* Initialise the library (libsodium, OpenSSL).  Call once before anything
 * else; safe to call more than once.  Returns 0 or -errno. */
int vouch_init(void);

/* ------------------------------------------------------------------------ */
/* Configuration (/etc/vouch/vouch.conf, INI; see vouch.conf(5)).            */

enum vouch_mode { VOUCH_MODE_ENFORCE = 0, VOUCH_MODE_AUDIT = 1 };

struct vouch_binding {          /* [models] glob = name[, name...] */
	char  *glob;                /* absolute path glob */
	char **names;
	size_t nnames;
	int    line;                /* where it was read, for messages */
};

struct vouch_role_need {        /* role:n in a requirement */
	char    *role;
	unsigned n;                 /* distinct signers holding the role, 1..VOUCH_SIGNERS_MAX */
};

struct vouch_requirement {      /* [vouch] require (glob NULL) or [require] glob = role:n, ... */
	char  *glob;                /* absolute path glob, or NULL: every model */
	struct vouch_role_need *needs;
	size_t nneeds;
	int    line;                /* where it was read, for messages */
};

struct vouch_config {
	char  *path;                /* file it was read from, or NULL */
	enum vouch_mode mode;
	char **protect;             /* absolute protected roots */
	size_t nprotect;
	char  *trust_dir;           /* directory of trusted PEM public keys */
	char **pubkeys;             /* individual trusted key files (CLI -p) */
	size_t npubkeys;
	unsigned threshold;         /* k distinct trusted signers (default 1) */
	char  *state_dir;           /* anti-rollback high-water marks */
	char  *audit_log;           /* optional JSON-lines file */
	bool   audit_failure_deny;  /* audit_failure = deny: no new decision while every
				     * audit sink fails or the record queue is full */
	struct vouch_binding *models;
	size_t nmodels;
	bool   require_binding;
	long   clock_skew;          /* seconds tolerated for signed_at/expires */
	bool   allow_other;         /* vouchfs: serve other users (default; with default_permissions) */
	bool   audit_optional;      /* shim: an audit_log this process cannot open is not fatal */
	bool   state_readonly;      /* check anti-rollback marks but never advance them */
	bool   leases;              /* set by a front end that serves other processes and
				     * ignores SIGIO (vouchd, vouchfs), never read from a file:
				     * hold a read lease on the fd across each decision, so a
				     * file open for writing anywhere is refused (io-error)
				     * instead of verified or served from the cache */
	char **cas;                 /* CA certificates (PEM) anchoring X.509-chain signers */
	size_t ncas;
	char **ca_identity;         /* globs over a CA-issued leaf's SAN (or CN): whom the
				     * CAs may vouch for; none: any leaf, counted by subject */
	size_t nca_identity;
	char  *sigstore_root;       /* Sigstore trusted_root.json for keyless signers */
	char  *sigstore_identity;   /* required certificate SAN (email or URI) */
	char  *sigstore_issuer;     /* required OIDC issuer */
	bool   allow_symlinks;      /* a link under a protected root is checked under its own
				     * name with its target's bytes (default: denied, `symlink`) */
	char  *symlink_root;        /* link targets must resolve inside this (default: the
				     * protected root the link is under) */
	char  *vouchd_socket;       /* the shim asks vouchd here (NULL: it decides itself) */
	bool   receipts;            /* verdicts survive a restart (state_dir/receipts) */
	bool   attest;              /* vouchfs and vouchd append the first verification of each
				     * model per boot to measurement_log, extended into the TPM
				     * (docs/attestation.md) */
	char  *measurement_log;     /* NULL: VOUCH_MEASUREMENT_LOG (with attest) */
	char  *tpm_tcti;            /* the TPM, as a TCTI string tpm2-tools take; NULL: the system's */
	char  *metrics_dir;         /* daemons' metrics sockets (NULL: VOUCH_METRICS_DIR) */
	struct vouch_requirement *require;   /* sign-off by role: every entry that applies
					      * must hold (docs/policy.md) */
	size_t nrequire;
	bool   roles_may_overlap;   /* one signer may fill several role requirements */
	bool   verify_stream;       /* verify = stream: vouchfs checks a sharded file's
				     * shards as they are read (docs/vouchfs.md) */
};

/* Where measurements go when attest = yes and measurement_log is not set:
 * tmpfs, so the log lives exactly as long as the boot it describes. */
#define VOUCH_MEASUREMENT_LOG "/run/vouch/measurements.log"

/* Fill defaults: enforce, threshold 1, clock_skew 300, allow_other, nothing
 * protected. */
void vouch_config_init(struct vouch_config *cfg);

/* Read an INI file into cfg (on top of what is there).  Refuses a file that
 * is not a regular file owned by root (or the caller's euid), or is
 * group/world-writable; path may lead to it through symlinks (at most 40; a
 * Kubernetes ConfigMap mount is a chain of them) when each link is root's
 * (or the caller's) too, and every directory on the way is root's (or the
 * caller's) and not writable by others (unless sticky, or on a read-only
 * mount).  The chain is resolved component by component on pinned fds: no
 * window between the checks and the read.  An unknown section or key, or a
 * bad value, is an error naming file and line.  Returns 0, or -errno with
 * err filled (naming path and the element refused). */
int vouch_config_load(struct vouch_config *cfg, const char *path,
		      char *err, size_t errlen);

/* For a config vouch_config_load refused: add its [vouch] protect roots to
 * cfg->protect, so a front end can fail closed on exactly those.  Read with
 * the same inih calls ("protect: /a" counts as "protect = /a"); every other
 * key, bad value and syntax error is ignored, and so are owner and mode
 * (what it finds can only add denials), but only a regular file is opened.
 * Returns 0, or -errno if the file cannot be read. */
int vouch_config_scrape_protect(const char *path, struct vouch_config *cfg);

/* Release everything owned by cfg and re-initialise it. */
void vouch_config_clear(struct vouch_config *cfg);

/* Add a string to one of the config's lists (pubkeys, protect). */
int vouch_config_add(char ***list, size_t *n, const char *value);

/* ------------------------------------------------------------------------ */
/* Keys.                                                                     */

struct vouch_key;               /* a public key: Ed25519, or ECDSA P-256/384/521 */

/* Load a PEM SubjectPublicKeyInfo.  Returns 0 or -errno (err filled). */
int vouch_key_load(const char *path, struct vouch_key **out,
		   char *err, size_t errlen);
int vouch_key_from_pem(const void *pem, size_t len, struct vouch_key **out,
		       char *err, size_t errlen);
void vouch_key_free(struct vouch_key *key);
/* Hex SHA-256 of the DER SubjectPublicKeyInfo: the key id logs and policy use. */
const char *vouch_key_id(const struct vouch_key *key);
/* "ed25519", "ecdsa-p256", ... */
const char *vouch_key_type(const struct vouch_key *key);
/* The OMS key hint: hex SHA-256 of the canonical PEM (docs/format.md,
 * "Public key and the key hint"). */
const char *vouch_key_hint(const struct vouch_key *key);

/* Where a passphrase comes from: never argv, never the environment. */
struct vouch_passphrase {
	const char *file;           /* read the first line of this file, or */
	int         fd;             /* read from this fd if >= 0, else the terminal */
};

/* Write PREFIX.pub (PEM SPKI) and PREFIX.key (0600, O_EXCL|O_NOFOLLOW).  The
 * secret key is encrypted under the passphrase (Argon2id + XSalsa20-Poly1305)
 * unless pass is NULL.  keyid receives the new key's id. */
int vouch_keygen(const char *prefix, const char *pass, size_t passlen,
		 char keyid[VOUCH_KEYID_LEN + 1], char *err, size_t errlen);

/* Read a passphrase into sodium_malloc'd memory (caller frees with
 * vouch_secret_free).  confirm: ask twice on a terminal. */
int vouch_passphrase_read(const struct vouch_passphrase *pp, bool confirm,
			  char **pass, size_t *len, char *err, size_t errlen);
void vouch_secret_free(void *p, size_t len);

struct vouch_signer;            /* a private key, or a handle to one */

/* Load a signing key: a vouch key file (asks for its passphrase through pp
 * when encrypted), or a PEM EC private key (PKCS#8 or SEC1). */
int vouch_signer_load(const char *path, const struct vouch_passphrase *pp,
		      struct vouch_signer **out, char *err, size_t errlen);

/* A signer whose private key stays on a PKCS#11 token, reached through the
 * OpenSSL "pkcs11" engine (Debian: libengine-pkcs11-openssl).  uri is an RFC
 * 7512 URI naming one private key (pkcs11:token=...;object=...;type=private).
 * module is the PKCS#11 module to load; NULL means the engine's default,
 * p11-kit-proxy.so on Debian, which reaches every module registered with
 * p11-kit (SoftHSM2, OpenSC).  The user PIN is read through pin (a file the
 * user names, or the terminal; sodium memory, wiped once handed to the
 * engine) unless the URI carries pin-value, which the caller should warn is
 * visible to other users in argv.  The public key is taken from the token and
 * must be ECDSA P-256/384/521 or Ed25519 (libp11 0.4.12, Debian 12's engine,
 * cannot use EdDSA keys: use P-256); every signature the token returns is
 * DER ECDSA with the curve's hash over the DSSE PAE and is verified with that
 * public key before it is used.  Returns 0, -EACCES (login refused), -ENOENT
 * (no engine, no such key) or another -errno, with err filled. */
int vouch_signer_pkcs11(const char *uri, const char *module, const struct vouch_passphrase *pin,
			struct vouch_signer **out, char *err, size_t errlen);

/* A signer that runs an external command (how a cloud KMS plugs in):
 * `/bin/sh -c cmd` in its own process group, receiving the exact bytes to
 * sign (the DSSE PAE) on stdin, its stderr passed through.  It must write the
 * signature to stdout, raw or as base64 text (ECDSA as DER or r||s), at most
 * 64 KiB, exit 0 and finish within 60 s (else it is killed).  The public key
 * it signs for is the PEM SubjectPublicKeyInfo at pubkey_pem_path; a returned
 * signature is accepted only if it verifies with that key, so a failing,
 * confused or hijacked command cannot produce a bundle.  No secret passes
 * through vouch.  Returns 0 or -errno with err filled; sign errors name the
 * command. */
int vouch_signer_cmd(const char *cmd, const char *pubkey_pem_path, struct vouch_signer **out,
		     char *err, size_t errlen);
void vouch_signer_free(struct vouch_signer *s);
const struct vouch_key *vouch_signer_key(const struct vouch_signer *s);

/* ------------------------------------------------------------------------ */
/* The signed statement, as parsed from a bundle (not yet trusted unless it
 * came from vouch_verify_*).                                                */

/* The digest of each manifest entry (serialization.hash_type; docs/format.md,
 * "Hash types").  The root digest over the entries is SHA-256 whatever it is. */
enum vouch_hash {
	VOUCH_HASH_SHA256,          /* "sha256": the default (FIPS 180-4) */
	VOUCH_HASH_BLAKE2B,         /* "blake2b": BLAKE2b-512, unkeyed, 64 bytes */
	VOUCH_HASH_BLAKE3,          /* "blake3": 32 bytes; files only (no shards) */
};
/* The hash_type name of h; parse one (false if it names none). */
const char *vouch_hash_name(enum vouch_hash h);
bool vouch_hash_parse(const char *name, enum vouch_hash *h);

struct vouch_resource {
	char    *name;              /* as in the payload: path, or path:start:end */
	char    *path;              /* model-relative path ("." for a single file) */
	uint64_t start, end;        /* shard range; files: 0, UINT64_MAX */
	bool     sharded;
	char    *algorithm;
	uint8_t  digest[64];
	size_t   digest_len;
};

struct vouch_file_meta {
	char    *path;
	uint64_t size;
};

struct vouch_meta {             /* vouch's member of the predicate */
	bool     present;
	char    *name;
	uint64_t version;
	int64_t  signed_at;         /* unix seconds */
	int64_t  expires;           /* 0 = none */
	struct vouch_file_meta *files;  /* sorted by path */
	size_t   nfiles;
};

struct vouch_statement {
	char    *subject_name;
	uint8_t  root[32];
	bool     has_root;
	char    *predicate_type;
	char    *method;            /* "files" | "shards" */
	char    *hash_type;         /* "sha256", "blake2b", "blake3" */
	enum vouch_hash hash;       /* hash_type as a value */
	uint64_t shard_size;
	bool     allow_symlinks;
	char   **ignore_paths;
	size_t   nignore;
	struct vouch_resource *res; /* payload order */
	size_t   nres;
	struct vouch_meta meta;
};

/* How a signature's signer is established, from its verificationMaterial
 * (docs/format.md, "Verification material"). */
enum vouch_sig_kind {
	VOUCH_SIG_KEY,              /* "public-key": a bare public key, by its hint */
	VOUCH_SIG_X509,             /* "x509-chain": a certificate chain to a trusted CA */
	VOUCH_SIG_SIGSTORE,         /* "sigstore": a Fulcio certificate with Rekor entries */
};

struct vouch_signature {        /* one bundle = one DSSE signature */
	char    *source;            /* the file it came from */
	char     hint[VOUCH_KEYID_LEN + 1];
	enum vouch_sig_kind kind;
	const char *material;       /* the kind's name: "public-key", "x509-chain", "sigstore" */
	uint8_t *sig;
	size_t   siglen;
	void    *json;              /* private: the bundle it came from */
};

struct vouch_bundle {
	uint8_t *payload;           /* the exact signed statement bytes */
	size_t   payload_len;
	char    *payload_type;
	struct vouch_signature *sigs;   /* primary first, then cosignatures */
	size_t   nsigs;
	struct vouch_statement st;
	void    *json;              /* private: the parsed bundle */
};

/* Parse a Sigstore bundle (bounded, strict JSON) and its statement.  Does not
 * verify anything.  Returns VOUCH_CAUSE_OK or VOUCH_CAUSE_MALFORMED/UNSUPPORTED
 * with err filled. */
enum vouch_cause vouch_bundle_parse(const void *buf, size_t len, const char *source,
				    struct vouch_bundle **out, char *err, size_t errlen);
/* Read (O_NOFOLLOW, at most VOUCH_SIG_MAX) and parse path relative to dirfd. */
enum vouch_cause vouch_bundle_load(int dirfd, const char *path,
				   struct vouch_bundle **out, char *err, size_t errlen);
void vouch_bundle_free(struct vouch_bundle *b);
/* Append to b the cosignatures in SIGPATH.d/ (beneath dirfd, or AT_FDCWD)
 * whose payload is byte-identical to b's; warn(arg, message) is called for
 * each file there that counts for nothing (not a bundle, another payload). */
void vouch_cosignatures_load(int dirfd, const char *sigpath, struct vouch_bundle *b,
			     void (*warn)(void *arg, const char *msg), void *arg);

/* ------------------------------------------------------------------------ */
/* Signing.                                                                  */

/* A document to attach at signing: type "sbom", "provenance", or any other
 * 1 to 32 of [a-z0-9-] (a model card, a scan result); file, the JSON to copy. */
struct vouch_attach {
	const char *type;
	const char *file;
};

struct vouch_sign_opts {
	const char *name;           /* model name; default: basename of PATH */
	uint64_t    version;        /* default 1; < 2^53 */
	int64_t     signed_at;      /* 0: now, or SOURCE_DATE_EPOCH */
	int64_t     expires;        /* 0: none */
	const char *output;         /* default PATH.sig or PATH/model.sig */
	const char *method;         /* "shards" (default) or "files" */
	enum vouch_hash hash;       /* default sha256; blake3 signs files (no shards) */
	uint64_t    shard_size;     /* default VOUCH_DEFAULT_SHARD */
	bool        allow_symlinks;
	const char *symlink_root;   /* links must resolve inside this (default PATH) */
	unsigned    threads;        /* 0: one per core */
	const struct vouch_attach *attach;  /* documents to carry (docs/provenance.md) */
	size_t      nattach;
};

/* Hash PATH (a file or a directory) and write its signature bundle.  With
 * attach, each document is first checked (bounded, strict JSON; an "sbom"
 * must be CycloneDX 1.5/1.6 or SPDX 2.3, a "provenance" an in-toto
 * statement with SLSA provenance v1 or the bare predicate) and copied to
 * its fixed name, PATH/.vouch/NAME (a single file F: F.vouch/NAME beside
 * it), so a directory's manifest signs it like any file, and the signed
 * metadata lists each one's type, format, name and SHA-256. */
int vouch_sign_path(struct vouch_signer *s, const char *path,
		    const struct vouch_sign_opts *opts, char *err, size_t errlen);

/* Cosign: sign the exact payload of the bundle at sigpath with s and write
 * the cosigner's own bundle (one DSSE signature) to SIGPATH.d/KEYID.sig.
 * The caller must have verified the model against sigpath first.  out_path
 * (may be NULL) receives the path written (malloc'd). */
int vouch_cosign(struct vouch_signer *s, const char *sigpath, char **out_path,
		 char *err, size_t errlen);

/* After SIGPATH was (re)written by vouch_sign_path: remove each bundle in
 * SIGPATH.d/ whose payload is not byte-identical to SIGPATH's.  Such a
 * cosignature signed an earlier version: it can never count again, and
 * leaving it would hide that the cosigners must sign the new one (a model
 * then denied as `threshold`).  Files there that are not bundles are left.
 * removed(arg, file) is called for each file removed (may be NULL).
 * Returns how many were removed, or -errno with err filled. */
int vouch_cosign_prune(const char *sigpath, void (*removed)(void *arg, const char *file),
		       void *arg, char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* SBOMs and queries over what signatures carry (docs/provenance.md).        */

/* A CycloneDX 1.6 document for the model directory dir: its files (the
 * signature, .git paths and .vouch/ left out) as components with SHA-256
 * hashes and, with python (an interpreter to run, found on PATH when it has
 * no '/'), the distributions importlib.metadata reports there as
 * pkg:pypi/NAME@VERSION components.  The interpreter runs isolated (-I),
 * without a shell, stdin /dev/null, at most 16 MiB of output and 60 s.
 * SOURCE_DATE_EPOCH fixes the timestamp.  *json is malloc'd.  0 or -errno
 * with err. */
int vouch_sbom_make(const char *dir, const char *python, char **json, char *err, size_t errlen);

struct vouch_ctx;               /* (Verification, below) */
struct vouch_query;             /* filters and options of one `vouch query` */
int  vouch_query_new(struct vouch_query **out);
void vouch_query_free(struct vouch_query *q);
/* --dep NAME[OP VERSION[,OP VERSION]...] or PURL[OP VERSION...]; repeatable
 * (a model must match every one).  0 or -EINVAL with err. */
int  vouch_query_dep(struct vouch_query *q, const char *spec, char *err, size_t errlen);
/* --cve ID --osv DIR: the OSV records under DIR whose id or aliases are ID.
 * -ENOENT when none is; -EINVAL when one is malformed (err names it). */
int  vouch_query_cve(struct vouch_query *q, const char *id, const char *osv_dir,
		     char *err, size_t errlen);
/* --builder ID (exact), --source PREFIX; --hash (hash every file, as vouch
 * verify does, not only the documents). */
int  vouch_query_builder(struct vouch_query *q, const char *id);
int  vouch_query_source(struct vouch_query *q, const char *prefix);
void vouch_query_hash_all(struct vouch_query *q, bool on);

enum vouch_query_kind {
	VOUCH_QUERY_MATCH,          /* a verified model that matches */
	VOUCH_QUERY_UNVERIFIED,     /* a signed model whose signature or documents do not
				     * verify: its claims are not read */
	VOUCH_QUERY_ERROR,          /* a model (or root) the query could not decide */
};
struct vouch_query_row {
	enum vouch_query_kind kind;
	const char *path;           /* the model: a directory or a single file */
	const char *name;           /* signed name ("" unknown) */
	uint64_t    version;
	const char *signers;        /* key ids (or certificate identities) that counted,
				     * comma-separated */
	enum vouch_cause cause;     /* UNVERIFIED */
	const char *detail;         /* UNVERIFIED, ERROR: why */
	const char *component;      /* the matching component, or NULL (no --dep/--cve) */
	const char *component_version;
	const char *purl;
	const char *advisory;       /* --cve: the OSV record's id */
	const char *builder;        /* the SLSA builder id, if any provenance */
};
typedef void (*vouch_query_fn)(void *arg, const struct vouch_query_row *row);
/* Every signed model under roots (model.sig directories, F.sig sidecars; no
 * symlink followed, at most 32 levels): authenticated and policy-checked
 * with ctx as vouch verify does, its documents hashed against the signed
 * metadata, then filtered.  fn gets one row per (model, matching component),
 * one per unverified model, one per error.  Returns the number of verified
 * models that matched, or -errno; *errors counts ERROR rows. */
int  vouch_query_run(struct vouch_ctx *ctx, struct vouch_query *q, char *const *roots,
		     size_t nroots, vouch_query_fn fn, void *arg, unsigned *errors);

/* ------------------------------------------------------------------------ */
/* Trust store administration (`vouch trust`).                               */

struct vouch_trust_entry {
	char     keyid[VOUCH_KEYID_LEN + 1];
	char     type[16];
	char    *file;
	int64_t  not_before, not_after;   /* 0: unbounded */
	char    *models;                  /* model-name globs it may sign, comma-separated, or NULL */
	char    *roles;                   /* its roles (KEY.ini roles), comma-separated, or NULL */
	bool     revoked;
};

/* List the keys of a trust directory (and revoked ids with no key file). */
int  vouch_trust_list(const char *dir, struct vouch_trust_entry **out, size_t *n,
		      char *err, size_t errlen);
void vouch_trust_list_free(struct vouch_trust_entry *v, size_t n);
/* Copy a PEM public key into dir as KEYID.pem (0644; dir created 0755); with
 * roles (a comma-separated list of role names, or NULL) also KEYID.ini
 * holding `roles = ...`, written first so the key never counts without them. */
int  vouch_trust_add(const char *dir, const char *pubkey, const char *roles,
		     char keyid[VOUCH_KEYID_LEN + 1], char *err, size_t errlen);
/* Append a key id (or the id of a PEM key file) to dir/revoked. */
int  vouch_trust_revoke(const char *dir, const char *key, char keyid[VOUCH_KEYID_LEN + 1],
			char *err, size_t errlen);
/* Remove the key file(s) with this id from dir. */
int  vouch_trust_remove(const char *dir, const char *keyid, char *err, size_t errlen);

/* Where vouchfs pins the source of an in-place mount (a private, read-only
 * bind mount, root only): VOUCH_PIN_DIR/<mount point, escaped as
 * systemd-escape --path does>.  malloc'd, or NULL.  `vouch publish` reaches
 * the backing store of an in-place mount through it. */
#define VOUCH_PIN_DIR "/run/vouchfs"
char *vouch_pin_path(const char *mountpoint);

/* The [models] rule alone, as vouch_verify_* apply it: every binding whose
 * glob matches fullpath (the model directory or a file below it) must allow
 * name, and with require_binding one must match.  VOUCH_CAUSE_OK or
 * VOUCH_CAUSE_NAME_MISMATCH with detail filled.  For `vouch publish`, which
 * checks a staged copy against the path it is about to be served at. */
enum vouch_cause vouch_binding_check(const struct vouch_config *cfg, const char *fullpath,
				     const char *name, char *detail, size_t dl);

/* Anti-rollback state (`vouch state`). */
typedef void (*vouch_state_fn)(void *arg, const char *name, uint64_t version, const char *updated);
int  vouch_state_list(const char *state_dir, vouch_state_fn fn, void *arg, char *err, size_t errlen);
/* Forget the mark for name; logged at LOG_ALERT. */
int  vouch_state_reset(const char *state_dir, const char *name, char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* Verification.                                                             */

struct vouch_ctx;               /* trust, policy, caches, audit sink */

/* Build a verification context from a config: loads trusted keys and opens the
 * audit sink.  Fails (-errno, err filled) rather than run with less protection. */
int  vouch_ctx_new(const struct vouch_config *cfg, struct vouch_ctx **out,
		   char *err, size_t errlen);
void vouch_ctx_free(struct vouch_ctx *ctx);
/* Replace trust and policy atomically (SIGHUP).  On failure the old trust
 * stays in force.  Every cached verdict is decided again at its next open
 * under the new trust, keeping its file's content result (nothing is hashed
 * again because of a reload).  Never waits for a hash in progress. */
int  vouch_ctx_reload(struct vouch_ctx *ctx, const struct vouch_config *cfg,
		      char *err, size_t errlen);
const struct vouch_config *vouch_ctx_config(const struct vouch_ctx *ctx);
/* Drop all cached verdicts and authenticated bundles. */
void vouch_ctx_flush(struct vouch_ctx *ctx);

/* What the caches hold and have done, read at one moment (for a daemon's
 * log line or its metrics). */
struct vouch_stats {
	uint64_t cache_hits;        /* opens answered from the verdict cache */
	uint64_t generation;        /* trust generations: +1 per reload or flush */
	uint64_t marks_raised;      /* anti-rollback marks this context raised */
	size_t   verdicts;          /* verdicts cached */
	size_t   bundles;           /* authenticated signatures cached */
};
void vouch_ctx_stats(struct vouch_ctx *ctx, struct vouch_stats *out);
/* Metrics (metrics.c; docs/operations.md lists them): counted by every
 * context at the verdict record and the cache-hit path.  The text exposition
 * (Prometheus text format 0.0.4), malloc'd into *out: 0 or -errno. */
int  vouch_metrics_text(struct vouch_ctx *ctx, char **out, size_t *len);
/* A reload the front end refused before vouch_ctx_reload saw it (its config
 * did not load): counted as a failed reload. */
void vouch_metrics_reload_refused(struct vouch_ctx *ctx);
/* Serve ctx's metrics on the Unix stream socket DIR/NAME.sock (dir NULL:
 * VOUCH_METRICS_DIR; created 0750 if missing, and refused if not the
 * caller's or writable by others), mode 0600: each connection from root or
 * the caller's uid is sent the text and closed, by a thread of its own that
 * takes no signal.  A socket another live process answers on is not taken
 * over (-EADDRINUSE); one left by a dead process is.  Stop it before the
 * context is freed; stopping removes the socket.  0 or -errno, err filled. */
#define VOUCH_METRICS_DIR "/run/vouch/metrics"
struct vouch_metrics_server;
int  vouch_metrics_serve(struct vouch_ctx *ctx, const char *dir, const char *name,
			 struct vouch_metrics_server **out, char *err, size_t errlen);
void vouch_metrics_server_stop(struct vouch_metrics_server *s);
/* The socket name of the vouchfs instance mounted at mountpoint:
 * "vouchfs@" + the path escaped as systemd-escape --path does (the unit's
 * instance name).  malloc'd, or NULL. */
char *vouch_metrics_name_for_mount(const char *mountpoint);
/* A message (not a verification) to the context's audit sink: syslog, and the
 * JSON log if configured.  priority: a syslog level, e.g. LOG_ERR. */
void vouch_ctx_log(struct vouch_ctx *ctx, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Audit records are delivered by a sender thread (never by the thread that
 * decides).  Wait at most timeout_ms until every record made so far was
 * handed to syslog and the JSON log: a program about to exit.  Freeing the
 * context drains too (at most 3 s). */
void vouch_ctx_drain(struct vouch_ctx *ctx, int timeout_ms);

/* Who asked: goes into the audit record. */
struct vouch_subject {
	pid_t       pid;            /* thread group id; with comm NULL, any thread id */
	uid_t       uid;
	const char *comm;           /* NULL: read from /proc when a record is written
				     * (vouch_proc_identity), so that an open answered
				     * from the cache costs no /proc read */
};

/* A protected root, pinned by a directory fd the caller keeps open. */
struct vouch_root {
	int         fd;
	const char *path;           /* for messages and the audit record */
};

struct vouch_verdict {
	enum vouch_cause cause;
	bool     allow;             /* cause OK, or audit mode */
	bool     cached;            /* answered from the verdict cache */
	bool     reused;            /* decided again after a reload with the file's content
				     * result kept: not hashed again (record: content=kept) */
	struct stat st;             /* the file as verified */
	char     model[128];
	uint64_t version;
	char     keyid[VOUCH_KEYID_LEN + 1];
	char     detail[256];
	/* Every signature seen, and whether it counted, for records and
	 * messages: "FILE=WHO(TRUSTFILE):STATUS, ..." where FILE is model.sig
	 * or model.sig.d/NAME.sig, WHO a key id (or sigstore:/x509: identity)
	 * when the signer is known, else hint:KEYHINT (an untrusted public key
	 * is not in the bundle, only its hint), TRUSTFILE the trust file that
	 * admits it, STATUS counted, same-signer, or the cause it did not
	 * count (untrusted-key, revoked-key, expired, bad-signature, ...).
	 * Cut with "..." when longer. */
	char     signers[VOUCH_SIGNERS_LEN];
};

/* The enforcement entry point.  fd is the already-open file that the caller
 * will serve reads from; relpath is the name that was opened, relative to root->fd (no "..",
 * no leading "/").  Finds the governing signature (the nearest model.sig
 * walking up to the root, else the sidecar relpath.sig), authenticates it,
 * applies policy, and hashes fd with pread (the file offset never moves).
 * Verdicts are cached per (file identity, signature identity); concurrent
 * first opens of one file share one hash job.  Writes the audit record.
 * relpath is the name the client opened (see vouch_verify_open).  The hash
 * runs with no lock held: a reload never waits for it.  Thread-safe.
 * Returns the cause (VOUCH_CAUSE_OK = verified); out->allow says what to do. */
enum vouch_cause vouch_verify_fd(struct vouch_ctx *ctx, const struct vouch_root *root,
				 const char *relpath, int fd,
				 const struct vouch_subject *who,
				 struct vouch_verdict *out);

/* The same, for front ends that know more about the name:
 *   VOUCH_OPEN_FOUND  relpath is where the fd was found (the program asked
 *                     for a name outside every protected root, or for no
 *                     name), not the name it asked for: then no file is
 *                     served unverified as a signature.
 * The name decides (signature, manifest entry, [models] binding, audit
 * path); the fd must be the file at that name, reached without a symlink or
 * through links the policy allows (allow_symlinks, confined to
 * symlink_root), else the cause is `symlink` or `unlocated`.  Signature
 * files (model.sig; X.sig where no model.sig governs it; *.sig directly in
 * P.sig.d/ of such a P.sig) are allowed without a record, only at their own
 * name.  A Hugging Face hub ref (REPO/refs/REF beside REPO/snapshots/, no
 * signature governing it) is allowed only if it names a snapshot whose
 * model.sig authenticates and passes policy. */
#define VOUCH_OPEN_FOUND 1u
/*   VOUCH_OPEN_PROBE  answer only from the verdict cache, without waiting,
 *                     hashing or writing a record: a current cached allow
 *                     returns VOUCH_CAUSE_OK (out->allow); anything else
 *                     returns VOUCH_CAUSE__COUNT and the caller must decide
 *                     in full (vouchd answers repeat opens on its event
 *                     thread this way). */
#define VOUCH_OPEN_PROBE 2u
enum vouch_cause vouch_verify_open(struct vouch_ctx *ctx, const struct vouch_root *root,
				   const char *relpath, int fd, unsigned flags,
				   const struct vouch_subject *who, struct vouch_verdict *out);

/* Verified streaming (verify = stream; docs/vouchfs.md).  The same decision
 * as vouch_verify_open, except that a file whose signature lists shards is
 * not hashed: when the signature, the trust rules, policy, anti-rollback
 * and the size all pass, it is allowed (record: content=streamed) and
 * *stream is a new verifier of its shards, which the caller must consult
 * before it serves any byte (vouch_stream_check) and release.  *stream is
 * NULL when the verdict was decided in full (a cached or receipt verdict, a
 * file signed with one digest for the whole file, a denial). */
struct vouch_stream;
enum vouch_cause vouch_verify_stream(struct vouch_ctx *ctx, const struct vouch_root *root,
				     const char *relpath, int fd, unsigned flags,
				     const struct vouch_subject *who, struct vouch_verdict *out,
				     struct vouch_stream **stream);
/* May the bytes [off, off+len) of the file be served?  Hashes, from fd, each
 * shard in the range not yet checked (once: a concurrent caller waits for
 * it) and compares it with the signed digest.  0: every shard in the range
 * matched.  -EIO: one did not (then every later check fails too, and one
 * deny record names its byte range and the reader, who (comm NULL: read
 * from /proc): cause hash-mismatch), or the file is no longer the version
 * that was opened.  A verifier made in audit mode records a mismatch and
 * returns 0; it is never the same (vouch_stream_same) as one made in
 * enforce mode.  Thread-safe. */
int  vouch_stream_check(struct vouch_stream *s, int fd, uint64_t off, uint64_t len,
			const struct vouch_subject *who);
/* Hash ahead: the first shard not yet checked that starts at or after off
 * and before off + span.  1 with its range in *start, *end once it matched;
 * 0 if there is none (all checked, or being checked); -EIO as above. */
int  vouch_stream_ahead(struct vouch_stream *s, int fd, uint64_t off, uint64_t span,
			uint64_t *start, uint64_t *end);
/* Has a shard been found not to match its signed digest?  Then detail (may
 * be NULL) says which bytes. */
bool vouch_stream_bad(struct vouch_stream *s, char *detail, size_t dl);
/* Is a shard not yet checked (nor being checked) in [off, off + span)? */
bool vouch_stream_pending(struct vouch_stream *s, uint64_t off, uint64_t span);
/* Has every byte of the file been checked and found good? */
bool vouch_stream_complete(const struct vouch_stream *s);
/* Do two verifiers stand for the same signed digests of the same file
 * version (so one may serve for the other)? */
bool vouch_stream_same(const struct vouch_stream *a, const struct vouch_stream *b);
struct vouch_stream *vouch_stream_ref(struct vouch_stream *s);
void vouch_stream_unref(struct vouch_stream *s);

/* A refusal a front end makes itself, before any file can be verified (the
 * shim: a file that cannot be located; vouchfs: a mount on the path): the
 * mode applied (audit mode allows), the standard record written to syslog
 * and the JSON log, counted like any other.  path is absolute (for the
 * record); st may be NULL.  Returns true when the open may go on (audit
 * mode). */
bool vouch_ctx_refuse(struct vouch_ctx *ctx, enum vouch_cause cause, const char *path,
		      const struct stat *st, const struct vouch_subject *who, const char *detail);

/* Open relpath beneath root->fd as the verdict will look at it: no symlink
 * is followed at any level, unless the policy allows symlinks; then links
 * are resolved by hand inside the symlink root (-EXDEV for one that leads
 * out).  For front ends that open the file they serve (vouchfs).  Returns
 * an fd or -errno. */
int vouch_open_name(struct vouch_ctx *ctx, const struct vouch_root *root, const char *relpath,
		    int flags);

struct vouch_verify_opts {
	const char *sigpath;        /* default: PATH.sig or PATH/model.sig */
	const char *expect_name;
	char      **ignore_paths;   /* extra, model-relative */
	size_t      nignore;
	bool        ignore_unsigned;
	bool        allow_symlinks;
	const char *symlink_root;   /* link targets must resolve inside this (default PATH) */
	bool        content_only;   /* check the files against the manifest only: the
				     * signature is NOT authenticated (vouch cosign) */
	bool        record;         /* advance the anti-rollback mark on success */
	unsigned    threads;
	bool        no_hash;        /* signature, policy, and each file's presence and
				     * signed size only: no byte is read or hashed
				     * (vouch scan --no-hash) */
};

/* Called once per problem found by vouch_verify_tree. */
typedef void (*vouch_report_fn)(void *arg, const char *name,
				enum vouch_cause cause, const char *detail);

/* Verify a whole model (file or directory) against its signature: bundle,
 * policy, every resource's digest, no missing and no extra files.  Reports
 * every failure through report and writes one audit record for the decision.
 * Returns the first cause found (VOUCH_CAUSE_OK when everything verified),
 * out may be NULL.  ctx may be NULL only with opts->content_only. */
enum vouch_cause vouch_verify_tree(struct vouch_ctx *ctx, const char *path,
				   const struct vouch_verify_opts *opts,
				   vouch_report_fn report, void *arg,
				   struct vouch_verdict *out);

/* ------------------------------------------------------------------------ */
/* Assessment (`vouch scan`): read-only findings over protected roots.       */

enum vouch_severity {
	VOUCH_SEV_INFO = 0, VOUCH_SEV_LOW, VOUCH_SEV_MEDIUM, VOUCH_SEV_HIGH, VOUCH_SEV_CRITICAL,
};
const char *vouch_severity_name(enum vouch_severity s);
/* "critical" ... "info"; false if s names none. */
bool vouch_severity_parse(const char *s, enum vouch_severity *out);

struct vouch_finding {
	enum vouch_severity severity;
	const char *check;          /* verified, integrity, authenticity, unsigned, binding,
				     * rollback, version, signature-expiring, key-expiring,
				     * key-expired, key-revoked, audit, error */
	const char *subject;        /* a path, or "key:KEYID" */
	const char *root;           /* the protected root it was found under, or NULL */
	enum vouch_cause cause;     /* VOUCH_CAUSE_OK for findings that are not a verdict */
	const char *model;          /* signed (or claimed) name, or "" */
	uint64_t    version;
	const char *signers;        /* as vouch_verdict.signers, or "" */
	const char *detail;
	const char *const *controls;/* NIST SP 800-53 controls it evidences, NULL-terminated
				     * (docs/compliance.md) */
};
typedef void (*vouch_finding_fn)(void *arg, const struct vouch_finding *f);

struct vouch_assess_opts {
	unsigned    warn_days;      /* signature/key expiry horizon (vouch scan: 30) */
	bool        no_hash;        /* signatures and metadata only (vouch_verify_opts.no_hash) */
	unsigned    threads;        /* hashing threads, 0: one per core */
	int64_t     now;            /* 0: the clock */
};

/* Assess each root (absolute or relative paths; a root that is not a
 * directory is an error finding) without changing anything: every model
 * (a directory with model.sig, a file with FILE.sig) is verified as
 * vouch_verify_tree does, never raising an anti-rollback mark; every file no
 * signature governs is reported; after all roots, the trusted keys that
 * signed something scanned are judged (revoked, not_after passed or within
 * warn_days).  Each finding goes to fn once.  Returns how many operational
 * errors were met (unreadable roots or files, check "error"), or -errno
 * with err filled when the scan could not start. */
int vouch_assess(struct vouch_ctx *ctx, char *const *roots, size_t nroots,
	       const struct vouch_assess_opts *opts, vouch_finding_fn fn, void *arg,
	       char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* Attestation (`vouch attest`; docs/attestation.md).                        */

/* Enroll: re-create the attestation key (AK, a primary P-256 signing key in
 * the endorsement hierarchy) of the TPM at tcti (NULL: the system's), read
 * its EK certificate, check that it chains to a certificate in ek_ca (PEM,
 * one or more; NULL: not checked, and info says so), and prove by
 * credential activation against that certificate's key that the AK lives in
 * the same TPM.  *ak_pem: the AK's public key (malloc'd PEM); info: the EK
 * certificate's subject.  0, -EACCES (activation or chain refused), or
 * another -errno, with err filled. */
int vouch_attest_enroll(const char *tcti, const char *ek_ca, char **ak_pem, char *info,
			size_t infolen, char *err, size_t errlen);

/* Quote: the certified register value (TPM2_NV_Certify over nonce) and the
 * measurement log in one JSON document (*json, malloc'd).  cfg gives
 * tpm_tcti and measurement_log.  0 or -errno with err filled. */
int vouch_attest_quote(const struct vouch_config *cfg, const uint8_t *nonce, size_t noncelen,
		       char **json, char *err, size_t errlen);

/* One model a verified quote says the host loaded. */
struct vouch_attested {
	uint64_t    seq;
	const char *time;
	const char *model;
	uint64_t    version;
	const char *digest;         /* "sha256:HEX", the signed statement's subject digest */
	const char *signers[VOUCH_SIGNERS_MAX + 1];   /* key ids, NULL-terminated */
	const char *path;
	const char *anchor;         /* "tpm" (else the quote would not verify) */
};
typedef void (*vouch_attested_fn)(void *arg, const struct vouch_attested *m);

/* Verify a quote document with the enrolled AK (PEM) and the nonce the
 * verifier chose: signature, nonce, the certified NV index, the log replayed
 * to the certified value; each logged model to fn.  Runs anywhere (no TPM).
 * VOUCH_CAUSE_OK, or the cause (malformed, bad-signature, hash-mismatch,
 * name-mismatch) with err filled. */
enum vouch_cause vouch_attest_verify(const char *doc, size_t len, const char *ak_pem, size_t aklen,
				     const uint8_t *nonce, size_t noncelen, vouch_attested_fn fn,
				     void *arg, char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* Locating an open fd: for front ends that see an fd and perhaps the name   */
/* asked for, not a path beneath a pinned root (the shim, vouchd).           */

struct vouch_locator;           /* pinned roots, mount table, hard-link index */

enum vouch_where {
	VOUCH_WHERE_FREE = 0,       /* not under any protected root: let it be */
	VOUCH_WHERE_PROTECTED,      /* under root `root`, at `rel` */
	VOUCH_WHERE_UNKNOWN,        /* its filesystem holds a protected root, but where
				     * it lives cannot be told: fail closed */
};

struct vouch_location {
	enum vouch_where kind;
	bool   blind;               /* no /proc: only the name asked and inode identity served */
	bool   named;               /* rel is the name asked for; false: where the fd was
				     * found (verify with VOUCH_OPEN_FOUND) */
	int    root;                /* index into the roots given to vouch_locator_new */
	struct stat st;             /* the fd, as located */
	char   path[4096];          /* absolute, for records */
	char   rel[4096];           /* relative to the root */
};

/* Pin roots (absolute paths, lexically normalised here; roots that do not
 * exist yet are retried at each mount-table refresh) and read the mount
 * table.  Returns 0 or -errno. */
int  vouch_locator_new(char *const *roots, size_t nroots, struct vouch_locator **out);
void vouch_locator_free(struct vouch_locator *loc);
/* Locate fd.  dirfd/path: the name the program asked for (path NULL: none
 * known, e.g. open_by_handle_at).  opener: the process that opened fd when it
 * is not the caller (vouchd: the pid a fanotify event reports); then fd's
 * mount may belong to another mount namespace, which is read from
 * /proc/OPENER/mountinfo, and where the fd lives decides (named = false);
 * a path given with an opener is used only when it is absolute and the
 * opener shares the caller's mount namespace and root (then named = true).
 * 0: the caller opened it.  Thread-safe. */
void vouch_locate(struct vouch_locator *loc, int dirfd, const char *path, int fd, pid_t opener,
		  struct vouch_location *out);
/* The pinned fd of root r (re-pinned if a program closed or reused the
 * number), or -1; its path as configured and normalised. */
int  vouch_locator_root_fd(struct vouch_locator *loc, size_t r);
const char *vouch_locator_root_path(const struct vouch_locator *loc, size_t r);
/* Around fork (pthread_atfork order): the locator's lock is taken and released. */
void vouch_locator_atfork_prepare(struct vouch_locator *loc);
void vouch_locator_atfork_parent(struct vouch_locator *loc);
void vouch_locator_atfork_child(struct vouch_locator *loc);

/* ------------------------------------------------------------------------ */
/* Asking vouchd (vouchd_socket): a process hands its freshly opened fd and  */
/* the name it asked for to the host's verifier and takes its verdict.       */

#define VOUCH_ASK_NAME_MAX 4096
struct vouch_ask_reply {
	bool     allow;
	enum vouch_cause cause;
	char     detail[256];
};
/* Client: one request on a connected SOCK_SEQPACKET socket (fd passed with
 * SCM_RIGHTS, abs_name the absolute name asked for, or "" when none);
 * waits for the reply.  Returns 0, or -errno (the caller fails closed). */
int vouch_ask(int sock, int fd, const char *abs_name, struct vouch_ask_reply *out);
/* Server: read one request; *fd receives the passed fd (caller closes),
 * name (VOUCH_ASK_NAME_MAX bytes) the name.  Returns 0, -ECONNRESET at
 * end, or -errno (a malformed request: drop the connection). */
int vouch_ask_read(int conn, int *fd, char *name, size_t namelen);
int vouch_ask_send(int conn, const struct vouch_ask_reply *r);

/* ------------------------------------------------------------------------ */
/* Hashing.                                                                  */

/* SHA-256 of [off, off+len) of fd with pread (len UINT64_MAX: to EOF).
 * Returns 0, -errno, or -ERANGE if the file ended early. */
int vouch_hash_fd(int fd, uint64_t off, uint64_t len, uint8_t out[32]);
/* Hash on threads of their own at this nice value (0: off, the default;
 * the caller's thread then hashes too), so that a daemon's hashing yields
 * the CPU at once to the opens and reads it serves meanwhile.  For the
 * daemons (vouchfs, vouchd); never changes the calling thread's priority. */
void vouch_hash_set_nice(int nice);

/* ------------------------------------------------------------------------ */
/* Small helpers the front ends share.                                       */

void vouch_hex(const uint8_t *in, size_t len, char *out /* 2*len+1 */);
/* Do two stats show one version of one file: the same file (device, inode),
 * size, mtime and ctime (to the ns)?  ctime moves on every write, truncate,
 * chmod or utimes (and unlink), and cannot be set back by a user. */
bool vouch_same_version(const struct stat *a, const struct stat *b);
/* Is the file open at fd still the version `was` shows (fstat)?  False if
 * it cannot be stat'ed. */
bool vouch_fd_unchanged(int fd, const struct stat *was);
/* Format an RFC 3339 UTC time; parse one (Z or +hh:mm).  -EINVAL on junk. */
void vouch_time_format(int64_t t, char out[32]);
int  vouch_time_parse(const char *s, int64_t *out);
/* The thread group id and comm of a thread (FUSE reports thread ids). */
int  vouch_proc_identity(pid_t tid, pid_t *tgid, char *comm, size_t commlen);
/* Copy s into out fit to print on a terminal or as one line of a log, for
 * any string nobody vouches for (a file name, anything read from a
 * signature, verified or not): printable ASCII stays, a backslash becomes
 * "\\" and every other byte (newline, ESC and the other controls, DEL, each
 * byte of a non-ASCII character) becomes "\xHH", so the result can neither
 * drive the terminal nor start a line of its own.  out holds cap bytes and
 * ends in NUL (cap > 0); what does not fit is cut before an escape, never
 * inside one (4 * strlen(s) + 1 bytes always suffice).  Thread-safe; returns
 * out. */
char *vouch_escape(const char *s, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* VOUCH_H */
