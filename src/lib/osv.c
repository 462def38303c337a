/* SPDX-License-Identifier: Apache-2.0 */
/*
 * osv.c - OSV advisories (ossf.github.io/osv-schema) from a local mirror: the
 * records whose id or aliases name what `vouch query --cve` asks for, their
 * affected packages, ranges (ECOSYSTEM and SEMVER; introduced, fixed,
 * last_affected, limit) and explicit versions, and whether a component of
 * an SBOM falls in them.  No network: the user keeps the mirror.  A record
 * is checked in full before it is used; a range that cannot be read is an
 * error naming the file, never skipped (a skipped range would hide an
 * affected model).
 */
#include "prov_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OSV_DIR_DEPTH 8
#define OSV_FILES_MAX (1u << 21)

enum ev_kind { EV_INTRODUCED, EV_FIXED, EV_LAST_AFFECTED, EV_LIMIT };

struct osv_event {
	enum ev_kind kind;
	const char *v;               /* into the record's JSON */
};

struct osv_range {
	bool git;                    /* GIT ranges are commits: not compared */
	bool deferred;               /* checked and sorted when compared (see parse_range) */
	enum vouch_vscheme scheme;
	struct osv_event *ev;        /* sorted by version, "0" first */
	size_t nev;
};

struct osv_affected {
	const char *type;            /* purl type of the package's ecosystem, or NULL */
	const char *ecosystem;
	char *name;                  /* from package.name, or its purl */
	char *purl_type;             /* from package.purl */
	struct osv_range *r;
	size_t nr;
	const json_t *versions;      /* explicit list, may be NULL */
};

struct vouch_osv {
	json_t *j;
	char *source;
	const char *id;
	struct osv_affected *a;
	size_t na;
	struct vouch_osv *next;
};

static const struct {
	const char *eco, *type;
} ecosystems[] = {
	{ "PyPI", "pypi" }, { "npm", "npm" }, { "crates.io", "cargo" }, { "Go", "golang" },
	{ "Maven", "maven" }, { "RubyGems", "gem" }, { "NuGet", "nuget" }, { "Packagist", "composer" },
	{ "Hex", "hex" }, { "Pub", "pub" }, { "Debian", "deb" }, { "Ubuntu", "deb" },
	{ "Alpine", "apk" }, { "conda", "conda" }, { "SwiftURL", "swift" }, { "GitHub Actions", "github" },
};

const char *vouch_osv_ecosystem_type(const char *eco)
{
	size_t n;

	if (!eco)
		return NULL;
	n = strcspn(eco, ":");          /* "Debian:12" is Debian's */
	for (size_t i = 0; i < ARRAY_SIZE(ecosystems); i++)
		if (strlen(ecosystems[i].eco) == n && !strncmp(eco, ecosystems[i].eco, n))
			return ecosystems[i].type;
	return NULL;
}

