/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify.c - the one place where vouch decides for an open file: discovery of
 * the governing signature, the caches (authenticated bundles, verdicts) and
 * the fd entry point vouch_verify_open().  Its steps, shared with
 * vouch_verify_tree() (tree.c, the CLI):
 *   find the governing signature -> authenticate it (trust.c: signers,
 *   windows, the bundle's times) -> policy (policy.c: name binding,
 *   rollback) -> plan what to hash for the file from the manifest
 *   (policy.c) -> hash -> compare.  The context's life cycle is ctx.c's.
 * Locking: ctx->rw is held for reading by every verification and for writing
 * by reload/flush, so cached bundles and trust never change under a reader.
 * ctx->mu guards the caches' tables; hashing runs with no mutex held.
 */
#include "verify_i.h"
#include "receipt_i.h"
#include "metrics_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define VCACHE_BUCKETS 4096
#define VCACHE_MAX     65536      /* verdicts kept before the table is pruned */
#define BCACHE_MAX     1024       /* authenticated bundles kept */
/* Cosignature files looked at for a signature's identity; a model has a
 * handful (the loader counts at most VOUCH_SIGNERS_MAX signatures). */
#define COSIG_ENTRIES_MAX 1024

struct ventry {
	struct vouch_ident file, sig;
	char    *name;                /* root/relpath: two names of one inode may be signed
				       * differently, and bound differently */
	uint64_t hash;
	bool     done;
	int64_t  until;               /* stale from then on (auth->until) */
	uint64_t gen, epoch;          /* the trust and the marks it was decided under */
	bool     content_known;       /* what the bytes showed against the manifest: */
	enum vouch_cause content;     /* kept across reloads (trust, not files, changed) */
	struct vouch_verdict v;
	/* verify = stream: the allow was given on everything but the bytes;
	 * this verifier (a reference) checks them, for every open it answers.
	 * Until it has checked every shard, it answers only streaming opens. */
	struct vouch_stream *stream;
	struct ventry *next;
};

struct bentry {
	struct vouch_ident sig;
	struct vouch_auth auth;
	struct bentry *next;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

void vouch_ident_of(const struct stat *st, struct vouch_ident *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

void vouch_ident_cosig(int dirfd, const char *sigpath, struct vouch_ident *id)
{
	char *d = NULL;
	struct dirent *de;
	struct stat st;
	unsigned n = 0;
	DIR *dp;
	int fd;

	if (asprintf(&d, "%s.d", sigpath) < 0)
		return;
	fd = dirfd == AT_FDCWD ? open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			       : vouch_openat_beneath(dirfd, d, O_RDONLY | O_DIRECTORY);
	free(d);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0) {
		id->ddev = st.st_dev;
		id->dino = st.st_ino;
		id->dmtime = st.st_mtim;
		id->dctime = st.st_ctim;
	}
	dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		return;
	}
	/* Fold every entry's identity in (order-independent: a sum of per-entry
	 * hashes), so a cosignature rewritten in place, which leaves the
	 * directory's times alone, still changes the signature's identity.
	 * Past a bound, or if an entry cannot be read, the identity is made
	 * unique: never cached, authenticated at every open. */
	id->dentries = 0;
	while ((de = readdir(dp))) {
		struct { ino_t ino; off_t size; struct timespec m, c; } rec;
		uint64_t eh = 0xcbf29ce484222325ull;

		if (de->d_name[0] == '.')
			continue;
		if (++n > COSIG_ENTRIES_MAX || fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			static uint64_t uniq;
			id->dentries = __atomic_add_fetch(&uniq, 1, __ATOMIC_RELAXED) | (1ull << 63);
			break;
		}
		memset(&rec, 0, sizeof(rec));
		rec.ino = st.st_ino;
		rec.size = st.st_size;
		rec.m = st.st_mtim;
		rec.c = st.st_ctim;
		eh = fnv(fnv(eh, de->d_name, strlen(de->d_name)), &rec, sizeof(rec));
		id->dentries += eh & ~(1ull << 63);
	}
	closedir(dp);
}

static bool ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static bool ident_eq(const struct vouch_ident *a, const struct vouch_ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       ts_eq(a->mtime, b->mtime) && ts_eq(a->ctime, b->ctime) &&
	       a->ddev == b->ddev && a->dino == b->dino &&
	       ts_eq(a->dmtime, b->dmtime) && ts_eq(a->dctime, b->dctime) &&
	       a->dentries == b->dentries;
}

/* ------------------------------------------------------------------------ */
/* The enforcement entry point                                               */

/* The signature that governs relpath: the nearest model.sig from its
 * directory up to the root; else its sidecar.  Returns 0 with sigfd open and
 * *name = the file's name inside the bundle, or a cause.  sigfd is an O_PATH
 * descriptor: enough for the signature's identity, which is all a cached
 * verdict needs, and an O_PATH open is no open to fanotify (vouchd would
 * otherwise answer its own worker's signature reads on every decision).
 * The file is opened for reading only to authenticate it (get_auth). */
/* Is the file open at fd (read with pread: the caller's offset stays) a
 * signature bundle vouch can parse?  A file at a signature's name is served
 * unverified only then: renamed or exchanged into that name, a model file
 * or an attacker's bytes would otherwise pass as "a signature" to a reader
 * that asked for another name the front end cannot see (vouchd). */
static bool is_bundle(int fd, const struct stat *st, const char *relpath)
{
	struct vouch_bundle *b = NULL;
	size_t len = st->st_size > 0 ? (size_t)st->st_size : 0, got = 0;
	uint8_t *buf;
	char err[64];
	bool ok;

	if (st->st_size <= 0 || (uint64_t)st->st_size > VOUCH_SIG_MAX || !(buf = malloc(len)))
		return false;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	ok = got == len && vouch_bundle_parse(buf, len, relpath, &b, err, sizeof(err)) == VOUCH_CAUSE_OK;
	vouch_bundle_free(b);
	free(buf);
	return ok;
}

