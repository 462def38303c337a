/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_util.c - the small helpers everything else rests on: model-relative
 * path order (model_signing's component-wise sort) and safety rules, base64
 * (standard, URL-safe, padded or not), RFC 3339 times, and the two DSSE
 * pre-authentication encodings (DSSEv1, and model_signing 0.2's "DSSEV1" +
 * Python repr(bytes)).  Expected values come from Python (pathlib, repr)
 * and the DSSE spec, not from the code under test.
 */
#include "vouch_i.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int sign_of(int v)
{
	return (v > 0) - (v < 0);
}

/* ---- vouch_path_cmp ---- */

static void test_path_cmp(void)
{
	/* sorted(..., key=pathlib.PurePosixPath) in Python 3.11 */
	static const char *const sorted[] = {
		"A", "a", "a/a", "a/b", "a/b/a", "a/b/c", "a/b-c", "a/b.c", "a b", "a-b",
		"a.txt", "ab", "b", "z", "\xc3\xa9",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]);

	CHECK(vouch_path_cmp("a/b", "a-b") < 0, "a/b must sort before a-b");
	CHECK(vouch_path_cmp("a-b", "a.txt") < 0, "a-b must sort before a.txt");
	CHECK(vouch_path_cmp("a/b", "a.txt") < 0, "a/b must sort before a.txt (strcmp says otherwise)");
	CHECK(vouch_path_cmp("a.txt", "a/b") > 0, "antisymmetry");
	CHECK(vouch_path_cmp("a", "a/b") < 0, "a prefix path sorts first");
	CHECK(vouch_path_cmp("a/b", "a") > 0, "a prefix path sorts first");
	CHECK(vouch_path_cmp("x/y/z", "x/y/z") == 0, "equal paths");
	CHECK(vouch_path_cmp("", "") == 0, "empty paths");
	CHECK(vouch_path_cmp("model.bin", "model.bin.sig") < 0, "shorter component first");
	CHECK(vouch_path_cmp("sub/z", "sub-a") < 0, "component-wise, not bytewise");
	CHECK(vouch_path_cmp("\xc3\xa9", "z") > 0, "UTF-8 bytes order as code points");
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			CHECK(sign_of(vouch_path_cmp(sorted[i], sorted[j])) == sign_of((int)i - (int)j),
			      "cmp(\"%s\", \"%s\") = %d, want sign %d", sorted[i], sorted[j],
			      vouch_path_cmp(sorted[i], sorted[j]), sign_of((int)i - (int)j));
}

/* ---- vouch_path_ok ---- */

static void test_path_ok(void)
{
	static const char *const good[] = {
		"a", "model.bin", "a/b", "sub/deeper/merges.txt", ".hidden", "a/.b", "..a", "a..",
		"a/..b/c", "...", "a b", "a:0:10", "\xc3\xa9.bin", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"a\\b", "a\"b", "cause=ok",
	};
	static const char *const bad[] = {
		"", "/", "/a", "/etc/passwd", "a/", "a//b", "//a", ".", "..", "./a", "a/.", "a/./b",
		"a/../b", "../a", "a/..", "../../etc/passwd",
		"a\nb", "a\rb", "a\tb", "a\x01", "\x1f", "a\x7f",
		"\xff", "a\xfe", "\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
		"\xe2\x82", "\xc3", "a\xc3", "\xc3" "a",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(vouch_path_ok(good[i]), "\"%s\" should be a safe name", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char shown[64] = "";
		for (const unsigned char *p = (const unsigned char *)bad[i]; *p && strlen(shown) < 56; p++)
			snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown),
				 *p >= 0x20 && *p < 0x7f ? "%c" : "\\x%02x", *p);
		CHECK(!vouch_path_ok(bad[i]), "\"%s\" (#%zu) should be refused", shown, i);
	}
}

/* ---- base64 ---- */