void vouch_osv_free(struct vouch_osv *o)
{
	while (o) {
		struct vouch_osv *next = o->next;
		for (size_t i = 0; i < o->na; i++) {
			for (size_t k = 0; k < o->a[i].nr; k++)
				free(o->a[i].r[k].ev);
			free(o->a[i].r);
			free(o->a[i].name);
			free(o->a[i].purl_type);
		}
		free(o->a);
		free(o->source);
		json_decref(o->j);
		free(o);
		o = next;
	}
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Sort events by version; "0" (introduced: from the beginning) first.  A
 * comparison that fails is remembered: qsort has no way to stop. */
struct sort_ctx {
	enum vouch_vscheme scheme;
	int failed;
	char err[256];
};

static int ev_cmp(const void *x, const void *y, void *arg)
{
	const struct osv_event *a = x, *b = y;
	struct sort_ctx *sc = arg;
	int r;

	if (!strcmp(a->v, "0") || !strcmp(b->v, "0"))
		return strcmp(a->v, "0") ? 1 : (strcmp(b->v, "0") ? -1 : 0);
	if (vouch_version_cmp(sc->scheme, a->v, b->v, &r, sc->err, sizeof(sc->err))) {
		sc->failed = 1;
		return 0;
	}
	return r;
}

/* Check every version of r (but "0") under its ordering and sort ev (r's
 * own, or a copy) by it. */
static int order_events(const struct osv_range *r, struct osv_event *ev, char *err, size_t errlen)
{
	struct sort_ctx sc = { .scheme = r->scheme };

	for (size_t k = 0; k < r->nev; k++)
		if (strcmp(ev[k].v, "0") && vouch_version_check(r->scheme, ev[k].v, err, errlen))
			return -EINVAL;
	qsort_r(ev, r->nev, sizeof(*ev), ev_cmp, &sc);
	if (sc.failed)
		return verr(err, errlen, -EINVAL, "%s", sc.err);
	return 0;
}

/* gcc 12 -fanalyzer false positive: after a store through a symbolic index
 * (o->a[o->na++].r[...] = ...) it forgets what an earlier store into the same
 * block held, and reports that pointer leaked; every one is freed with the
 * record (vouch_osv_free). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
static int parse_range(const json_t *rj, struct osv_affected *a, struct osv_range *r,
		       const char *where, char *err, size_t errlen)
{
	static const char *const keys[] = { "introduced", "fixed", "last_affected", "limit" };
	const char *type = jstr(rj, "type");
	const json_t *evs = json_object_get(rj, "events"), *e;
	bool introduced = false;
	size_t i;

	if (!json_is_object(rj) || !type)
		return verr(err, errlen, -EINVAL, "%s: a range has no type", where);
	r->git = !strcmp(type, "GIT");
	if (!r->git && strcmp(type, "ECOSYSTEM") && strcmp(type, "SEMVER"))
		return verr(err, errlen, -EINVAL, "%s: range type %s is not ECOSYSTEM, SEMVER or GIT",
			    where, type);
	r->scheme = !strcmp(type, "SEMVER") ? VOUCH_VS_SEMVER : vouch_vscheme_of_type(a->type);
	if (!json_is_array(evs) || !json_array_size(evs) || json_array_size(evs) > 1024)
		return verr(err, errlen, -EINVAL, "%s: a %s range needs 1 to 1024 events", where, type);
	r->ev = calloc(json_array_size(evs), sizeof(*r->ev));
	if (!r->ev)
		return -ENOMEM;
	json_array_foreach(evs, i, e) {
		size_t k;
		if (!json_is_object(e) || json_object_size(e) != 1)
			return verr(err, errlen, -EINVAL, "%s: %s event %zu must hold exactly one of "
				    "introduced, fixed, last_affected, limit", where, type, i);
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (json_object_get(e, keys[k]))
				break;
		if (k == ARRAY_SIZE(keys) || !jstr(e, keys[k]) || !*jstr(e, keys[k]))
			return verr(err, errlen, -EINVAL, "%s: %s event %zu must hold exactly one of "
				    "introduced, fixed, last_affected, limit, as a non-empty string",
				    where, type, i);
		r->ev[r->nev].kind = (enum ev_kind)k;
		r->ev[r->nev].v = jstr(e, keys[k]);
		introduced = introduced || k == EV_INTRODUCED;
		r->nev++;
	}
	if (!introduced)
		return verr(err, errlen, -EINVAL, "%s: a %s range without an introduced event", where,
			    type);
	if (r->git)
		return 0;
	/* An ecosystem vouch has no ordering of its own for (Debian, Maven,
	 * ...) is read as dotted only when a component of that package is
	 * compared, so a record that also covers it stays usable for the
	 * packages vouch can order; a version that cannot be read then is an
	 * error, not a miss. */
	r->deferred = !strcmp(type, "ECOSYSTEM") && r->scheme == VOUCH_VS_DOTTED;
	if (!r->deferred) {
		char sub[200];
		if (order_events(r, r->ev, sub, sizeof(sub)))
			return verr(err, errlen, -EINVAL, "%s: %s range: %s (%s ordering)", where, type,
				    sub, vouch_vscheme_name(r->scheme));
	}
	return 0;
}

