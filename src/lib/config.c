/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - /etc/vouch/vouch.conf (INI, read with inih; see vouch.conf(5)).
 * The file decides what a host protects, so a file anyone but root could
 * have written, or put in its place (a link, a directory on the way), is
 * refused, and every unknown key or bad value is an error naming the file
 * and the line: a typo must never silently weaken policy.  The one config
 * reader for every front end: the shim's fail-closed fallback
 * (vouch_config_scrape_protect) reads with the same inih calls.
 */
#include "vouch_i.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

void vouch_config_init(struct vouch_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = VOUCH_MODE_ENFORCE;
	cfg->threshold = 1;
	cfg->clock_skew = 300;
	/* vouchfs serves every user, file modes applying (default_permissions
	 * is always set): without it a service user's EACCES comes from the
	 * kernel, is never logged, and looks exactly like a deny. */
	cfg->allow_other = true;
}

/* gcc 12 -fanalyzer false positive: it does not carry a block's contents
 * across a realloc that moves it (the strings the list holds read as leaked,
 * uninitialised or freed), nor a store through a symbolic index (l[*n]). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-use-after-free"
#pragma GCC diagnostic ignored "-Wanalyzer-use-of-uninitialized-value"
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void vouch_config_clear(struct vouch_config *cfg)
{
	free(cfg->path);
	free_list(cfg->protect, cfg->nprotect);
	free(cfg->trust_dir);
	free_list(cfg->pubkeys, cfg->npubkeys);
	free(cfg->state_dir);
	free(cfg->audit_log);
	free_list(cfg->cas, cfg->ncas);
	free_list(cfg->ca_identity, cfg->nca_identity);
	free(cfg->sigstore_root);
	free(cfg->sigstore_identity);
	free(cfg->sigstore_issuer);
	free(cfg->symlink_root);
	free(cfg->vouchd_socket);
	free(cfg->measurement_log);
	free(cfg->tpm_tcti);
	free(cfg->metrics_dir);
	for (size_t i = 0; i < cfg->nmodels; i++) {
		free(cfg->models[i].glob);
		free_list(cfg->models[i].names, cfg->models[i].nnames);
	}
	free(cfg->models);
	for (size_t i = 0; i < cfg->nrequire; i++) {
		free(cfg->require[i].glob);
		for (size_t j = 0; j < cfg->require[i].nneeds; j++)
			free(cfg->require[i].needs[j].role);
		free(cfg->require[i].needs);
	}
	free(cfg->require);
	vouch_config_init(cfg);
}

int vouch_config_add(char ***list, size_t *n, const char *value)
{
	char **l = realloc(*list, (*n + 2) * sizeof(char *));

	if (!l)
		return -ENOMEM;
	*list = l;
	l[*n] = strdup(value);
	if (!l[*n])
		return -ENOMEM;
	l[++*n] = NULL;
	return 0;
}
#pragma GCC diagnostic pop

struct parse {
	struct vouch_config *cfg;
	const char *path;
	char *err;
	size_t errlen;
	int line;                 /* lines read so far: inih calls back per line */
	int fail_line;
	bool failed;
	bool lenient;             /* the protect scrape: skip what it cannot read */
};

static bool abs_path(const char *v)
{
	return v[0] == '/' && !strstr(v, "/../") && strcmp(v + strlen(v) - (strlen(v) >= 3 ? 3 : 0), "/..");
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
		*out = false;
	else
		return false;
	return true;
}

static bool parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return false;
	*out = n;
	return true;
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

/* Split on sep, trimming spaces, and add each non-empty piece. */
static int add_split(char ***list, size_t *n, const char *v, int sep, bool need_abs)
{
	char *copy = strdup(v), *p, *save = NULL, seps[2] = { (char)sep, 0 };
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (p = strtok_r(copy, seps, &save); p && !ret; p = strtok_r(NULL, seps, &save)) {
		while (*p == ' ' || *p == '\t')
			p++;
		for (size_t l = strlen(p); l && (p[l - 1] == ' ' || p[l - 1] == '\t'); l--)
			p[l - 1] = '\0';
		if (!*p)
			continue;
		if (need_abs && !abs_path(p))
			ret = -EINVAL;
		else
			ret = vouch_config_add(list, n, p);
	}
	free(copy);
	return ret;
}

