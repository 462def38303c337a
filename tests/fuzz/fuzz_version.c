/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_version.c - libFuzzer harness for the version orderings and the
 * --dep constraints of `vouch query` (version.c) and package URLs (purl.c).
 * Input: up to three NUL-separated strings a, b, c.  Checks:
 *  - a failed comparison names the version it could not read, and is
 *    reported for the same strings under vouch_version_check;
 *  - each ordering is antisymmetric (cmp(a,b) = -cmp(b,a)) and reflexive,
 *    except PEP 440's documented rule that a local label is ignored against
 *    a bound without one; transitive over a, b, c where all compare;
 *  - SemVer: build metadata never changes the order;
 *  - c parsed as constraints either fails with a message or yields 1 to 64
 *    constraints whose test never crashes;
 *  - a purl that parses formats to one that parses back to the same parts
 *    (unless encoding took it past the parser's 1024-byte bound).
 */
#include "prov_i.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sgn(int v)
{
	return (v > 0) - (v < 0);
}

static void orderings(const char *a, const char *b, const char *c)
{
	for (int s = VOUCH_VS_PEP440; s <= VOUCH_VS_DOTTED; s++) {
		char err[256] = "";
		int ab, ba, aa, bc, ac;
		int ra = vouch_version_check(s, a, NULL, 0), rb = vouch_version_check(s, b, NULL, 0);
		int r = vouch_version_cmp(s, a, b, &ab, err, sizeof(err));

		if ((r != 0) != (ra != 0 || rb != 0))
			abort();
		if (r) {
			if (!err[0])
				abort();
			continue;
		}
		if (vouch_version_cmp(s, b, a, &ba, NULL, 0) || vouch_version_cmp(s, a, a, &aa, NULL, 0))
			abort();
		if (aa != 0)
			abort();
		if (sgn(ab) != -sgn(ba) &&
		    !(s == VOUCH_VS_PEP440 && (strchr(a, '+') || strchr(b, '+'))))
			abort();
		if (s != VOUCH_VS_PEP440 && !vouch_version_cmp(s, b, c, &bc, NULL, 0) &&
		    !vouch_version_cmp(s, a, c, &ac, NULL, 0)) {
			if (ab <= 0 && bc <= 0 && ac > 0)
				abort();
			if (ab >= 0 && bc >= 0 && ac < 0)
				abort();
		}
		if (s == VOUCH_VS_SEMVER && !strchr(a, '+') && strlen(a) < 100) {
			char plus[140];
			int p;
			snprintf(plus, sizeof(plus), "%s+b.1", a);
			if (!vouch_version_cmp(s, plus, b, &p, NULL, 0) && sgn(p) != sgn(ab))
				abort();
		}
	}
}

static void constraints(const char *c, const char *v)
{
	struct vouch_vcons *k = NULL;
	size_t n = 0;
	char err[256] = "";
	bool ok;

	if (vouch_vcons_parse(c, &k, &n, err, sizeof(err))) {
		if (k || n || !err[0])
			abort();
		return;
	}
	if (!n || n > 64)
		abort();
	for (int s = VOUCH_VS_PEP440; s <= VOUCH_VS_DOTTED; s++)
		(void)vouch_vcons_test(s, v, k, n, &ok, err, sizeof(err));
	vouch_vcons_free(k, n);
}

static bool same(const char *x, const char *y)
{
	return (!x && !y) || (x && y && !strcmp(x, y));
}

static void purl(const char *s)
{
	struct vouch_purl p, q;
	char *f;

	if (vouch_purl_parse(s, &p, NULL, 0))
		return;
	f = vouch_purl_format(p.type, p.ns, p.name, p.version);
	if (!f)
		abort();
	/* Encoding triples a byte at most: past the parser's 1024-byte
	 * bound the formatted purl is refused, as any other that long. */
	if (strlen(f) > 1024) {
		vouch_purl_clear(&p);
		free(f);
		return;
	}
	if (vouch_purl_parse(f, &q, NULL, 0) || strcmp(p.type, q.type) || !same(p.name, q.name) ||
	    !same(p.ns, q.ns) || !same(p.version, q.version))
		abort();
	vouch_purl_clear(&q);
	vouch_purl_clear(&p);
	free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *pa, *rest, *pb, *pc;
	size_t la, lr, lb, lc;
	char *a, *b, *c;

	fz_split(data, size, &pa, &la, &rest, &lr);
	fz_split(rest, lr, &pb, &lb, &pc, &lc);
	a = fz_strndup(pa, la);
	b = fz_strndup(pb, lb);
	c = fz_strndup(pc, lc);
	orderings(a, b, c);
	constraints(c, a);
	purl(a);
	free(a);
	free(b);
	free(c);
	return 0;
}
