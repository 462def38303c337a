/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit.c - one record per decision, to syslog (ident "vouch", facility
 * authpriv; deny = LOG_ALERT) and optionally to a JSON-lines file.
 *
 * We speak the syslog protocol to /dev/log ourselves instead of calling
 * openlog()/syslog(): those keep process-global state (ident, facility),
 * and the preload shim lives inside other people's processes, whose own
 * logging we must not change.  Field values are escaped so a hostile file
 * name cannot forge a field.
 *
 * Delivery never blocks a thread that answers an open ("journald can
 * deadlock with fanotify events", fapolicyd): a record is formatted by the
 * caller and put on a bounded queue; one sender thread per process (started
 * at the first record, signals blocked, started again in a forked child)
 * writes it to the JSON log and sends it to /dev/log.  When the queue is
 * full a record is dropped and counted, never waited for; an alert makes
 * room by dropping the oldest allow/notice record.  Once the queue has
 * drained, one alert says how many records were dropped and when.
 *
 * Loss is loud.  Each sink has failure episodes: an episode starts at the
 * first record a sink fails to take (a write to the JSON log that fails or
 * is short; a syslog datagram that /dev/log does not accept within
 * SYSLOG_WAIT_MS, or no /dev/log at all) and ends at the next record it
 * takes.  Its start is reported on the other sink, its end on both, with
 * the number of records lost in between.  With audit_failure = deny the
 * caller refuses new decisions while vouch_audit_failing() says so.
 */
#include "audit_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Records waiting for the sender.  About 1 KiB each: a burst of a thousand
 * denials (a scan of a tampered tree) fits, and memory stays bounded. */
#define AUDIT_QUEUE_MAX  1024
/* How long a record waits for room in /dev/log's queue before syslog is
 * declared failing; during an episode nothing waits (the JSON log must not
 * fall behind a wedged syslog daemon). */
#define SYSLOG_WAIT_MS   1000
/* How long freeing the sink (a CLI's exit) waits for the queue to drain. */
#define AUDIT_FLUSH_S    3

struct rec {
	struct rec *next;
	int    prio;
	size_t kvlen, jlen;
	char   data[];              /* syslog body, NUL, JSON line */
};

struct episode {                /* a sink's current failure, if any */
	bool     failing;
	int64_t  since;
	unsigned long lost;
	int      err;
};

struct vouch_audit {
	pthread_mutex_t lock;       /* the queue and the drop counters */
	pthread_cond_t  more;       /* a record was queued, or stop */
	pthread_cond_t  idle;       /* the queue is empty and nothing is being sent */
	bool     busy;              /* the sender is delivering a record */
	struct rec *head, *tail;
	size_t   n, nlow;           /* queued; of those, info/notice */
	unsigned long dropped, dropped_alerts;
	int64_t  drop_since;
	bool     started, stop, done;
	pid_t    owner;             /* the process whose sender drains the queue */
	pthread_t thread;
	/* The sinks: only the sender thread touches these (and free, after it). */
	int      sock;              /* connected to /dev/log, or -1 */
	dev_t    sock_dev;          /* ...and which socket it is: a process may */
	ino_t    sock_ino;          /* close our fd and reuse its number */
	int      json;              /* O_APPEND audit log, or -1 */
	char    *json_path;
	struct episode sl, js;
	bool     js_partial;        /* the JSON log ends in a line cut short */
	int      failing;           /* atomic: bit 0 syslog, bit 1 JSON log failing */
	unsigned long lost_total;   /* atomic: records a sink did not take, ever */
	bool     failclosed_said;   /* atomic: the audit_failure = deny line was printed */
};

static const char *const prio_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static void json_line(char *json, size_t cap, size_t *jl, int prio, const char *msg)
{
	char ts[32];

	vouch_time_format((int64_t)time(NULL), ts);
	*jl = (size_t)snprintf(json, cap, "{\"time\":\"%s\",\"severity\":\"%s\",\"message\":",
			       ts, prio_names[prio & 7]);
	vouch_audit_put_value(json, cap - 3, jl, msg, true);
	json[(*jl)++] = '}';
	json[(*jl)++] = '\n';
}

int vouch_audit_new(const char *json_path, bool optional, struct vouch_audit **out,
		    char *err, size_t errlen)
{
	struct vouch_audit *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->more, NULL);
	pthread_cond_init(&a->idle, NULL);
	a->sock = -1;
	a->json = -1;
	if (json_path) {
		a->json_path = strdup(json_path);
		a->json = open(json_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
			       O_NOCTTY, 0640);
		if (a->json < 0) {
			int e = errno;
			if (!optional) {
				vouch_audit_free(a);
				return verr(err, errlen, -e, "%s: %s", json_path, strerror(e));
			}
			vouch_audit_msg(a, LOG_WARNING, "audit_log %s not writable by this process (%s); "
					"records go to syslog only", json_path, strerror(e));
		}
	}
	*out = a;
	return 0;
}