/* ---- roles (sign-off by role) ------------------------------------------ */

bool vouch_role_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int vouch_roles_parse(const char *v, char ***list, size_t *n)
{
	char **got = NULL;
	size_t ngot = 0;
	int ret = add_split(&got, &ngot, v, ',', false);

	for (size_t i = 0; !ret && i < ngot; i++) {
		bool dup = false;

		if (!vouch_role_name_ok(got[i])) {
			ret = -EINVAL;
			break;
		}
		for (size_t j = 0; j < *n && !dup; j++)
			dup = !strcmp((*list)[j], got[i]);
		if (!dup)
			ret = vouch_config_add(list, n, got[i]);
	}
	free_list(got, ngot);
	return ret;
}

/* "role:n, role:n, ..." into a new requirement for glob (NULL: [vouch]
 * require).  Every item must be ROLE:N with N from 1 to VOUCH_SIGNERS_MAX
 * and each role named once; all the requirements together name at most 64
 * roles (a signer's roles are a 64-bit set). */
static bool add_requirement(struct vouch_config *c, const char *glob, const char *v, int line)
{
	struct vouch_requirement *q;
	char **items = NULL;
	size_t nitems = 0, distinct = 0;
	bool ok = false;

	if ((glob && !abs_path(glob)) || add_split(&items, &nitems, v, ',', false) || !nitems)
		goto out;
	q = realloc(c->require, (c->nrequire + 1) * sizeof(*q));
	if (!q)
		goto out;
	c->require = q;
	q = &c->require[c->nrequire++];
	memset(q, 0, sizeof(*q));
	q->line = line;
	q->needs = calloc(nitems, sizeof(*q->needs));
	if (!q->needs || (glob && !(q->glob = strdup(glob))))
		goto out;
	for (size_t i = 0; i < nitems; i++) {
		char *colon = strrchr(items[i], ':'), *p = colon;
		long n;

		if (!colon)
			goto out;
		for (*p = '\0'; p > items[i] && (p[-1] == ' ' || p[-1] == '\t'); p--)
			p[-1] = '\0';
		colon++;
		colon += strspn(colon, " \t");
		if (!vouch_role_name_ok(items[i]) || !parse_long(colon, 1, VOUCH_SIGNERS_MAX, &n))
			goto out;
		for (size_t j = 0; j < q->nneeds; j++)
			if (!strcmp(q->needs[j].role, items[i]))
				goto out;
		if (!(q->needs[q->nneeds].role = strdup(items[i])))
			goto out;
		q->needs[q->nneeds++].n = (unsigned)n;
	}
	/* Distinct roles over every requirement read so far. */
	for (size_t e = 0; e < c->nrequire; e++) {
		for (size_t i = 0; i < c->require[e].nneeds; i++) {
			bool before = false;

			for (size_t f = 0; f <= e && !before; f++)
				for (size_t j = 0; j < (f == e ? i : c->require[f].nneeds) && !before; j++)
					before = !strcmp(c->require[f].needs[j].role,
							 c->require[e].needs[i].role);
			distinct += !before;
		}
	}
	ok = distinct <= 64;
out:
	free_list(items, nitems);
	return ok;
}

/* ---- the keys ---------------------------------------------------------- */

/*
 * Every key of vouch.conf is one row: where it lives, how its value is read,
 * the field it fills and what a good value is (shown when it is not).  Lists
 * add to what is there; everything else replaces it.
 */
struct conf_key {
	const char *section;
	const char *key;
	bool (*parse)(const struct conf_key *k, struct vouch_config *c, const char *value);
	size_t field;              /* offsetof(struct vouch_config, ...) */
	size_t count;              /* lists: offsetof their count */
	long min, max;             /* integers */
	const char *meaning;
};

#define FIELD(c, k, type) ((type *)(void *)((char *)(c) + (k)->field))

static bool p_mode(const struct conf_key *k, struct vouch_config *c, const char *v)
{
	if (strcmp(v, "enforce") && strcmp(v, "audit"))
		return false;
	*FIELD(c, k, enum vouch_mode) = strcmp(v, "enforce") ? VOUCH_MODE_AUDIT : VOUCH_MODE_ENFORCE;
	return true;
}

