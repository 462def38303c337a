/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_metrics.c - `vouch metrics`: read every daemon's metrics socket in
 * metrics_dir (vouchfs instances, vouchd) and show them as one Prometheus
 * text exposition with an `instance` label per socket: printed, written as
 * a node-exporter textfile (atomically), or served over HTTP for a
 * Prometheus scrape (a small HTTP/1.0 server, one request per connection,
 * loopback unless told otherwise).  Also what `vouch status` reads the
 * counters with (metrics_collect).
 *
 * The daemons have no network (vouchfs@.service must keep it that way), so
 * this command is the one that listens; it reads the sockets and never
 * talks to a daemon any other way.  The HTTP request parser is http.c.
 */
#include "cli.h"
#include "http.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* What one socket may send: the exposition of one daemon is ~6 KiB. */
#define SOURCE_MAX      (1u << 20)
/* Sockets read per call: one per vouchfs instance and vouchd. */
#define SOURCES_MAX     256
/* Families kept when merging: vouch's daemons send ~16. */
#define FAMILIES_MAX    512
/* A daemon answers at once (it writes a rendered buffer); one that does
 * not within this long is reported down, not waited for. */
#define SOURCE_TIMEOUT_MS 2000
/* One HTTP connection, request and answer: a client slower than this is
 * dropped, so one stuck client holds the server at most this long. */
#define HTTP_DEADLINE_MS 5000

/* ---- reading the sockets ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_source(const char *dir, const char *file, struct msource *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { SOURCE_TIMEOUT_MS / 1000, (SOURCE_TIMEOUT_MS % 1000) * 1000 };
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	size_t cap = 0;
	int fd, n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, file);
	fd = n > 0 && (size_t)n < sizeof(sa.sun_path) ? socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)
						      : -1;
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	/* Only a daemon of root's (or ours) is believed. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
	    (cr.uid != 0 && cr.uid != geteuid()))
		goto out;
	s->pid = cr.pid;
	for (;;) {
		ssize_t r;

		if (s->len + 4096 > cap) {
			char *t;

			if (cap >= SOURCE_MAX)
				goto out;       /* too much: not a vouch daemon */
			cap = cap ? cap * 2 : 16384;
			t = realloc(s->text, cap + 1);
			if (!t)
				goto out;
			s->text = t;
		}
		r = read(fd, s->text + s->len, cap - s->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		s->len += (size_t)r;
	}
	if (s->text) {
		s->text[s->len] = '\0';
		s->up = s->len > 0 && !memchr(s->text, '\0', s->len);
	}
out:
	if (!s->up) {
		free(s->text);
		s->text = NULL;
		s->len = 0;
	}
	close(fd);
}

int metrics_collect(const char *dir, struct msource **out, size_t *nout)
{
	struct msource *v = NULL;
	char *names[SOURCES_MAX];
	size_t n = 0;
	struct dirent *d;
	DIR *dp = opendir(dir);

	*out = NULL;
	*nout = 0;
	if (!dp)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dp)) && n < SOURCES_MAX) {
		size_t l = strlen(d->d_name);

		if (l > 5 && !strcmp(d->d_name + l - 5, ".sock") && d->d_name[0] != '.' &&
		    (d->d_type == DT_SOCK || d->d_type == DT_UNKNOWN))
			if ((names[n] = strdup(d->d_name)))
				n++;
	}
	closedir(dp);
	qsort(names, n, sizeof(names[0]), cmp_str);
	if (n && !(v = calloc(n, sizeof(*v)))) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(v[i].instance, sizeof(v[i].instance), "%.*s",
			 (int)(strlen(names[i]) - 5), names[i]);
		read_source(dir, names[i], &v[i]);
		free(names[i]);
	}
	*out = v;
	*nout = n;
	return 0;
}

void metrics_free(struct msource *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].text);
	free(v);
}

/* Sum of the samples named exactly `name` whose labels contain `has` (may
 * be NULL: all). */
double metrics_value(const struct msource *s, const char *name, const char *has)
{
	size_t nl = strlen(name);
	double sum = 0;
	const char *p;

	for (p = s->text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *e = strchr(p, '\n'), *sp;

		if (strncmp(p, name, nl) || (p[nl] != '{' && p[nl] != ' '))
			continue;
		sp = p[nl] == '{' ? strchr(p + nl, '}') : p + nl;
		if (!sp || (e && sp > e))
			continue;
		if (has) {
			const char *h = strstr(p + nl, has);
			if (!h || h > sp)
				continue;
		}
		sum += strtod(sp + (*sp == '}') , NULL);
	}
	return sum;
}