/* The escaped text of one byte of a value.  Syslog: backslash-quote and two
 * backslashes for a quote and a backslash, backslash-xHH outside printable
 * ASCII, else the byte.  JSON: the string decodes to the name with each
 * backslash doubled and each byte outside printable ASCII as the text
 * backslash-xHH (a quote decodes to a quote), so two names never decode
 * alike. */
static size_t escape_byte(unsigned char c, bool json, char out[8])
{
	if (c == '"' && json)
		return (size_t)snprintf(out, 8, "\\\"");       /* JSON's own escape: decodes to a quote */
	if (c == '"' || c == '\\')
		return (size_t)snprintf(out, 8, json ? "\\\\\\%c" : "\\%c", c);
	if (c < 0x20 || c >= 0x7f)
		return (size_t)snprintf(out, 8, json ? "\\\\x%02x" : "\\x%02x", c);
	out[0] = (char)c;
	out[1] = '\0';
	return 1;
}

/* Append s to buf (cap bytes in all, *len used) as a safe value: bare if it
 * only holds harmless bytes, else quoted (always quoted in JSON).  A value
 * that does not fit is cut between two escapes and ends with "...", inside
 * its quotes: the record around it stays well formed.  Writes nothing if
 * not even an empty value fits (3 bytes). */
void vouch_audit_put_value(char *buf, size_t cap, size_t *len, const char *s, bool json)
{
	bool bare = !json && *s, cut = false;
	size_t need = 0, q;
	char e[8];

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' || *p == '=')
			bare = false;
		need += escape_byte(*p, json, e);
	}
	q = bare ? 0 : 2;
	if (*len >= cap || cap - *len < 3)
		return;
	/* Room for the text, the quotes and the NUL; else cut and keep 3 for "...". */
	if (need + q + 1 > cap - *len) {
		cut = true;
		bare = false;
		q = 2;
	}
	if (q)
		buf[(*len)++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n = escape_byte(*p, json, e);

		if (cut && *len + n + 3 + 1 + 1 > cap)
			break;
		memcpy(buf + *len, e, n);
		*len += n;
	}
	if (cut && *len + 3 + 2 <= cap) {
		memcpy(buf + *len, "...", 3);
		*len += 3;
	}
	if (q)
		buf[(*len)++] = '"';
	buf[*len] = '\0';
}

/* ---- the sinks (sender thread only) ------------------------------------ */

/* Send one datagram to /dev/log.  waitms: how long to wait for room in a
 * full queue (0 during an episode).  Returns 0 or -errno. */
