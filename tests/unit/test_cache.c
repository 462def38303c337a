/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cache.c - the verdict cache, through the enforcement entry point
 * (vouch_verify_open) on real files: a second open of an unchanged file is
 * answered from the cache (an allow, and a denial); a change to the file's
 * identity (its mtime alone, its bytes rewritten in place with the mtime put
 * back, the inode replaced by a rename) or to its signature is decided
 * again, and a tampered file is denied, never served a remembered allow; a
 * file changed less than a second ago is not remembered; concurrent first
 * opens of one 64 MiB file share one hash (single-flight); and a verdict
 * lapses at its horizon: a signature's `expires`, a key's `not_after` and
 * a signing time in the future, each two or three seconds away, allowed
 * (or denied) now and decided anew once the moment passes, by a full open
 * and by a cache-only probe (VOUCH_OPEN_PROBE, vouchd's event thread).
 *
 * What is observable without private state: the verdict's `cached` flag
 * (vouch.h: "answered from the verdict cache"), and the JSON audit log
 * (vouch(1), AUDIT: every denial is logged, cached or not, with
 * cached=true when it repeats a verdict; an allow only the first time).
 * Expected behaviour comes from docs/security.md ("What a cached verdict
 * trusts"), docs/policy.md ("Expiry and time"), docs/vouchfs.md (what
 * makes a cached verdict lapse) and vouch.h, not from verify.c.  The
 * models are signed with the library's signing API at the start.
 */
#include "vouch_i.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BIG      (64u << 20)     /* the single-flight file */
#define NTHREADS 8

static char T[PATH_MAX];              /* the test's directory */
static struct vouch_root root;        /* T/root */
static char rootpath[PATH_MAX + 16];

/* T/fmt... (check_path in check.h). */
#define P(...) check_path(T, __VA_ARGS__)

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Write len bytes of pattern seed to path (created or truncated). */
static void fill(const char *path, size_t len, unsigned seed)
{
	static uint8_t buf[1 << 16];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	uint32_t x = seed * 2654435761u + 1;

	REQUIRE(fd >= 0, "create %s: %s", path, strerror(errno));
	for (size_t done = 0; done < len; ) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = (uint8_t)x;
		}
		REQUIRE(write(fd, buf, n) == (ssize_t)n, "write %s: %s", path, strerror(errno));
		done += n;
	}
	close(fd);
}

static void keygen(const char *name)
{
	char err[512], id[VOUCH_KEYID_LEN + 1];

	REQUIRE(vouch_keygen(P("%s", name), NULL, 0, id, err, sizeof(err)) == 0, "keygen: %s", err);
}

/* Sign the directory T/root/NAME with key (T/KEY.key). */
static void sign(const char *name, const char *key, int64_t signed_at, int64_t expires)
{
	struct vouch_passphrase pp = { .file = NULL, .fd = -1 };
	struct vouch_sign_opts o = { 0 };
	struct vouch_signer *s = NULL;
	char err[512], keyf[PATH_MAX];

	snprintf(keyf, sizeof(keyf), "%s", P("%s.key", key));
	REQUIRE(vouch_signer_load(keyf, &pp, &s, err, sizeof(err)) == 0, "load %s: %s", keyf, err);
	o.name = name;
	o.version = 1;
	o.signed_at = signed_at ? signed_at : (int64_t)time(NULL);
	o.expires = expires;
	REQUIRE(vouch_sign_path(s, P("root/%s", name), &o, err, sizeof(err)) == 0, "sign %s: %s",
		name, err);
	vouch_signer_free(s);
}

static struct vouch_ctx *ctx_new(const char *trust, const char *audit)
{
	struct vouch_config cfg;
	struct vouch_ctx *ctx = NULL;
	char err[1024];

	vouch_config_init(&cfg);
	cfg.trust_dir = strdup(P("%s", trust));
	cfg.audit_log = strdup(P("%s", audit));
	cfg.clock_skew = 0;         /* the horizons below are seconds away */
	REQUIRE(vouch_ctx_new(&cfg, &ctx, err, sizeof(err)) == 0, "context: %s", err);
	vouch_config_clear(&cfg);
	return ctx;
}