static bool p_deny(const struct conf_key *k, struct vouch_config *c, const char *v)
{
	if (strcmp(v, "deny") && strcmp(v, "log"))
		return false;
	*FIELD(c, k, bool) = !strcmp(v, "deny");
	return true;
}

static bool p_verify(const struct conf_key *k, struct vouch_config *c, const char *v)
{
	if (strcmp(v, "open") && strcmp(v, "stream"))
		return false;
	*FIELD(c, k, bool) = !strcmp(v, "stream");
	return true;
}

static bool p_bool(const struct conf_key *k, struct vouch_config *c, const char *v)
{
	return parse_bool(v, FIELD(c, k, bool));
}

static bool p_uint(const struct conf_key *k, struct vouch_config *c, const char *v)
{
	long n;

	if (!parse_long(v, k->min, k->max, &n))
		return false;
	*FIELD(c, k, unsigned) = (unsigned)n;
	return true;
}

static bool p_long(const struct conf_key *k, struct vouch_config *c, const char *v)
{
	return parse_long(v, k->min, k->max, FIELD(c, k, long));
}

static bool p_path(const struct conf_key *k, struct vouch_config *c, const char *v)
{
	return abs_path(v) && !set_str(FIELD(c, k, char *), v);
}

static bool p_text(const struct conf_key *k, struct vouch_config *c, const char *v)
{
	return *v && !set_str(FIELD(c, k, char *), v);
}

static bool list_add(const struct conf_key *k, struct vouch_config *c, const char *v, int sep,
		     bool need_abs)
{
	size_t *n = (size_t *)(void *)((char *)c + k->count);

	return !add_split(FIELD(c, k, char **), n, v, sep, need_abs) && *n;
}

static bool p_paths(const struct conf_key *k, struct vouch_config *c, const char *v)
{
	return list_add(k, c, v, ':', true);
}

/* ',' separates: a URI glob holds ':' */
static bool p_globs(const struct conf_key *k, struct vouch_config *c, const char *v)
{
	return list_add(k, c, v, ',', false);
}

/* [vouch] require: one more requirement on every model (its line is set by
 * the handler, which knows it). */
static bool p_require(const struct conf_key *k, struct vouch_config *c, const char *v)
{
	(void)k;
	return add_requirement(c, NULL, v, 0);
}

#define F(name) offsetof(struct vouch_config, name)
static const struct conf_key conf_keys[] = {
	{ "vouch", "mode", p_mode, F(mode), 0, 0, 0, "enforce or audit" },
	{ "vouch", "protect", p_paths, F(protect), F(nprotect), 0, 0,
	  "absolute paths separated by ':'" },
	{ "vouch", "trust", p_path, F(trust_dir), 0, 0, 0, "an absolute directory path" },
	{ "vouch", "threshold", p_uint, F(threshold), 0, 1, VOUCH_SIGNERS_MAX,
	  "an integer from 1 to " VOUCH_STR(VOUCH_SIGNERS_MAX) },
	{ "vouch", "state_dir", p_path, F(state_dir), 0, 0, 0, "an absolute path" },
	{ "vouch", "audit_log", p_path, F(audit_log), 0, 0, 0, "an absolute path" },
	{ "vouch", "audit_failure", p_deny, F(audit_failure_deny), 0, 0, 0, "log or deny" },
	{ "vouch", "require_binding", p_bool, F(require_binding), 0, 0, 0, "yes or no" },
	{ "vouch", "allow_other", p_bool, F(allow_other), 0, 0, 0, "yes or no" },
	{ "vouch", "allow_symlinks", p_bool, F(allow_symlinks), 0, 0, 0, "yes or no" },
	{ "vouch", "symlink_root", p_path, F(symlink_root), 0, 0, 0, "an absolute directory path" },
	{ "vouch", "vouchd_socket", p_path, F(vouchd_socket), 0, 0, 0, "an absolute path" },
	{ "vouch", "metrics_dir", p_path, F(metrics_dir), 0, 0, 0, "an absolute directory path" },
	{ "vouch", "receipts", p_bool, F(receipts), 0, 0, 0, "yes or no" },
	{ "vouch", "attest", p_bool, F(attest), 0, 0, 0, "yes or no" },
	{ "vouch", "measurement_log", p_path, F(measurement_log), 0, 0, 0, "an absolute path" },
	{ "vouch", "tpm_tcti", p_text, F(tpm_tcti), 0, 0, 0,
	  "a TCTI string, e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321" },
	{ "vouch", "verify", p_verify, F(verify_stream), 0, 0, 0, "open or stream" },
	{ "vouch", "ca", p_paths, F(cas), F(ncas), 0, 0, "absolute PEM file paths separated by ':'" },
	{ "vouch", "ca_identity", p_globs, F(ca_identity), F(nca_identity), 0, 0,
	  "SAN/CN globs separated by ','" },
	{ "vouch", "sigstore_root", p_path, F(sigstore_root), 0, 0, 0,
	  "an absolute path to a trusted_root.json" },
	{ "vouch", "sigstore_identity", p_text, F(sigstore_identity), 0, 0, 0,
	  "a certificate SAN (email or URI)" },
	{ "vouch", "sigstore_issuer", p_text, F(sigstore_issuer), 0, 0, 0, "an OIDC issuer URL" },
	{ "vouch", "clock_skew", p_long, F(clock_skew), 0, 0, 86400, "seconds from 0 to 86400" },
	{ "vouch", "require", p_require, F(require), F(nrequire), 0, 0,
	  "role:n items separated by ',' (a role of letters, digits, '.', '_', '-'; n from 1 to "
	  VOUCH_STR(VOUCH_SIGNERS_MAX) "; each role once; at most 64 roles in all)" },
	{ "vouch", "roles_may_overlap", p_bool, F(roles_may_overlap), 0, 0, 0, "yes or no" },
};
#undef F