static int syslog_send(struct vouch_audit *a, const char *line, size_t n, int waitms)
{
	static const struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	int e = ENOTCONN;

	if (a->sock >= 0) {
		struct stat st;
		/* A daemon that closed every fd may have reused our number for a
		 * file of its own: never write a log record into it. */
		if (fstat(a->sock, &st) < 0 || !S_ISSOCK(st.st_mode) ||
		    st.st_dev != a->sock_dev || st.st_ino != a->sock_ino)
			a->sock = -1;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (a->sock < 0) {
			struct stat st;
			a->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (a->sock < 0)
				return -errno;
			if (connect(a->sock, (const struct sockaddr *)&addr, sizeof(addr)) < 0 ||
			    fstat(a->sock, &st) < 0) {
				e = errno;
				close(a->sock);
				a->sock = -1;
				return -e;         /* no syslog daemon */
			}
			a->sock_dev = st.st_dev;
			a->sock_ino = st.st_ino;
		}
		if (send(a->sock, line, n, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		e = errno;
		if (e == EAGAIN) {
			/* The reader is behind (or wedged): wait a little, once. */
			struct pollfd p = { .fd = a->sock, .events = POLLOUT };
			if (waitms > 0 && poll(&p, 1, waitms) > 0 &&
			    send(a->sock, line, n, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
				return 0;
			return -EAGAIN;
		}
		/* The daemon restarted (ECONNREFUSED/ENOTCONN): reconnect once. */
		close(a->sock);
		a->sock = -1;
	}
	return -e;
}

static int syslog_line(char *line, size_t cap, int prio, const char *msg)
{
	/* RFC 3164 as /dev/log readers (journald, rsyslog) expect it; they add
	 * the time and host themselves. */
	int n = snprintf(line, cap, "<%d>vouch[%d]: %s", LOG_AUTHPRIV | prio, (int)getpid(), msg);

	if (n < 0)
		return 0;
	return (size_t)n >= cap ? (int)cap - 1 : n;
}

/* A note about the sinks themselves, written straight to the sinks that
 * work (never queued: the sender is the one writing it). */
static void note(struct vouch_audit *a, int prio, bool to_syslog, bool to_json, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void note(struct vouch_audit *a, int prio, bool to_syslog, bool to_json, const char *fmt, ...)
{
	char msg[1024], line[1200], json[1400];
	size_t jl;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (to_syslog && !a->sl.failing) {
		n = syslog_line(line, sizeof(line), prio, msg);
		(void)syslog_send(a, line, (size_t)n, SYSLOG_WAIT_MS);
	}
	if (to_json && a->json >= 0 && !a->js.failing) {
		json_line(json, sizeof(json), &jl, prio, msg);
		(void)!write(a->json, json, jl);
	}
}

static void episode_start(struct vouch_audit *a, struct episode *ep, int bit, int err)
{
	ep->failing = true;
	ep->since = (int64_t)time(NULL);
	ep->lost = 0;
	ep->err = err;
	__atomic_or_fetch(&a->failing, bit, __ATOMIC_RELEASE);
}

static void episode_end(struct vouch_audit *a, struct episode *ep, int bit, const char *what)
{
	char t0[32], t1[32];

	ep->failing = false;
	__atomic_and_fetch(&a->failing, ~bit, __ATOMIC_RELEASE);
	__atomic_store_n(&a->failclosed_said, false, __ATOMIC_RELAXED);
	vouch_time_format(ep->since, t0);
	vouch_time_format((int64_t)time(NULL), t1);
	note(a, LOG_ALERT, true, true, "audit: %s works again; %lu record%s lost between %s and %s (%s)",
	     what, ep->lost, ep->lost == 1 ? " was" : "s were", t0, t1, strerror(ep->err));
}

static void lost_one(struct vouch_audit *a, struct episode *ep)
{
	ep->lost++;
	__atomic_add_fetch(&a->lost_total, 1, __ATOMIC_RELAXED);
}

static void deliver(struct vouch_audit *a, const struct rec *r)
{
	const char *kv = r->data, *json = r->data + r->kvlen + 1;
	char line[4200];
	int n, ret;

	if (a->json >= 0) {
		ssize_t w;

		/* A record cut short when the disk filled: end its line first, so
		 * every later line parses again. */
		if (a->js_partial && write(a->json, "\n", 1) == 1)
			a->js_partial = false;
		w = a->js_partial ? -1 : write(a->json, json, r->jlen);
		int e = w < 0 ? (a->js_partial ? ENOSPC : errno) : 0;

		if (w >= 0 && w < (ssize_t)r->jlen) {
			/* A short write: the rest tells why (a full disk says ENOSPC). */
			ssize_t w2 = write(a->json, json + w, r->jlen - (size_t)w);
			if (w2 == (ssize_t)(r->jlen - (size_t)w))
				w = (ssize_t)r->jlen;
			else
				e = w2 < 0 ? errno : EIO;
			a->js_partial |= w != (ssize_t)r->jlen;
		}
		if (w != (ssize_t)r->jlen) {
			if (!a->js.failing) {
				episode_start(a, &a->js, 2, e);
				note(a, LOG_ALERT, true, false, "audit: writing the audit log %s failed (%s): "
				     "records go to syslog only, and are counted, until it works again",
				     a->json_path ? a->json_path : "?", strerror(e));
			}
			lost_one(a, &a->js);
		} else if (a->js.failing) {
			char what[PATH_MAX + 20];

			snprintf(what, sizeof(what), "the audit log %s", a->json_path ? a->json_path : "?");
			episode_end(a, &a->js, 2, what);
		}
	}
	n = syslog_line(line, sizeof(line), r->prio, kv);
	ret = syslog_send(a, line, (size_t)n, a->sl.failing ? 0 : SYSLOG_WAIT_MS);
	if (ret < 0) {
		if (!a->sl.failing) {
			episode_start(a, &a->sl, 1, -ret);
			note(a, LOG_ALERT, false, true, "audit: syslog (/dev/log) does not take records (%s): "
			     "they go to the audit log only, and are counted, until it works again",
			     strerror(-ret));
		}
		lost_one(a, &a->sl);
	} else if (a->sl.failing) {
		episode_end(a, &a->sl, 1, "syslog (/dev/log)");
	}
}

static void *sender(void *arg)
{
	struct vouch_audit *a = arg;

	pthread_mutex_lock(&a->lock);
	for (;;) {
		struct rec *r;

		while (!a->head && !a->stop) {
			pthread_cond_broadcast(&a->idle);
			pthread_cond_wait(&a->more, &a->lock);
		}
		if (!a->head)
			break;
		r = a->head;
		a->head = r->next;
		if (!a->head)
			a->tail = NULL;
		a->n--;
		if (r->prio > LOG_ERR)
			a->nlow--;
		a->busy = true;
		pthread_mutex_unlock(&a->lock);
		deliver(a, r);
		free(r);
		pthread_mutex_lock(&a->lock);
		a->busy = false;
		if (a->dropped && a->n < AUDIT_QUEUE_MAX / 2) {
			unsigned long d = a->dropped, da = a->dropped_alerts;
			char t0[32], t1[32];

			vouch_time_format(a->drop_since, t0);
			a->dropped = a->dropped_alerts = 0;
			__atomic_store_n(&a->failclosed_said, false, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&a->lock);
			vouch_time_format((int64_t)time(NULL), t1);
			note(a, LOG_ALERT, true, true, "audit: the record queue was full: %lu record%s "
			     "dropped between %s and %s (%lu of them alerts)", d, d == 1 ? "" : "s", t0, t1, da);
			pthread_mutex_lock(&a->lock);
		}
	}
	a->done = true;
	pthread_cond_broadcast(&a->idle);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* ---- the queue (any thread) --------------------------------------------- */

/* Called with a->lock held. */
static void start_sender(struct vouch_audit *a)
{
	sigset_t all, old;

	if (a->started && a->owner == getpid())
		return;
	if (a->started) {
		/* A forked child: the sender is the parent's and does not exist
		 * here.  Records queued before the fork are the parent's to send;
		 * forget them (leaked, not freed: cheap, and never touched). */
		a->head = a->tail = NULL;
		a->n = a->nlow = 0;
	}
	a->owner = getpid();
	a->started = true;
	a->stop = a->done = false;
	/* The sender must never take a signal meant for the program. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&a->thread, NULL, sender, a) != 0)
		a->started = false;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void enqueue(struct vouch_audit *a, int prio, const char *kv, size_t kl,
		    const char *json, size_t jl)
{
	struct rec *r = malloc(sizeof(*r) + kl + jl + 2);
	bool alert = prio <= LOG_ERR;

	pthread_mutex_lock(&a->lock);
	start_sender(a);
	if (a->n >= AUDIT_QUEUE_MAX && alert && a->nlow) {
		/* Make room for an alert: drop the oldest low-priority record. */
		for (struct rec **pp = &a->head; *pp; pp = &(*pp)->next) {
			struct rec *x = *pp;
			if (x->prio <= LOG_ERR)
				continue;
			*pp = x->next;
			if (a->tail == x) {
				a->tail = a->head;
				while (a->tail && a->tail->next)
					a->tail = a->tail->next;
			}
			free(x);
			a->n--;
			a->nlow--;
			if (!a->dropped++)
				a->drop_since = (int64_t)time(NULL);
			break;
		}
	}
	if (!r || !a->started || a->n >= AUDIT_QUEUE_MAX) {
		if (!a->dropped++)
			a->drop_since = (int64_t)time(NULL);
		a->dropped_alerts += alert;
		__atomic_add_fetch(&a->lost_total, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&a->lock);
		free(r);
		return;
	}
	r->next = NULL;
	r->prio = prio;
	r->kvlen = kl;
	r->jlen = jl;
	memcpy(r->data, kv, kl);
	r->data[kl] = '\0';
	memcpy(r->data + kl + 1, json, jl);
	if (a->tail)
		a->tail->next = r;
	else
		a->head = r;
	a->tail = r;
	a->n++;
	a->nlow += !alert;
	pthread_cond_signal(&a->more);
	pthread_mutex_unlock(&a->lock);
}

bool vouch_audit_failing(struct vouch_audit *a, char *why, size_t whylen)
{
	int f = __atomic_load_n(&a->failing, __ATOMIC_ACQUIRE);
	size_t n = __atomic_load_n(&a->n, __ATOMIC_RELAXED);
	bool json = a->json >= 0;

	if (n >= AUDIT_QUEUE_MAX) {
		snprintf(why, whylen, "the audit record queue is full");
		return true;
	}
	if ((f & 1) && (!json || (f & 2))) {
		snprintf(why, whylen, json ? "neither syslog nor the audit log takes records" :
			 "syslog does not take records and no audit log is configured");
		return true;
	}
	return false;
}

void vouch_audit_failclosed(struct vouch_audit *a, const char *why)
{
	/* The one place libvouch writes to stderr: the audit sinks are the
	 * problem, so the reason goes where the service manager collects
	 * output (the journal under systemd).  Once per episode. */
	if (__atomic_exchange_n(&a->failclosed_said, true, __ATOMIC_RELAXED))
		return;
	dprintf(2, "vouch: audit delivery is failing (%s): new decisions are denied "
		"(audit_failure = deny) until it works again\n", why);
}

unsigned long vouch_audit_lost(struct vouch_audit *a)
{
	return __atomic_load_n(&a->lost_total, __ATOMIC_RELAXED);
}

void vouch_audit_drain(struct vouch_audit *a, int timeout_ms)
{
	struct timespec dl;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->lock);
	while (a->started && a->owner == getpid() && !a->done && (a->head || a->busy))
		if (pthread_cond_timedwait(&a->idle, &a->lock, &dl) != 0)
			break;
	pthread_mutex_unlock(&a->lock);
}

void vouch_audit_free(struct vouch_audit *a)
{
	struct stat st;

	if (!a)
		return;
	/* A forked child freeing its parent's sink: the sender is not here,
	 * and may have held a->lock when the process forked.  Read without
	 * the lock (the child is the only thread that can see this object
	 * now) and leave it be: leaked, never locked. */
	if (__atomic_load_n(&a->started, __ATOMIC_ACQUIRE) && a->owner != getpid())
		return;
	pthread_mutex_lock(&a->lock);
	if (a->started) {
		struct timespec dl;

		a->stop = true;
		pthread_cond_signal(&a->more);
		pthread_mutex_unlock(&a->lock);
		/* Drain what is queued (a CLI's last records), but never hang an
		 * exiting program on a wedged syslog daemon. */
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += AUDIT_FLUSH_S;
		if (pthread_timedjoin_np(a->thread, NULL, &dl) != 0)
			return;               /* still sending: leak it, the process is leaving */
	} else {
		pthread_mutex_unlock(&a->lock);
	}
	for (struct rec *r = a->head, *next; r; r = next) {
		next = r->next;
		free(r);
	}
	/* Close only what is still our socket (see syslog_send). */
	if (a->sock >= 0 && fstat(a->sock, &st) == 0 && st.st_dev == a->sock_dev &&
	    st.st_ino == a->sock_ino)
		close(a->sock);
	if (a->json >= 0)
		close(a->json);
	free(a->json_path);
	pthread_cond_destroy(&a->more);
	pthread_cond_destroy(&a->idle);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

void vouch_audit_msg(struct vouch_audit *a, int prio, const char *fmt, ...)
{
	char msg[2048], json[2300];
	size_t jl = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_line(json, sizeof(json), &jl, prio, msg);
	enqueue(a, prio, msg, strlen(msg), json, jl);
}

void vouch_audit_record(struct vouch_audit *a, const struct vouch_event *e)
{
	char kv[6144], json[8192], num[32], ts[32];
	size_t kl = 0, jl = 0;
	int prio = e->priority;
	/* Each value's room in the syslog body (the JSON line gets twice it):
	 * the sum stays below both buffers and the 4200-byte syslog datagram,
	 * so a hostile name is cut ("...") and every field after it still
	 * comes, and each record is one well-formed line. */
	struct { const char *k; const char *v; bool num; size_t room; } f[20];
	size_t nf = 0;

#define FIELD(key, val, isnum) do { f[nf].k = (key); f[nf].v = (val); f[nf].num = (isnum); \
	f[nf].room = !strcmp(key, "path") ? 1280 : !strcmp(key, "signers") || !strcmp(key, "detail") ? \
		     640 : !strcmp(key, "model") ? 256 : 96; nf++; } while (0)
	char dev[24], ino[24], size[24], pid[16], uid[16], ver[24], ms[24];

	snprintf(dev, sizeof(dev), "%" PRIu64, (uint64_t)e->dev);
	snprintf(ino, sizeof(ino), "%" PRIu64, (uint64_t)e->ino);
	snprintf(size, sizeof(size), "%" PRIu64, e->size);
	snprintf(pid, sizeof(pid), "%d", (int)e->pid);
	snprintf(uid, sizeof(uid), "%u", (unsigned)e->uid);
	snprintf(ver, sizeof(ver), "%" PRIu64, e->version);
	snprintf(ms, sizeof(ms), "%.1f", e->elapsed_ms);
	FIELD("decision", e->decision, false);
	FIELD("cause", vouch_cause_name(e->cause), false);
	FIELD("mode", e->mode == VOUCH_MODE_AUDIT ? "audit" : "enforce", false);
	FIELD("path", e->path ? e->path : "", false);
	FIELD("dev", dev, true);
	FIELD("ino", ino, true);
	FIELD("size", size, true);
	FIELD("pid", pid, true);
	FIELD("uid", uid, true);
	FIELD("comm", e->comm ? e->comm : "", false);
	FIELD("model", e->model ? e->model : "", false);
	FIELD("version", ver, true);
	FIELD("keyid", e->keyid ? e->keyid : "", false);
	if (e->signers && *e->signers)
		FIELD("signers", e->signers, false);
	FIELD("elapsed_ms", ms, true);
	if (e->cached)
		FIELD("cached", "true", true);
	if (e->receipt)
		FIELD("content", "receipt", false);
	else if (e->streamed)
		FIELD("content", "streamed", false);
	else if (e->reused)
		FIELD("content", "kept", false);
	if (e->detail && *e->detail)
		FIELD("detail", e->detail, false);
#undef FIELD
	(void)num;
	vouch_time_format((int64_t)time(NULL), ts);
	jl = (size_t)snprintf(json, sizeof(json), "{\"time\":\"%s\",\"severity\":\"%s\"", ts,
			      prio_names[prio & 7]);
	for (size_t i = 0; i < nf; i++) {
		if (kl + 2 < sizeof(kv)) {
			kl += (size_t)snprintf(kv + kl, sizeof(kv) - kl, "%s%s=", i ? " " : "", f[i].k);
			if (kl >= sizeof(kv))
				kl = sizeof(kv) - 1;
			vouch_audit_put_value(kv, kl + f[i].room < sizeof(kv) ? kl + f[i].room : sizeof(kv),
					      &kl, f[i].v, false);
		}
		if (jl + 8 < sizeof(json)) {
			jl += (size_t)snprintf(json + jl, sizeof(json) - jl, ",\"%s\":", f[i].k);
			if (jl >= sizeof(json))
				jl = sizeof(json) - 1;
			if (f[i].num)
				jl += (size_t)snprintf(json + jl, sizeof(json) - jl, "%s", f[i].v);
			else
				vouch_audit_put_value(json, jl + 2 * f[i].room < sizeof(json) - 3 ?
						      jl + 2 * f[i].room : sizeof(json) - 3, &jl, f[i].v, true);
		}
	}
	if (jl > sizeof(json) - 3)
		jl = sizeof(json) - 3;
	json[jl++] = '}';
	json[jl++] = '\n';
	enqueue(a, prio, kv, kl, json, jl);
}