/* Open T/root/REL as a program would and ask. */
static enum vouch_cause ask(struct vouch_ctx *ctx, const char *rel, unsigned flags,
			    struct vouch_verdict *v)
{
	enum vouch_cause c;
	int fd = openat(root.fd, rel, O_RDONLY | O_CLOEXEC);

	REQUIRE(fd >= 0, "open %s: %s", rel, strerror(errno));
	c = vouch_verify_open(ctx, &root, rel, fd, flags, NULL, v);
	close(fd);
	return c;
}

/* One open: want its cause and whether it came from the cache. */
#define OPEN(ctx, rel, want, want_cached, what) do { \
	struct vouch_verdict v_; \
	enum vouch_cause c_ = ask(ctx, rel, 0, &v_); \
	CHECK(c_ == (want) && v_.cached == (want_cached), "%s: %s: %s%s (%s), want %s%s", what, \
	      rel, vouch_cause_name(c_), v_.cached ? " cached" : "", check_esc(v_.detail), \
	      vouch_cause_name(want), (want_cached) ? " cached" : ""); \
} while (0)

/* Let every file written so far become older than the cache's "racy
 * clean" second (docs/security.md): only then is a verdict remembered. */
static void settle(void)
{
	usleep(1200 * 1000);
}

/* ---- the JSON audit log --------------------------------------------------- */

/* The records in T/FILE (decisions only) about path; returns how many,
 * stored in recs (caller json_decref's each). */
static size_t records(const char *file, const char *path, json_t **recs, size_t max)
{
	FILE *f = fopen(P("%s", file), "r");
	char *line = NULL;
	size_t cap = 0, n = 0;

	REQUIRE(f, "open %s: %s", file, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		json_error_t je;
		json_t *r = json_loads(line, 0, &je);
		const char *p;

		CHECK(r != NULL, "%s: not JSON (%s): %s", file, je.text, check_esc(line));
		if (!r)
			continue;
		p = json_string_value(json_object_get(r, "path"));
		if (json_object_get(r, "decision") && p && !strcmp(p, path) && n < max)
			recs[n++] = r;
		else
			json_decref(r);
	}
	free(line);
	fclose(f);
	return n;
}

static void recs_free(json_t **recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(recs[i]);
}

/* ---- a repeat open, and what changes a file's identity ------------------- */