static enum vouch_cause find_signature(int rootfd, const char *relpath, int *sigfd,
				       char **sigpath, char **name, bool *sidecar)
{
	char *dir = strdup(relpath), *cand = NULL;
	enum vouch_cause c = VOUCH_CAUSE_NOT_SIGNED;
	int fd;

	if (!dir)
		return VOUCH_CAUSE_IO_ERROR;
	for (;;) {
		char *slash = strrchr(dir, '/');

		if (slash)
			*slash = '\0';
		else
			dir[0] = '\0';
		free(cand);
		if (asprintf(&cand, "%s%smodel.sig", dir, dir[0] ? "/" : "") < 0) {
			cand = NULL;
			c = VOUCH_CAUSE_IO_ERROR;
			goto out;
		}
		fd = vouch_openat_beneath(rootfd, cand, O_PATH);
		if (fd >= 0) {
			size_t dl = strlen(dir);
			*name = strdup(relpath + (dl ? dl + 1 : 0));
			*sigfd = fd;
			*sigpath = cand;
			*sidecar = false;
			cand = NULL;
			c = *name ? VOUCH_CAUSE_OK : VOUCH_CAUSE_IO_ERROR;
			goto out;
		}
		if (fd == -ELOOP || fd == -EXDEV) {
			c = VOUCH_CAUSE_SYMLINK;   /* a planted link must not hide a bundle */
			goto out;
		}
		if (fd != -ENOENT && fd != -ENOTDIR) {
			c = VOUCH_CAUSE_IO_ERROR;
			goto out;
		}
		if (!dir[0])
			break;
	}
	free(cand);
	if (asprintf(&cand, "%s.sig", relpath) < 0) {
		cand = NULL;
		c = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	fd = vouch_openat_beneath(rootfd, cand, O_PATH);
	if (fd >= 0) {
		*name = strdup(".");
		*sigfd = fd;
		*sigpath = cand;
		*sidecar = true;
		cand = NULL;
		c = VOUCH_CAUSE_OK;
	} else if (fd == -ELOOP || fd == -EXDEV) {
		c = VOUCH_CAUSE_SYMLINK;
	} else if (fd != -ENOENT) {
		c = VOUCH_CAUSE_IO_ERROR;
	}
out:
	free(cand);
	free(dir);
	return c;
}

/* A read lease on fd, held across one decision (cfg.leases).  The kernel
 * grants it only while no one holds the file open for writing (a writable
 * shared mapping counts, after its fd is closed), and breaks it when anyone
 * opens the file for writing meanwhile.  That is what a verdict about the
 * file's bytes needs: stores through a shared mapping change the bytes
 * without changing the file's identity, so a file with a writer cannot be
 * verified, nor served from the cache.  Returns 1 (held), 0 (not possible
 * here: not permitted, not supported; the decision goes on without), or
 * -EBUSY (someone has it open for writing). */
static int lease_take(const struct vouch_ctx *ctx, int fd)
{
	if (!ctx->cfg.leases)
		return 0;
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0)
		return 1;
	return errno == EAGAIN || errno == EBUSY ? -EBUSY : 0;
}

/* Release the lease; false if it was broken (a writer opened the file)
 * while it was held. */
static bool lease_release(int fd)
{
	bool intact = fcntl(fd, F_GETLEASE) == F_RDLCK;

	fcntl(fd, F_SETLEASE, F_UNLCK);
	return intact;
}

/* Still held?  If a writer broke it, the verdict becomes io-error (never
 * cached: an I/O error is not a property of the file) and false. */
static bool lease_intact(const struct vouch_ctx *ctx, int fd, int *leased,
			 struct vouch_verdict *out)
{
	if (!*leased || fcntl(fd, F_GETLEASE) == F_RDLCK)
		return true;
	lease_release(fd);
	*leased = 0;
	out->cause = VOUCH_CAUSE_IO_ERROR;
	out->allow = ctx->cfg.mode == VOUCH_MODE_AUDIT;
	out->cached = false;
	snprintf(out->detail, sizeof(out->detail), "opened for writing while it was verified: "
		 "not served");
	return false;
}

/* The signature at sigfd (O_PATH), opened for reading: through the fd
 * itself where /proc is mounted, else by its name beneath the root; either
 * way it must still be the same inode. */
