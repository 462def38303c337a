/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c - what a verification context counts, and how a daemon shows it:
 * decisions by cause and mode, verdict-cache hits, hashing (bytes, seconds,
 * jobs in flight), the open latency histogram, reloads, audit records lost.
 *
 * Counting happens at libvouch's choke points through the hooks in
 * metrics_i.h: relaxed atomic adds, no lock, no allocation (the decision path
 * must not slow down or wait because someone is scraping).  Reading is the
 * text exposition (Prometheus text format 0.0.4) and a Unix socket server:
 * one thread per serving daemon, which accepts, writes the text and closes;
 * it reads the counters and never takes a lock a decision holds for longer
 * than vouch_ctx_stats's copy.
 *
 * What this file must not do: decide, log a verdict, or put anything that
 * names a file into a label (one series per path would grow without bound;
 * labels are cause and mode only, and `vouch metrics` adds `instance`).
 */
#include "metrics_i.h"
#include "verify_i.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Open latency buckets, seconds: a cache hit is tens of microseconds, a
 * first open of a large model is seconds to minutes of hashing. */
static const double open_buckets[] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
};
#define NBUCKETS (sizeof(open_buckets) / sizeof(open_buckets[0]))

/* Every field is read and written with __atomic builtins only. */
struct vouch_metrics {
	uint64_t decisions[VOUCH_CAUSE__COUNT][2];   /* [cause][mode] */
	uint64_t hits;
	uint64_t hash_bytes;
	uint64_t hash_ns;
	int64_t  hash_inflight;
	uint64_t open_bucket[NBUCKETS + 1];          /* not cumulative; last: +Inf */
	uint64_t open_ns;
	uint64_t reloads, reload_failures;
	int64_t  last_reload_ok_ns;                  /* CLOCK_REALTIME */
};

#define ADD(p, n) __atomic_add_fetch((p), (n), __ATOMIC_RELAXED)
#define GET(p)    __atomic_load_n((p), __ATOMIC_RELAXED)

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int vouch_metrics_new(struct vouch_metrics **out)
{
	struct vouch_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	/* The first load counts as the last successful one (as Prometheus's
	 * own ..._last_reload_success_timestamp_seconds does). */
	m->last_reload_ok_ns = realtime_ns();
	*out = m;
	return 0;
}

void vouch_metrics_free(struct vouch_metrics *m)
{
	free(m);
}

static void observe_open(struct vouch_metrics *m, double elapsed_ms)
{
	double s = elapsed_ms > 0 ? elapsed_ms / 1e3 : 0;
	size_t b = 0;

	while (b < NBUCKETS && s > open_buckets[b])
		b++;
	ADD(&m->open_bucket[b], 1);
	ADD(&m->open_ns, (uint64_t)(s * 1e9));
}

static void count_decision(struct vouch_ctx *ctx, enum vouch_cause c, double elapsed_ms)
{
	struct vouch_metrics *m = ctx->metrics;
	/* Read without ctx->rw, as record_verdict does: an int, replaced whole
	 * by a reload. */
	int mode = ctx->cfg.mode == VOUCH_MODE_AUDIT;

	if ((unsigned)c >= VOUCH_CAUSE__COUNT)
		return;
	ADD(&m->decisions[c][mode], 1);
	observe_open(m, elapsed_ms);
}

void vouch_metrics_verdict(struct vouch_ctx *ctx, const struct vouch_verdict *v, double elapsed_ms)
{
	if (ctx->metrics)
		count_decision(ctx, v->cause, elapsed_ms);
}

void vouch_metrics_hit(struct vouch_ctx *ctx, const struct vouch_verdict *v, double elapsed_ms)
{
	if (!ctx->metrics)
		return;
	ADD(&ctx->metrics->hits, 1);
	if (v->cause == VOUCH_CAUSE_OK)
		count_decision(ctx, v->cause, elapsed_ms);
}

double vouch_metrics_hash_begin(struct vouch_ctx *ctx)
{
	if (ctx->metrics)
		ADD(&ctx->metrics->hash_inflight, 1);
	return mono_s();
}

void vouch_metrics_hash_end(struct vouch_ctx *ctx, double t0, const struct vouch_hash_job *jobs,
			    size_t njobs)
{
	struct vouch_metrics *m = ctx->metrics;
	uint64_t bytes = 0;
	double s = mono_s() - t0;

	if (!m)
		return;
	for (size_t i = 0; jobs && i < njobs; i++)
		if (jobs[i].len != UINT64_MAX)
			bytes += jobs[i].len;
	ADD(&m->hash_bytes, bytes);
	ADD(&m->hash_ns, (uint64_t)(s > 0 ? s * 1e9 : 0));
	ADD(&m->hash_inflight, -1);
}

