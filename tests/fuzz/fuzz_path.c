/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_path.c - libFuzzer harness for the rules on signed names and the
 * small text parsers every signature goes through (util.c, bundle.c), each
 * held against an independent reading of its specification:
 *  - vouch_path_ok, the one rule for a manifest resource name, an ignore
 *    entry's target and a metadata file name: accepted exactly when the
 *    name is non-empty, relative, has no empty, "." or ".." component, no
 *    control byte and is valid UTF-8 (no overlong form, no surrogate,
 *    nothing above U+10FFFF);
 *  - vouch_path_cmp (model_signing's component-wise order): equal to a
 *    lexicographic comparison of the '/'-separated components, hence
 *    reflexive, antisymmetric and transitive;
 *  - vouch_ignored with one ignore entry: the entry, with leading "./" and
 *    trailing '/' dropped, must be a whole-component prefix of the name;
 *  - vouch_time_parse (RFC 3339 times of signed_at, expires, KEY.ini):
 *    whatever parses formats and parses back to the same second;
 *  - vouch_b64_decode: whatever decodes encodes and decodes back;
 *  - vouch_escape (every untrusted string in a log line): printable ASCII
 *    only, within its buffer, and unescaping it gives a prefix of the input.
 * The input is up to three NUL-separated strings a, b, c.
 */
#include "bundle_i.h"
#include "fuzz_common.h"

#include <ctype.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the specification, written again ---------------------------------- */

static bool utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned c = s[0], need, cp, min;

		if (c < 0x80) {
			s++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		for (unsigned i = 1; i <= need; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += need + 1;
	}
	return true;
}

static bool name_ok(const char *p)
{
	const char *c = p;

	if (!*p || *p == '/')
		return false;
	for (const unsigned char *q = (const unsigned char *)p; *q; q++)
		if (*q < 0x20 || *q == 0x7f)
			return false;
	if (!utf8_valid((const unsigned char *)p))
		return false;
	for (;;) {
		const char *e = strchrnul(c, '/');
		size_t n = (size_t)(e - c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!*e)
			return true;
		c = e + 1;
	}
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* Components compared in order, bytewise; a proper prefix sorts first. */
static int cmp_components(const char *a, const char *b)
{
	for (;;) {
		const char *ea = strchrnul(a, '/'), *eb = strchrnul(b, '/');
		size_t la = (size_t)(ea - a), lb = (size_t)(eb - b);
		int c = memcmp(a, b, la < lb ? la : lb);

		if (c)
			return sign(c);
		if (la != lb)
			return la < lb ? -1 : 1;
		if (!*ea || !*eb)
			return (*ea != 0) - (*eb != 0);
		a = ea + 1;
		b = eb + 1;
	}
}

static bool ignored_by(const char *name, const char *entry)
{
	size_t l;

	while (entry[0] == '.' && entry[1] == '/')
		entry += 2;
	l = strlen(entry);
	while (l > 1 && entry[l - 1] == '/')
		l--;
	return l && !strncmp(name, entry, l) && (name[l] == '\0' || name[l] == '/');
}

/* ---- the checks ------------------------------------------------------------ */

static void check_names(const char *a, const char *b, const char *c)
{
	int ab = sign(vouch_path_cmp(a, b)), ba = sign(vouch_path_cmp(b, a));
	int bc = sign(vouch_path_cmp(b, c)), ac = sign(vouch_path_cmp(a, c));

	if (vouch_path_ok(a) != name_ok(a) || vouch_path_ok(b) != name_ok(b))
		abort();
	if (vouch_path_cmp(a, a) || ab != -ba || ab != cmp_components(a, b) ||
	    bc != cmp_components(b, c) || ac != cmp_components(a, c))
		abort();
	if (ab <= 0 && bc <= 0 && ac > 0)
		abort();                /* not transitive */
	if (ab == 0 && strcmp(a, b))
		abort();                /* two names, one place in the order */
	{
		struct vouch_statement st = { 0 };
		char *ign[1] = { (char *)b };
		bool dflt = vouch_ignored(NULL, NULL, 0, a);

		st.ignore_paths = ign;
		st.nignore = 1;
		if (vouch_ignored(&st, NULL, 0, a) != (dflt || ignored_by(a, b)) ||
		    vouch_ignored(NULL, ign, 1, a) != (dflt || ignored_by(a, b)))
			abort();
	}
}

static void check_time(const char *s)
{
	int64_t t, back;
	char out[32];

	if (vouch_time_parse(s, &t))
		return;
	vouch_time_format(t, out);
	/* Years 0..9999 print in the form that parses; others are not times
	 * a signature carries. */
	if (out[0] == '@' || out[0] == '-' || strlen(out) != 20)
		return;
	if (vouch_time_parse(out, &back) || back != t)
		abort();
}

static void check_b64(const char *s, size_t n)
{
	size_t len = 0, len2 = 0;
	uint8_t *bin = vouch_b64_decode(s, n, &len), *again;
	char *enc;

	if (!bin)
		return;
	enc = vouch_b64_encode(bin, len);
	if (!enc)
		abort();
	again = vouch_b64_decode(enc, strlen(enc), &len2);
	if (!again || len2 != len || memcmp(again, bin, len))
		abort();
	free(again);
	free(enc);
	free(bin);
}

static void check_escape(const char *s, size_t cap)
{
	char out[512], plain[512];
	size_t n = 0, o;

	if (cap == 0 || cap > sizeof(out))
		cap = sizeof(out);
	vouch_escape(s, out, cap);
	o = strlen(out);
	if (o >= cap)
		abort();
	for (size_t i = 0; i < o; i++) {
		unsigned char ch = (unsigned char)out[i];

		if (ch < 0x20 || ch >= 0x7f)
			abort();
		if (ch != '\\') {
			plain[n++] = (char)ch;
		} else if (out[i + 1] == '\\') {
			plain[n++] = '\\';
			i++;
		} else if (out[i + 1] == 'x' && isxdigit((unsigned char)out[i + 2]) &&
			   isxdigit((unsigned char)out[i + 3])) {
			char hex[3] = { out[i + 2], out[i + 3], 0 };
			plain[n++] = (char)strtol(hex, NULL, 16);
			i += 3;
		} else {
			abort();        /* a cut escape */
		}
	}
	if (n > strlen(s) || memcmp(plain, s, n))
		abort();
	/* The escaped form is cut only when the next piece does not fit. */
	if (n < strlen(s) && o + 4 < cap - 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p1, *rest, *p2, *p3;
	size_t l1, lrest, l2, l3;
	char *a, *b, *c;

	if (size > 8192)
		return 0;
	fz_split(data, size, &p1, &l1, &rest, &lrest);
	fz_split(rest, lrest, &p2, &l2, &p3, &l3);
	a = fz_strndup(p1, l1);
	b = fz_strndup(p2, l2);
	c = fz_strndup(p3, l3);
	check_names(a, b, c);
	check_time(a);
	check_b64(a, l1);
	check_escape(a, size ? data[size - 1] : 0);
	free(a);
	free(b);
	free(c);
	return 0;
}
