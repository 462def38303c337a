/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify_i.h - the verification context and the steps that the fd entry
 * point (verify.c) and whole-model verification (tree.c) share; trust.c
 * authenticates bundles against the trusted keys.
 */
#ifndef VOUCH_VERIFY_I_H
#define VOUCH_VERIFY_I_H

#include "audit_i.h"
#include "interop_i.h"
#include "bundle_i.h"
#include "model_i.h"

/* What identifies a file's content for caching: if any of these changed,
 * the content may have. */
struct vouch_ident {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	/* The cosignature directory beside a signature (zero if none): adding
	 * or removing a cosignature changes its mtime. */
	dev_t ddev;
	ino_t dino;
	struct timespec dmtime, dctime;
	/* Every entry of that directory (name, inode, size, times): a
	 * cosignature rewritten in place does not move the directory's mtime. */
	uint64_t dentries;
};
void vouch_ident_of(const struct stat *st, struct vouch_ident *id);
/* Fill the cosignature-directory part of id for the signature at
 * dirfd/sigpath (beneath dirfd unless it is AT_FDCWD). */
void vouch_ident_cosig(int dirfd, const char *sigpath, struct vouch_ident *id);

/* A trusted key, or (in vouch_trust.ca, key NULL) a trusted CA file: the
 * window, model globs, roles and revocation below apply to every signer it
 * admits. */
struct vouch_trusted {
	struct vouch_key *key;      /* NULL for a CA */
	char    *file;              /* where it came from */
	int64_t  not_before, not_after;   /* 0: unbounded */
	char   **models;            /* model-name globs it may sign; NULL: any */
	size_t   nmodels;
	char   **roles;             /* roles it holds (KEY.ini roles), for sign-off by role */
	size_t   nroles;
	uint64_t role_bits;         /* which of vouch_trust.role_names it holds */
	bool     revoked;
};

struct vouch_trust {
	struct vouch_trusted *v;
	size_t n;
	size_t nkeys;               /* usable (not revoked) keys */
	char **revoked;             /* key ids from the revocation list */
	size_t nrevoked;
	struct vouch_anchors anchors;   /* CA and Sigstore trust for certificate signers */
	bool   have_anchors;
	struct vouch_trusted *ca;   /* one per `ca` file, index = anchors.ca_files' (FILE.ini) */
	size_t nca;
	/* Every role the config requires anywhere (cfg.require), at most 64:
	 * bit i of a role_bits is role_names[i]. */
	char **role_names;
	size_t nrole_names;
};

/* Parse a trust directory's `revoked` file (key ids, '#' comments). */
int vouch_revoked_load(int dirfd, const char *dir, char ***ids, size_t *n, char *err, size_t errlen);

/* An authenticated (or rejected) bundle with its cosignatures. */
struct vouch_auth {
	struct vouch_bundle *b;          /* NULL if it could not be parsed */
	enum vouch_cause cause;          /* of authentication */
	char keyid[VOUCH_KEYID_LEN + 1]; /* first trusted signer */
	unsigned nsigners;               /* distinct trusted keys that signed */
	int64_t until;                   /* the outcome may change at this time: the
					  * earliest horizon of the trust rules that
					  * decided it (trust.c); 0 = never */
	char detail[256];
	char signers[VOUCH_SIGNERS_LEN]; /* every signature seen and whether it counted */
	/* Per counted signer (nsigners of them, in signature order): the roles
	 * it holds (vouch_trust.role_names bits), and where its ":counted" ends
	 * in signers (0: cut off), for vouch_rule_roles. */
	uint64_t signer_roles[VOUCH_SIGNERS_MAX];
	uint16_t signer_note[VOUCH_SIGNERS_MAX];
};
/* Is a result that holds until `until` (0: forever) stale now? */
bool vouch_auth_stale(int64_t until);
/* The trust rule on the bundle's own times (docs/policy.md): refused once
 * `expires` (+ skew) has passed or while `signed_at` is in the future (beyond
 * the skew).  Lowers *until (0: none yet) to the next moment the clock alone
 * could change the outcome.  detail may be NULL. */