static int reopen_sig(int rootfd, int sigfd, const char *sigpath)
{
	char proc[64];
	struct stat a, b;
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", sigfd);
	fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		fd = vouch_openat_beneath(rootfd, sigpath, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return fd;
	if (fstat(fd, &a) || fstat(sigfd, &b) || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* The authenticated bundle for an open signature file, from the cache or
 * freshly read and checked.  Caller holds ctx->rw for reading. */
static const struct vouch_auth *get_auth(struct vouch_ctx *ctx, int rootfd, int sigfd,
					 const char *sigpath, const struct vouch_ident *sid)
{
	struct vouch_ident id = *sid;
	struct bentry *e;
	int rfd;

	pthread_mutex_lock(&ctx->mu);
	for (struct bentry **pp = &ctx->bcache; (e = *pp); ) {
		if (!ident_eq(&e->sig, &id)) {
			pp = &e->next;
			continue;
		}
		if (!vouch_auth_stale(e->auth.until))
			break;
		/* Outdated by the clock: out of the table; other readers may still
		 * hold it, so it is freed with the spill at the next flush. */
		*pp = e->next;
		e->next = ctx->bspill;
		ctx->bspill = e;
		ctx->nbundles--;
	}
	pthread_mutex_unlock(&ctx->mu);
	if (e)
		return &e->auth;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->sig = id;
	rfd = reopen_sig(rootfd, sigfd, sigpath);
	if (rfd < 0) {
		e->auth.cause = rfd == -ELOOP || rfd == -EXDEV ? VOUCH_CAUSE_SYMLINK : VOUCH_CAUSE_IO_ERROR;
		verr(e->auth.detail, sizeof(e->auth.detail), 0, "%s: %s", sigpath,
		     rfd == -ESTALE ? "replaced while it was being read" : strerror(-rfd));
	} else {
		vouch_authenticate_fd(ctx, rootfd, rfd, sigpath, &e->auth);
		close(rfd);
	}
	pthread_mutex_lock(&ctx->mu);
	if (rfd >= 0 && ctx->nbundles < BCACHE_MAX) {
		/* Two threads may have raced to authenticate the same file; both
		 * results are equal, keeping both is harmless until the next flush. */
		e->next = ctx->bcache;
		ctx->bcache = e;
		ctx->nbundles++;
	} else {
		e->next = ctx->bspill;   /* not cached; freed at the next flush or free */
		ctx->bspill = e;
	}
	pthread_mutex_unlock(&ctx->mu);
	return &e->auth;
}

/* The signature at sigpath (open at sigfd) with its identity, cosignatures
 * included, authenticated.  Caller holds ctx->rw for reading. */
static const struct vouch_auth *auth_of(struct vouch_ctx *ctx, int rootfd, int sigfd,
					const char *sigpath, struct vouch_ident *sid)
{
	struct stat sst;

	if (fstat(sigfd, &sst) < 0)
		return NULL;
	vouch_ident_of(&sst, sid);
	vouch_ident_cosig(rootfd, sigpath, sid);
	return get_auth(ctx, rootfd, sigfd, sigpath, sid);
}

static void fill_who(const struct vouch_subject *who, struct vouch_event *ev, char *comm, size_t cl)
{
	if (who) {
		ev->pid = who->pid;
		ev->uid = who->uid;
		ev->comm = who->comm;
		if (!who->comm) {
			/* The opener is still blocked in its open: its /proc entry
			 * names it (pid may be a thread: the record wants its group). */
			if (vouch_proc_identity(who->pid, &ev->pid, comm, cl) < 0)
				snprintf(comm, cl, "?");
			ev->comm = comm;
		}
	} else {
		ev->pid = getpid();
		ev->uid = getuid();
		vouch_proc_identity(getpid(), &ev->pid, comm, cl);
		ev->comm = comm;
	}
}

/* How the content was known when it was not hashed at open (record: content=). */
enum content_src { CONTENT_HASHED, CONTENT_RECEIPT, CONTENT_STREAMED };

static void record_verdict(struct vouch_ctx *ctx, const char *path, const struct vouch_verdict *v,
			   const struct vouch_subject *who, double elapsed_ms, enum content_src src);

void vouch_record(struct vouch_ctx *ctx, const char *path, const struct vouch_verdict *v,
		  const struct vouch_subject *who, double elapsed_ms)
{
	record_verdict(ctx, path, v, who, elapsed_ms, CONTENT_HASHED);
}

static void record_verdict(struct vouch_ctx *ctx, const char *path, const struct vouch_verdict *v,
			   const struct vouch_subject *who, double elapsed_ms, enum content_src src)
{
	struct vouch_event ev = { 0 };
	char comm[64] = "";

	ev.decision = v->allow && v->cause == VOUCH_CAUSE_OK ? "allow" : v->allow ? "allow-audit" : "deny";
	ev.cause = v->cause;
	ev.mode = ctx->cfg.mode;
	ev.priority = v->cause == VOUCH_CAUSE_OK ? LOG_INFO : LOG_ALERT;
	ev.path = path;
	ev.dev = v->st.st_dev;
	ev.ino = v->st.st_ino;
	ev.size = (uint64_t)v->st.st_size;
	fill_who(who, &ev, comm, sizeof(comm));
	ev.model = v->model;
	ev.version = v->version;
	ev.keyid = v->keyid;
	ev.signers = v->signers;
	ev.elapsed_ms = elapsed_ms;
	ev.cached = v->cached;
	ev.reused = v->reused;
	ev.receipt = src == CONTENT_RECEIPT;
	ev.streamed = src == CONTENT_STREAMED;
	ev.detail = v->detail;
	vouch_audit_record(ctx->audit, &ev);
	vouch_metrics_verdict(ctx, v, elapsed_ms);
}

static void decide(struct vouch_ctx *ctx, struct vouch_verdict *v, enum vouch_cause c)
{
	v->cause = c;
	v->allow = c == VOUCH_CAUSE_OK || ctx->cfg.mode == VOUCH_MODE_AUDIT;
}

bool vouch_ctx_refuse(struct vouch_ctx *ctx, enum vouch_cause cause, const char *path,
		      const struct stat *st, const struct vouch_subject *who, const char *detail)
{
	struct vouch_verdict v;

	memset(&v, 0, sizeof(v));
	if (st)
		v.st = *st;
	snprintf(v.detail, sizeof(v.detail), "%s", detail ? detail : "");
	decide(ctx, &v, cause == VOUCH_CAUSE_OK ? VOUCH_CAUSE_IO_ERROR : cause);
	vouch_record(ctx, path, &v, who, 0);
	return v.allow;
}

/* What the signature says and who signed it.  Also for a signature that
 * failed to authenticate (an untrusted key, too few signers): its name and
 * version are then only claimed, which the cause says; they are what an
 * operator needs to find the straggler. */
static void fill_signer(struct vouch_verdict *v, const struct vouch_auth *auth)
{
	if (auth->b) {
		snprintf(v->model, sizeof(v->model), "%s", vouch_model_name(auth->b));
		v->version = auth->b->st.meta.version;
	}
	snprintf(v->keyid, sizeof(v->keyid), "%s", auth->keyid);
	snprintf(v->signers, sizeof(v->signers), "%s", auth->signers);
}

/* What to hash for one file, copied out of the bundle so that hashing can
 * run with no lock held: a reload may free the bundle meanwhile. */
struct plan {
	struct vouch_resource *res;          /* digest and range only */
	const struct vouch_resource **ptrs;
	size_t   nres;
	uint64_t shard_size;
	enum vouch_hash alg;
	struct vouch_hash_job *jobs;         /* the hash of the fd, once done */
	size_t   njobs;
	struct vouch_ident fid;              /* of the file the jobs hashed */
};

static void plan_clear(struct plan *p, bool keep_jobs)
{
	free(p->res);
	free(p->ptrs);
	p->res = NULL;
	p->ptrs = NULL;
	p->nres = 0;
	if (!keep_jobs) {
		free(p->jobs);
		p->jobs = NULL;
		p->njobs = 0;
	}
}

/* Everything a verdict needs before hashing: policy, the sidecar's name,
 * the manifest entry and the sizes.  OK with p->nres == 0 means there is
 * nothing to hash (a signed empty file).  Caller holds ctx->rw. */
static enum vouch_cause prepare(struct vouch_ctx *ctx, const struct vouch_auth *auth, const char *name,
				const char *fullpath, const struct stat *st, bool sidecar,
				const char *relpath, struct vouch_verdict *v, struct plan *p)
{
	const struct vouch_resource *const *res = NULL;
	size_t nres = 0;
	enum vouch_cause c;

	fill_signer(v, auth);
	if (auth->cause) {
		snprintf(v->detail, sizeof(v->detail), "%s", auth->detail);
		return auth->cause;
	}
	c = vouch_policy_check(ctx, auth, fullpath, NULL, v->detail, sizeof(v->detail));
	if (c)
		return c;
	if (sidecar) {
		/* A sidecar's resource is ".": bind it to the file's name through the
		 * signed subject, so X.sig cannot vouch for a renamed copy. */
		const char *base = strrchr(relpath, '/');
		base = base ? base + 1 : relpath;
		if (strcmp(auth->b->st.subject_name, base)) {
			verr(v->detail, sizeof(v->detail), 0, "signature is for %s, not %s",
			     auth->b->st.subject_name, base);
			return VOUCH_CAUSE_NAME_MISMATCH;
		}
	} else if (vouch_bundle_find(auth->b, name, &res) == 0 &&
		   vouch_bundle_find(auth->b, ".", &res) > 0 && !strchr(name, '/') &&
		   !strcmp(auth->b->st.subject_name, name)) {
		/* A single-file model.sig (reference tool: resource ".") governs the
		 * file its signed subject names, beside it. */
		name = ".";
	}
	if (vouch_ignored(&auth->b->st, NULL, 0, name)) {
		verr(v->detail, sizeof(v->detail), 0, "excluded from the signature (ignore_paths)");
		return VOUCH_CAUSE_NOT_SIGNED;
	}
	c = vouch_file_plan(auth->b, name, (uint64_t)st->st_size, &res, &nres, v->detail,
			    sizeof(v->detail));
	if (c || nres == 0)
		return c;
	p->res = calloc(nres, sizeof(*p->res));
	p->ptrs = calloc(nres, sizeof(*p->ptrs));
	if (!p->res || !p->ptrs)
		return VOUCH_CAUSE_IO_ERROR;
	for (size_t i = 0; i < nres; i++) {
		p->res[i] = *res[i];
		p->res[i].name = p->res[i].path = p->res[i].algorithm = NULL;
		p->ptrs[i] = &p->res[i];
	}
	p->nres = nres;
	p->shard_size = auth->b->st.shard_size;
	p->alg = auth->b->st.hash;
	return VOUCH_CAUSE_OK;
}

/* A verdict is remembered by the file's identity, which includes its times.
 * A write that lands in the same timestamp tick as the change our stat saw
 * (coarse timestamps: kernels before 6.13, ramfs, NFS) keeps size and
 * times: the identity would not move.  So a file changed less than
 * RACY_NS before its hash began is allowed this once but not remembered
 * (git's "racy clean" rule); the next open hashes it again, until its
 * last change is old enough that any later write must show. */
#define RACY_NS (1000ll * 1000 * 1000)
static bool racy_clean(const struct stat *st, struct timespec start)
{
	long long s = (long long)start.tv_sec * 1000000000ll + start.tv_nsec;
	long long m = (long long)st->st_mtim.tv_sec * 1000000000ll + st->st_mtim.tv_nsec;
	long long c = (long long)st->st_ctim.tv_sec * 1000000000ll + st->st_ctim.tv_nsec;

	return s - m < RACY_NS || s - c < RACY_NS;
}

/* Hash the fd as planned, with no lock held; reuses a hash made of the same
 * file version before a reload interrupted the verdict. */
static enum vouch_cause hash_plan(int fd, const struct stat *st, struct plan *p)
{
	struct vouch_ident fid;
	size_t n;

	vouch_ident_of(st, &fid);
	if (p->jobs && !memcmp(&fid, &p->fid, sizeof(fid)) && p->njobs == p->nres &&
	    p->jobs[0].alg == p->alg &&
	    p->jobs[0].len == (p->res[0].sharded ? p->res[0].end - p->res[0].start : (uint64_t)st->st_size))
		return VOUCH_CAUSE_OK;
	free(p->jobs);
	p->jobs = calloc(p->nres, sizeof(*p->jobs));
	p->njobs = 0;
	if (!p->jobs)
		return VOUCH_CAUSE_IO_ERROR;
	n = vouch_plan_jobs(fd, (uint64_t)st->st_size, p->res[0].sharded, p->shard_size, p->alg,
			    p->jobs, p->nres);
	if (n == (size_t)-1)
		return VOUCH_CAUSE_SIZE_MISMATCH;
	vouch_hash_jobs(p->jobs, n, 0);
	p->njobs = n;
	p->fid = fid;
	return VOUCH_CAUSE_OK;
}

/* ------------------------------------------------------------------------ */
/* Receipts (receipts = yes; the store is receipt.c's): on a verdict-cache   */
/* miss, an earlier process's receipt for these very bytes stands in for    */
/* the hash; everything else (authentication, policy, anti-rollback) is     */
/* decided as always.                                                        */

/* What a receipt for this open must say, taken before hashing (its
 * `created` is the reference time for the racy check); NULL if this open
 * cannot use one: receipts off, no state_dir, a signature identity made
 * unique (never cached), an identity that cannot be read.  Caller holds
 * ctx->rw (the trust digest).  malloc'd: the shim may run on small stacks. */
static struct vouch_receipt *receipt_want(struct vouch_ctx *ctx, int fd, const struct stat *st,
					  const struct vouch_ident *sid, const char *ckey,
					  const struct vouch_auth *auth, const struct plan *p,
					  struct timespec ref)
{
	struct vouch_receipt *r;
	size_t kl = strlen(ckey);

	if (!ctx->cfg.receipts || !ctx->cfg.state_dir || (sid->dentries >> 63) ||
	    kl == 0 || kl > VOUCH_RECEIPT_KEY_MAX || !(r = calloc(1, sizeof(*r))))
		return NULL;
	if (vouch_fileid_of(fd, st, &r->file)) {
		free(r);
		return NULL;
	}
	r->created = (int64_t)ref.tv_sec;
	r->until = auth->until;
	r->sig = *sid;
	memcpy(r->trust, ctx->receipt_trust, sizeof(r->trust));
	vouch_receipt_content(p->ptrs, p->nres, p->shard_size, r->content);
	memcpy(r->key, ckey, kl + 1);
	return r;
}

/* After a fresh hash matched: keep a receipt, unless the file changed while
 * it was hashed or too shortly before (its next change could leave every
 * identity field as it is: VOUCH_RECEIPT_RACY_NS), or this front end may
 * not write state.  Called with no lock held (the write fsyncs). */
static void receipt_keep(struct vouch_ctx *ctx, int fd, const struct stat *before,
			 struct timespec ref, const struct vouch_receipt *r)
{
	struct stat now;
	int64_t changed, refns = (int64_t)ref.tv_sec * 1000000000ll + ref.tv_nsec;
	int64_t m = (int64_t)before->st_mtim.tv_sec * 1000000000ll + before->st_mtim.tv_nsec;
	int64_t c = (int64_t)before->st_ctim.tv_sec * 1000000000ll + before->st_ctim.tv_nsec;

	if (ctx->cfg.state_readonly || fstat(fd, &now) < 0)
		return;
	if (now.st_dev != before->st_dev || now.st_ino != before->st_ino ||
	    now.st_size != before->st_size || !ts_eq(now.st_mtim, before->st_mtim) ||
	    !ts_eq(now.st_ctim, before->st_ctim))
		return;
	changed = m > c ? m : c;
	if (refns - changed < VOUCH_RECEIPT_RACY_NS)
		return;
	vouch_receipt_store(ctx, r);
}

/* Unlink a finished verdict from its bucket and free it; ctx->mu held. */
static void vcache_drop(struct vouch_ctx *ctx, struct ventry **bucket, struct ventry *e)
{
	for (struct ventry **pp = bucket; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	vouch_stream_unref(e->stream);
	free(e->name);
	free(e);
	ctx->nverdicts--;
}

/* A Hugging Face hub ref (REPO/refs/REF, no signature governing it): served
 * only if its content names a snapshot whose signature authenticates and
 * passes policy.  Caller holds ctx->rw; fills out. */
static void hub_ref_verdict(struct vouch_ctx *ctx, const struct vouch_root *root, const char *repo,
			    const char *ref, int fd, struct vouch_verdict *out)
{
	char rev[256], *sigpath = NULL, *snapfull = NULL, detail[256] = "";
	const struct vouch_auth *auth;
	struct vouch_ident sid;
	enum vouch_cause c = VOUCH_CAUSE_NOT_SIGNED;
	ssize_t n;
	int sigfd = -1;

	n = out->st.st_size < (off_t)sizeof(rev) ? pread(fd, rev, sizeof(rev) - 1, 0) : -1;
	if (n <= 0) {
		verr(out->detail, sizeof(out->detail), 0, "hub ref %s: %s", ref,
		     n < 0 ? "unreadable or longer than 255 bytes" : "empty");
		goto out;
	}
	rev[n] = '\0';
	while (n > 0 && (rev[n - 1] == '\n' || rev[n - 1] == '\r' || rev[n - 1] == ' '))
		rev[--n] = '\0';
	if (!n || strchr(rev, '/') || !strcmp(rev, ".") || !strcmp(rev, "..") || !vouch_path_ok(rev)) {
		verr(out->detail, sizeof(out->detail), 0, "hub ref %s does not hold a revision name", ref);
		goto out;
	}
	if (asprintf(&sigpath, "%s%ssnapshots/%s/model.sig", repo, repo[0] ? "/" : "", rev) < 0 ||
	    asprintf(&snapfull, "%s/%s%ssnapshots/%s", root->path, repo, repo[0] ? "/" : "", rev) < 0) {
		c = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	sigfd = vouch_openat_beneath(root->fd, sigpath, O_PATH);
	if (sigfd < 0) {
		verr(out->detail, sizeof(out->detail), 0, "hub ref %s names %s, which has no signed snapshot",
		     ref, rev);
		goto out;
	}
	auth = auth_of(ctx, root->fd, sigfd, sigpath, &sid);
	if (!auth) {
		c = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	if (auth->cause) {
		verr(out->detail, sizeof(out->detail), 0, "hub ref %s names %s, whose signature fails: %s: %s",
		     ref, rev, vouch_cause_name(auth->cause), auth->detail);
		goto out;
	}
	fill_signer(out, auth);
	c = vouch_policy_check(ctx, auth, snapfull, NULL, detail, sizeof(detail));
	if (c) {
		verr(out->detail, sizeof(out->detail), 0, "hub ref %s names %s, refused: %s: %s", ref, rev,
		     vouch_cause_name(c), detail);
		c = VOUCH_CAUSE_NOT_SIGNED;
		goto out;
	}
	verr(out->detail, sizeof(out->detail), 0, "hub ref %s names signed snapshot %s", ref, rev);
out:
	decide(ctx, out, c);
	if (sigfd >= 0)
		close(sigfd);
	free(sigpath);
	free(snapfull);
}

int vouch_open_name(struct vouch_ctx *ctx, const struct vouch_root *root, const char *relpath,
		    int flags)
{
	int fd;

	if (!vouch_path_ok(relpath))
		return -EINVAL;
	pthread_rwlock_rdlock(&ctx->rw);
	fd = vouch_name_open(&ctx->cfg, root, relpath, flags);
	pthread_rwlock_unlock(&ctx->rw);
	return fd;
}

static enum vouch_cause verify_open(struct vouch_ctx *ctx, const struct vouch_root *root,
				    const char *relpath, int fd, unsigned flags,
				    const struct vouch_subject *who, struct vouch_verdict *out,
				    struct vouch_stream **sp);

enum vouch_cause vouch_verify_fd(struct vouch_ctx *ctx, const struct vouch_root *root,
				 const char *relpath, int fd, const struct vouch_subject *who,
				 struct vouch_verdict *out)
{
	return verify_open(ctx, root, relpath, fd, 0, who, out, NULL);
}

enum vouch_cause vouch_verify_open(struct vouch_ctx *ctx, const struct vouch_root *root,
				   const char *relpath, int fd, unsigned flags,
				   const struct vouch_subject *who, struct vouch_verdict *out)
{
	return verify_open(ctx, root, relpath, fd, flags, who, out, NULL);
}

enum vouch_cause vouch_verify_stream(struct vouch_ctx *ctx, const struct vouch_root *root,
				     const char *relpath, int fd, unsigned flags,
				     const struct vouch_subject *who, struct vouch_verdict *out,
				     struct vouch_stream **stream)
{
	*stream = NULL;
	return verify_open(ctx, root, relpath, fd, flags & ~VOUCH_OPEN_PROBE, who, out, stream);
}

/* sp: verified streaming asked for (vouch_verify_stream); *sp is set only
 * for an allow whose content is left to the verifier. */
static enum vouch_cause verify_open(struct vouch_ctx *ctx, const struct vouch_root *root,
				    const char *relpath, int fd, unsigned flags,
				    const struct vouch_subject *who, struct vouch_verdict *out,
				    struct vouch_stream **sp)
{
	char *sigpath = NULL, *name = NULL, *fullpath = NULL, *repo = NULL;
	const char *ref = NULL, *ckey;
	struct vouch_ident fid, sid;
	struct ventry *e = NULL, **bucket;
	const struct vouch_auth *auth;
	struct plan plan = { 0 };
	double t0 = now_ms();
	bool sidecar = false, owner = false, raised = false, link = false;
	bool reuse = false, content_known = false, from_receipt = false;
	int leased = 0;                      /* cfg.leases: held across the decision */
	struct vouch_receipt *rcpt = NULL;   /* receipts = yes: this open's receipt */
	struct timespec rref = { 0 };        /* taken before hashing (racy check) */
	struct timespec rref_start = { 0 };  /* when this open's hash began */
	bool racy = false;                   /* allowed, but not remembered (racy_clean) */
	bool changed = false;                /* its identity moved while it was hashed */
	struct vouch_stream *stream = NULL;  /* verify = stream: the content is left to it */
	enum vouch_cause c, reused_cause = VOUCH_CAUSE_OK, content = VOUCH_CAUSE_OK;
	char why[160];
	uint64_t h, gen;
	int sigfd = -1;

	memset(out, 0, sizeof(*out));
	if (asprintf(&fullpath, "%s/%s", root->path, relpath) < 0)
		fullpath = NULL;
again:
	memset(out, 0, sizeof(*out));
	if (fstat(fd, &out->st) < 0) {
		decide(ctx, out, VOUCH_CAUSE_IO_ERROR);
		snprintf(out->detail, sizeof(out->detail), "fstat: %s", strerror(errno));
		goto record;
	}
	if (!vouch_path_ok(relpath)) {
		decide(ctx, out, VOUCH_CAUSE_MALFORMED);
		snprintf(out->detail, sizeof(out->detail), "unsafe relative path");
		goto record;
	}

	pthread_rwlock_rdlock(&ctx->rw);
	gen = ctx->generation;
	/* The name decides: the fd must be the file at that name, reached
	 * without a symlink or through links the policy allows. */
	c = vouch_name_locate(&ctx->cfg, root, relpath, &out->st, &link, out->detail,
			      sizeof(out->detail));
	if (c) {
		decide(ctx, out, c);
		pthread_rwlock_unlock(&ctx->rw);
		goto record;
	}
	/* Signature files are public and never models, but only at a name where
	 * vouch itself reads signatures, and only that very file (not a link
	 * to it, not a name found by where the fd happens to live). */
	if (!link && !(flags & VOUCH_OPEN_FOUND) && S_ISREG(out->st.st_mode) &&
	    vouch_name_is_signature(root->fd, relpath)) {
		pthread_rwlock_unlock(&ctx->rw);
		if (is_bundle(fd, &out->st, relpath)) {
			decide(ctx, out, VOUCH_CAUSE_OK);
			goto done;
		}
		decide(ctx, out, VOUCH_CAUSE_MALFORMED);
		snprintf(out->detail, sizeof(out->detail), "at a signature's name but not a signature "
			 "bundle: served only if it is one");
		goto record;
	}
	if (!S_ISREG(out->st.st_mode)) {
		pthread_rwlock_unlock(&ctx->rw);
		decide(ctx, out, VOUCH_CAUSE_SYMLINK);
		snprintf(out->detail, sizeof(out->detail), "not a regular file");
		goto record;
	}
	if (!leased) {
		leased = lease_take(ctx, fd);
		if (leased < 0) {
			leased = 0;
			pthread_rwlock_unlock(&ctx->rw);
			decide(ctx, out, VOUCH_CAUSE_IO_ERROR);
			snprintf(out->detail, sizeof(out->detail), "open for writing (by this or another "
				 "process): its bytes can change after any check, so it is not served");
			goto record;
		}
	}
	c = find_signature(root->fd, relpath, &sigfd, &sigpath, &name, &sidecar);
	if (c == VOUCH_CAUSE_NOT_SIGNED && !link &&
	    (repo = vouch_name_hub_repo(root->fd, relpath, &ref)) != NULL) {
		hub_ref_verdict(ctx, root, repo, ref, fd, out);
		pthread_rwlock_unlock(&ctx->rw);
		goto record;
	}
	if (c) {
		decide(ctx, out, c);
		snprintf(out->detail, sizeof(out->detail), "%s",
			 c == VOUCH_CAUSE_NOT_SIGNED ? "no model.sig above it and no sidecar" :
			 c == VOUCH_CAUSE_SYMLINK ? "a signature path is a symlink" : "cannot open the signature");
		pthread_rwlock_unlock(&ctx->rw);
		goto record;
	}
	{
		struct stat sst;
		if (fstat(sigfd, &sst) < 0) {
			decide(ctx, out, VOUCH_CAUSE_IO_ERROR);
			snprintf(out->detail, sizeof(out->detail), "cannot stat the signature");
			pthread_rwlock_unlock(&ctx->rw);
			goto record;
		}
		vouch_ident_of(&sst, &sid);
		vouch_ident_cosig(root->fd, sigpath, &sid);
	}

	/* Verdict cache, with single-flight for concurrent first opens. */
	vouch_ident_of(&out->st, &fid);
	/* Keyed on the full path, root included: [models] bindings are decided
	 * on it, and the shim serves several roots from one context (a file and
	 * its model.sig hard-linked into another root must not inherit). */
	ckey = fullpath ? fullpath : relpath;
	h = fnv(fnv(fnv(0xcbf29ce484222325ull, &fid, sizeof(fid)), &sid, sizeof(sid)),
		ckey, strlen(ckey));
	bucket = &ctx->vcache[h % VCACHE_BUCKETS];
	pthread_mutex_lock(&ctx->mu);
	if (flags & VOUCH_OPEN_PROBE) {
		/* Only a finished, current allow answers a probe: no waiting,
		 * no hashing, no record. */
		for (e = *bucket; e; e = e->next)
			if (e->hash == h && ident_eq(&e->file, &fid) && ident_eq(&e->sig, &sid) &&
			    !strcmp(e->name, ckey))
				break;
		if (e && e->done && !vouch_auth_stale(e->until) && e->gen == gen &&
		    e->epoch == ctx->epoch && e->v.cause == VOUCH_CAUSE_OK &&
		    (!e->stream || vouch_stream_complete(e->stream))) {
			struct stat keep = out->st;
			*out = e->v;
			out->st = keep;
			out->cached = true;
			ctx->hits++;
			e = NULL;
		} else {
			e = NULL;
			out->cause = VOUCH_CAUSE__COUNT;
		}
		pthread_mutex_unlock(&ctx->mu);
		pthread_rwlock_unlock(&ctx->rw);
		if (out->cause == VOUCH_CAUSE__COUNT || !lease_intact(ctx, fd, &leased, out))
			goto record;
		vouch_metrics_hit(ctx, out, now_ms() - t0);
		goto done;
	}
	for (;;) {
		for (e = *bucket; e; e = e->next)
			if (e->hash == h && ident_eq(&e->file, &fid) && ident_eq(&e->sig, &sid) &&
			    !strcmp(e->name, ckey))
				break;
		if (e && e->done && (vouch_auth_stale(e->until) || e->gen != gen ||
				     e->epoch != ctx->epoch)) {
			/* The trust was reloaded, a mark was raised, or a key window or
			 * the signature's expiry passed since: decide again, as the
			 * owner of this entry, keeping what the file's bytes showed. */
			reuse = e->content_known;
			reused_cause = e->content;
			vouch_stream_unref(e->stream);
			e->stream = NULL;
			e->done = false;
			e->gen = gen;
			e->epoch = ctx->epoch;
			owner = true;
			break;
		}
		if (!e || e->done)
			break;
		/* Another thread is hashing this file: wait for its verdict; never
		 * give up early (a waiter is never let through on timeout).  Wait
		 * without the read lock, so that a reload never queues behind a
		 * hash (and every other open behind the reload). */
		pthread_rwlock_unlock(&ctx->rw);
		pthread_cond_wait(&ctx->done, &ctx->mu);
		pthread_mutex_unlock(&ctx->mu);
		pthread_rwlock_rdlock(&ctx->rw);
		pthread_mutex_lock(&ctx->mu);
		if (ctx->generation != gen)
			goto restart_locked;     /* the trust changed: decide under the new */
	}
	if (e && !owner && e->stream && vouch_stream_bad(e->stream, e->v.detail, sizeof(e->v.detail))) {
		/* Streamed, and a shard has since been found bad: the content is
		 * known now, and every later open is refused for it, with a
		 * record naming its opener. */
		decide(ctx, &e->v, VOUCH_CAUSE_HASH_MISMATCH);
		e->content_known = true;
		e->content = VOUCH_CAUSE_HASH_MISMATCH;
		vouch_stream_unref(e->stream);
		e->stream = NULL;
	}
	if (e && !owner && e->stream && !sp && !vouch_stream_complete(e->stream)) {
		/* Allowed for streaming, not every shard checked yet: an open
		 * that needs the content verified in full decides it, as owner. */
		vouch_stream_unref(e->stream);
		e->stream = NULL;
		e->done = false;
		owner = true;
	}
	if (e && !owner) {
		struct stat keep = out->st;
		if (e->stream && sp)
			stream = vouch_stream_ref(e->stream);
		*out = e->v;
		out->st = keep;
		out->cached = true;
		ctx->hits++;
		pthread_mutex_unlock(&ctx->mu);
		pthread_rwlock_unlock(&ctx->rw);
		if (!lease_intact(ctx, fd, &leased, out))
			goto record;
		vouch_metrics_hit(ctx, out, now_ms() - t0);
		if (out->cause == VOUCH_CAUSE_OK)
			goto done;            /* allow hits are counted, not logged */
		goto record;
	}
	if (!owner) {
		if (ctx->nverdicts >= VCACHE_MAX)
			caches_prune(ctx);
		e = calloc(1, sizeof(*e));
		if (e && (e->name = strdup(ckey))) {
			e->file = fid;
			e->sig = sid;
			e->hash = h;
			e->gen = gen;
			e->epoch = ctx->epoch;
			e->next = *bucket;
			*bucket = e;
			ctx->nverdicts++;
			owner = true;
		} else {
			free(e);
			e = NULL;
		}
	}
	pthread_mutex_unlock(&ctx->mu);

	if (ctx->cfg.audit_failure_deny && vouch_audit_failing(ctx->audit, why, sizeof(why))) {
		/* audit_failure = deny: nothing new is decided unaudited. */
		vouch_audit_failclosed(ctx->audit, why);
		decide(ctx, out, VOUCH_CAUSE_IO_ERROR);
		snprintf(out->detail, sizeof(out->detail), "%s (audit_failure = deny)", why);
		auth = NULL;
		goto finish;
	}

	auth = get_auth(ctx, root->fd, sigfd, sigpath, &sid);
	c = auth ? prepare(ctx, auth, name, fullpath, &out->st, sidecar, relpath, out, &plan)
		 : VOUCH_CAUSE_IO_ERROR;
	if (!c && plan.nres && reuse) {
		/* Same bytes, same signature bytes: what the hash showed before
		 * still holds (only trust or marks changed). */
		c = reused_cause;
		out->reused = true;
		if (c)
			snprintf(out->detail, sizeof(out->detail), "%s (content result kept from before a reload)",
				 vouch_cause_name(c));
	} else if (!c && plan.nres &&
		   (clock_gettime(CLOCK_REALTIME, &rref), rcpt = receipt_want(ctx, fd, &out->st, &sid, ckey,
									  auth, &plan, rref)) &&
		   vouch_receipt_lookup(&ctx->cfg, rcpt)) {
		/* An earlier process hashed these very bytes against these
		 * digests under this trust (receipt.c): not hashed again.  Policy
		 * and anti-rollback were decided above and are accepted below. */
		from_receipt = true;
		content_known = true;
		content = VOUCH_CAUSE_OK;
	} else if (!c && plan.nres && sp &&
		   (stream = vouch_stream_new(ctx, fullpath ? fullpath : relpath, out, who, plan.ptrs,
					      plan.nres, plan.shard_size, plan.alg)) != NULL) {
		/* verify = stream: allowed on everything but the bytes, which the
		 * verifier checks shard by shard as they are read.  Remembered with
		 * its verifier (finish), unless changed too recently (racy_clean). */
		clock_gettime(CLOCK_REALTIME, &rref_start);
		racy = racy_clean(&out->st, rref_start);
	} else if (!c && plan.nres) {
		/* Hash with no lock held: a reload must not wait for gigabytes. */
		clock_gettime(CLOCK_REALTIME, &rref_start);
		pthread_rwlock_unlock(&ctx->rw);
		double ht0 = vouch_metrics_hash_begin(ctx);
		c = hash_plan(fd, &out->st, &plan);
		vouch_metrics_hash_end(ctx, ht0, plan.jobs, plan.njobs);
		pthread_rwlock_rdlock(&ctx->rw);
		if (ctx->generation != gen) {
			/* Trust or policy changed while hashing: the verdict must be
			 * made under the new one (the hash is kept if still valid). */
			pthread_mutex_lock(&ctx->mu);
			goto restart_locked;
		}
		if (!c)
			c = vouch_file_compare(plan.ptrs, plan.nres, plan.jobs, plan.njobs, out->detail,
					       sizeof(out->detail));
		if (!c && !vouch_fd_unchanged(fd, &out->st)) {
			/* Written while it was hashed: what was compared may be a mix
			 * of two versions, and is no verdict about either.  (Or only
			 * unlinked, which moves ctime too: a publish removing the old
			 * version; the name then leads elsewhere, below.) */
			changed = true;
			c = VOUCH_CAUSE_IO_ERROR;
			snprintf(out->detail, sizeof(out->detail), "changed while it was being verified");
		}
		if (c != VOUCH_CAUSE_IO_ERROR) {
			content_known = true;
			content = c;
		}
		racy = c == VOUCH_CAUSE_OK && racy_clean(&out->st, rref_start);
	}
	if (c == VOUCH_CAUSE_OK)
		c = vouch_accept(ctx, auth->b, &raised, out->detail, sizeof(out->detail));
	if (c == VOUCH_CAUSE_HASH_MISMATCH || c == VOUCH_CAUSE_SIZE_MISMATCH ||
	    c == VOUCH_CAUSE_NOT_IN_MANIFEST || changed) {
		/* The content disagrees with the manifest: was the name replaced
		 * while we looked (a publish swapping a whole model directory
		 * between the open and the signature lookup)?  Then the verdict is
		 * about a pairing nobody asked for: `unlocated`, not remembered,
		 * and vouchfs answers ESTALE so the kernel looks the name up again
		 * and the new version is decided. */
		bool l2;
		char d2[sizeof(out->detail)];
		if (vouch_name_locate(&ctx->cfg, root, relpath, &out->st, &l2, d2, sizeof(d2)) ==
		    VOUCH_CAUSE_UNLOCATED) {
			c = VOUCH_CAUSE_UNLOCATED;
			snprintf(out->detail, sizeof(out->detail), "%s", d2);
		}
	}
	decide(ctx, out, c);
	/* Opened for writing while we decided: what was hashed may not be what
	 * is there now, so the verdict is neither given nor kept. */
	lease_intact(ctx, fd, &leased, out);
	vouch_measure(ctx, fullpath ? fullpath : relpath, out, auth, !stream);   /* attest (measure.c) */
	if (stream && out->cause == VOUCH_CAUSE_OK)
		snprintf(out->detail, sizeof(out->detail), "%" PRIu64 "-byte file, content checked "
			 "shard by shard as it is read (verify = stream)", (uint64_t)out->st.st_size);
finish:
	if (owner) {
		pthread_mutex_lock(&ctx->mu);
		/* A raised high-water mark outdates verdicts for older versions:
		 * they are decided again (their content results kept). */
		if (raised)
			ctx->epoch++;
		if (content_known) {
			e->content_known = true;
			e->content = content;
		}
		e->v = *out;
		e->until = auth ? auth->until : 0;
		e->done = true;
		/* An I/O error is not a property of the file, nor a name replaced
		 * while it was checked: don't remember either. */
		if (stream && out->cause == VOUCH_CAUSE_OK)
			e->stream = vouch_stream_ref(stream);
		if (out->cause == VOUCH_CAUSE_IO_ERROR || out->cause == VOUCH_CAUSE_UNLOCATED || racy)
			vcache_drop(ctx, bucket, e);
		pthread_cond_broadcast(&ctx->done);
		pthread_mutex_unlock(&ctx->mu);
	}
	pthread_rwlock_unlock(&ctx->rw);
	if (rcpt && !from_receipt && content_known && out->cause == VOUCH_CAUSE_OK)
		receipt_keep(ctx, fd, &out->st, rref, rcpt);
record:
	if (flags & VOUCH_OPEN_PROBE) {
		/* Not answerable from the cache alone: the caller decides in
		 * full, and that decision is the one recorded. */
		out->cause = VOUCH_CAUSE__COUNT;
		out->allow = false;
		goto done;
	}
	record_verdict(ctx, fullpath ? fullpath : relpath, out, who, now_ms() - t0,
		       from_receipt ? CONTENT_RECEIPT :
		       stream && out->cause == VOUCH_CAUSE_OK ? CONTENT_STREAMED : CONTENT_HASHED);
done:
	if (stream && out->cause == VOUCH_CAUSE_OK && sp)
		*sp = stream;
	else
		vouch_stream_unref(stream);
	if (leased)
		lease_release(fd);
	free(rcpt);
	if (sigfd >= 0)
		close(sigfd);
	plan_clear(&plan, false);
	free(sigpath);
	free(name);
	free(repo);
	free(fullpath);
	return out->cause;

restart_locked:
	/* ctx->mu and ctx->rw (read) held.  Give up our pending entry, if any:
	 * waiters look again and one of them decides under the new trust. */
	if (owner) {
		vcache_drop(ctx, bucket, e);
		pthread_cond_broadcast(&ctx->done);
		owner = false;
	}
	pthread_mutex_unlock(&ctx->mu);
	pthread_rwlock_unlock(&ctx->rw);
	if (sigfd >= 0)
		close(sigfd);
	sigfd = -1;
	free(sigpath);
	free(name);
	sigpath = name = NULL;
	plan_clear(&plan, true);
	reuse = content_known = from_receipt = changed = false;
	free(rcpt);
	rcpt = NULL;
	vouch_stream_unref(stream);
	stream = NULL;
	goto again;
}

/* ------------------------------------------------------------------------ */
/* Cache upkeep (ctx.c calls these under rw held for writing)               */

/* Authenticated bundles depend on the trust: a reload drops them all. */
void vouch_bcache_clear(struct vouch_ctx *ctx)
{
	for (int i = 0; i < 2; i++) {
		struct bentry **list = i ? &ctx->bspill : &ctx->bcache;

		while (*list) {
			struct bentry *e = *list;
			*list = e->next;
			vouch_auth_clear(&e->auth);
			free(e);
		}
	}
	ctx->nbundles = 0;
}

int vouch_caches_init(struct vouch_ctx *ctx)
{
	ctx->vcache = calloc(VCACHE_BUCKETS, sizeof(*ctx->vcache));
	return ctx->vcache ? 0 : -ENOMEM;
}

void vouch_caches_free(struct vouch_ctx *ctx)
{
	if (ctx->vcache)
		vouch_caches_clear(ctx);
	free(ctx->vcache);
	ctx->vcache = NULL;
}

void vouch_caches_clear(struct vouch_ctx *ctx)
{
	caches_prune(ctx);
	vouch_bcache_clear(ctx);
}

void caches_prune(struct vouch_ctx *ctx)
{
	/* Called with ctx->mu held: drop every finished verdict. */
	for (size_t i = 0; i < VCACHE_BUCKETS; i++) {
		struct ventry **pp = &ctx->vcache[i];

		while (*pp) {
			struct ventry *e = *pp;
			if (!e->done) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			vouch_stream_unref(e->stream);
			free(e->name);
			free(e);
			ctx->nverdicts--;
		}
	}
}