static bool add_binding(struct parse *p, const char *glob, const char *names)
{
	struct vouch_config *c = p->cfg;
	struct vouch_binding *m;

	if (!abs_path(glob) || !*names)
		return false;
	m = realloc(c->models, (c->nmodels + 1) * sizeof(*m));
	if (!m)
		return false;
	c->models = m;
	m = &c->models[c->nmodels];
	memset(m, 0, sizeof(*m));
	m->glob = strdup(glob);
	m->line = p->line;
	c->nmodels++;
	return m->glob && !add_split(&m->names, &m->nnames, names, ',', false) && m->nnames;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;
	const char *why = section[0] ? "unknown section" : "a key outside any [section]";
	char shown[200], must[160], sec[80], keyshown[120];

	if (p->failed)
		return 0;
	/* inih strips only ';' comments after a value: "/srv/models # prod"
	 * would be read as a root of that name, and /srv/models left
	 * unprotected.  A '#' after a blank is refused, not guessed at. */
	for (const char *h = strchr(value, '#'); h; h = strchr(h + 1, '#')) {
		if (h > value && (h[-1] == ' ' || h[-1] == '\t')) {
			why = "a '#' comment after a value: put comments on a line of their own";
			goto bad;
		}
	}
	for (size_t i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++) {
		const struct conf_key *k = &conf_keys[i];

		if (strcmp(section, k->section))
			continue;
		why = "unknown key";
		if (strcmp(key, k->key))
			continue;
		if (k->parse(k, p->cfg, value)) {
			if (k->parse == p_require)
				p->cfg->require[p->cfg->nrequire - 1].line = p->line;
			return 1;
		}
		snprintf(must, sizeof(must), "%s must be %s", k->key, k->meaning);
		why = must;
		break;
	}
	if (!strcmp(section, "models")) {
		if (add_binding(p, key, value))
			return 1;
		why = "a [models] entry must be an absolute path glob = model name[, name...]";
	}
	if (!strcmp(section, "require")) {
		if (add_requirement(p->cfg, key, value, p->line))
			return 1;
		why = "a [require] entry must be an absolute path glob = role:n[, role:n...] (a role of "
		      "letters, digits, '.', '_', '-'; n from 1 to " VOUCH_STR(VOUCH_SIGNERS_MAX)
		      "; each role once; at most 64 roles in all)";
	}
bad:
	/* The value as typed (escaped, cut): the line may hold a typo the
	 * user cannot see. */
	p->failed = true;
	p->fail_line = p->line;
	verr(p->err, p->errlen, -EINVAL, "%s:%d: %s%s%s%s = \"%s\" (%s)", p->path, p->line,
	     section[0] ? "[" : "", vouch_escape(section, sec, sizeof(sec)), section[0] ? "] " : "",
	     vouch_escape(key, keyshown, sizeof(keyshown)), vouch_escape(value, shown, sizeof(shown)),
	     why);
	return 0;
}