int vouch_osv_parse(const uint8_t *buf, size_t len, const char *source, struct vouch_osv **out,
		    char *err, size_t errlen)
{
	struct vouch_osv *o = calloc(1, sizeof(*o));
	const json_t *aff, *x, *al;
	char sub[256], where[512];
	size_t i;
	int ret = -EINVAL;

	*out = NULL;
	if (!o)
		return -ENOMEM;
	o->source = strdup(source);
	if (len > VOUCH_OSV_MAX) {
		ret = verr(err, errlen, -EINVAL, "%s: larger than %u bytes", source, VOUCH_OSV_MAX);
		goto out;
	}
	o->j = vouch_doc_parse(buf, len, sub, sizeof(sub));
	if (!o->j) {
		ret = verr(err, errlen, -EINVAL, "%s: %s", source, sub);
		goto out;
	}
	o->id = jstr(o->j, "id");
	if (!json_is_object(o->j) || !o->id || !*o->id) {
		ret = verr(err, errlen, -EINVAL, "%s: not an OSV record (no id)", source);
		goto out;
	}
	al = json_object_get(o->j, "aliases");
	if (al && !json_is_array(al)) {
		ret = verr(err, errlen, -EINVAL, "%s: aliases is not an array", source);
		goto out;
	}
	json_array_foreach(al, i, x)
		if (!json_is_string(x)) {
			ret = verr(err, errlen, -EINVAL, "%s: aliases[%zu] is not a string", source, i);
			goto out;
		}
	aff = json_object_get(o->j, "affected");
	if (aff && !json_is_array(aff)) {
		ret = verr(err, errlen, -EINVAL, "%s: affected is not an array", source);
		goto out;
	}
	o->a = calloc(json_array_size(aff) + 1, sizeof(*o->a));
	if (!o->a) {
		ret = -ENOMEM;
		goto out;
	}
	json_array_foreach(aff, i, x) {
		struct osv_affected *a = &o->a[o->na++];
		const json_t *pkg = json_object_get(x, "package"), *rs, *r, *vs, *v;
		size_t k;

		snprintf(where, sizeof(where), "%s: affected[%zu]", source, i);
		if (!json_is_object(x) || !json_is_object(pkg)) {
			ret = verr(err, errlen, -EINVAL, "%s: no package", where);
			goto out;
		}
		a->ecosystem = jstr(pkg, "ecosystem");
		a->type = vouch_osv_ecosystem_type(a->ecosystem);
		if (jstr(pkg, "purl")) {
			struct vouch_purl p;
			if (vouch_purl_parse(jstr(pkg, "purl"), &p, sub, sizeof(sub))) {
				ret = verr(err, errlen, -EINVAL, "%s: %s", where, sub);
				goto out;
			}
			a->purl_type = p.type;
			p.type = NULL;
			if (p.ns && asprintf(&a->name, "%s/%s", p.ns, p.name) < 0)
				a->name = NULL;
			else if (!p.ns)
				a->name = strdup(p.name);
			vouch_purl_clear(&p);
			if (!a->type)
				a->type = a->purl_type;
		} else if (jstr(pkg, "name") && a->ecosystem) {
			a->name = strdup(jstr(pkg, "name"));
		}
		if (!a->name) {
			ret = verr(err, errlen, -EINVAL, "%s: package needs ecosystem and name, or purl",
				   where);
			goto out;
		}
		rs = json_object_get(x, "ranges");
		vs = json_object_get(x, "versions");
		if ((rs && !json_is_array(rs)) || (vs && !json_is_array(vs)) ||
		    json_array_size(rs) > 1024) {
			ret = verr(err, errlen, -EINVAL, "%s: ranges and versions must be arrays", where);
			goto out;
		}
		json_array_foreach(vs, k, v)
			if (!json_is_string(v)) {
				ret = verr(err, errlen, -EINVAL, "%s: versions[%zu] is not a string", where, k);
				goto out;
			}
		a->versions = vs;
		a->r = calloc(json_array_size(rs) + 1, sizeof(*a->r));
		if (!a->r) {
			ret = -ENOMEM;
			goto out;
		}
		json_array_foreach(rs, k, r) {
			ret = parse_range(r, a, &a->r[a->nr++], where, err, errlen);
			if (ret)
				goto out;
		}
	}
	*out = o;
	o = NULL;
	ret = 0;
out:
	vouch_osv_free(o);
	return ret;
}

#pragma GCC diagnostic pop

/* The OSV evaluation (osv-schema, "Evaluation"): walk the sorted events;
 * introduced <= v turns affected on, fixed <= v off, last_affected < v off. */
static int in_range(const struct osv_range *r, const char *v, bool *hit, char *err, size_t errlen)
{
	struct osv_event *ev = r->ev, *copy = NULL;
	bool affected = false;
	int ret = 0;

	if (r->deferred) {
		copy = malloc(r->nev * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, r->ev, r->nev * sizeof(*copy));
		ev = copy;
		if ((ret = order_events(r, ev, err, errlen)))
			goto out;
	}
	for (size_t i = 0; i < r->nev; i++) {
		int c = 1;
		const struct osv_event *e = &ev[i];

		if (e->kind == EV_LIMIT)
			continue;
		if (!strcmp(e->v, "0"))
			c = 1;                                /* v > "0" always */
		else if ((ret = vouch_version_cmp(r->scheme, v, e->v, &c, err, errlen)))
			goto out;
		if (e->kind == EV_INTRODUCED && c >= 0)
			affected = true;
		else if (e->kind == EV_FIXED && c >= 0)
			affected = false;
		else if (e->kind == EV_LAST_AFFECTED && c > 0)
			affected = false;
	}
	*hit = affected;
out:
	free(copy);
	return ret;
}