static void test_identity(struct vouch_ctx *ctx)
{
	struct timespec ts[2];
	struct stat st;
	json_t *recs[16];
	size_t n;
	uint8_t orig[4096];
	int fd;

	/* The same unchanged file again: from the cache.  An allow is logged
	 * the first time only; a denial every time, the repeat cached=true. */
	OPEN(ctx, "m/a.bin", VOUCH_CAUSE_OK, false, "first open");
	OPEN(ctx, "m/a.bin", VOUCH_CAUSE_OK, true, "second open of an unchanged file");
	OPEN(ctx, "m/a.bin", VOUCH_CAUSE_OK, true, "third open of an unchanged file");
	OPEN(ctx, "m/extra.bin", VOUCH_CAUSE_NOT_IN_MANIFEST, false, "an unsigned file");
	OPEN(ctx, "m/extra.bin", VOUCH_CAUSE_NOT_IN_MANIFEST, true, "an unsigned file again");
	vouch_ctx_drain(ctx, 5000);
	n = records("audit1.jsonl", P("root/m/a.bin"), recs, 16);
	CHECK(n == 1, "3 allows of m/a.bin: %zu records (want 1: repeats are not logged)", n);
	CHECK(n < 1 || !json_object_get(recs[0], "cached"), "the first allow says cached");
	recs_free(recs, n);
	n = records("audit1.jsonl", P("root/m/extra.bin"), recs, 16);
	CHECK(n == 2, "2 denials of m/extra.bin: %zu records", n);
	if (n == 2) {
		CHECK(!json_object_get(recs[0], "cached"), "the first denial says cached");
		CHECK(json_is_true(json_object_get(recs[1], "cached")), "the repeat denial lacks "
		      "\"cached\": true");
		CHECK_STREQ(json_string_value(json_object_get(recs[1], "cause")),
			    "not-in-manifest");
	}
	recs_free(recs, n);

	/* The mtime alone moves (touch): decided again, still allowed. */
	OPEN(ctx, "m/b.bin", VOUCH_CAUSE_OK, false, "b.bin");
	OPEN(ctx, "m/b.bin", VOUCH_CAUSE_OK, true, "b.bin again");
	REQUIRE(stat(P("root/m/b.bin"), &st) == 0, "stat");
	ts[0] = st.st_atim;
	ts[1].tv_sec = st.st_mtim.tv_sec - 3600;
	ts[1].tv_nsec = st.st_mtim.tv_nsec;
	REQUIRE(utimensat(AT_FDCWD, P("root/m/b.bin"), ts, 0) == 0, "utimensat");
	OPEN(ctx, "m/b.bin", VOUCH_CAUSE_OK, false, "b.bin after its mtime moved");
	/* ...and, changed (its ctime) less than a second ago, not remembered:
	 * the next open hashes again (docs/security.md, "Racy clean"). */
	OPEN(ctx, "m/b.bin", VOUCH_CAUSE_OK, false, "b.bin changed within the second");

	/* Bytes rewritten in place, same size, the mtime put back as it was:
	 * the change time still moved, and the tampered bytes are denied. */
	OPEN(ctx, "m/a.bin", VOUCH_CAUSE_OK, true, "a.bin before tampering");
	REQUIRE(stat(P("root/m/a.bin"), &st) == 0, "stat");
	fd = open(P("root/m/a.bin"), O_RDWR);
	REQUIRE(fd >= 0 && pread(fd, orig, sizeof(orig), 0) == (ssize_t)sizeof(orig), "read a.bin");
	orig[100] ^= 1;
	REQUIRE(pwrite(fd, orig, sizeof(orig), 0) == (ssize_t)sizeof(orig), "tamper a.bin");
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	REQUIRE(futimens(fd, ts) == 0, "futimens");
	close(fd);
	OPEN(ctx, "m/a.bin", VOUCH_CAUSE_HASH_MISMATCH, false, "a.bin tampered, mtime restored");
	OPEN(ctx, "m/a.bin", VOUCH_CAUSE_HASH_MISMATCH, true,
	     "a.bin tampered, again (a denial is remembered)");
	/* The bytes put back: allowed again. */
	fd = open(P("root/m/a.bin"), O_RDWR);
	orig[100] ^= 1;
	REQUIRE(fd >= 0 && pwrite(fd, orig, sizeof(orig), 0) == (ssize_t)sizeof(orig),
		"restore a.bin");
	close(fd);
	OPEN(ctx, "m/a.bin", VOUCH_CAUSE_OK, false, "a.bin restored");

	/* Bytes rewritten in place, same size (mtime moving as it does). */
	OPEN(ctx, "m/e.bin", VOUCH_CAUSE_OK, false, "e.bin");
	OPEN(ctx, "m/e.bin", VOUCH_CAUSE_OK, true, "e.bin again");
	fd = open(P("root/m/e.bin"), O_WRONLY);
	REQUIRE(fd >= 0 && pwrite(fd, "X", 1, 4095) == 1, "tamper e.bin");
	close(fd);
	OPEN(ctx, "m/e.bin", VOUCH_CAUSE_HASH_MISMATCH, false, "e.bin rewritten in place");

	/* The inode replaced by a rename: the genuine bytes again (decided
	 * again, allowed), and tampered bytes (denied). */
	OPEN(ctx, "m/c.bin", VOUCH_CAUSE_OK, false, "c.bin");
	OPEN(ctx, "m/c.bin", VOUCH_CAUSE_OK, true, "c.bin again");
	fill(P("root/m/c.tmp"), 65536, 3);                 /* c.bin's bytes */
	REQUIRE(rename(P("root/m/c.tmp"), P("root/m/c.bin")) == 0, "rename");
	OPEN(ctx, "m/c.bin", VOUCH_CAUSE_OK, false, "c.bin replaced by a copy");
	OPEN(ctx, "m/d.bin", VOUCH_CAUSE_OK, false, "d.bin");
	OPEN(ctx, "m/d.bin", VOUCH_CAUSE_OK, true, "d.bin again");
	fill(P("root/m/d.tmp"), 65536, 99);                /* same size, other bytes */
	REQUIRE(rename(P("root/m/d.tmp"), P("root/m/d.bin")) == 0, "rename");
	OPEN(ctx, "m/d.bin", VOUCH_CAUSE_HASH_MISMATCH, false, "d.bin replaced by other bytes");

	/* The signature replaced (signed again, by a key not trusted): the
	 * signature's identity is part of the verdict's. */
	OPEN(ctx, "s/a.bin", VOUCH_CAUSE_OK, false, "s/a.bin");
	OPEN(ctx, "s/a.bin", VOUCH_CAUSE_OK, true, "s/a.bin again");
	sign("s", "k3", 0, 0);
	OPEN(ctx, "s/a.bin", VOUCH_CAUSE_UNTRUSTED_KEY, false, "s/a.bin, its signature replaced");
}