static char *reader(char *str, int num, void *stream)
{
	struct parse *p = *(struct parse **)stream;
	FILE *f = ((FILE **)stream)[1];
	char *r = fgets(str, num, f);
	int c;

	if (r && (strchr(r, '\n') || feof(f))) {
		p->line++;
		return r;
	}
	if (!r)
		return NULL;
	/* Longer than inih's line buffer: inih would read the rest as a line
	 * of its own (a value cut, its tail taken as another key).  Refuse
	 * it; the scrape skips it and reads on. */
	while ((c = fgetc(f)) != EOF && c != '\n')
		;
	p->line++;
	r += strspn(r, " \t");
	if (p->lenient || *r == '#' || *r == ';') {      /* a long comment is a comment */
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	if (!p->failed) {
		p->failed = true;
		p->fail_line = p->line;
		verr(p->err, p->errlen, -EINVAL, "%s:%d: line longer than %d bytes", p->path, p->line,
		     num - 2);
	}
	return NULL;
}

/* ---- reaching the file ------------------------------------------------ */

/* Symbolic links followed on the way to a config: the kernel's own limit. */
#define CONFIG_MAX_LINKS 40

/* A config walk: where it is, for messages, and how strict it is. */
struct walk {
	const char *path;         /* as the caller named it: every message names it */
	char       *err;
	size_t      errlen;
	bool        strict;       /* false: vouch_config_scrape_protect (no owner checks) */
	char        at[PATH_MAX]; /* the directory the walk is in, for messages */
	char        elem[PATH_MAX]; /* at/name of the element at hand, for messages */
};

static bool owner_ok(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* "at/name" for messages (cut if long: only ever printed). */
static const char *walk_elem(const struct walk *w, const char *name, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s%s%s", w->at, strcmp(w->at, "/") ? "/" : "", name) >= (int)len)
		buf[len - 1] = '\0';     /* cut: it is only printed */
	return buf;
}

static void walk_enter(struct walk *w, const char *name)
{
	char *slash;

	if (!strcmp(name, "/")) {
		strcpy(w->at, "/");
	} else if (!strcmp(name, "..")) {
		slash = strrchr(w->at, '/');
		if (slash)
			slash[slash == w->at ? 1 : 0] = '\0';
	} else {
		size_t l = strlen(w->at);
		snprintf(w->at + l, sizeof(w->at) - l, "%s%s", l > 1 ? "/" : "", name);
	}
}

/* A directory on the way: whoever may rename or replace what is in it
 * decides which file is read.  Root's or the caller's, and not writable by
 * others unless they cannot replace what the walk uses in it: sticky (/tmp;
 * what is used there is checked to be root's), or on a read-only mount (a
 * Kubernetes ConfigMap volume is a 0777 directory mounted read-only). */
static int walk_check_dir(struct walk *w, int dfd)
{
	struct statvfs sv;
	struct stat st;

	if (fstat(dfd, &st) < 0)
		return verr(w->err, w->errlen, -errno, "%s: %s: %s", w->path, w->at, strerror(errno));
	if (!w->strict)
		return 0;
	if (!owner_ok(&st))
		return verr(w->err, w->errlen, -EPERM, "%s: directory %s is owned by uid %u, not root",
			    w->path, w->at, (unsigned)st.st_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX) &&
	    !(fstatvfs(dfd, &sv) == 0 && (sv.f_flag & ST_RDONLY)))
		return verr(w->err, w->errlen, -EPERM, "%s: directory %s is group- or world-writable "
			    "(mode %03o): others could replace what is in it", w->path, w->at,
			    (unsigned)(st.st_mode & 0777));
	return 0;
}

static int walk_root(struct walk *w, int *cur)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return verr(w->err, w->errlen, -errno, "%s: /: %s", w->path, strerror(errno));
	if (*cur >= 0)
		close(*cur);
	*cur = fd;
	walk_enter(w, "/");
	return walk_check_dir(w, fd);
}