/* ---- one exposition from many ---- */

struct family {
	char *name, *help, *type;
	char *buf;              /* its samples, instance label added */
	size_t len;
	FILE *f;
};

struct merge {
	struct family fam[FAMILIES_MAX];
	size_t n;
};

static struct family *fam_get(struct merge *m, const char *name, size_t len)
{
	for (size_t i = 0; i < m->n; i++)
		if (strlen(m->fam[i].name) == len && !memcmp(m->fam[i].name, name, len))
			return &m->fam[i];
	if (m->n == FAMILIES_MAX)
		return NULL;
	m->fam[m->n].name = strndup(name, len);
	m->fam[m->n].f = open_memstream(&m->fam[m->n].buf, &m->fam[m->n].len);
	if (!m->fam[m->n].name || !m->fam[m->n].f) {
		free(m->fam[m->n].name);
		if (m->fam[m->n].f)
			fclose(m->fam[m->n].f);
		free(m->fam[m->n].buf);
		memset(&m->fam[m->n], 0, sizeof(m->fam[0]));
		return NULL;
	}
	return &m->fam[m->n++];
}

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* A label value in the exposition: \\, \" and \n escaped. */
static void put_label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* Does a sample named name[0..len) belong to family cur (a histogram's
 * _bucket, _sum and _count do)? */
static bool of_family(const struct family *cur, const char *name, size_t len)
{
	static const char *const suffixes[] = { "", "_bucket", "_sum", "_count" };
	size_t cl;

	if (!cur)
		return false;
	cl = strlen(cur->name);
	if (len < cl || memcmp(name, cur->name, cl))
		return false;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (len - cl == strlen(suffixes[i]) && !memcmp(name + cl, suffixes[i], len - cl))
			return true;
	return false;
}

static void merge_source(struct merge *m, const struct msource *s)
{
	struct family *cur = NULL;
	const char *p = s->text;

	while (p && *p) {
		const char *e = strchr(p, '\n');
		size_t ll = e ? (size_t)(e - p) : strlen(p), nl;

		if (ll > 7 && (!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7))) {
			const char *nm = p + 7, *sp = memchr(nm, ' ', ll - 7);
			struct family *f;

			if (sp && (f = fam_get(m, nm, (size_t)(sp - nm)))) {
				char **slot = p[2] == 'H' ? &f->help : &f->type;

				if (!*slot)
					*slot = strndup(sp + 1, ll - (size_t)(sp + 1 - p));
				if (p[2] == 'T')
					cur = f;
			}
		} else if (ll && p[0] != '#') {
			for (nl = 0; nl < ll && name_char(p[nl], nl == 0); nl++)
				;
			if (nl && nl < ll && (p[nl] == '{' || p[nl] == ' ')) {
				struct family *f = of_family(cur, p, nl) ? cur : fam_get(m, p, nl);

				if (f) {
					fprintf(f->f, "%.*s{instance=\"", (int)nl, p);
					put_label_value(f->f, s->instance);
					if (p[nl] == '{' && nl + 1 < ll && p[nl + 1] != '}')
						fprintf(f->f, "\",%.*s\n", (int)(ll - nl - 1), p + nl + 1);
					else if (p[nl] == '{')
						fprintf(f->f, "\"%.*s\n", (int)(ll - nl - 1), p + nl + 1);
					else
						fprintf(f->f, "\"}%.*s\n", (int)(ll - nl), p + nl);
				}
			}
		}
		p = e ? e + 1 : NULL;
	}
}

