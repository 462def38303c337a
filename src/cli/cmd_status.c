/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_status.c - `vouch status`: one screen on what this host enforces.
 * Which configured root is protected by what (a live vouchfs mount, vouchd,
 * the shim loaded system-wide), the vouchfs mounts with their daemons and
 * sources, shim drop-ins installed, the trust store, the counters the
 * daemons' metrics sockets give, the last denials in the audit log; --json
 * for scripts.  Exit 1 if a configured root is not protected right now.
 *
 * Where each fact comes from: mounts from /proc/self/mountinfo (fstype
 * fuse.vouchfs; the source field is vouchfs's source), a mount's liveness
 * from statfs() (a dead daemon's mount answers ENOTCONN), daemons and their
 * pids from their metrics sockets (SO_PEERCRED of the process answering),
 * drop-ins from the systemd unit directories.  Reads only; never signals
 * or talks to a daemon but through its metrics socket.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define MOUNTS_MAX   256
#define DROPINS_MAX  64
#define DENIALS_MAX  5
/* How much of the audit log's end is read for the last denials. */
#define AUDIT_TAIL   (256 * 1024)

struct vmount {
	char mnt[4096], src[4096];
	bool alive;
	int  err;                   /* stat()'s errno when not alive */
	pid_t pid;                  /* from its metrics socket, 0: unknown */
	const struct msource *metrics;
};

struct status {
	struct vouch_config cfg;
	struct vmount mounts[MOUNTS_MAX];
	size_t nmounts;
	struct msource *src;
	size_t nsrc;
	const struct msource *vouchd;
	char *dropins[DROPINS_MAX];
	size_t ndropins;
	bool shim_global;
	json_t *roots, *denials;
	bool all_protected;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in && o + 1 < cap; in++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
		    in[3] >= '0' && in[3] <= '7') {
			out[o++] = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 3;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

/* Every fuse.vouchfs mount; a mount point stacked twice (a dead layer under
 * a restarted one) is listed once, as its top layer. */
static void read_mounts(struct status *st)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *fields[5], *save = NULL, *tok, *fstype, *source;
		struct vmount *m = NULL;
		char mnt[4096];
		int n = 0;

		if (!sep)
			continue;
		*sep = '\0';
		for (tok = strtok_r(line, " ", &save); tok && n < 5; tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		fstype = strtok_r(sep + 3, " ", &save);
		source = strtok_r(NULL, " ", &save);
		if (n < 5 || !fstype || !source || strcmp(fstype, "fuse.vouchfs"))
			continue;
		unescape(fields[4], mnt, sizeof(mnt));
		for (size_t i = 0; i < st->nmounts; i++)
			if (!strcmp(st->mounts[i].mnt, mnt))
				m = &st->mounts[i];
		if (!m) {
			if (st->nmounts == MOUNTS_MAX)
				continue;
			m = &st->mounts[st->nmounts++];
		}
		memcpy(m->mnt, mnt, sizeof(mnt));
		unescape(source, m->src, sizeof(m->src));
	}
	free(line);
	fclose(f);
}

static const struct msource *source_named(const struct status *st, const char *instance)
{
	for (size_t i = 0; i < st->nsrc; i++)
		if (!strcmp(st->src[i].instance, instance))
			return &st->src[i];
	return NULL;
}

static void mounts_check(struct status *st)
{
	for (size_t i = 0; i < st->nmounts; i++) {
		struct vmount *m = &st->mounts[i];
		struct statfs sb;
		char *name = vouch_metrics_name_for_mount(m->mnt);

		/* statfs always reaches the daemon (stat may be answered from
		 * the kernel's attribute cache for a second after it died). */
		m->alive = statfs(m->mnt, &sb) == 0;
		m->err = m->alive ? 0 : errno;
		m->metrics = name ? source_named(st, name) : NULL;
		if (m->metrics && m->metrics->up)
			m->pid = m->metrics->pid;
		free(name);
	}
}

/* The shim, as installed: drop-ins naming it, or /etc/ld.so.preload. */
static bool file_mentions(const char *path, const char *what)
{
	char buf[8192];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

static void read_dropins(struct status *st)
{
	static const char *const dirs[] = { "/etc/systemd/system", "/run/systemd/system" };

	st->shim_global = file_mentions("/etc/ld.so.preload", "libvouch-preload");
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR *dp = opendir(dirs[d]);
		struct dirent *e;

		while (dp && (e = readdir(dp))) {
			size_t l = strlen(e->d_name);
			char sub[4096];
			DIR *ddp;
			struct dirent *c;

			if (l < 3 || strcmp(e->d_name + l - 2, ".d"))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", dirs[d], e->d_name);
			ddp = opendir(sub);
			while (ddp && (c = readdir(ddp)) && st->ndropins < DROPINS_MAX) {
				char *p = NULL;

				if (c->d_name[0] == '.' || asprintf(&p, "%s/%s", sub, c->d_name) < 0)
					continue;
				if (file_mentions(p, "libvouch-preload"))
					st->dropins[st->ndropins++] = p;
				else
					free(p);
			}
			if (ddp)
				closedir(ddp);
		}
		if (dp)
			closedir(dp);
	}
}

/* ---- per root ---- */

static json_t *root_status(struct status *st, const char *root)
{
	json_t *r = json_object();
	const struct vmount *m = NULL;
	const char *by = NULL, *state;
	bool ok;

	for (size_t i = 0; i < st->nmounts; i++)
		if (!strcmp(st->mounts[i].mnt, root))
			m = &st->mounts[i];
	if (m && m->alive) {
		by = "vouchfs";
		state = "protected";
	} else if (st->vouchd && st->vouchd->up) {
		by = "vouchd";
		state = "protected";
	} else if (m) {
		by = "vouchfs";
		state = "dead";             /* fails closed (ENOTCONN) but serves nothing */
	} else if (st->shim_global) {
		by = "shim";
		state = "best-effort";
	} else {
		state = "unprotected";
	}
	ok = !strcmp(state, "protected") || !strcmp(state, "best-effort");
	st->all_protected &= ok;
	json_object_set_new(r, "root", json_string(root));
	json_object_set_new(r, "state", json_string(state));
	json_object_set_new(r, "protected", json_boolean(ok));
	json_object_set_new(r, "by", by ? json_string(by) : json_null());
	if (m) {
		json_object_set_new(r, "source", json_string(m->src));
		json_object_set_new(r, "pid", m->pid ? json_integer(m->pid) : json_null());
		if (!m->alive)
			json_object_set_new(r, "error", json_string(strerror(m->err)));
	} else if (by && !strcmp(by, "vouchd")) {
		json_object_set_new(r, "pid", json_integer(st->vouchd->pid));
	}
	return r;
}

/* ---- trust ---- */

static json_t *trust_summary(const struct vouch_config *cfg)
{
	json_t *t = json_object(), *keys = json_array();
	struct vouch_trust_entry *v = NULL;
	size_t n = 0, nrev = 0, nwin = 0, nrole = 0, nlapsed = 0;
	int64_t now = (int64_t)time(NULL);
	char err[1024] = "";

	json_object_set_new(t, "dir", cfg->trust_dir ? json_string(cfg->trust_dir) : json_null());
	json_object_set_new(t, "threshold", json_integer(cfg->threshold));
	json_object_set_new(t, "cas", json_integer((json_int_t)cfg->ncas));
	json_object_set_new(t, "sigstore", json_boolean(cfg->sigstore_root != NULL));
	if (cfg->trust_dir && vouch_trust_list(cfg->trust_dir, &v, &n, err, sizeof(err)) < 0)
		json_object_set_new(t, "error", json_string(err));
	for (size_t i = 0; i < n; i++) {
		json_t *k = json_object();
		char nb[32] = "", na[32] = "";

		nrev += v[i].revoked;
		nwin += v[i].not_before || v[i].not_after;
		nrole += v[i].models || v[i].roles;
		nlapsed += !v[i].revoked && ((v[i].not_after && v[i].not_after < now) ||
					     (v[i].not_before && v[i].not_before > now));
		if (v[i].not_before)
			vouch_time_format(v[i].not_before, nb);
		if (v[i].not_after)
			vouch_time_format(v[i].not_after, na);
		json_object_set_new(k, "keyid", json_string(v[i].keyid));
		json_object_set_new(k, "type", json_string(v[i].type));
		json_object_set_new(k, "revoked", json_boolean(v[i].revoked));
		json_object_set_new(k, "not_before", nb[0] ? json_string(nb) : json_null());
		json_object_set_new(k, "not_after", na[0] ? json_string(na) : json_null());
		json_object_set_new(k, "models", v[i].models ? json_string(v[i].models) : json_null());
		json_object_set_new(k, "roles", v[i].roles ? json_string(v[i].roles) : json_null());
		json_array_append_new(keys, k);
	}
	json_object_set_new(t, "keys", json_integer((json_int_t)(n - nrev)));
	json_object_set_new(t, "revoked", json_integer((json_int_t)nrev));
	json_object_set_new(t, "with_window", json_integer((json_int_t)nwin));
	json_object_set_new(t, "outside_window", json_integer((json_int_t)nlapsed));
	json_object_set_new(t, "with_roles", json_integer((json_int_t)nrole));
	json_object_set_new(t, "entries", keys);
	vouch_trust_list_free(v, n);
	return t;
}

/* ---- counters ---- */

static json_t *counters(const struct msource *s)
{
	json_t *c = json_object();
	double all = metrics_value(s, "vouch_decisions_total", NULL);
	double ok = metrics_value(s, "vouch_decisions_total", "cause=\"ok\"");

	json_object_set_new(c, "instance", json_string(s->instance));
	json_object_set_new(c, "up", json_boolean(s->up));
	json_object_set_new(c, "pid", s->up ? json_integer(s->pid) : json_null());
	if (!s->up)
		return c;
	json_object_set_new(c, "decisions", json_integer((json_int_t)all));
	json_object_set_new(c, "refused", json_integer((json_int_t)(all - ok)));
	json_object_set_new(c, "cache_hits",
			    json_integer((json_int_t)metrics_value(s, "vouch_cache_hits_total", NULL)));
	json_object_set_new(c, "hash_bytes",
			    json_integer((json_int_t)metrics_value(s, "vouch_hash_bytes_total", NULL)));
	json_object_set_new(c, "hash_seconds",
			    json_real(metrics_value(s, "vouch_hash_seconds_total", NULL)));
	json_object_set_new(c, "hash_jobs_in_flight",
			    json_integer((json_int_t)metrics_value(s, "vouch_hash_jobs_in_flight", NULL)));
	json_object_set_new(c, "reload_failures",
			    json_integer((json_int_t)metrics_value(s, "vouch_config_reload_failures_total",
								   NULL)));
	json_object_set_new(c, "audit_dropped",
			    json_integer((json_int_t)metrics_value(s, "vouch_audit_records_dropped_total",
								   NULL)));
	return c;
}

/* ---- the audit log's last denials ---- */

static json_t *last_denials(const char *path, json_t **error)
{
	json_t *out = json_array();
	char *buf = NULL, *p;
	FILE *f;
	long size;
	size_t n;

	*error = NULL;
	if (!path)
		return out;
	f = fopen(path, "re");
	if (!f) {
		*error = json_string(strerror(errno));
		return out;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	if (size > AUDIT_TAIL)
		fseek(f, size - AUDIT_TAIL, SEEK_SET);
	else
		rewind(f);
	buf = malloc(AUDIT_TAIL + 1);
	n = buf ? fread(buf, 1, AUDIT_TAIL, f) : 0;
	fclose(f);
	if (!buf)
		return out;
	buf[n] = '\0';
	/* From the end: the newest first, the last DENIALS_MAX of them. */
	while (n && json_array_size(out) < DENIALS_MAX) {
		json_t *rec;
		const char *d;

		buf[n] = '\0';
		p = memrchr(buf, '\n', n);
		while (p && p[1] == '\0' && p > buf) {
			*p = '\0';
			n = (size_t)(p - buf);
			p = memrchr(buf, '\n', n);
		}
		rec = json_loads(p ? p + 1 : buf, 0, NULL);
		d = rec ? json_string_value(json_object_get(rec, "decision")) : NULL;
		if (d && strcmp(d, "allow")) {
			json_t *keep = json_object();
			static const char *const keys[] = { "time", "decision", "cause", "mode", "path",
							    "pid", "comm", "detail" };

			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
				if (json_object_get(rec, keys[k]))
					json_object_set(keep, keys[k], json_object_get(rec, keys[k]));
			json_array_append_new(out, keep);
		}
		json_decref(rec);
		if (!p)
			break;
		n = (size_t)(p - buf);
	}
	free(buf);
	return out;
}

/* ---- output ---- */

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static void print_text(const json_t *all)
{
	const json_t *v, *t = json_object_get(all, "trust");
	size_t i;

	say("roots:");
	if (!json_array_size(json_object_get(all, "roots")))
		say("  (no protect root configured)");
	json_array_foreach(json_object_get(all, "roots"), i, v) {
		json_t *pj = json_object_get(v, "pid");
		char pid[32] = "";

		if (json_is_integer(pj))
			snprintf(pid, sizeof(pid), " pid %lld", (long long)json_integer_value(pj));
		say("  %-28s %-12s %s%s%s%s", jstr(v, "root"), jstr(v, "state"),
		    json_is_null(json_object_get(v, "by")) ? "nothing protects it" : jstr(v, "by"),
		    pid, json_object_get(v, "source") ? " source " : "", jstr(v, "source"));
		if (json_object_get(v, "error"))
			say("    the mount answers \"%s\": its daemon is gone; opens fail closed, "
			    "nothing is served", jstr(v, "error"));
	}
	say("vouchfs mounts:");
	if (!json_array_size(json_object_get(all, "mounts")))
		say("  none");
	json_array_foreach(json_object_get(all, "mounts"), i, v) {
		json_int_t pid = json_integer_value(json_object_get(v, "pid"));
		char ps[48] = "pid unknown (no metrics socket)";

		if (pid)
			snprintf(ps, sizeof(ps), "pid %lld", (long long)pid);
		say("  %s <- %s: %s, %s", jstr(v, "mountpoint"), jstr(v, "source"),
		    json_is_true(json_object_get(v, "alive")) ? "serving" : "dead (ENOTCONN)", ps);
	}
	v = json_object_get(all, "vouchd");
	say("vouchd: %s", json_is_null(v) ? "not running (no metrics socket)" : "running");
	if (!json_is_null(v))
		say("  pid %lld", (long long)json_integer_value(json_object_get(v, "pid")));
	say("shim: %s; %zu drop-in%s installed",
	    json_is_true(json_object_get(all, "shim_global")) ? "in /etc/ld.so.preload" :
	    "not system-wide", json_array_size(json_object_get(all, "shim_dropins")),
	    json_array_size(json_object_get(all, "shim_dropins")) == 1 ? "" : "s");
	json_array_foreach(json_object_get(all, "shim_dropins"), i, v) {
		say("  %s", json_string_value(v));
	}
	say("trust: %s: %lld key(s) (%lld revoked, %lld with a window, %lld outside it now, "
	    "%lld with roles), threshold %lld%s%s",
	    json_is_null(json_object_get(t, "dir")) ? "no trust dir" : jstr(t, "dir"),
	    (long long)json_integer_value(json_object_get(t, "keys")),
	    (long long)json_integer_value(json_object_get(t, "revoked")),
	    (long long)json_integer_value(json_object_get(t, "with_window")),
	    (long long)json_integer_value(json_object_get(t, "outside_window")),
	    (long long)json_integer_value(json_object_get(t, "with_roles")),
	    (long long)json_integer_value(json_object_get(t, "threshold")),
	    json_integer_value(json_object_get(t, "cas")) ? ", CAs" : "",
	    json_is_true(json_object_get(t, "sigstore")) ? ", sigstore" : "");
	if (json_object_get(t, "error"))
		say("  error: %s", jstr(t, "error"));
	say("counters:");
	if (!json_array_size(json_object_get(all, "counters")))
		say("  no metrics socket in %s", jstr(all, "metrics_dir"));
	json_array_foreach(json_object_get(all, "counters"), i, v) {
		if (!json_is_true(json_object_get(v, "up"))) {
			say("  %s: socket does not answer (daemon gone?)", jstr(v, "instance"));
			continue;
		}
		say("  %s: %lld decisions (%lld refused), %lld cache hits, %.0f MiB hashed in %.2f s, "
		    "%lld hashing now, %lld reload failures, %lld audit records dropped",
		    jstr(v, "instance"), (long long)json_integer_value(json_object_get(v, "decisions")),
		    (long long)json_integer_value(json_object_get(v, "refused")),
		    (long long)json_integer_value(json_object_get(v, "cache_hits")),
		    (double)json_integer_value(json_object_get(v, "hash_bytes")) / 1048576.0,
		    json_real_value(json_object_get(v, "hash_seconds")),
		    (long long)json_integer_value(json_object_get(v, "hash_jobs_in_flight")),
		    (long long)json_integer_value(json_object_get(v, "reload_failures")),
		    (long long)json_integer_value(json_object_get(v, "audit_dropped")));
	}
	say("last denials (%s):", json_is_null(json_object_get(all, "audit_log")) ?
	    "no audit_log configured" : jstr(all, "audit_log"));
	if (json_object_get(all, "audit_error"))
		say("  cannot read it: %s", jstr(all, "audit_error"));
	else if (!json_array_size(json_object_get(all, "denials")))
		say("  none");
	json_array_foreach(json_object_get(all, "denials"), i, v) {
		say("  %s %s %s %s pid %lld (%s) %s", jstr(v, "time"), jstr(v, "decision"),
		    jstr(v, "cause"), jstr(v, "path"),
		    (long long)json_integer_value(json_object_get(v, "pid")), jstr(v, "comm"),
		    jstr(v, "detail"));
	}
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vouch status [-c CONFIG] [--json]\n"
"\n"
"What protects each configured root (a live vouchfs mount, vouchd, the shim\n"
"system-wide), the vouchfs mounts with their pids and sources, shim drop-ins,\n"
"the trust store, the daemons' counters (from their metrics sockets) and the\n"
"last denials in the audit log.\n"
"\n"
"  -c, --config FILE  the configuration (default $VOUCH_CONFIG or " DEFAULT_CONFIG ")\n"
"      --json         one JSON object, for scripts\n"
"\n"
"Exit: 0 every configured root is protected, 1 one is not (its vouchfs\n"
"mount missing or dead, no vouchd), 2 usage, 3 the config cannot be read.\n");
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct status *st = calloc(1, sizeof(*st));
	const char *config = NULL, *path;
	char err[1024], *mdir;
	json_t *all = NULL, *arr, *aerr;
	bool as_json = false;
	int c, ret = EXIT_OPERATIONAL;

	if (!st)
		return EXIT_OPERATIONAL;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'j': as_json = true; break;
		case 'h': usage(stdout); free(st); return 0;
		default: usage(stderr); free(st); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		free(st);
		return usage_error("status", "unexpected argument '%s'", argv[optind]);
	}
	vouch_config_init(&st->cfg);
	path = config ? config : config_default();
	if ((config || config_from_env() || access(path, F_OK) == 0) &&
	    vouch_config_load(&st->cfg, path, err, sizeof(err)) < 0) {
		msg("%s", err);
		goto out;
	}
	mdir = st->cfg.metrics_dir ? st->cfg.metrics_dir : VOUCH_METRICS_DIR;
	metrics_collect(mdir, &st->src, &st->nsrc);
	st->vouchd = source_named(st, "vouchd");
	read_mounts(st);
	mounts_check(st);
	read_dropins(st);
	st->all_protected = true;

	all = json_object();
	json_object_set_new(all, "config", st->cfg.path ? json_string(st->cfg.path) : json_null());
	json_object_set_new(all, "mode", json_string(st->cfg.mode == VOUCH_MODE_AUDIT ? "audit" :
						     "enforce"));
	arr = json_array();
	for (size_t i = 0; i < st->cfg.nprotect; i++)
		json_array_append_new(arr, root_status(st, st->cfg.protect[i]));
	json_object_set_new(all, "roots", arr);
	arr = json_array();
	for (size_t i = 0; i < st->nmounts; i++) {
		json_t *m = json_object();

		json_object_set_new(m, "mountpoint", json_string(st->mounts[i].mnt));
		json_object_set_new(m, "source", json_string(st->mounts[i].src));
		json_object_set_new(m, "alive", json_boolean(st->mounts[i].alive));
		json_object_set_new(m, "pid", st->mounts[i].pid ? json_integer(st->mounts[i].pid) :
				    json_null());
		json_array_append_new(arr, m);
	}
	json_object_set_new(all, "mounts", arr);
	json_object_set_new(all, "vouchd", st->vouchd && st->vouchd->up ?
			    json_pack("{s:I}", "pid", (json_int_t)st->vouchd->pid) : json_null());
	json_object_set_new(all, "shim_global", json_boolean(st->shim_global));
	arr = json_array();
	for (size_t i = 0; i < st->ndropins; i++)
		json_array_append_new(arr, json_string(st->dropins[i]));
	json_object_set_new(all, "shim_dropins", arr);
	json_object_set_new(all, "trust", trust_summary(&st->cfg));
	json_object_set_new(all, "metrics_dir", json_string(mdir));
	arr = json_array();
	for (size_t i = 0; i < st->nsrc; i++)
		json_array_append_new(arr, counters(&st->src[i]));
	json_object_set_new(all, "counters", arr);
	json_object_set_new(all, "audit_log", st->cfg.audit_log ? json_string(st->cfg.audit_log) :
			    json_null());
	json_object_set_new(all, "denials", last_denials(st->cfg.audit_log, &aerr));
	if (aerr)
		json_object_set_new(all, "audit_error", aerr);
	json_object_set_new(all, "all_protected", json_boolean(st->all_protected));
	if (as_json) {
		/* JSON escapes every control byte: a file name cannot forge a line. */
		json_dumpf(all, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		print_text(all);
	}
	ret = st->all_protected ? 0 : EXIT_FAILED;
out:
	json_decref(all);
	metrics_free(st->src, st->nsrc);
	for (size_t i = 0; i < st->ndropins; i++)
		free(st->dropins[i]);
	vouch_config_clear(&st->cfg);
	free(st);
	return ret;
}