/*
 * Open the config for reading, the same file the kernel would find, without
 * a window between checking a name and using it: the path is resolved here,
 * one component at a time, each opened O_PATH|O_NOFOLLOW relative to the
 * directory fd before it (pinned, so a rename behind us changes nothing we
 * hold), each symlink read with readlinkat on its own fd and checked to be
 * root's (a Kubernetes ConfigMap is `vouch.conf -> ..data/vouch.conf`,
 * `..data -> ..2026_12_02_...`), every directory checked as above, and the
 * file opened O_NOFOLLOW relative to its pinned directory.  strict = false
 * skips the owner and mode checks but still never opens anything that is not
 * a regular file (a FIFO would block, a device could act on open).
 * Returns the fd, or -errno with w->err filled.
 */
static int config_open(struct walk *w)
{
	char *rest = NULL, *link = NULL, name[NAME_MAX + 1], *elem = w->elem;
	const size_t elemlen = sizeof(w->elem);
	const size_t restlen = 2 * PATH_MAX;
	int cur = -1, nfd = -1, links = 0, ret;
	struct stat st, fst;
	ssize_t len;

	rest = malloc(restlen);
	link = malloc(PATH_MAX);
	if (!rest || !link) {
		ret = -ENOMEM;
		goto out;
	}
	if (!*w->path) {
		ret = verr(w->err, w->errlen, -ENOENT, "(empty config path): %s", strerror(ENOENT));
		goto out;
	}
	if (w->path[0] == '/') {
		ret = snprintf(rest, restlen, "%s", w->path);
	} else {
		if (!getcwd(link, PATH_MAX)) {
			ret = verr(w->err, w->errlen, -errno, "%s: current directory: %s", w->path, strerror(errno));
			goto out;
		}
		ret = snprintf(rest, restlen, "%s/%s", link, w->path);
	}
	if (ret < 0 || (size_t)ret >= restlen) {
		ret = verr(w->err, w->errlen, -ENAMETOOLONG, "%s: %s", w->path, strerror(ENAMETOOLONG));
		goto out;
	}
	ret = walk_root(w, &cur);
	if (ret)
		goto out;
	for (;;) {
		char *p = rest, *next;
		bool last, want_dir = false;
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (!n) {               /* the path ends in a directory */
			ret = verr(w->err, w->errlen, -EINVAL, "%s: not a regular file", w->path);
			goto out;
		}
		if (n > NAME_MAX) {
			ret = verr(w->err, w->errlen, -ENAMETOOLONG, "%s: %s", w->path, strerror(ENAMETOOLONG));
			goto out;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		next = p + n;
		while (*next == '/') {
			want_dir = true;
			next++;
		}
		last = !*next;
		memmove(rest, next, strlen(next) + 1);
		if (!strcmp(name, ".") && !last)
			continue;
		if (!strcmp(name, "..") && !last) {
			nfd = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (nfd < 0) {
				ret = verr(w->err, w->errlen, -errno, "%s: %s/..: %s", w->path, w->at, strerror(errno));
				goto out;
			}
			close(cur);
			cur = nfd;
			nfd = -1;
			walk_enter(w, "..");
			ret = walk_check_dir(w, cur);
			if (ret)
				goto out;
			continue;
		}
		walk_elem(w, name, elem, elemlen);
		nfd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 || fstat(nfd, &st) < 0) {
			ret = -errno;
			if (!links && last)
				verr(w->err, w->errlen, ret, "%s: %s", w->path, strerror(-ret));
			else
				verr(w->err, w->errlen, ret, "%s: %s: %s", w->path, elem, strerror(-ret));
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			/* Only root (or the caller) may have made a link we follow;
			 * the directory holding it was checked when the walk entered it. */
			if (++links > CONFIG_MAX_LINKS) {
				ret = verr(w->err, w->errlen, -ELOOP, "%s: more than %d symbolic links",
					   w->path, CONFIG_MAX_LINKS);
				goto out;
			}
			if (w->strict && !owner_ok(&st)) {
				ret = verr(w->err, w->errlen, -EPERM, "%s: symlink %s is owned by uid %u, not root",
					   w->path, elem, (unsigned)st.st_uid);
				goto out;
			}
			len = readlinkat(nfd, "", link, PATH_MAX);
			if (len <= 0 || len >= PATH_MAX) {
				ret = len < 0 ? -errno : len ? -ENAMETOOLONG : -ENOENT;
				verr(w->err, w->errlen, ret, "%s: symlink %s: %s", w->path, elem, strerror(-ret));
				goto out;
			}
			link[len] = '\0';
			/* rest = target + "/" + what was left after the link */
			if ((size_t)len + 1 + strlen(rest) + 1 > restlen) {
				ret = verr(w->err, w->errlen, -ENAMETOOLONG, "%s: %s", w->path, strerror(ENAMETOOLONG));
				goto out;
			}
			memmove(rest + len + 1, rest, strlen(rest) + 1);
			memcpy(rest, link, (size_t)len);
			rest[len] = *(rest + len + 1) || want_dir ? '/' : '\0';
			close(nfd);
			nfd = -1;
			if (link[0] == '/') {
				ret = walk_root(w, &cur);
				if (ret)
					goto out;
			}
			continue;
		}
		if (S_ISDIR(st.st_mode) && !last) {
			close(cur);
			cur = nfd;
			nfd = -1;
			walk_enter(w, name);
			ret = walk_check_dir(w, cur);
			if (ret)
				goto out;
			continue;
		}
		if (!last) {
			ret = verr(w->err, w->errlen, -ENOTDIR, "%s: %s: %s", w->path, elem, strerror(ENOTDIR));
			goto out;
		}
		/* The file itself: shown by its own name when links led to it. */
		if (!links)
			snprintf(elem, elemlen, "%s", w->path);
		else
			snprintf(elem + strlen(elem), elemlen - strlen(elem), " (from %s)", w->path);
		if (!S_ISREG(st.st_mode) || want_dir) {
			ret = verr(w->err, w->errlen, -EINVAL, "%s: not a regular file", elem);
			goto out;
		}
		close(nfd);
		nfd = openat(cur, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (nfd < 0) {
			ret = verr(w->err, w->errlen, -errno, "%s: %s", elem, strerror(errno));
			goto out;
		}
		if (fstat(nfd, &fst) < 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino ||
		    !S_ISREG(fst.st_mode)) {
			ret = verr(w->err, w->errlen, -EAGAIN, "%s: replaced while it was being opened", elem);
			goto out;
		}
		/* Whoever can write the config decides what is protected. */
		if (w->strict && !owner_ok(&fst)) {
			ret = verr(w->err, w->errlen, -EPERM, "%s: owned by uid %u, not root", elem,
				   (unsigned)fst.st_uid);
			goto out;
		}
		if (w->strict && (fst.st_mode & (S_IWGRP | S_IWOTH))) {
			ret = verr(w->err, w->errlen, -EPERM, "%s: group- or world-writable (mode %03o)", elem,
				   (unsigned)(fst.st_mode & 0777));
			goto out;
		}
		ret = nfd;
		nfd = -1;
		goto out;
	}
out:
	if (nfd >= 0)
		close(nfd);
	if (cur >= 0)
		close(cur);
	free(rest);
	free(link);
	return ret;
}

/* Open p->path (config_open: the symlink chain checked when strict) and
 * run inih over it with h; *rc is inih's result.  Returns 0 or -errno. */
static int parse_file(struct parse *p, bool strict, ini_handler h, int *rc)
{
	struct walk *w;
	void *stream[2];
	FILE *f;
	int fd;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct walk){ .path = p->path, .err = p->err, .errlen = p->errlen, .strict = strict };
	fd = config_open(w);
	free(w);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	stream[0] = p;
	stream[1] = f;
	/* Our reader counts lines, so errors carry the line whatever inih's
	 * build options are. */
	*rc = ini_parse_stream(reader, stream, h, p);
	fclose(f);
	return 0;
}