enum vouch_cause vouch_rule_bundle_time(const struct vouch_ctx *ctx, const struct vouch_bundle *b,
					int64_t now, int64_t *until, char *detail, size_t dl);
/* The trust rule on sign-off by role (docs/policy.md): every cfg.require
 * entry that applies to fullpath ([vouch] require always, a [require] glob
 * matching the model directory or a file below it) holds for the signers
 * auth counted, each distinct signer filling at most one role unit unless
 * roles_may_overlap.  VOUCH_CAUSE_OK, or VOUCH_CAUSE_THRESHOLD with detail
 * naming each role short ("role compliance: 0 of 1").  note (may be NULL):
 * auth->signers with the role each counted signer fills added
 * (":counted:role=compliance").  No time in it: *until is not touched. */
enum vouch_cause vouch_rule_roles(const struct vouch_ctx *ctx, const struct vouch_auth *auth,
				  const char *fullpath, char *note, size_t notelen,
				  char *detail, size_t dl);

struct ventry;
struct bentry;

struct vouch_ctx {
	struct vouch_config cfg;
	struct vouch_trust *trust;
	struct vouch_audit *audit;
	pthread_rwlock_t rw;             /* read: a verification; write: reload/flush */
	pthread_mutex_t mu;              /* the cache tables below */
	pthread_cond_t done;             /* a pending verdict completed */
	pthread_mutex_t state_mu;        /* anti-rollback read-compare-write */
	struct ventry **vcache;
	size_t nverdicts;
	struct bentry *bcache, *bspill;
	size_t nbundles;
	uint64_t generation;             /* trust reloads (changed under rw held for writing) */
	uint64_t epoch;                  /* anti-rollback marks raised (under mu) */
	uint64_t hits;                   /* verdict cache hits (under mu; vouch_ctx_stats) */
	struct vouch_metrics *metrics;   /* counters (metrics.c): atomics, no lock */
	/* Receipts (receipt.c; used only with cfg.receipts): the store, and the
	 * digest of the trust in force (set with it, under rw held for writing). */
	struct vouch_receipts *receipts;
	uint8_t receipt_trust[32];
};

int  vouch_trust_load(const struct vouch_config *cfg, struct vouch_trust **out,
		      char *err, size_t errlen);
void vouch_trust_free(struct vouch_trust *t);

/* Read, parse and authenticate the signature open at sigfd (and its
 * cosignatures beside it), filling auth.  Never fails: problems are in
 * auth->cause/detail. */
void vouch_authenticate_fd(struct vouch_ctx *ctx, int dirfd, int sigfd, const char *sigpath,
			   struct vouch_auth *auth);
/* Authenticate an already parsed bundle (all its signatures). */
void vouch_authenticate(struct vouch_ctx *ctx, struct vouch_auth *auth);
void vouch_auth_clear(struct vouch_auth *auth);

const char *vouch_model_name(const struct vouch_bundle *b);
enum vouch_cause vouch_policy_check(struct vouch_ctx *ctx, const struct vouch_auth *auth,
				    const char *fullpath, const char *expect_name,
				    char *detail, size_t dl);
enum vouch_cause vouch_file_plan(const struct vouch_bundle *b, const char *name, uint64_t size,
				 const struct vouch_resource *const **res, size_t *nres,
				 char *detail, size_t dl);
enum vouch_cause vouch_file_compare(const struct vouch_resource *const *res, size_t nres,
				    const struct vouch_hash_job *jobs, size_t njobs,
				    char *detail, size_t dl);
/* Anti-rollback (state.c).  check: the recorded high-water mark for name,
 * VOUCH_CAUSE_ROLLBACK if version is below it.  raise: record version if it
 * is higher (atomically); returns 1 if the mark moved, 0, or -errno. */
