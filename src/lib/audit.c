/*
 * audit.c - one record per decision, to syslog (ident "vouch", facility
 * authpriv; deny = LOG_ALERT) and optionally to a JSON-lines file.
 *
 * We speak the syslog protocol to /dev/log ourselves instead of calling
 * openlog()/syslog(): those keep process-global state (ident, facility),
 * and the preload shim lives inside other people's processes, whose own
 * logging we must not change.  Allow records are sent without blocking
 * (MSG_DONTWAIT; a full socket drops them and counts the drop), so a slow
 * log reader never stalls an open; deny records are sent blocking, because
 * losing an alert is worse than a late open that is failing anyway.
 * Field values are escaped so a hostile file name cannot forge a field.
 */
#include "audit_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

struct vouch_audit {
	pthread_mutex_t lock;
	int sock;                  /* connected to /dev/log, or -1 */
	dev_t sock_dev;            /* ...and which socket it is: a process may */
	ino_t sock_ino;            /* close our fd and reuse its number */
	int json;                  /* O_APPEND audit log, or -1 */
	unsigned long dropped;
};

static const char *const prio_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

int vouch_audit_new(const char *json_path, bool optional, struct vouch_audit **out,
		    char *err, size_t errlen)
{
	struct vouch_audit *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	a->sock = -1;
	a->json = -1;
	if (json_path) {
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

void vouch_audit_free(struct vouch_audit *a)
{
	struct stat st;

	if (!a)
		return;
	/* Close only what is still our socket (see send_syslog). */
	if (a->sock >= 0 && fstat(a->sock, &st) == 0 && st.st_dev == a->sock_dev &&
	    st.st_ino == a->sock_ino)
		close(a->sock);
	if (a->json >= 0)
		close(a->json);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* Append s to buf as a safe value: bare if it only holds harmless bytes,
 * else quoted with \" \\ and \xHH for anything outside printable ASCII.
 * json: always quoted, valid JSON string. */
void vouch_audit_put_value(char *buf, size_t cap, size_t *len, const char *s, bool json)
{
	bool bare = !json && *s;

	for (const unsigned char *p = (const unsigned char *)s; *p && bare; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' || *p == '=')
			bare = false;
#define PUT(c) do { if (*len + 1 < cap) buf[(*len)++] = (c); } while (0)
	if (!bare)
		PUT('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			PUT('\\');
			PUT((char)*p);
		} else if (*p < 0x20 || *p >= 0x7f) {
			if (*len + 4 < cap)
				/* In JSON, "\\xHH" (an escaped backslash): the same text as in syslog. */
				*len += (size_t)snprintf(buf + *len, cap - *len,
							 json ? "\\\\x%02x" : "\\x%02x", *p);
		} else {
			PUT((char)*p);
		}
	}
	if (!bare)
		PUT('"');
#undef PUT
	buf[*len] = '\0';
}

static void send_syslog(struct vouch_audit *a, int prio, const char *msg)
{
	static const struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	char line[4096];
	int n, flags = prio <= LOG_ERR ? 0 : MSG_DONTWAIT;

	/* RFC 3164 as /dev/log readers (journald, rsyslog) expect it; they add
	 * the time and host themselves. */
	n = snprintf(line, sizeof(line), "<%d>vouch[%d]: %s", LOG_AUTHPRIV | prio, (int)getpid(), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
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
				return;
			if (connect(a->sock, (const struct sockaddr *)&addr, sizeof(addr)) < 0 ||
			    fstat(a->sock, &st) < 0) {
				close(a->sock);
				a->sock = -1;
				return;            /* no syslog daemon: nothing to talk to */
			}
			a->sock_dev = st.st_dev;
			a->sock_ino = st.st_ino;
		}
		if (send(a->sock, line, (size_t)n, flags | MSG_NOSIGNAL) >= 0)
			return;
		if (errno == EAGAIN) {
			a->dropped++;
			return;
		}
		/* The daemon restarted (ECONNREFUSED/ENOTCONN): reconnect once. */
		close(a->sock);
		a->sock = -1;
	}
}

static void write_json(struct vouch_audit *a, const char *line, size_t len)
{
	/* One write per record: O_APPEND keeps concurrent writers' lines whole. */
	if (a->json >= 0 && write(a->json, line, len) < 0) { /* nowhere to report */ }
}

void vouch_audit_msg(struct vouch_audit *a, int prio, const char *fmt, ...)
{
	char msg[2048], json[2300], ts[32];
	size_t jl = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vouch_time_format((int64_t)time(NULL), ts);
	jl = (size_t)snprintf(json, sizeof(json), "{\"time\":\"%s\",\"severity\":\"%s\",\"message\":",
			      ts, prio_names[prio & 7]);
	vouch_audit_put_value(json, sizeof(json) - 3, &jl, msg, true);
	json[jl++] = '}';
	json[jl++] = '\n';
	pthread_mutex_lock(&a->lock);
	send_syslog(a, prio, msg);
	write_json(a, json, jl);
	pthread_mutex_unlock(&a->lock);
}

void vouch_audit_record(struct vouch_audit *a, const struct vouch_event *e)
{
	char kv[3072], json[4096], num[32], ts[32];
	size_t kl = 0, jl = 0;
	int prio = e->priority;
	struct { const char *k; const char *v; bool num; } f[20];
	size_t nf = 0;

#define FIELD(key, val, isnum) do { f[nf].k = (key); f[nf].v = (val); f[nf].num = (isnum); nf++; } while (0)
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
	FIELD("elapsed_ms", ms, true);
	if (e->cached)
		FIELD("cached", "true", true);
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
			vouch_audit_put_value(kv, sizeof(kv), &kl, f[i].v, false);
		}
		if (jl + 8 < sizeof(json)) {
			jl += (size_t)snprintf(json + jl, sizeof(json) - jl, ",\"%s\":", f[i].k);
			if (jl >= sizeof(json))
				jl = sizeof(json) - 1;
			if (f[i].num)
				jl += (size_t)snprintf(json + jl, sizeof(json) - jl, "%s", f[i].v);
			else
				vouch_audit_put_value(json, sizeof(json) - 3, &jl, f[i].v, true);
		}
	}
	if (jl > sizeof(json) - 3)
		jl = sizeof(json) - 3;
	json[jl++] = '}';
	json[jl++] = '\n';
	pthread_mutex_lock(&a->lock);
	send_syslog(a, prio, kv);
	write_json(a, json, jl);
	pthread_mutex_unlock(&a->lock);
}