int vouch_config_load(struct vouch_config *cfg, const char *path, char *err, size_t errlen)
{
	struct parse p = { .cfg = cfg, .path = path, .err = err, .errlen = errlen };
	int rc, ret;

	ret = parse_file(&p, true, handler, &rc);
	if (ret)
		return ret;
	/* inih reports the first bad line, a syntax error or our handler's
	 * refusal; a syntax error before our first refusal is the real cause. */
	if (rc > 0 && (!p.failed || rc < p.fail_line))
		return verr(err, errlen, -EINVAL, "%s:%d: syntax error (expected [section] or key = value)",
			    path, rc);
	if (p.failed)
		return -EINVAL;
	if (rc < 0)
		return verr(err, errlen, -EIO, "%s: cannot read", path);
	if (set_str(&cfg->path, path))
		return -ENOMEM;
	return 0;
}

/* [vouch] protect and nothing else; never an error, so inih reads on past
 * whatever made the full parse fail. */
static int scrape_handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;
	char **roots = NULL;
	size_t n = 0;

	if (strcmp(section, "vouch") || strcmp(key, "protect"))
		return 1;
	if (add_split(&roots, &n, value, ':', false) == 0)
		for (size_t i = 0; i < n; i++)
			if (abs_path(roots[i]))
				vouch_config_add(&p->cfg->protect, &p->cfg->nprotect, roots[i]);
	free_list(roots, n);
	return 1;
}

