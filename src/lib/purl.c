/* SPDX-License-Identifier: Apache-2.0 */
/*
 * purl.c - package URLs (github.com/package-url/purl-spec): reading the
 * type, namespace, name and version of pkg:TYPE/NS/NAME@VERSION (qualifiers
 * and subpath are skipped), writing them percent-encoded, and comparing
 * package names as their ecosystem does (PyPI: PEP 503).  Pure functions.
 */
#include "prov_i.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURL_MAX 1024

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode [s, s+n) into a new string; NULL if a %XX is bad or the
 * result holds a NUL or a control byte. */
static char *pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t k = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
				free(out);
				return NULL;
			}
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			free(out);
			return NULL;
		}
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return out;
}

/* PEP 503: lowercase, every run of - _ . becomes one -. */
static void pep503(const char *in, char *out, size_t cap)
{
	size_t k = 0;

	for (const char *p = in; *p && k + 1 < cap; p++) {
		if (*p == '-' || *p == '_' || *p == '.') {
			while (p[1] == '-' || p[1] == '_' || p[1] == '.')
				p++;
			out[k++] = '-';
		} else {
			out[k++] = (char)tolower((unsigned char)*p);
		}
	}
	out[k] = '\0';
}

bool vouch_pkg_name_eq(const char *type, const char *a, const char *b)
{
	char na[512], nb[512];

	if (!a || !b)
		return false;
	if (type && !strcmp(type, "pypi")) {
		if (strlen(a) >= sizeof(na) || strlen(b) >= sizeof(nb))
			return false;
		pep503(a, na, sizeof(na));
		pep503(b, nb, sizeof(nb));
		return !strcmp(na, nb);
	}
	return !strcmp(a, b);
}

void vouch_purl_clear(struct vouch_purl *p)
{
	free(p->type);
	free(p->ns);
	free(p->name);
	free(p->version);
	memset(p, 0, sizeof(*p));
}

int vouch_purl_parse(const char *s, struct vouch_purl *p, char *err, size_t errlen)
{
	const char *rest, *end, *slash, *at, *lastslash;
	size_t n = strlen(s);

	memset(p, 0, sizeof(*p));
	if (n > PURL_MAX)
		return verr(err, errlen, -EINVAL, "package URL longer than %d bytes", PURL_MAX);
	if (strncasecmp(s, "pkg:", 4))
		goto bad;
	rest = s + 4;
	while (*rest == '/')
		rest++;
	/* subpath after '#', qualifiers after '?': not read */
	end = rest + strcspn(rest, "?#");
	slash = memchr(rest, '/', (size_t)(end - rest));
	if (!slash || slash == rest)
		goto bad;
	p->type = strndup(rest, (size_t)(slash - rest));
	if (!p->type)
		goto nomem;
	for (char *t = p->type; *t; t++) {
		*t = (char)tolower((unsigned char)*t);
		if (!isalnum((unsigned char)*t) && *t != '.' && *t != '+' && *t != '-')
			goto bad;
	}
	rest = slash + 1;
	while (end > rest && end[-1] == '/')
		end--;
	at = NULL;
	for (const char *q = end; q > rest; q--)
		if (q[-1] == '@') {
			at = q - 1;
			break;
		}
	/* "@" inside a namespace segment (npm's @scope) is encoded as %40 by
	 * writers, but readers meet it raw: only an @ after the last '/' is the
	 * version's. */
	lastslash = NULL;
	for (const char *q = rest; q < end; q++)
		if (*q == '/')
			lastslash = q;
	if (at && lastslash && at < lastslash)
		at = NULL;
	if (at) {
		if (at + 1 == end || !(p->version = pct_decode(at + 1, (size_t)(end - at - 1))))
			goto bad;
		end = at;
	}
	lastslash = NULL;
	for (const char *q = rest; q < end; q++)
		if (*q == '/')
			lastslash = q;
	if (lastslash) {
		/* namespace segments: decoded, empty ones dropped */
		size_t cap = (size_t)(lastslash - rest) + 1, k = 0;
		const char *q = rest;
		p->ns = calloc(1, cap + 1);
		if (!p->ns)
			goto nomem;
		while (q < lastslash) {
			const char *e = memchr(q, '/', (size_t)(lastslash - q));
			size_t l = e ? (size_t)(e - q) : (size_t)(lastslash - q);
			char *seg = l ? pct_decode(q, l) : NULL;
			if (l && !seg)
				goto bad;
			if (seg) {
				k += (size_t)snprintf(p->ns + k, cap + 1 - k, "%s%s", k ? "/" : "", seg);
				free(seg);
			}
			q += l + 1;
		}
		rest = lastslash + 1;
		if (!*p->ns) {
			free(p->ns);
			p->ns = NULL;
		}
	}
	if (end == rest || !(p->name = pct_decode(rest, (size_t)(end - rest))) || !*p->name)
		goto bad;
	if (!strcmp(p->type, "pypi")) {
		for (char *t = p->name; *t; t++)
			*t = *t == '_' ? '-' : (char)tolower((unsigned char)*t);
	}
	return 0;
nomem:
	vouch_purl_clear(p);
	return verr(err, errlen, -ENOMEM, "out of memory");
bad:
	vouch_purl_clear(p);
	return verr(err, errlen, -EINVAL, "'%.200s' is not a package URL (pkg:TYPE/NAME@VERSION)", s);
}

static bool unreserved(int c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~';
}

/* Append s percent-encoded; keep: unreserved, ':' (as packageurl-python
 * does), and '/' when slash_ok. */
static size_t pct_encode(char *out, const char *s, bool slash_ok)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t k = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p) || *p == ':' || (slash_ok && *p == '/')) {
			out[k++] = (char)*p;
		} else {
			out[k++] = '%';
			out[k++] = hx[*p >> 4];
			out[k++] = hx[*p & 15];
		}
	}
	return k;
}

char *vouch_purl_format(const char *type, const char *ns, const char *name, const char *version)
{
	size_t cap = 8 + strlen(type) + 3 * ((ns ? strlen(ns) : 0) + strlen(name) +
					     (version ? strlen(version) : 0)) + 4;
	char *out = malloc(cap), *nm = strdup(name);
	size_t k;

	if (!out || !nm) {
		free(out);
		free(nm);
		return NULL;
	}
	if (!strcmp(type, "pypi"))
		for (char *t = nm; *t; t++)
			*t = *t == '_' ? '-' : (char)tolower((unsigned char)*t);
	k = (size_t)snprintf(out, cap, "pkg:%s/", type);
	if (ns && *ns) {
		k += pct_encode(out + k, ns, true);
		out[k++] = '/';
	}
	k += pct_encode(out + k, nm, false);
	if (version && *version) {
		out[k++] = '@';
		k += pct_encode(out + k, version, false);
	}
	out[k] = '\0';
	free(nm);
	return out;
}