/* Every source as one exposition, malloc'd into *out. */
static int metrics_merge(const struct msource *v, size_t n, char **out, size_t *len)
{
	struct merge *m = calloc(1, sizeof(*m));
	FILE *f;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (v[i].up)
			merge_source(m, &v[i]);
	f = open_memstream(out, len);
	if (f) {
		for (size_t i = 0; i < m->n; i++) {
			struct family *fa = &m->fam[i];

			fclose(fa->f);
			if (fa->help)
				fprintf(f, "# HELP %s %s\n", fa->name, fa->help);
			if (fa->type)
				fprintf(f, "# TYPE %s %s\n", fa->name, fa->type);
			fwrite(fa->buf, 1, fa->len, f);
		}
		fprintf(f, "# HELP vouch_metrics_source_up Whether the daemon's metrics socket "
			"answered (0: it is there but nobody serves it, e.g. the daemon died).\n"
			"# TYPE vouch_metrics_source_up gauge\n");
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "vouch_metrics_source_up{instance=\"");
			put_label_value(f, v[i].instance);
			fprintf(f, "\"} %d\n", v[i].up);
		}
	} else {
		for (size_t i = 0; i < m->n; i++)
			fclose(m->fam[i].f);
	}
	for (size_t i = 0; i < m->n; i++) {
		free(m->fam[i].name);
		free(m->fam[i].help);
		free(m->fam[i].type);
		free(m->fam[i].buf);
	}
	free(m);
	if (!f || fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int render(const char *dir, char **out, size_t *len, size_t *nsrc)
{
	struct msource *v;
	size_t n;
	int ret = metrics_collect(dir, &v, &n);

	if (ret < 0)
		return ret;
	ret = metrics_merge(v, n, out, len);
	metrics_free(v, n);
	if (nsrc)
		*nsrc = n;
	return ret;
}

/* ---- the outputs ---- */

/* node-exporter's textfile collector reads *.prom: written beside PATH
 * under a name it ignores, then renamed over PATH, so it never reads half. */
static int write_textfile(const char *path, const char *text, size_t len)
{
	char *tmp = NULL;
	int fd = -1, ret = -1;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		msg("%s: %s", path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 ||
	    close(fd) < 0) {
		fd = -1;
		msg("%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		msg("%s: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret && tmp)
		unlink(tmp);
	free(tmp);
	return ret;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Send all of buf before the deadline, or give up. */
static int send_all(int c, const char *buf, size_t len, const struct timespec *deadline)
{
	while (len) {
		struct pollfd p = { .fd = c, .events = POLLOUT };
		long left = ms_left(deadline);
		ssize_t w;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		w = send(c, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

static void respond(int c, int status, const char *ctype, const char *body, size_t blen,
		    bool head, const struct timespec *deadline)
{
	const char *reason = status == 200 ? "OK" : status == 400 ? "Bad Request" :
			     status == 404 ? "Not Found" : status == 405 ? "Method Not Allowed" :
			     status == 408 ? "Request Timeout" : status == 414 ? "URI Too Long" :
			     status == 431 ? "Request Header Fields Too Large" :
			     status == 505 ? "HTTP Version Not Supported" : "Internal Server Error";
	char hdr[512];
	int n = snprintf(hdr, sizeof(hdr), "HTTP/1.0 %d %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n%s\r\n", status, reason, ctype,
			 blen, status == 405 ? "Allow: GET, HEAD\r\n" : "");

	if (n > 0 && (size_t)n < sizeof(hdr) && send_all(c, hdr, (size_t)n, deadline) == 0 && !head)
		send_all(c, body, blen, deadline);
}

static void serve_conn(int c, const char *dir)
{
	char req[HTTP_REQUEST_MAX];
	struct http_request r;
	struct timespec deadline;
	size_t len = 0;
	int status = -1;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += HTTP_DEADLINE_MS / 1000;
	while (status == -1) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		long left = ms_left(&deadline);
		ssize_t got;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			status = 408;
			break;
		}
		got = recv(c, req + len, sizeof(req) - len, MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got <= 0)
			return;             /* the client went away */
		len += (size_t)got;
		status = http_parse_request(req, len, &r);
	}
	if (status == 0 && !strcmp(r.path, "/metrics")) {
		char *text = NULL;
		size_t tl = 0;

		if (render(dir, &text, &tl, NULL) == 0)
			respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", text, tl, r.head,
				&deadline);
		else
			respond(c, 500, "text/plain", "cannot read the metrics sockets\n", 32, r.head,
				&deadline);
		free(text);
		return;
	}
	if (status == 0 && !strcmp(r.path, "/")) {
		static const char body[] = "vouch metrics: GET /metrics\n";
		respond(c, 200, "text/plain", body, sizeof(body) - 1, r.head, &deadline);
		return;
	}
	{
		char body[64];
		int bl;

		if (status == 0)
			status = 404;
		bl = snprintf(body, sizeof(body), "%d\n", status);
		respond(c, status, "text/plain", body, (size_t)bl, false, &deadline);
	}
}

/* ADDR:PORT, [V6]:PORT or PORT (then 127.0.0.1). */
static int listen_on(const char *spec)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char host[256];
	const char *port;
	int fd = -1, one = 1, rc;

	if (spec[0] == '[') {
		const char *close_b = strchr(spec, ']');

		if (!close_b || close_b[1] != ':' || (size_t)(close_b - spec - 1) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(close_b - spec - 1), spec + 1);
		port = close_b + 2;
	} else if ((port = strrchr(spec, ':'))) {
		if ((size_t)(port - spec) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(port - spec), spec);
		port++;
	} else {
		snprintf(host, sizeof(host), "127.0.0.1");
		port = spec;
	}
	if (!*host || !*port || strspn(port, "0123456789") != strlen(port))
		return -EINVAL;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc)
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vouch metrics [-c CONFIG] [--dir DIR] [--textfile PATH | --listen ADDR:PORT]\n"
"\n"
"Read the metrics socket of every vouch daemon (vouchfs instances, vouchd) in\n"
"metrics_dir (default " VOUCH_METRICS_DIR ") and show them as one Prometheus\n"
"text exposition, each sample labelled instance=\"SOCKET NAME\".\n"
"\n"
"  -c, --config FILE     where metrics_dir is set (default $VOUCH_CONFIG or\n"
"                        " DEFAULT_CONFIG ", if it exists)\n"
"      --dir DIR         the sockets' directory (overrides metrics_dir)\n"
"      --textfile PATH   write to PATH atomically (node-exporter textfile\n"
"                        collector: PATH ends in .prom), then exit\n"
"      --listen ADDR:PORT  serve GET /metrics over HTTP/1.0 (PORT alone:\n"
"                        127.0.0.1); runs until killed\n"
"\n"
"Exit: 0, 1 some socket did not answer (printing and --textfile), 2 usage,\n"
"3 the directory cannot be read or the output written.\n");
}