int vouch_osv_match(const struct vouch_osv *o, const struct vouch_component *c,
		    const char **advisory, char *err, size_t errlen)
{
	*advisory = NULL;
	/* OSV is per ecosystem: a component without a purl has none. */
	if (!c->purl.type || !c->version)
		return 0;
	for (; o; o = o->next) {
		for (size_t i = 0; i < o->na; i++) {
			const struct osv_affected *a = &o->a[i];
			char full[600];
			const char *cname = c->purl.name;
			const json_t *v;
			size_t k;

			if (!a->type || strcmp(a->type, c->purl.type))
				continue;
			if (c->purl.ns) {
				snprintf(full, sizeof(full), "%s/%s", c->purl.ns, c->purl.name);
				cname = full;
			}
			if (!vouch_pkg_name_eq(a->type, a->name, cname))
				continue;
			json_array_foreach(a->versions, k, v) {
				int r;
				if (!strcmp(json_string_value(v), c->version) ||
				    (!vouch_version_cmp(vouch_vscheme_of_type(a->type), c->version,
							json_string_value(v), &r, NULL, 0) && !r)) {
					*advisory = o->id;
					return 0;
				}
			}
			for (k = 0; k < a->nr; k++) {
				bool hit = false;
				char sub[256];
				int ret;

				if (a->r[k].git)
					continue;
				ret = in_range(&a->r[k], c->version, &hit, sub, sizeof(sub));
				if (ret)
					return verr(err, errlen, ret, "%s %s against %s (%s): %s", c->name,
						    c->version, o->id, o->source, sub);
				if (hit) {
					*advisory = o->id;
					return 0;
				}
			}
		}
	}
	return 0;
}

static bool names_id(const struct vouch_osv *o, const char *id)
{
	const json_t *x;
	size_t i;

	if (!strcmp(o->id, id))
		return true;
	json_array_foreach(json_object_get(o->j, "aliases"), i, x)
		if (!strcmp(json_string_value(x), id))
			return true;
	return false;
}

struct osv_scan {
	const char *id;
	struct vouch_osv *found;
	size_t files;
	char *err;
	size_t errlen;
	int ret;
};

static void scan_dir(int dfd, const char *path, unsigned depth, struct osv_scan *s)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		s->ret = verr(s->err, s->errlen, -errno, "%s: %s", path, strerror(errno));
		close(dfd);
		return;
	}
	while (!s->ret && (de = readdir(d))) {
		char sub[PATH_MAX];
		size_t n = strlen(de->d_name);
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < OSV_DIR_DEPTH) {
			int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				scan_dir(fd, sub, depth + 1, s);
		} else if (S_ISREG(st.st_mode) && n > 5 && !strcmp(de->d_name + n - 5, ".json")) {
			uint8_t *buf = NULL;
			size_t len = 0;
			struct vouch_osv *o = NULL;
			int ret;

			if (++s->files > OSV_FILES_MAX) {
				s->ret = verr(s->err, s->errlen, -EFBIG, "%s: more than %u records", path,
					      OSV_FILES_MAX);
				break;
			}
			ret = vouch_read_file(dirfd(d), de->d_name, VOUCH_OSV_MAX, &buf, &len, NULL);
			if (ret) {
				s->ret = verr(s->err, s->errlen, ret, "%s: %s", sub,
					      ret == -EFBIG ? "larger than 4 MiB" : strerror(-ret));
				break;
			}
			/* Only a file that can name the id is parsed (an escaped
			 * character could hide it: those are parsed too). */
			if (memmem(buf, len, s->id, strlen(s->id)) || memmem(buf, len, "\\u", 2)) {
				ret = vouch_osv_parse(buf, len, sub, &o, s->err, s->errlen);
				if (ret) {
					/* A record that cannot be read may be the one asked for. */
					s->ret = ret;
				} else if (o && names_id(o, s->id)) {
					o->next = s->found;
					s->found = o;
					o = NULL;
				}
				vouch_osv_free(o);
			}
			free(buf);
		}
	}
	closedir(d);
}

int vouch_osv_load(const char *dir, const char *id, struct vouch_osv **out, char *err, size_t errlen)
{
	struct osv_scan s = { .id = id, .err = err, .errlen = errlen };
	int fd;

	*out = NULL;
	if (!*id)
		return verr(err, errlen, -EINVAL, "an empty advisory id");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return verr(err, errlen, -errno, "%s: %s", dir, strerror(errno));
	scan_dir(fd, dir, 0, &s);
	if (s.ret) {
		vouch_osv_free(s.found);
		return s.ret;
	}
	if (!s.found)
		return verr(err, errlen, -ENOENT, "%s: no OSV record has id or alias %s", dir, id);
	*out = s.found;
	return 0;
}