static void test_b64(void)
{
	static const struct { const char *plain, *b64; } known[] = {  /* RFC 4648 §10 */
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	uint8_t buf[300];
	size_t len;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		char *e = vouch_b64_encode((const uint8_t *)known[i].plain, strlen(known[i].plain));
		uint8_t *d;
		char nopad[16];

		CHECK(e && !strcmp(e, known[i].b64), "encode(\"%s\") = %s", known[i].plain, e ? e : "NULL");
		free(e);
		d = vouch_b64_decode(known[i].b64, strlen(known[i].b64), &len);
		CHECK(d && len == strlen(known[i].plain) && !memcmp(d, known[i].plain, len),
		      "decode(%s)", known[i].b64);
		free(d);
		/* unpadded */
		snprintf(nopad, sizeof(nopad), "%.*s", (int)strcspn(known[i].b64, "="), known[i].b64);
		d = vouch_b64_decode(nopad, strlen(nopad), &len);
		CHECK(d && len == strlen(known[i].plain) && !memcmp(d, known[i].plain, len),
		      "decode unpadded(%s)", nopad);
		free(d);
	}
	/* Round trips of every length, all byte values. */
	for (size_t n = 0; n < sizeof(buf); n += (n < 70 ? 1 : 37)) {
		char *e;
		uint8_t *d;

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(i * 151 + n);
		e = vouch_b64_encode(buf, n);
		CHECK(e && strlen(e) == (n + 2) / 3 * 4, "encoded length for %zu", n);
		d = e ? vouch_b64_decode(e, strlen(e), &len) : NULL;
		CHECK(d && len == n && !memcmp(d, buf, n), "round trip of %zu bytes", n);
		free(e);
		free(d);
	}
	/* URL-safe, padded or not: bytes fb ff ("+/8=" standard). */
	{
		static const char *const forms[] = { "+/8=", "+/8", "-_8=", "-_8" };
		for (size_t i = 0; i < 4; i++) {
			uint8_t *d = vouch_b64_decode(forms[i], strlen(forms[i]), &len);
			CHECK(d && len == 2 && d[0] == 0xfb && d[1] == 0xff, "decode(%s)", forms[i]);
			free(d);
		}
	}
	/* Junk is refused, not skipped. */
	{
		static const char *const junk[] = {
			"Zm9v!", "Zm9v YmFy", "Zm9v\n", "Z", "Zm9vY", "====", "Zm=v", "+_8=", "Zg===",
			"Zm9v\0Zm9v",
		};
		for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
			size_t jl = i == 9 ? 9 : strlen(junk[i]);
			uint8_t *d = vouch_b64_decode(junk[i], jl, &len);
			CHECK(!d, "decode(\"%s\") should fail", junk[i]);
			free(d);
		}
	}
}

/* ---- RFC 3339 times ---- */

static void test_time(void)
{
	static const struct { const char *s; int64_t t; } good[] = {
		{ "2026-01-01T00:00:00Z", 1767225600 },
		{ "2026-01-01T00:00:00z", 1767225600 },
		{ "2026-01-01T02:00:00+02:00", 1767225600 },
		{ "2025-12-31T19:00:00-05:00", 1767225600 },
		{ "2026-01-01T05:30:00+05:30", 1767225600 },
		{ "2026-01-01T00:00:00.123456Z", 1767225600 },
		{ "2026-01-01T00:00:00.5+00:00", 1767225600 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2000-02-29T12:34:56Z", 951827696 },
		{ "2038-01-19T03:14:08Z", 2147483648LL },
		{ "2099-12-31T23:59:59Z", 4102444799LL },
	};
	static const char *const junk[] = {
		"", "now", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01T00:00Z",
		"2026-01-01 00:00:00Z", "2026-01-01T00:00:00Zjunk", "2026-01-01T00:00:00Z ",
		"2026-01-01T00:00:00+0200", "2026-01-01T00:00:00+02", "2026-01-01T00:00:00+2:00",
		"2026-01-01T00:00:00.Z", "2026-13-01T00:00:00Z", "2026-01-32T00:00:00Z",
		"2026-01-01T25:00:00Z", "2026-01-01T00:60:00Z", "1767225600", "2026-01-01T00:00:00ZZ",
		"2026-01-01T00:00:00+02:00x", "T00:00:00Z",
	};
	char out[32];
	int64_t t;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = -1;
		CHECK(vouch_time_parse(good[i].s, &t) == 0 && t == good[i].t,
		      "parse(%s) = %lld, want %lld", good[i].s, (long long)t, (long long)good[i].t);
	}
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		CHECK(vouch_time_parse(junk[i], &t) == -EINVAL, "parse(\"%s\") should be -EINVAL", junk[i]);

	vouch_time_format(1767225600, out);
	CHECK(!strcmp(out, "2026-01-01T00:00:00Z"), "format(1767225600) = %s", out);
	vouch_time_format(0, out);
	CHECK(!strcmp(out, "1970-01-01T00:00:00Z"), "format(0) = %s", out);
	vouch_time_format(951827696, out);
	CHECK(!strcmp(out, "2000-02-29T12:34:56Z"), "format(951827696) = %s", out);
	for (int64_t v = 0; v < 4102444800LL; v += 97654321) {
		vouch_time_format(v, out);
		CHECK(vouch_time_parse(out, &t) == 0 && t == v, "round trip %lld -> %s -> %lld",
		      (long long)v, out, (long long)t);
	}
}