/* metrics_dir from the config (the caller frees *dir). */
int metrics_dir_from_config(const char *config, char **dir)
{
	struct vouch_config cfg;
	const char *path = config ? config : config_default();
	char err[1024];
	int ret = 0;

	*dir = NULL;
	vouch_config_init(&cfg);
	if (config || config_from_env() || access(path, F_OK) == 0) {
		ret = vouch_config_load(&cfg, path, err, sizeof(err));
		if (ret < 0)
			msg("%s", err);
	}
	if (!ret && !(*dir = strdup(cfg.metrics_dir ? cfg.metrics_dir : VOUCH_METRICS_DIR)))
		ret = -ENOMEM;
	vouch_config_clear(&cfg);
	return ret;
}

int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "textfile", required_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *dir_opt = NULL, *textfile = NULL, *listen_spec = NULL;
	char *dir = NULL, *text = NULL;
	size_t len = 0, nsrc = 0;
	int c, ret = EXIT_OPERATIONAL;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': dir_opt = optarg; break;
		case 't': textfile = optarg; break;
		case 'l': listen_spec = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("metrics", "unexpected argument '%s'", argv[optind]);
	if (textfile && listen_spec)
		return usage_error("metrics", "--textfile and --listen: one at a time");
	if (dir_opt)
		dir = strdup(dir_opt);
	else if (metrics_dir_from_config(config, &dir) < 0)
		return EXIT_OPERATIONAL;
	if (!dir)
		return EXIT_OPERATIONAL;
	if (listen_spec) {
		int lfd = listen_on(listen_spec);

		if (lfd < 0) {
			msg("--listen %s: %s", listen_spec, lfd == -EINVAL ?
			    "not ADDR:PORT, [ADDR]:PORT or PORT with a numeric address" : strerror(-lfd));
			free(dir);
			return lfd == -EINVAL ? EXIT_USAGE : EXIT_OPERATIONAL;
		}
		signal(SIGPIPE, SIG_IGN);
		/* One connection at a time, each bounded by HTTP_DEADLINE_MS: a
		 * scraper every few seconds needs no more. */
		for (;;) {
			int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (conn < 0)
				continue;
			serve_conn(conn, dir);
			close(conn);
		}
	}
	if (render(dir, &text, &len, &nsrc) < 0) {
		msg("%s: %s", dir, strerror(errno));
		goto out;
	}
	if (textfile) {
		if (write_textfile(textfile, text, len) < 0)
			goto out;
	} else if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
		goto out;
	}
	{
		/* Exit 1 for a socket nobody answers on (the up family is last). */
		const char *up = strstr(text, "# TYPE vouch_metrics_source_up gauge\n");

		ret = up && strstr(up, "} 0\n") ? EXIT_FAILED : 0;
	}
	if (!nsrc)
		msg("no metrics socket in %s (no vouchfs or vouchd running with this metrics_dir)",
		    dir);
out:
	free(text);
	free(dir);
	return ret;
}