enum vouch_cause vouch_state_check(struct vouch_ctx *ctx, const char *name, uint64_t version,
				   char *detail, size_t dl);
int vouch_state_raise(struct vouch_ctx *ctx, const char *name, uint64_t version,
		      char *detail, size_t dl);
int vouch_state_dir_check(const struct vouch_config *cfg, char *err, size_t errlen);

void vouch_record(struct vouch_ctx *ctx, const char *path, const struct vouch_verdict *v,
		  const struct vouch_subject *who, double elapsed_ms);
/* attest = yes: measure an allow whose content was verified (measure.c, attest_i.h). */
void vouch_measure(struct vouch_ctx *ctx, const char *path, const struct vouch_verdict *v,
		   const struct vouch_auth *auth, bool content_verified);
/* A streaming verifier for the file v->st (stream.c) whose signed shards are
 * res (in order, tiling the file exactly), or NULL (not sharded, not an
 * exact tiling, no memory): the caller then verifies in full. */
struct vouch_stream *vouch_stream_new(struct vouch_ctx *ctx, const char *path,
				      const struct vouch_verdict *v,
				      const struct vouch_subject *who,
				      const struct vouch_resource *const *res, size_t nres,
				      uint64_t shard_size, enum vouch_hash alg);
/* Cache upkeep (verify.c).  init/free: the tables of a new context, of one
 * no thread uses any more.  The rest with ctx->rw held for writing and
 * ctx->mu held: drop the authenticated bundles (they depend on the trust);
 * drop every verdict too; prune the verdict table. */
int  vouch_caches_init(struct vouch_ctx *ctx);
void vouch_caches_free(struct vouch_ctx *ctx);
void vouch_bcache_clear(struct vouch_ctx *ctx);
void vouch_caches_clear(struct vouch_ctx *ctx);
void caches_prune(struct vouch_ctx *ctx);

/* ---- names (name.c) ---- */
/* Is the fd (st) the file at relpath beneath root, reached without a
 * symlink (*link false), or through links the policy allows, confined to
 * the symlink root (*link true)?  Else SYMLINK (links refused, or leading
 * out), UNLOCATED (another file is at the name now) or IO_ERROR. */
enum vouch_cause vouch_name_locate(const struct vouch_config *cfg, const struct vouch_root *root,
				   const char *relpath, const struct stat *st, bool *link,
				   char *detail, size_t dl);
/* Open relpath beneath root: no symlink followed, unless cfg allows them;
 * then links are resolved inside the symlink root only (-EXDEV if one
 * leads out).  Returns an fd or -errno. */
int  vouch_name_open(const struct vouch_config *cfg, const struct vouch_root *root,
		     const char *relpath, int flags);
/* Resolve rel beneath srfd following relative links by hand, never
 * leaving srfd (-EXDEV), at most 40 links (-ELOOP). */
int  vouch_name_open_confined(int srfd, const char *rel, int flags);
/* A name vouch reads signatures from: model.sig; X.sig where no model.sig
 * governs it; *.sig directly in P.sig.d/ where P.sig is one of these. */
bool vouch_name_is_signature(int rootfd, const char *relpath);
/* A Hugging Face hub ref: REPO/refs/REF with REPO/snapshots/ beside it.
 * Returns REPO (malloc'd, "" at the root) with *ref pointing into relpath,
 * or NULL. */
char *vouch_name_hub_repo(int rootfd, const char *relpath, const char **ref);
/* After a model verified completely: advance its anti-rollback mark.
 * Returns OK, or IO_ERROR if the mark could not be recorded (enforce mode
 * must not run without it).  *raised: the mark moved. */
enum vouch_cause vouch_accept(struct vouch_ctx *ctx, const struct vouch_bundle *b, bool *raised,
			      char *detail, size_t dl);
int vouch_config_validate(const struct vouch_config *cfg, char *err, size_t errlen);

#endif
