/* SPDX-License-Identifier: Apache-2.0 */
/*
 * version.c - the version orderings `vouch query` compares with: PEP 440
 * (PyPI), SemVer 2.0 (npm, cargo, golang, OSV SEMVER ranges) and plain
 * dotted integers (everything else), and the "OP VERSION, ..." constraints
 * of --dep.  Pure functions over strings: no I/O, no allocation beyond the
 * parsed constraints.  A string a scheme cannot read is an error naming it,
 * never a guess (docs/provenance.md, "Versions").
 */
#include "prov_i.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Numbers in a version: at most 18 digits (fits in uint64_t with room). */
#define NUM_DIGITS 18
#define MAX_PARTS  32               /* release segments, pre-release identifiers */

const char *vouch_vscheme_name(enum vouch_vscheme s)
{
	switch (s) {
	case VOUCH_VS_PEP440: return "PEP 440";
	case VOUCH_VS_SEMVER: return "SemVer";
	default:              return "dotted";
	}
}

enum vouch_vscheme vouch_vscheme_of_type(const char *t)
{
	if (t && !strcmp(t, "pypi"))
		return VOUCH_VS_PEP440;
	if (t && (!strcmp(t, "npm") || !strcmp(t, "cargo") || !strcmp(t, "golang")))
		return VOUCH_VS_SEMVER;
	return VOUCH_VS_DOTTED;
}

/* Read a run of digits at *p: false if none or too many. */
static bool read_num(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	size_t n = 0;

	while (isdigit((unsigned char)s[n])) {
		if (++n > NUM_DIGITS)
			return false;
		v = v * 10 + (uint64_t)(s[n - 1] - '0');
	}
	if (!n)
		return false;
	*p = s + n;
	*out = v;
	return true;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* ---- PEP 440 ---- */

struct pep440 {
	uint64_t epoch;
	uint64_t rel[MAX_PARTS];
	size_t   nrel;
	int      pre;                /* 0 none, 1 a, 2 b, 3 rc */
	uint64_t pre_n;
	bool     has_post, has_dev;
	uint64_t post_n, dev_n;
	char     local[VOUCH_VERSION_MAX + 1];   /* lowercase, separators as '.'; "" none */
};

static bool is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

/* Match one of words (longest first) case-insensitively at *p. */
static int match_word(const char **p, const char *const *words, const int *vals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(words[i]);
		if (!strncasecmp(*p, words[i], l)) {
			*p += l;
			return vals[i];
		}
	}
	return 0;
}

/* The optional "[sep]NUMBER" after a label: absent means 0. */
static bool label_num(const char **p, uint64_t *n)
{
	const char *s = *p;

	if (is_sep(*s) && isdigit((unsigned char)s[1]))
		s++;
	if (!isdigit((unsigned char)*s)) {
		*n = 0;
		return true;
	}
	if (!read_num(&s, n))
		return false;
	*p = s;
	return true;
}

/* packaging's VERSION_PATTERN, by hand: v? [N!] N(.N)* [pre] [post] [dev]
 * [+local], case-insensitive, surrounding spaces allowed. */