/* Dates that do not exist are not times: strptime takes "%d" up to 31 for
 * any month and timegm() would quietly move Feb 30 to Mar 2. */
static void test_time_calendar(void)
{
	static const char *const nodate[] = {
		"2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
		"2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+05:99",
	};
	int64_t t;

	for (size_t i = 0; i < sizeof(nodate) / sizeof(nodate[0]); i++)
		CHECK(vouch_time_parse(nodate[i], &t) == -EINVAL, "parse(\"%s\") should be -EINVAL, got %lld",
		      nodate[i], (long long)t);
}

/* ---- DSSE PAE ---- */

static void test_pae(void)
{
	size_t len;
	uint8_t *p;
	static const uint8_t bin[] = { 'a', 0, 'b', 0xff, '\n' };

	/* The DSSE spec's example. */
	p = vouch_dsse_pae("http://example.com/HelloWorld", (const uint8_t *)"hello world", 11, &len);
	CHECK_BYTES(p, len, "DSSEv1 29 http://example.com/HelloWorld 11 hello world", "spec example");
	free(p);
	p = vouch_dsse_pae(VOUCH_PAYLOAD_TYPE, (const uint8_t *)"{}", 2, &len);
	CHECK_BYTES(p, len, "DSSEv1 28 application/vnd.in-toto+json 2 {}", "in-toto {}");
	free(p);
	p = vouch_dsse_pae(VOUCH_PAYLOAD_TYPE, (const uint8_t *)"", 0, &len);
	CHECK_BYTES(p, len, "DSSEv1 28 application/vnd.in-toto+json 0 ", "empty payload");
	free(p);
	p = vouch_dsse_pae(VOUCH_PAYLOAD_TYPE, bin, sizeof(bin), &len);
	CHECK_BYTES(p, len, "DSSEv1 28 application/vnd.in-toto+json 5 a\0b\377\n", "binary payload");
	free(p);
	p = vouch_dsse_pae("", (const uint8_t *)"x", 1, &len);
	CHECK_BYTES(p, len, "DSSEv1 0  1 x", "empty type");
	free(p);
	{       /* a long payload: the length is decimal, no leading zeros */
		size_t n = 1234567;
		uint8_t *big = malloc(n);
		char head[64];
		int hl = snprintf(head, sizeof(head), "DSSEv1 28 %s 1234567 ", VOUCH_PAYLOAD_TYPE);

		memset(big, 'x', n);
		p = vouch_dsse_pae(VOUCH_PAYLOAD_TYPE, big, n, &len);
		CHECK(p && len == (size_t)hl + n && !memcmp(p, head, (size_t)hl) && !memcmp(p + hl, big, n),
		      "1234567-byte payload");
		free(p);
		free(big);
	}
}