/* After settle(): what was changed within a second is remembered now. */
static void test_racy_settled(struct vouch_ctx *ctx)
{
	OPEN(ctx, "m/b.bin", VOUCH_CAUSE_OK, false, "b.bin, its change a second old");
	OPEN(ctx, "m/b.bin", VOUCH_CAUSE_OK, true, "b.bin, remembered now");
	OPEN(ctx, "m/c.bin", VOUCH_CAUSE_OK, false, "c.bin (new inode), a second old");
	OPEN(ctx, "m/c.bin", VOUCH_CAUSE_OK, true, "c.bin (new inode), remembered now");
	OPEN(ctx, "m/d.bin", VOUCH_CAUSE_HASH_MISMATCH, true, "d.bin's denial, remembered");
}

/* ---- single-flight -------------------------------------------------------- */

struct racer {
	pthread_t th;
	struct vouch_ctx *ctx;
	pthread_barrier_t *go;
	double start, end;
	enum vouch_cause cause;
	bool cached, allow;
	char model[128];
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct vouch_verdict v;
	int fd = openat(root.fd, "big/w.bin", O_RDONLY | O_CLOEXEC);

	pthread_barrier_wait(r->go);
	r->start = mono();
	r->cause = fd < 0 ? VOUCH_CAUSE_IO_ERROR :
		   vouch_verify_open(r->ctx, &root, "big/w.bin", fd, 0, NULL, &v);
	r->end = mono();
	r->cached = fd >= 0 && v.cached;
	r->allow = fd >= 0 && v.allow;
	snprintf(r->model, sizeof(r->model), "%s", fd >= 0 ? v.model : "");
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void test_single_flight(struct vouch_ctx *ctx)
{
	struct racer r[NTHREADS];
	pthread_barrier_t go;
	unsigned hashed = 0, waited = 0, owner = 0;
	double hash;
	json_t *recs[16];
	size_t n;

	/* vouch.h: "concurrent first opens of one file share one hash job".
	 * The one open that hashed returns cached = false; every other one
	 * took that verdict (cached = true).  At least one of those must have
	 * started before the hashing one finished: it waited, and did not
	 * hash itself. */
	/* How long one hash of the file takes here (the file is one 64 MiB
	 * shard: one job, one thread); this also brings it into the page
	 * cache, so the race is about the hash, not the disk. */
	{
		uint8_t md[32];
		int fd = openat(root.fd, "big/w.bin", O_RDONLY | O_CLOEXEC);
		double t0 = mono();

		REQUIRE(fd >= 0 && vouch_hash_fd(fd, 0, UINT64_MAX, md) == 0, "hash big/w.bin");
		hash = mono() - t0;
		close(fd);
	}
	pthread_barrier_init(&go, NULL, NTHREADS);
	for (unsigned i = 0; i < NTHREADS; i++) {
		r[i] = (struct racer){ .ctx = ctx, .go = &go };
		REQUIRE(pthread_create(&r[i].th, NULL, race, &r[i]) == 0, "pthread_create");
	}
	for (unsigned i = 0; i < NTHREADS; i++)
		pthread_join(r[i].th, NULL);
	pthread_barrier_destroy(&go);
	for (unsigned i = 0; i < NTHREADS; i++) {
		/* every verdict whole: allowed, for the model signed */
		CHECK(r[i].cause == VOUCH_CAUSE_OK && r[i].allow && !strcmp(r[i].model, "big"),
		      "racer %u: %s, allow %d, model \"%s\"", i, vouch_cause_name(r[i].cause),
		      r[i].allow, check_esc(r[i].model));
		if (!r[i].cached)
			owner = i, hashed++;
	}
	CHECK(hashed == 1, "%u of %d concurrent first opens hashed the file (want 1)", hashed,
	      NTHREADS);
	for (unsigned i = 0; hashed == 1 && i < NTHREADS; i++) {
		if (!r[i].cached || r[i].start >= r[owner].end)
			continue;
		waited++;
		/* a waiter has its answer only once the hash is done: never
		 * sooner after the hashing open began than half a hash */
		CHECK(r[i].end >= r[owner].start + hash / 2, "racer %u answered %.3f s after the "
		      "hashing open began; one hash takes %.3f s", i, r[i].end - r[owner].start,
		      hash);
	}
	CHECK(hashed != 1 || waited > 0, "no open arrived while the file was hashed (%.3f s): "
	      "nothing shows they shared the hash", r[owner].end - r[owner].start);
	printf("single-flight: %d opens, 1 hash of %u MiB (%.3f s alone), the hashing open %.3f s, "
	       "%u waited for it\n", NTHREADS, BIG >> 20, hash, r[owner].end - r[owner].start,
	       waited);
	vouch_ctx_drain(ctx, 5000);
	n = records("audit1.jsonl", P("root/big/w.bin"), recs, 16);
	CHECK(n == 1, "%d concurrent allows: %zu records (want 1)", NTHREADS, n);
	recs_free(recs, n);
	OPEN(ctx, "big/w.bin", VOUCH_CAUSE_OK, true, "big/w.bin afterwards");
}

/* ---- lapse at the horizon -------------------------------------------------- */

static void probe(struct vouch_ctx *ctx, const char *rel, bool want_ok, const char *what)
{
	struct vouch_verdict v;
	enum vouch_cause c = ask(ctx, rel, VOUCH_OPEN_PROBE, &v);

	/* vouch.h: a current cached allow returns OK; anything else
	 * VOUCH_CAUSE__COUNT (decide in full). */
	if (want_ok)
		CHECK(c == VOUCH_CAUSE_OK && v.allow && v.cached, "%s: probe of %s: %s", what, rel,
		      c == VOUCH_CAUSE__COUNT ? "not answered" : vouch_cause_name(c));
	else
		CHECK(c == VOUCH_CAUSE__COUNT && !v.allow, "%s: probe of %s answered %s (allow %d)",
		      what, rel, c == VOUCH_CAUSE__COUNT ? "nothing" : vouch_cause_name(c),
		      v.allow);
}

static void test_horizon(void)
{
	struct vouch_ctx *ctx;
	char ini[128], when[32];
	int64_t t0 = (int64_t)time(NULL), edge = t0 + 3;
	json_t *recs[16];
	size_t n;

	/* Three moments `edge`, 3 s away (clock_skew 0): "exp"'s signature
	 * expires then; "win"'s key (k2) is trusted until then (KEY.ini
	 * not_after); "later" was signed then, in the future until it comes.
	 * docs/policy.md: past expires, or signed_at in the future ->
	 * expired; past not_after "nothing it signed loads"; docs/vouchfs.md:
	 * "the cached verdict lapses; the open is decided anew". */
	sign("exp", "k1", t0 - 60, edge);
	sign("win", "k2", t0 - 60, 0);
	sign("later", "k1", edge, 0);
	vouch_time_format(edge, when);
	snprintf(ini, sizeof(ini), "not_after = %s\n", when);
	{
		int fd = open(P("trust/k2.ini"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

		REQUIRE(fd >= 0 && write(fd, ini, strlen(ini)) == (ssize_t)strlen(ini), "k2.ini");
		close(fd);
	}
	ctx = ctx_new("trust", "audit2.jsonl");

	OPEN(ctx, "exp/a.bin", VOUCH_CAUSE_OK, false, "before expires");
	OPEN(ctx, "exp/a.bin", VOUCH_CAUSE_OK, true, "before expires, again");
	probe(ctx, "exp/a.bin", true, "before expires");
	OPEN(ctx, "win/a.bin", VOUCH_CAUSE_OK, false, "inside the key's window");
	OPEN(ctx, "win/a.bin", VOUCH_CAUSE_OK, true, "inside the key's window, again");
	probe(ctx, "win/a.bin", true, "inside the key's window");
	OPEN(ctx, "later/a.bin", VOUCH_CAUSE_EXPIRED, false, "signed in the future");
	OPEN(ctx, "later/a.bin", VOUCH_CAUSE_EXPIRED, true, "signed in the future, again");
	probe(ctx, "later/a.bin", false, "signed in the future");
	REQUIRE((int64_t)time(NULL) < edge,
		"the opens before the horizon took too long to mean anything");

	/* Just past the moment (not_after and expires are inclusive). */
	while ((int64_t)time(NULL) < edge + 1)
		usleep(50 * 1000);
	usleep(100 * 1000);

	probe(ctx, "exp/a.bin", false, "after expires");
	probe(ctx, "win/a.bin", false, "after the key's not_after");
	OPEN(ctx, "exp/a.bin", VOUCH_CAUSE_EXPIRED, false, "after expires");
	OPEN(ctx, "win/a.bin", VOUCH_CAUSE_EXPIRED, false, "after the key's not_after");
	OPEN(ctx, "later/a.bin", VOUCH_CAUSE_OK, false, "once its signing time came");
	OPEN(ctx, "exp/a.bin", VOUCH_CAUSE_EXPIRED, true, "after expires, again");
	OPEN(ctx, "later/a.bin", VOUCH_CAUSE_OK, true, "once its signing time came, again");

	vouch_ctx_drain(ctx, 5000);
	n = records("audit2.jsonl", P("root/exp/a.bin"), recs, 16);
	CHECK(n == 3, "exp: %zu records (want: the allow, the expired denial and its repeat)", n);
	if (n == 3) {
		CHECK_STREQ(json_string_value(json_object_get(recs[0], "decision")), "allow");
		CHECK_STREQ(json_string_value(json_object_get(recs[1], "cause")), "expired");
		CHECK(!json_object_get(recs[1], "cached"),
		      "the lapsed verdict's record says cached");
	}
	recs_free(recs, n);
	vouch_ctx_free(ctx);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	struct vouch_ctx *ctx;
	char cmd[PATH_MAX + 16];
	double t;

	REQUIRE(vouch_init() == 0, "vouch_init");
	snprintf(T, sizeof(T), "%s/vouch-cache.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	REQUIRE(mkdtemp(T), "mkdtemp %s: %s", T, strerror(errno));
	umask(022);

	/* Models: m (files a..e, and extra.bin that is not signed), s, big
	 * (64 MiB), exp, win, later (signed when the horizon test starts);
	 * k1 and k2 trusted, k3 not. */
	keygen("k1");
	keygen("k2");
	keygen("k3");
	REQUIRE(mkdir(P("trust"), 0755) == 0, "mkdir trust");
	REQUIRE(link(P("k1.pub"), P("trust/k1.pem")) == 0 &&
		link(P("k2.pub"), P("trust/k2.pem")) == 0, "trust");
	REQUIRE(mkdir(P("root"), 0755) == 0, "mkdir root");
	static const char *const dirs[] = { "m", "s", "big", "exp", "win", "later" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		REQUIRE(mkdir(P("root/%s", dirs[i]), 0755) == 0, "mkdir %s", dirs[i]);
	fill(P("root/m/a.bin"), 65536, 1);
	fill(P("root/m/b.bin"), 65536, 2);
	fill(P("root/m/c.bin"), 65536, 3);
	fill(P("root/m/d.bin"), 65536, 4);
	fill(P("root/m/e.bin"), 65536, 5);
	fill(P("root/s/a.bin"), 4096, 6);
	fill(P("root/exp/a.bin"), 4096, 7);
	fill(P("root/win/a.bin"), 4096, 8);
	fill(P("root/later/a.bin"), 4096, 9);
	fill(P("root/big/w.bin"), BIG, 10);
	sign("m", "k1", 0, 0);
	fill(P("root/m/extra.bin"), 100, 11);
	sign("s", "k1", 0, 0);
	t = mono();
	sign("big", "k1", 0, 0);
	printf("signed %u MiB in %.3f s\n", BIG >> 20, mono() - t);
	snprintf(rootpath, sizeof(rootpath), "%s", P("root"));
	root.path = rootpath;
	root.fd = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	REQUIRE(root.fd >= 0, "open %s", rootpath);
	ctx = ctx_new("trust", "audit1.jsonl");
	settle();

	test_single_flight(ctx);
	test_identity(ctx);
	test_horizon();            /* the files it needs settled above */
	settle();
	test_racy_settled(ctx);

	vouch_ctx_free(ctx);
	close(root.fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", T);
	CHECK_EXIT();
}