static int pep440_parse(const char *v, struct pep440 *o, char *err, size_t errlen)
{
	static const char *const pre_w[] = { "preview", "alpha", "beta", "pre", "rc", "a", "b", "c" };
	static const int pre_v[] = { 3, 1, 2, 3, 3, 1, 2, 3 };
	static const char *const post_w[] = { "post", "rev", "r" };
	static const int post_v[] = { 1, 1, 1 };
	const char *p = v, *q;
	uint64_t n;
	size_t ll = 0;

	memset(o, 0, sizeof(*o));
	if (strlen(v) > VOUCH_VERSION_MAX)
		return verr(err, errlen, -EINVAL, "version '%.40s...' is longer than %d bytes", v,
			    VOUCH_VERSION_MAX);
	while (isspace((unsigned char)*p))
		p++;
	if (*p == 'v' || *p == 'V')
		p++;
	q = p;
	if (!read_num(&q, &n))
		goto bad;
	if (*q == '!') {
		o->epoch = n;
		p = q + 1;
	}
	for (;;) {
		if (o->nrel == MAX_PARTS || !read_num(&p, &o->rel[o->nrel]))
			goto bad;
		o->nrel++;
		if (*p != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	/* pre-release */
	q = p + (is_sep(*p) ? 1 : 0);
	if ((o->pre = match_word(&q, pre_w, pre_v, ARRAY_SIZE(pre_w)))) {
		if (!label_num(&q, &o->pre_n))
			goto bad;
		p = q;
	}
	/* post-release: "-N" or [sep](post|rev|r)[sep][N] */
	if (*p == '-' && isdigit((unsigned char)p[1])) {
		p++;
		if (!read_num(&p, &o->post_n))
			goto bad;
		o->has_post = true;
	} else {
		q = p + (is_sep(*p) ? 1 : 0);
		if (match_word(&q, post_w, post_v, ARRAY_SIZE(post_w))) {
			if (!label_num(&q, &o->post_n))
				goto bad;
			o->has_post = true;
			p = q;
		}
	}
	/* dev-release */
	q = p + (is_sep(*p) ? 1 : 0);
	if (!strncasecmp(q, "dev", 3)) {
		q += 3;
		if (!label_num(&q, &o->dev_n))
			goto bad;
		o->has_dev = true;
		p = q;
	}
	/* local: [a-z0-9]+ ([-_.][a-z0-9]+)* */
	if (*p == '+') {
		p++;
		for (;;) {
			size_t run = 0;
			while (isalnum((unsigned char)p[run]))
				run++;
			if (!run)
				goto bad;
			for (size_t i = 0; i < run; i++)
				o->local[ll++] = (char)tolower((unsigned char)p[i]);
			p += run;
			if (!is_sep(*p))
				break;
			o->local[ll++] = '.';
			p++;
		}
		o->local[ll] = '\0';
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		goto bad;
	return 0;
bad:
	return verr(err, errlen, -EINVAL, "'%s' is not a PEP 440 version (at '%.20s')", v,
		    *p ? p : "the end");
}

/* One local segment against another: numbers compare as numbers and sort
 * above words; words compare as (lowercase) strings. */
static int local_seg_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	bool an = true, bn = true;

	for (size_t i = 0; i < al; i++)
		an = an && isdigit((unsigned char)a[i]);
	for (size_t i = 0; i < bl; i++)
		bn = bn && isdigit((unsigned char)b[i]);
	if (an && bn) {
		/* Leading zeros do not count; then longer is larger. */
		while (al > 1 && *a == '0')
			a++, al--;
		while (bl > 1 && *b == '0')
			b++, bl--;
		if (al != bl)
			return al < bl ? -1 : 1;
		return memcmp(a, b, al) < 0 ? -1 : memcmp(a, b, al) > 0;
	}
	if (an != bn)
		return an ? 1 : -1;
	{
		int c = memcmp(a, b, al < bl ? al : bl);
		return c ? (c < 0 ? -1 : 1) : (al < bl ? -1 : al > bl);
	}
}

static int local_cmp(const char *a, const char *b)
{
	if (!*a || !*b)
		return !*a && !*b ? 0 : (*a ? 1 : -1);      /* none sorts first */
	for (;;) {
		const char *ae = strchr(a, '.'), *be = strchr(b, '.');
		size_t al = ae ? (size_t)(ae - a) : strlen(a), bl = be ? (size_t)(be - b) : strlen(b);
		int c = local_seg_cmp(a, al, b, bl);

		if (c)
			return c;
		if (!ae || !be)
			return !ae && !be ? 0 : (ae ? 1 : -1);   /* more segments: larger */
		a = ae + 1;
		b = be + 1;
	}
}

/* packaging's _cmpkey: epoch, release (trailing zeros dropped), pre
 * (a dev release of a final sorts before its pre-releases), post, dev,
 * local. */
static int pep440_cmp(const struct pep440 *a, const struct pep440 *b, bool ignore_a_local)
{
	size_t n = a->nrel > b->nrel ? a->nrel : b->nrel;
	int c, pa, pb;

	if ((c = cmp_u64(a->epoch, b->epoch)))
		return c;
	for (size_t i = 0; i < n; i++)
		if ((c = cmp_u64(i < a->nrel ? a->rel[i] : 0, i < b->nrel ? b->rel[i] : 0)))
			return c;
	/* pre: -1 for "dev only", 4 (above rc) for none */
	pa = a->pre ? a->pre : (!a->has_post && a->has_dev ? -1 : 4);
	pb = b->pre ? b->pre : (!b->has_post && b->has_dev ? -1 : 4);
	if (pa != pb)
		return pa < pb ? -1 : 1;
	if (a->pre && (c = cmp_u64(a->pre_n, b->pre_n)))
		return c;
	if (a->has_post != b->has_post)
		return a->has_post ? 1 : -1;
	if ((c = cmp_u64(a->post_n, b->post_n)))
		return c;
	if (a->has_dev != b->has_dev)
		return a->has_dev ? -1 : 1;               /* no dev sorts last */
	if ((c = cmp_u64(a->dev_n, b->dev_n)))
		return c;
	if (ignore_a_local && !b->local[0])
		return 0;
	return local_cmp(a->local, b->local);
}

/* ---- SemVer 2.0 ---- */

struct semver {
	uint64_t core[3];
	const char *pre;             /* into the string; NULL none */
	size_t   prelen;
};

static bool ident_ok(const char *s, size_t n, bool numeric_no_zero)
{
	bool num = true;

	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
		num = num && isdigit((unsigned char)s[i]);
	}
	return !(numeric_no_zero && num && n > 1 && s[0] == '0') && !(num && n > NUM_DIGITS);
}

/* Dot-separated identifiers in [s, s+n); numeric ones without leading zeros
 * when strict (pre-release; build metadata may have them). */
static bool idents_ok(const char *s, size_t n, bool strict)
{
	size_t i = 0;

	if (!n)
		return false;
	while (i <= n) {
		const char *e = memchr(s + i, '.', n - i);
		size_t l = e ? (size_t)(e - (s + i)) : n - i;
		if (!ident_ok(s + i, l, strict))
			return false;
		i += l + 1;
		if (!e)
			break;
	}
	return true;
}

static int semver_parse(const char *v, struct semver *o, char *err, size_t errlen)
{
	const char *p = v, *plus;

	memset(o, 0, sizeof(*o));
	if (strlen(v) > VOUCH_VERSION_MAX)
		return verr(err, errlen, -EINVAL, "version '%.40s...' is longer than %d bytes", v,
			    VOUCH_VERSION_MAX);
	if (*p == 'v' || *p == '=')
		p++;
	for (int i = 0; i < 3; i++) {
		if ((*p == '0' && isdigit((unsigned char)p[1])) || !read_num(&p, &o->core[i]))
			goto bad;
		if (i < 2 && *p++ != '.')
			goto bad;
	}
	plus = strchr(p, '+');
	if (*p == '-') {
		p++;
		o->pre = p;
		o->prelen = plus ? (size_t)(plus - p) : strlen(p);
		if (!idents_ok(p, o->prelen, true))
			goto bad;
		p += o->prelen;
	}
	if (*p == '+') {
		p++;
		if (!idents_ok(p, strlen(p), false))
			goto bad;
		p += strlen(p);
	}
	if (*p)
		goto bad;
	return 0;
bad:
	return verr(err, errlen, -EINVAL, "'%s' is not a SemVer version (MAJOR.MINOR.PATCH"
		    "[-PRE][+BUILD])", v);
}

static int semver_cmp(const struct semver *a, const struct semver *b)
{
	size_t i = 0, j = 0;
	int c;

	for (int k = 0; k < 3; k++)
		if ((c = cmp_u64(a->core[k], b->core[k])))
			return c;
	if (!a->pre || !b->pre)
		return !a->pre && !b->pre ? 0 : (a->pre ? -1 : 1);   /* a pre-release is lower */
	for (;;) {
		const char *ae = memchr(a->pre + i, '.', a->prelen - i);
		const char *be = memchr(b->pre + j, '.', b->prelen - j);
		size_t al = ae ? (size_t)(ae - (a->pre + i)) : a->prelen - i;
		size_t bl = be ? (size_t)(be - (b->pre + j)) : b->prelen - j;
		const char *as = a->pre + i, *bs = b->pre + j;
		bool an = true, bn = true;

		for (size_t k = 0; k < al; k++)
			an = an && isdigit((unsigned char)as[k]);
		for (size_t k = 0; k < bl; k++)
			bn = bn && isdigit((unsigned char)bs[k]);
		if (an && bn)
			c = al != bl ? (al < bl ? -1 : 1) : memcmp(as, bs, al);
		else if (an != bn)
			c = an ? -1 : 1;                     /* numeric sorts lower */
		else
			c = memcmp(as, bs, al < bl ? al : bl) ? memcmp(as, bs, al < bl ? al : bl) :
			    (al < bl ? -1 : al > bl);
		if (c)
			return c < 0 ? -1 : 1;
		if (!ae || !be)
			return !ae && !be ? 0 : (ae ? 1 : -1);   /* more identifiers: larger */
		i += al + 1;
		j += bl + 1;
	}
}

/* ---- dotted ---- */

struct dotted {
	uint64_t part[MAX_PARTS];
	size_t   n;
};

static int dotted_parse(const char *v, struct dotted *o, char *err, size_t errlen)
{
	const char *p = v;

	o->n = 0;
	if (*p == 'v')
		p++;
	for (;;) {
		if (o->n == MAX_PARTS || !read_num(&p, &o->part[o->n]))
			goto bad;
		o->n++;
		if (!*p)
			return 0;
		if (*p++ != '.')
			goto bad;
	}
bad:
	return verr(err, errlen, -EINVAL, "'%.*s' is not a dotted version (integers separated "
		    "by dots)", VOUCH_VERSION_MAX, v);
}

static int dotted_cmp(const struct dotted *a, const struct dotted *b)
{
	size_t n = a->n > b->n ? a->n : b->n;
	int c;

	for (size_t i = 0; i < n; i++)
		if ((c = cmp_u64(i < a->n ? a->part[i] : 0, i < b->n ? b->part[i] : 0)))
			return c;
	return 0;
}

/* ---- the interface ---- */

int vouch_version_check(enum vouch_vscheme s, const char *v, char *err, size_t errlen)
{
	struct pep440 p;
	struct semver sv;
	struct dotted d;

	switch (s) {
	case VOUCH_VS_PEP440: return pep440_parse(v, &p, err, errlen);
	case VOUCH_VS_SEMVER: return semver_parse(v, &sv, err, errlen);
	default:              return dotted_parse(v, &d, err, errlen);
	}
}

int vouch_version_cmp(enum vouch_vscheme s, const char *a, const char *b, int *out,
		      char *err, size_t errlen)
{
	int ret;

	if (s == VOUCH_VS_PEP440) {
		struct pep440 pa, pb;
		if ((ret = pep440_parse(a, &pa, err, errlen)) || (ret = pep440_parse(b, &pb, err, errlen)))
			return ret;
		*out = pep440_cmp(&pa, &pb, true);
	} else if (s == VOUCH_VS_SEMVER) {
		struct semver sa, sb;
		if ((ret = semver_parse(a, &sa, err, errlen)) || (ret = semver_parse(b, &sb, err, errlen)))
			return ret;
		*out = semver_cmp(&sa, &sb);
	} else {
		struct dotted da, db;
		if ((ret = dotted_parse(a, &da, err, errlen)) || (ret = dotted_parse(b, &db, err, errlen)))
			return ret;
		*out = dotted_cmp(&da, &db);
	}
	return 0;
}

/* ---- constraints ---- */

static const struct {
	const char *tok;
	enum vouch_vop op;
} ops[] = {                          /* two-character operators first */
	{ "<=", VOUCH_OP_LE }, { ">=", VOUCH_OP_GE }, { "==", VOUCH_OP_EQ }, { "!=", VOUCH_OP_NE },
	{ "<", VOUCH_OP_LT },  { ">", VOUCH_OP_GT },
};

void vouch_vcons_free(struct vouch_vcons *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		free(c[i].version);
	free(c);
}

int vouch_vcons_parse(const char *s, struct vouch_vcons **out, size_t *n, char *err, size_t errlen)
{
	struct vouch_vcons *v = NULL;
	size_t k = 0, cap = 0;
	const char *p = s;
	int ret = -EINVAL;

	*out = NULL;
	*n = 0;
	while (*p) {
		size_t oi, len;
		const char *e;
		char e1[160], e2[160], e3[160];

		while (*p == ' ')
			p++;
		for (oi = 0; oi < ARRAY_SIZE(ops); oi++)
			if (!strncmp(p, ops[oi].tok, strlen(ops[oi].tok)))
				break;
		if (oi == ARRAY_SIZE(ops)) {
			ret = verr(err, errlen, -EINVAL, "'%s': expected one of < <= == != >= > at '%s'",
				   s, p);
			goto out;
		}
		p += strlen(ops[oi].tok);
		while (*p == ' ')
			p++;
		e = strchr(p, ',');
		len = e ? (size_t)(e - p) : strlen(p);
		while (len && p[len - 1] == ' ')
			len--;
		if (!len || len > VOUCH_VERSION_MAX) {
			ret = verr(err, errlen, -EINVAL, "'%s': a version must follow %s (at most %d bytes)",
				   s, ops[oi].tok, VOUCH_VERSION_MAX);
			goto out;
		}
		if (k == cap) {
			struct vouch_vcons *nv;
			cap = cap ? cap * 2 : 4;
			if (cap > 64 || !(nv = realloc(v, cap * sizeof(*v)))) {
				ret = verr(err, errlen, -EINVAL, "'%s': too many constraints", s);
				goto out;
			}
			v = nv;
		}
		v[k].op = ops[oi].op;
		v[k].version = strndup(p, len);
		if (!v[k].version) {
			ret = -ENOMEM;
			goto out;
		}
		k++;
		if (strchr(v[k - 1].version, '*')) {
			ret = verr(err, errlen, -EINVAL, "'%s': wildcards (1.*) are not supported; use "
				   ">=1,<2", s);
			goto out;
		}
		/* Which ordering applies depends on the component; the version must
		 * at least be one of them. */
		if (vouch_version_check(VOUCH_VS_PEP440, v[k - 1].version, e1, sizeof(e1)) &&
		    vouch_version_check(VOUCH_VS_SEMVER, v[k - 1].version, e2, sizeof(e2)) &&
		    vouch_version_check(VOUCH_VS_DOTTED, v[k - 1].version, e3, sizeof(e3))) {
			ret = verr(err, errlen, -EINVAL, "%s", e1);
			goto out;
		}
		p = e ? e + 1 : p + len + strlen(p + len);
		if (e && !*p) {
			ret = verr(err, errlen, -EINVAL, "'%s': nothing after the last ','", s);
			goto out;
		}
	}
	if (!k) {
		ret = verr(err, errlen, -EINVAL, "'%s': no constraint", s);
		goto out;
	}
	*out = v;
	*n = k;
	v = NULL;
	k = 0;
	ret = 0;
out:
	vouch_vcons_free(v, k);
	return ret;
}

int vouch_vcons_test(enum vouch_vscheme s, const char *v, const struct vouch_vcons *c, size_t n,
		     bool *ok, char *err, size_t errlen)
{
	*ok = true;
	for (size_t i = 0; i < n; i++) {
		int r, ret = vouch_version_cmp(s, v, c[i].version, &r, err, errlen);
		bool t;

		if (ret)
			return ret;
		switch (c[i].op) {
		case VOUCH_OP_LT: t = r < 0; break;
		case VOUCH_OP_LE: t = r <= 0; break;
		case VOUCH_OP_EQ: t = r == 0; break;
		case VOUCH_OP_NE: t = r != 0; break;
		case VOUCH_OP_GE: t = r >= 0; break;
		default:          t = r > 0; break;
		}
		if (!t)
			*ok = false;
	}
	return 0;
}