/* Python: b"DSSEV1 28 application/vnd.in-toto+json 257 " + repr(bytes(range(256)) + b'"') */
static const char pae_v02_all[] =
	"DSSEV1 28 application/vnd.in-toto+json 257 b'\\x00\\x01\\x02\\x03\\x04\\"
	"x05\\x06\\x07\\x08\\t\\n\\x0b\\x0c\\r\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14"
	"\\x15\\x16\\x17\\x18\\x19\\x1a\\x1b\\x1c\\x1d\\x1e\\x1f !\"#$%&\\'()*+,-"
	"./0123456789:;<=>\077@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmno"
	"pqrstuvwxyz{|}~\\x7f\\x80\\x81\\x82\\x83\\x84\\x85\\x86\\x87\\x88\\x89\\"
	"x8a\\x8b\\x8c\\x8d\\x8e\\x8f\\x90\\x91\\x92\\x93\\x94\\x95\\x96\\x97\\x9"
	"8\\x99\\x9a\\x9b\\x9c\\x9d\\x9e\\x9f\\xa0\\xa1\\xa2\\xa3\\xa4\\xa5\\xa6"
	"\\xa7\\xa8\\xa9\\xaa\\xab\\xac\\xad\\xae\\xaf\\xb0\\xb1\\xb2\\xb3\\xb4\\"
	"xb5\\xb6\\xb7\\xb8\\xb9\\xba\\xbb\\xbc\\xbd\\xbe\\xbf\\xc0\\xc1\\xc2\\xc"
	"3\\xc4\\xc5\\xc6\\xc7\\xc8\\xc9\\xca\\xcb\\xcc\\xcd\\xce\\xcf\\xd0\\xd1"
	"\\xd2\\xd3\\xd4\\xd5\\xd6\\xd7\\xd8\\xd9\\xda\\xdb\\xdc\\xdd\\xde\\xdf\\"
	"xe0\\xe1\\xe2\\xe3\\xe4\\xe5\\xe6\\xe7\\xe8\\xe9\\xea\\xeb\\xec\\xed\\xe"
	"e\\xef\\xf0\\xf1\\xf2\\xf3\\xf4\\xf5\\xf6\\xf7\\xf8\\xf9\\xfa\\xfb\\xfc"
	"\\xfd\\xfe\\xff\"'";

static void test_pae_v02(void)
{
	/* b'{"a":"it\'s \\ x\n\t\r\xc3\xa9 \x00\x7f"}': quotes, a backslash,
	 * newline/tab/CR, non-ASCII, NUL and DEL; Python's repr() below. */
	static const char payload[] = "{\"a\":\"it's \\ x\n\t\r\303\251 \000\177\"}";
	static const char want[] =
		"DSSEV1 28 application/vnd.in-toto+json 24 "
		"b'{\"a\":\"it\\'s \\\\ x\\n\\t\\r\\xc3\\xa9 \\x00\\x7f\"}'";
	uint8_t all[257];
	uint8_t *p;
	size_t len;

	p = vouch_dsse_pae_v02(VOUCH_PAYLOAD_TYPE, (const uint8_t *)payload, sizeof(payload) - 1, &len);
	CHECK_MEM(p, len, want, sizeof(want) - 1, "v0.2 PAE, small payload");
	free(p);

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	all[256] = '"';
	p = vouch_dsse_pae_v02(VOUCH_PAYLOAD_TYPE, all, sizeof(all), &len);
	CHECK_MEM(p, len, pae_v02_all, sizeof(pae_v02_all) - 1, "v0.2 PAE, every byte value");
	free(p);

	p = vouch_dsse_pae_v02(VOUCH_PAYLOAD_TYPE, (const uint8_t *)"", 0, &len);
	CHECK_BYTES(p, len, "DSSEV1 28 application/vnd.in-toto+json 0 b''", "v0.2 PAE, empty");
	free(p);
}

/* ---- cause names: the audit vocabulary of vouch(1), CAUSES ---- */

static void test_cause_names(void)
{
	static const char *const names[] = {
		"ok", "not-signed", "bad-signature", "untrusted-key", "threshold", "revoked-key",
		"expired", "rollback", "name-mismatch", "not-in-manifest", "missing",
		"size-mismatch", "hash-mismatch", "malformed", "symlink", "io-error", "unsupported",
		"unlocated",
	};

	CHECK(VOUCH_CAUSE__COUNT == sizeof(names) / sizeof(names[0]), "%d causes", VOUCH_CAUSE__COUNT);
	for (int i = 0; i < VOUCH_CAUSE__COUNT && i < (int)(sizeof(names) / sizeof(names[0])); i++)
		CHECK(!strcmp(vouch_cause_name((enum vouch_cause)i), names[i]), "cause %d is %s, want %s",
		      i, vouch_cause_name((enum vouch_cause)i), names[i]);
	CHECK(!strcmp(vouch_cause_name(VOUCH_CAUSE__COUNT), "unknown"), "out of range");
	CHECK(!strcmp(vouch_cause_name((enum vouch_cause)-1), "unknown"), "negative");
}