void vouch_metrics_reload(struct vouch_ctx *ctx, bool ok)
{
	struct vouch_metrics *m = ctx->metrics;

	if (!m)
		return;
	ADD(&m->reloads, 1);
	if (ok)
		__atomic_store_n(&m->last_reload_ok_ns, realtime_ns(), __ATOMIC_RELAXED);
	else
		ADD(&m->reload_failures, 1);
}

void vouch_metrics_reload_refused(struct vouch_ctx *ctx)
{
	vouch_metrics_reload(ctx, false);
}

/* ------------------------------------------------------------------------ */
/* The text exposition (Prometheus text format 0.0.4)                       */

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *f, const char *name, const char *type, const char *help, double v)
{
	family(f, name, type, help);
	fprintf(f, "%s %.17g\n", name, v);
}

int vouch_metrics_text(struct vouch_ctx *ctx, char **out, size_t *len)
{
	static const char *const modes[2] = { "enforce", "audit" };
	struct vouch_metrics *m = ctx->metrics;
	struct vouch_stats st;
	uint64_t cum = 0;
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	if (!m)
		return -EINVAL;
	f = open_memstream(&buf, &n);
	if (!f)
		return -errno;
	vouch_ctx_stats(ctx, &st);
	family(f, "vouch_decisions_total", "counter",
	       "Opens of protected files decided, by cause (ok = verified) and mode (audit mode "
	       "allows what enforce denies); cache hits included.");
	for (int c = 0; c < VOUCH_CAUSE__COUNT; c++)
		for (int md = 0; md < 2; md++)
			fprintf(f, "vouch_decisions_total{cause=\"%s\",mode=\"%s\"} %llu\n",
				vouch_cause_name((enum vouch_cause)c), modes[md],
				(unsigned long long)GET(&m->decisions[c][md]));
	one(f, "vouch_cache_hits_total", "counter",
	    "Opens answered from the verdict cache (no hash).", (double)GET(&m->hits));
	one(f, "vouch_cache_verdicts", "gauge", "Verdicts held in the verdict cache.",
	    (double)st.verdicts);
	one(f, "vouch_cache_signatures", "gauge", "Authenticated signatures held in the cache.",
	    (double)st.bundles);
	one(f, "vouch_hash_bytes_total", "counter", "Bytes of model files hashed on cache misses.",
	    (double)GET(&m->hash_bytes));
	one(f, "vouch_hash_seconds_total", "counter",
	    "Wall-clock seconds spent hashing on cache misses (summed over concurrent hashes).",
	    (double)GET(&m->hash_ns) / 1e9);
	one(f, "vouch_hash_jobs_in_flight", "gauge", "Files being hashed right now.",
	    (double)GET(&m->hash_inflight));
	family(f, "vouch_open_duration_seconds", "histogram",
	       "Time from an open reaching libvouch to its verdict.");
	for (size_t b = 0; b <= NBUCKETS; b++) {
		cum += GET(&m->open_bucket[b]);
		if (b < NBUCKETS)
			fprintf(f, "vouch_open_duration_seconds_bucket{le=\"%g\"} %llu\n", open_buckets[b],
				(unsigned long long)cum);
		else
			fprintf(f, "vouch_open_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
				(unsigned long long)cum);
	}
	fprintf(f, "vouch_open_duration_seconds_sum %.9f\n", (double)GET(&m->open_ns) / 1e9);
	/* The count is the +Inf bucket, read once: the two always agree. */
	fprintf(f, "vouch_open_duration_seconds_count %llu\n", (unsigned long long)cum);
	one(f, "vouch_config_reloads_total", "counter",
	    "Reloads of configuration and trust attempted (SIGHUP).", (double)GET(&m->reloads));
	one(f, "vouch_config_reload_failures_total", "counter",
	    "Reloads refused (the previous trust stayed in force).",
	    (double)GET(&m->reload_failures));
	one(f, "vouch_config_last_reload_success_timestamp_seconds", "gauge",
	    "When configuration and trust were last loaded successfully (Unix time).",
	    (double)(GET(&m->last_reload_ok_ns) / 1000000) / 1e3);
	one(f, "vouch_audit_records_dropped_total", "counter",
	    "Audit records lost: dropped from a full queue or not taken by a sink.",
	    ctx->audit ? (double)vouch_audit_lost(ctx->audit) : 0);
	one(f, "vouch_anti_rollback_marks_raised_total", "counter",
	    "Anti-rollback version marks this process raised.", (double)st.marks_raised);
	family(f, "vouch_build_info", "gauge", "The vouch version serving these metrics.");
	fprintf(f, "vouch_build_info{version=\"%s\"} 1\n", VOUCH_VERSION);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The socket server                                                         */

/* A client that does not read gives up its connection after this long:
 * the one serving thread then takes the next (bounded, and never in a
 * decision's way, which only ever reads atomics this thread writes none of). */
#define SEND_TIMEOUT_MS 2000
#define LISTEN_BACKLOG  16

struct vouch_metrics_server {
	struct vouch_ctx *ctx;
	int lfd, stopfd;
	pthread_t thread;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

char *vouch_metrics_name_for_mount(const char *mountpoint)
{
	char *pin = vouch_pin_path(mountpoint), *name = NULL;

	/* vouch_pin_path escapes as systemd-escape --path does: the same
	 * string as the vouchfs@ unit's instance. */
	if (pin && asprintf(&name, "vouchfs@%s", pin + strlen(VOUCH_PIN_DIR) + 1) < 0)
		name = NULL;
	free(pin);
	return name;
}

static bool peer_ok(int fd)
{
	struct ucred cr;
	socklen_t cl = sizeof(cr);

	/* The directory is ours and private already; this keeps a socket that
	 * was made wider by hand from telling anyone else. */
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0 &&
	       (cr.uid == 0 || cr.uid == geteuid());
}

static void serve_one(struct vouch_metrics_server *s, int c)
{
	char *text = NULL;
	size_t len = 0, off = 0;
	struct timeval tv = { SEND_TIMEOUT_MS / 1000, (SEND_TIMEOUT_MS % 1000) * 1000 };

	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!peer_ok(c) || vouch_metrics_text(s->ctx, &text, &len) < 0)
		goto out;
	while (off < len) {
		ssize_t w = send(c, text + off, len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
out:
	free(text);
	close(c);
}

static void *server_thread(void *arg)
{
	struct vouch_metrics_server *s = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = s->lfd, .events = POLLIN },
				       { .fd = s->stopfd, .events = POLLIN } };
		int c;

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents)
			break;
		c = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			serve_one(s, c);
	}
	return NULL;
}