int vouch_config_scrape_protect(const char *path, struct vouch_config *cfg)
{
	struct parse p = { .cfg = cfg, .path = path, .lenient = true };
	int rc, ret;

	ret = parse_file(&p, false, scrape_handler, &rc);
	if (ret)
		return ret;
	return rc < 0 ? -EIO : 0;
}

static int dup_list(char ***dst, size_t *dn, char *const *src, size_t n)
{
	*dst = NULL;
	*dn = 0;
	for (size_t i = 0; i < n; i++)
		if (vouch_config_add(dst, dn, src[i]))
			return -ENOMEM;
	return 0;
}

static int dup_str(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

int vouch_config_copy(struct vouch_config *dst, const struct vouch_config *src)
{
	int ret = 0;

	*dst = *src;
	dst->models = NULL;
	dst->nmodels = 0;
	dst->require = NULL;
	dst->nrequire = 0;
	ret |= dup_str(&dst->path, src->path);
	ret |= dup_str(&dst->trust_dir, src->trust_dir);
	ret |= dup_str(&dst->state_dir, src->state_dir);
	ret |= dup_str(&dst->audit_log, src->audit_log);
	ret |= dup_str(&dst->sigstore_root, src->sigstore_root);
	ret |= dup_str(&dst->sigstore_identity, src->sigstore_identity);
	ret |= dup_str(&dst->sigstore_issuer, src->sigstore_issuer);
	ret |= dup_str(&dst->symlink_root, src->symlink_root);
	ret |= dup_str(&dst->vouchd_socket, src->vouchd_socket);
	ret |= dup_str(&dst->measurement_log, src->measurement_log);
	ret |= dup_str(&dst->tpm_tcti, src->tpm_tcti);
	ret |= dup_str(&dst->metrics_dir, src->metrics_dir);
	ret |= dup_list(&dst->cas, &dst->ncas, src->cas, src->ncas);
	ret |= dup_list(&dst->ca_identity, &dst->nca_identity, src->ca_identity, src->nca_identity);
	ret |= dup_list(&dst->protect, &dst->nprotect, src->protect, src->nprotect);
	ret |= dup_list(&dst->pubkeys, &dst->npubkeys, src->pubkeys, src->npubkeys);
	if (src->nmodels) {
		dst->models = calloc(src->nmodels, sizeof(*dst->models));
		if (!dst->models)
			ret = -ENOMEM;
		for (size_t i = 0; dst->models && i < src->nmodels; i++) {
			dst->nmodels++;
			dst->models[i].line = src->models[i].line;
			ret |= dup_str(&dst->models[i].glob, src->models[i].glob);
			ret |= dup_list(&dst->models[i].names, &dst->models[i].nnames,
					src->models[i].names, src->models[i].nnames);
		}
	}
	if (src->nrequire) {
		dst->require = calloc(src->nrequire, sizeof(*dst->require));
		if (!dst->require)
			ret = -ENOMEM;
		for (size_t i = 0; dst->require && i < src->nrequire; i++) {
			const struct vouch_requirement *q = &src->require[i];
			struct vouch_requirement *d = &dst->require[i];

			dst->nrequire++;
			d->line = q->line;
			ret |= dup_str(&d->glob, q->glob);
			d->needs = calloc(q->nneeds ? q->nneeds : 1, sizeof(*d->needs));
			if (!d->needs) {
				ret = -ENOMEM;
				continue;
			}
			for (size_t j = 0; j < q->nneeds; j++) {
				d->nneeds++;
				d->needs[j].n = q->needs[j].n;
				ret |= dup_str(&d->needs[j].role, q->needs[j].role);
			}
		}
	}
	if (ret) {
		vouch_config_clear(dst);
		return -ENOMEM;
	}
	return 0;
}