/* ---- hex ---- */

static void test_hex(void)
{
	static const uint8_t in[] = { 0x00, 0x01, 0xab, 0xff, 0x7f };
	char out[11];

	vouch_hex(in, sizeof(in), out);
	CHECK(!strcmp(out, "0001abff7f"), "hex = %s", out);
	vouch_hex(in, 0, out);
	CHECK(out[0] == '\0', "empty hex");
}

/* ---- vouch_openat_beneath and its openat2-less walk ---- */

/* Both must agree, case by case, on a small tree with symlinks: the walk is
 * what runs where a seccomp sandbox refuses openat2. */
static void test_openat_beneath(void)
{
	static const struct { const char *path; int flags; int want; } cases[] = {
		{ "a/b/file", O_RDONLY, 0 },
		{ "a/b", O_RDONLY | O_DIRECTORY, 0 },
		{ "a/b", O_PATH | O_DIRECTORY, 0 },
		{ "top", O_RDONLY, 0 },
		{ "link/b/file", O_RDONLY, -ELOOP },     /* a symlinked directory on the way */
		{ "a/flink", O_RDONLY, -ELOOP },         /* a symlink at the end */
		{ "link", O_PATH | O_DIRECTORY, -ENOTDIR },
		{ "a/flink", O_PATH, 0 },                /* O_PATH|O_NOFOLLOW: the link itself */
		{ "../escape", O_RDONLY, -EXDEV },
		{ "/etc/passwd", O_RDONLY, -EXDEV },
		{ "nope/file", O_RDONLY, -ENOENT },
		{ "a/nope", O_RDONLY, -ENOENT },
		{ "top/x", O_RDONLY, -ENOTDIR },
		{ "a/b/file", O_RDONLY | O_DIRECTORY, -ENOTDIR },
	};
	char dir[] = "/tmp/vouch-beneath.XXXXXX", path[256];
	int dfd, fd;

	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/root", dir);
	CHECK(mkdir(path, 0755) == 0, "mkdir root");
	dfd = open(path, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0, "open root");
	CHECK(mkdirat(dfd, "a", 0755) == 0 && mkdirat(dfd, "a/b", 0755) == 0, "mkdir a/b");
	fd = openat(dfd, "a/b/file", O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0, "create a/b/file");
	close(fd);
	fd = openat(dfd, "top", O_WRONLY | O_CREAT, 0644);
	close(fd);
	CHECK(symlinkat("a", dfd, "link") == 0, "symlink link");
	CHECK(symlinkat("b/file", dfd, "a/flink") == 0, "symlink a/flink");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r[2];

		r[0] = vouch_openat_beneath(dfd, cases[i].path, cases[i].flags);
		r[1] = vouch_openat_beneath_walk(dfd, cases[i].path, cases[i].flags);
		for (int k = 0; k < 2; k++) {
			CHECK(cases[i].want ? r[k] == cases[i].want : r[k] >= 0,
			      "%s %s: got %d (%s), wanted %d", k ? "walk" : "openat2", cases[i].path,
			      r[k], r[k] < 0 ? strerror(-r[k]) : "fd", cases[i].want);
			if (r[k] >= 0)
				close(r[k]);
		}
	}
	close(dfd);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK(system(path) == 0, "cleanup");
}

int main(void)
{
	if (vouch_init() < 0) {
		fprintf(stderr, "vouch_init failed\n");
		return 1;
	}
	test_path_cmp();
	test_path_ok();
	test_b64();
	test_time();
	test_time_calendar();
	test_pae();
	test_pae_v02();
	test_cause_names();
	test_hex();
	test_openat_beneath();
	CHECK_EXIT();
}