/* The directory must be ours and writable by nobody else: whoever can
 * write there can put a socket of their own in our place. */
static int dir_ready(const char *dir, char *err, size_t errlen)
{
	char *parent = strdup(dir), *slash;
	struct stat st;

	if (!parent)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "metrics_dir %s: cannot create %s: %s", dir, parent,
				 strerror(errno));
			free(parent);
			return -errno;
		}
	}
	free(parent);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "metrics_dir %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "metrics_dir %s: not a directory", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		snprintf(err, errlen, "metrics_dir %s: not owned by uid %u or writable by others",
			 dir, (unsigned)geteuid());
		return -EPERM;
	}
	return 0;
}

/* A socket left by a process that died is replaced; one a live process
 * answers on is not (two instances must never share a name). */
static int take_path(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (ret == 0) {
		snprintf(err, errlen, "%s: another process serves metrics under this name", path);
		return -EADDRINUSE;
	}
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int vouch_metrics_serve(struct vouch_ctx *ctx, const char *dir, const char *name,
			struct vouch_metrics_server **out, char *err, size_t errlen)
{
	struct vouch_metrics_server *s;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	sigset_t all, old;
	int ret, n;

	*out = NULL;
	if (!dir)
		dir = VOUCH_METRICS_DIR;
	if (!name || !*name || strchr(name, '/') || name[0] == '.') {
		snprintf(err, errlen, "metrics: bad socket name");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ctx = ctx;
	s->lfd = s->stopfd = -1;
	n = snprintf(s->path, sizeof(s->path), "%s/%s.sock", dir, name);
	if (n < 0 || (size_t)n >= sizeof(s->path)) {
		snprintf(err, errlen, "metrics socket %s/%s.sock: longer than a socket path may be",
			 dir, name);
		ret = -ENAMETOOLONG;
		goto fail;
	}
	ret = dir_ready(dir, err, errlen);
	if (!ret)
		ret = take_path(s->path, err, errlen);
	if (ret)
		goto fail;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	s->stopfd = eventfd(0, EFD_CLOEXEC);
	if (s->lfd < 0 || s->stopfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "metrics socket: %s", strerror(errno));
		goto fail;
	}
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(s->path, 0600) < 0 || listen(s->lfd, LISTEN_BACKLOG) < 0) {
		ret = -errno;
		snprintf(err, errlen, "metrics socket %s: %s", s->path, strerror(errno));
		unlink(s->path);
		goto fail;
	}
	/* The thread takes no signal: a daemon that waits for its signals with
	 * sigwait or a signalfd must not have one land here instead. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = -pthread_create(&s->thread, NULL, server_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		snprintf(err, errlen, "metrics thread: %s", strerror(-ret));
		unlink(s->path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->stopfd >= 0)
		close(s->stopfd);
	free(s);
	return ret;
}

void vouch_metrics_server_stop(struct vouch_metrics_server *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	if (write(s->stopfd, &one, sizeof(one)) == sizeof(one))
		pthread_join(s->thread, NULL);
	unlink(s->path);
	close(s->lfd);
	close(s->stopfd);
	free(s);
}
