/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_audit.c - untrusted strings on their way to a terminal or a log:
 * vouch_escape (what every front end prints) and the audit record's field
 * values, in the key=value syslog record and in the JSON line, for hostile
 * names (newlines, ESC, bidi overrides, C1 controls, invalid UTF-8, quotes,
 * backslashes, '=' and spaces that would forge a field, and names longer
 * than any record), taken through the real sink: a context writing the
 * JSON log, opens of real files with such names (vouch_verify_open), a
 * claimed model name and a cosignature file name from a signature, and a
 * front end's own refusal (vouch_ctx_refuse).  Every JSON line must parse
 * (jansson) and carry the documented fields with the values escaped; every
 * syslog record (caught on a private /dev/log in a private mount namespace,
 * as root) must be one line whose fields, parsed outside quotes, are the
 * documented ones, once each.
 *
 * Expected values: the escaping rule of vouch_escape in vouch.h and
 * vouch(1) OUTPUT (printable ASCII stays, a backslash doubled, every other
 * byte \xHH, lower case as tests/cases/cli-bad-input.sh has them; cut before
 * an escape, never inside one), the field value rule in audit_i.h (bare
 * when harmless, else quoted with \" \\ and \xHH; JSON: a valid string), the
 * record's fields in vouch(1) AUDIT (decision, cause, mode, path, dev, ino,
 * size, pid, uid, comm, model, version, keyid, signers, elapsed_ms, cached,
 * detail; ident vouch, facility authpriv, failures at severity alert), key
 * ids as docs/policy.md defines them (computed here with OpenSSL); not
 * audit.c.
 */
#include "audit_i.h"
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

static char T[PATH_MAX];              /* the test's directory */
static int logsock = -1;              /* our /dev/log, or -1: syslog records not caught */
static struct vouch_root root;
static char rootpath[PATH_MAX + 16];
static char keyid[VOUCH_KEYID_LEN + 1];

/* The record's fields, vouch(1) AUDIT, in order; the optional ones marked. */
static const struct { const char *name; bool optional, number; } fields[] = {
	{ "decision", false, false }, { "cause", false, false }, { "mode", false, false },
	{ "path", false, false }, { "dev", false, true }, { "ino", false, true },
	{ "size", false, true }, { "pid", false, true }, { "uid", false, true },
	{ "comm", false, false }, { "model", false, false }, { "version", false, true },
	{ "keyid", false, false }, { "signers", true, false }, { "elapsed_ms", false, true },
	{ "cached", true, false }, { "content", true, false }, { "detail", true, false },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* T/fmt... (check_path in check.h). */
#define P(...) check_path(T, __VA_ARGS__)

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);

	REQUIRE(fd >= 0, "create %s: %s", check_esc(path), strerror(errno));
	REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
	close(fd);
}

/* ---- the rules, written out here ----------------------------------------- */

/* vouch.h's vouch_escape, vouch(1) OUTPUT. */
static char *want_escape(const char *s)
{
	char *out = malloc(4 * strlen(s) + 1), *o = out;

	REQUIRE(out, "malloc");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (*p >= 0x20 && *p < 0x7f) {
			*o++ = (char)*p;
		} else {
			o += sprintf(o, "\\x%02x", *p);
		}
	}
	*o = '\0';
	return out;
}

/* audit_i.h: a key=value value, bare when harmless, else quoted with \"
 * \\ and \xHH. */
static char *want_kv(const char *s)
{
	char *out = malloc(4 * strlen(s) + 3), *o = out;
	bool bare = *s;

	REQUIRE(out, "malloc");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' || *p == '=')
			bare = false;
	if (!bare)
		*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20 || *p >= 0x7f) {
			o += sprintf(o, "\\x%02x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	if (!bare)
		*o++ = '"';
	*o = '\0';
	return out;
}

/* Only printable ASCII (a log line, a terminal line). */
static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static bool lhex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Every backslash in s starts a whole escape: \\ \" or \xHH. */
static bool escapes_whole(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\')
			continue;
		if (i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == '"'))
			i++;
		else if (i + 3 < n && s[i + 1] == 'x' && lhex(s[i + 2]) && lhex(s[i + 3]))
			i += 3;
		else
			return false;
	}
	return true;
}

/* RFC 3629 UTF-8: no overlong form, no surrogate, nothing past U+10FFFF. */
static bool utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s;
		unsigned n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 :
			     (c & 0xf8) == 0xf0 ? 3 : 9;
		uint32_t cp = n == 0 ? c : n == 1 ? c & 0x1f : n == 2 ? c & 0x0f : c & 0x07;

		if (n == 9)
			return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

/* docs/format.md: a path with a control byte (below 0x20, or 0x7F) or
 * that is not valid UTF-8 is malformed: no signature can name it. */
static bool name_signable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return utf8_valid((const unsigned char *)s);
}

/* ---- vouch_escape ----------------------------------------------------------- */

static const char *const hostile[] = {
	"a\nb decision=allow cause=ok",              /* a line break and forged fields */
	"\x1b[2J\x1b[H\x1b[32mVERIFIED\x1b[0m",      /* ESC: clear the screen, colours */
	"bidi\xe2\x80\xaegnp.exe",                   /* U+202E RIGHT-TO-LEFT OVERRIDE */
	"c1\xc2\x9b" "31mcsi",                       /* U+009B, the C1 CSI */
	"bad\xff\xfe\xc3(utf8\xc0\xaf",              /* invalid UTF-8, an overlong '/' */
	"q\"uote\"d",                                /* quotes */
	"key=val with spaces",                       /* '=' and spaces */
	"tab\there\rcr\x7f" "del\x01\x1f",           /* other controls, DEL */
	"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",      /* ordinary non-ASCII */
	"back\\slash \\x0a",                         /* a backslash, and the text \x0a */
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

static void test_escape(void)
{
	char out[4096], *want, *big;

	/* The cases vouch(1) names, spelled out. */
	CHECK_STREQ(vouch_escape("plain ASCII, \"quotes\" = 'fine'~", out, sizeof(out)),
		    "plain ASCII, \"quotes\" = 'fine'~");
	CHECK_STREQ(vouch_escape("a\\b", out, sizeof(out)), "a\\\\b");
	CHECK_STREQ(vouch_escape("a\nb\r\t\x1b\x7f", out, sizeof(out)),
		    "a\\x0ab\\x0d\\x09\\x1b\\x7f");
	CHECK_STREQ(vouch_escape("\xe2\x80\xae\xc2\x9b\xff", out, sizeof(out)),
		    "\\xe2\\x80\\xae\\xc2\\x9b\\xff");
	CHECK_STREQ(vouch_escape("", out, sizeof(out)), "");
	for (size_t i = 0; i < NHOSTILE; i++) {
		want = want_escape(hostile[i]);
		CHECK_STREQ(vouch_escape(hostile[i], out, sizeof(out)), want);
		CHECK(printable(out, strlen(out)), "not printable: %s", check_esc(out));
		/* Cut at every size: a prefix of the whole, ending between two
		 * escapes, never inside one; always terminated within cap. */
		for (size_t cap = 1; cap <= strlen(want) + 1; cap++) {
			char small[4096];
			size_t n, j = 0;

			memset(small, 'Z', sizeof(small));
			vouch_escape(hostile[i], small, cap);
			n = strnlen(small, cap);
			CHECK(n < cap, "cap %zu: not terminated", cap);
			CHECK(!strncmp(small, want, n), "cap %zu: \"%s\" is not a prefix of \"%s\"",
			      cap, check_esc(small), check_esc(want));
			/* n must be the end of an escape of the whole (walk want's escapes) */
			while (j < n)
				j += want[j] != '\\' ? 1 : want[j + 1] == '\\' ? 2 : 4;
			CHECK(j == n, "cap %zu: cut inside an escape: \"%s\"", cap,
			      check_esc(small));
			/* and as long as fits: the next escape would not */
			if (j < strlen(want))
				CHECK(n + (want[j] != '\\' ? 1 : want[j + 1] == '\\' ? 2 : 4) >=
				      cap,
				      "cap %zu: cut shorter than it had to be (%zu)", cap, n);
			CHECK(small[cap] == 'Z' || cap >= sizeof(small) - 1,
			      "cap %zu: wrote past cap", cap);
		}
		free(want);
	}
	/* 4 * strlen + 1 always suffice: every byte escaped. */
	{
		char all[256], *o;

		for (int i = 1; i < 256; i++)
			all[i - 1] = (char)i;
		all[255] = '\0';
		o = malloc(4 * 255 + 1);
		want = want_escape(all);
		CHECK_STREQ(vouch_escape(all, o, 4 * 255 + 1), want);
		free(want);
		free(o);
		memset(all, '\x1b', 255);
		o = malloc(4 * 255 + 1);
		vouch_escape(all, o, 4 * 255 + 1);
		CHECK_EQ_INT(strlen(o), 4 * 255);
		free(o);
	}
	/* A very long name into a small buffer: cut, bounded. */
	big = malloc(1 << 20);
	REQUIRE(big, "malloc");
	for (size_t i = 0; i < (1 << 20) - 1; i++)
		big[i] = (char)(i % 3 ? 0xe9 : 'a');
	big[(1 << 20) - 1] = '\0';
	vouch_escape(big, out, sizeof(out));
	CHECK(strlen(out) < sizeof(out) && strlen(out) > sizeof(out) - 5 &&
	      escapes_whole(out, strlen(out)), "1 MiB name into %zu bytes: %zu", sizeof(out),
	      strlen(out));
	free(big);
}

/* ---- vouch_audit_put_value ------------------------------------------------- */

static void test_put_value(void)
{
	char buf[8192], *want;
	size_t len;

	static const struct { const char *in, *kv; } cases[] = {
		{ "resnet-50_v1.2/model.pt", "resnet-50_v1.2/model.pt" },   /* harmless: bare */
		{ "", "\"\"" },                                               /* empty: quoted */
		{ "a b", "\"a b\"" },
		{ "a=b", "\"a=b\"" },
		{ "x\ndecision=allow", "\"x\\x0adecision=allow\"" },
		{ "q\"\\", "\"q\\\"\\\\\"" },
		{ "\x1b[2J", "\"\\x1b[2J\"" },
		{ "\xe2\x80\xae", "\"\\xe2\\x80\\xae\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = 0;
		vouch_audit_put_value(buf, sizeof(buf), &len, cases[i].in, false);
		CHECK_STREQ(buf, cases[i].kv);
		CHECK_EQ_INT(len, strlen(cases[i].kv));
	}
	for (size_t i = 0; i < NHOSTILE; i++) {
		json_t *j;
		json_error_t je;
		char doc[9000];
		const char *got;

		len = 0;
		vouch_audit_put_value(buf, sizeof(buf), &len, hostile[i], false);
		want = want_kv(hostile[i]);
		CHECK_STREQ(buf, want);
		free(want);
		/* JSON: a valid string, holding the escaped text (vouch_escape's,
		 * the one rule for showing an untrusted name) */
		len = 0;
		vouch_audit_put_value(buf, sizeof(buf), &len, hostile[i], true);
		CHECK(printable(buf, len), "JSON value not printable ASCII: %s", check_esc(buf));
		snprintf(doc, sizeof(doc), "{\"v\":%s}", buf);
		j = json_loads(doc, 0, &je);
		CHECK(j != NULL, "not JSON (%s): %s", je.text, check_esc(doc));
		got = j ? json_string_value(json_object_get(j, "v")) : NULL;
		want = want_escape(hostile[i]);
		CHECK_STREQ(got, want);
		free(want);
		json_decref(j);
	}
	/* The two names the JSON log must tell apart. */
	{
		char a[256], b[256];
		json_t *ja, *jb;
		size_t la = 0, lb = 0;
		char da[300], db[300];

		vouch_audit_put_value(a, sizeof(a), &la, "m\n", true);
		vouch_audit_put_value(b, sizeof(b), &lb, "m\\x0a", true);
		snprintf(da, sizeof(da), "[%s]", a);
		snprintf(db, sizeof(db), "[%s]", b);
		ja = json_loads(da, 0, NULL);
		jb = json_loads(db, 0, NULL);
		CHECK(ja && jb && strcmp(json_string_value(json_array_get(ja, 0)),
					 json_string_value(json_array_get(jb, 0))),
				"the names \"m<newline>\" and \"m\\x0a\" are logged as the same "
				"JSON string %s",
				check_esc(a));
		json_decref(ja);
		json_decref(jb);
	}
	/* A value cut by its buffer: within cap, still a closed string, its
	 * escapes whole (checked at every cap from 8 to 40). */
	{
		unsigned over = 0, bad_json = 0, bad_kv = 0, first_over = 0, first_json = 0,
			 first_kv = 0;

		for (size_t cap = 8; cap < 40; cap++) {
			static const char e8[] =
				"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
			char small[64], doc[128];
			json_t *j;

			memset(small, 'Z', sizeof(small));
			len = 0;
			vouch_audit_put_value(small, cap, &len, e8, true);
			if (!(len < cap && small[cap] == 'Z') && !over++)
				first_over = (unsigned)cap;
			snprintf(doc, sizeof(doc), "[%.*s]", (int)(len < cap ? len : cap), small);
			j = json_loads(doc, 0, NULL);
			if (!j && !bad_json++)
				first_json = (unsigned)cap;
			json_decref(j);
			memset(small, 'Z', sizeof(small));
			len = 0;
			vouch_audit_put_value(small, cap, &len, e8, false);
			CHECK(len < cap && small[cap] == 'Z' && escapes_whole(small, len),
			      "kv cap %zu: %s", cap, check_esc(small));
			if (!(len >= 2 && small[0] == '"' && small[len - 1] == '"' &&
			      small[len - 2] != '\\') &&
			    !bad_kv++)
				first_kv = (unsigned)cap;
		}
		CHECK(over == 0, "at %u of 32 sizes, the first %u: a 5-byte escape checked as 4 "
				"fills cap and the NUL lands at buf[cap]", over, first_over);
		CHECK(bad_json == 0, "a cut JSON value: at %u of 32 sizes, the first %u: no closing quote", bad_json,
				first_json);
		CHECK(bad_kv == 0, "a cut value left open: key=value: at %u of 32 sizes, the first %u: no closing quote",
				bad_kv, first_kv);
	}
}

/* ---- records through the real sink ------------------------------------------- */

/*
 * Our own /dev/log: in a private mount namespace, /dev becomes a tmpfs of
 * links to the real device nodes (the real /dev bound aside) plus a log
 * link to our socket, which no other test on this machine can take or
 * see (tests/cases/cli-audit.sh does the same).  Root only; before any
 * thread exists (a shared fs struct cannot leave its namespace).
 */
static bool private_devlog(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char hostdev[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (geteuid() != 0)
		return false;
	snprintf(hostdev, sizeof(hostdev), "%s", P("hostdev"));
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mkdir(hostdev, 0755) || mount("/dev", hostdev, NULL, MS_BIND | MS_REC, NULL)) {
		fprintf(stderr, "no private mount namespace: %s\n", strerror(errno));
		return false;
	}
	if (mount("vouch-test-dev", "/dev", "tmpfs", 0, "mode=0755")) {
		fprintf(stderr, "no private /dev: %s\n", strerror(errno));
		umount2(hostdev, MNT_DETACH);
		return false;
	}
	d = opendir(hostdev);
	REQUIRE(d, "opendir %s", hostdev);
	while ((de = readdir(d))) {
		char from[PATH_MAX + 300], to[300];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "log"))
			continue;
		snprintf(from, sizeof(from), "%s/%s", hostdev, de->d_name);
		snprintf(to, sizeof(to), "/dev/%s", de->d_name);
		REQUIRE(symlink(from, to) == 0, "symlink %s", to);
	}
	closedir(d);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", P("log.sock"));
	logsock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REQUIRE(logsock >= 0 && bind(logsock, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		symlink(a.sun_path, "/dev/log") == 0, "our /dev/log: %s", strerror(errno));
	{
		int big = 4 << 20;
		setsockopt(logsock, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	return true;
}

/* The syslog records received so far, one string each (caller frees). */
static size_t syslog_take(char **out, size_t max)
{
	char buf[65536];
	size_t n = 0;
	ssize_t r;

	while ((r = recv(logsock, buf, sizeof(buf) - 1, MSG_DONTWAIT)) >= 0) {
		buf[r] = '\0';
		if (n < max)
			out[n++] = strndup(buf, (size_t)r);
	}
	return n;
}

/* One parsed key=value record. */
struct kv {
	int pri;
	size_t n;
	char key[32][32];
	char val[32][8192];          /* as written (quoted values with their quotes) */
	bool whole;                  /* every quoted value closed */
};

/* Parse "<PRI>vouch[PID]: k=v k=\"...\" ..." outside quotes. */
static bool kv_parse(const char *rec, struct kv *kv)
{
	const char *p;
	int pid, off = 0;

	memset(kv, 0, sizeof(*kv));
	kv->whole = true;
	if (sscanf(rec, "<%d>vouch[%d]: %n", &kv->pri, &pid, &off) != 2 || !off)
		return false;
	p = rec + off;
	while (*p && kv->n < 32) {
		const char *eq = strchr(p, '='), *v;
		size_t kl, vl;

		if (!eq || (size_t)(eq - p) >= sizeof(kv->key[0]))
			return false;
		kl = (size_t)(eq - p);
		memcpy(kv->key[kv->n], p, kl);
		v = eq + 1;
		if (*v == '"') {
			const char *q = v + 1;
			while (*q && *q != '"')
				q += *q == '\\' && q[1] ? 2 : 1;
			if (*q == '"')
				q++;
			else
				kv->whole = false;
			vl = (size_t)(q - v);
		} else {
			vl = strcspn(v, " ");
		}
		if (vl >= sizeof(kv->val[0]))
			vl = sizeof(kv->val[0]) - 1;
		memcpy(kv->val[kv->n], v, vl);
		kv->n++;
		p = v + vl;
		if (*p == ' ')
			p++;
		else if (*p)
			return false;
	}
	return !*p;
}

static const char *kv_get(const struct kv *kv, const char *key)
{
	for (size_t i = 0; i < kv->n; i++)
		if (!strcmp(kv->key[i], key))
			return kv->val[i];
	return NULL;
}

/* The documented fields, each once, in order, nothing else. */
static bool kv_fields_ok(const struct kv *kv, char *why, size_t wl)
{
	size_t f = 0;

	for (size_t i = 0; i < kv->n; i++) {
		while (f < NFIELDS && strcmp(fields[f].name, kv->key[i]) && fields[f].optional)
			f++;
		if (f == NFIELDS || strcmp(fields[f].name, kv->key[i])) {
			snprintf(why, wl, "field %zu is \"%s\"", i, kv->key[i]);
			return false;
		}
		f++;
	}
	while (f < NFIELDS && fields[f].optional)
		f++;
	if (f < NFIELDS) {
		snprintf(why, wl, "no %s", fields[f].name);
		return false;
	}
	return true;
}

/* A JSON record: the documented fields with the right types. */
static void json_fields(json_t *r, const char *what)
{
	for (size_t f = 0; f < NFIELDS; f++) {
		json_t *v = json_object_get(r, fields[f].name);

		if (!v) {
			CHECK(fields[f].optional, "%s: no \"%s\"", what, fields[f].name);
			continue;
		}
		if (!strcmp(fields[f].name, "cached"))
			CHECK(json_is_true(v), "%s: cached is not true", what);
		else if (fields[f].number)
			CHECK(json_is_number(v), "%s: %s is not a number", what, fields[f].name);
		else
			CHECK(json_is_string(v), "%s: %s is not a string", what, fields[f].name);
	}
	CHECK(json_is_string(json_object_get(r, "time")) &&
	      json_is_string(json_object_get(r, "severity")),
	      "%s: no time or severity", what);
}

/* The JSON log's decision records, in order (caller frees). */
static size_t json_take(const char *file, long *offset, json_t **out, char **raw, size_t max)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	REQUIRE(f, "open %s", file);
	fseek(f, *offset, SEEK_SET);
	while ((len = getline(&line, &cap, f)) > 0) {
		json_t *r = json_loads(line, 0, NULL);

		/* notes about the sinks themselves have no decision */
		if (r && !json_object_get(r, "decision")) {
			json_decref(r);
			continue;
		}
		if (n < max) {
			out[n] = r;
			raw[n++] = strdup(line);
		} else {
			json_decref(r);
		}
	}
	*offset = ftell(f);
	free(line);
	fclose(f);
	return n;
}

/* The key id of a PEM public key (docs/policy.md): hex SHA-256 of its DER
 * SubjectPublicKeyInfo. */
static void keyid_of(const char *pem, char out[VOUCH_KEYID_LEN + 1])
{
	FILE *f = fopen(pem, "r");
	EVP_PKEY *k = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
	int len = k ? i2d_PUBKEY(k, &der) : -1;

	REQUIRE(len > 0, "read public key %s", pem);
	SHA256(der, (size_t)len, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	fclose(f);
}

static void sign(const char *dir, const char *key, const char *name)
{
	struct vouch_passphrase pp = { .file = NULL, .fd = -1 };
	struct vouch_sign_opts o = { 0 };
	struct vouch_signer *s = NULL;
	char err[512];

	REQUIRE(vouch_signer_load(key, &pp, &s, err, sizeof(err)) == 0, "load %s: %s", key, err);
	o.name = name;
	o.version = 7;
	o.signed_at = (int64_t)time(NULL);
	REQUIRE(vouch_sign_path(s, dir, &o, err, sizeof(err)) == 0, "sign: %s", err);
	vouch_signer_free(s);
}

/* What one open or refusal must have logged. */
struct expect {
	const char *what;
	const char *path;            /* absolute, raw */
	const char *decision, *cause;
	const char *comm;            /* raw, or NULL: not checked */
	const char *model;           /* raw, or NULL */
	const char *keyid;           /* or NULL */
	const char *signers_has;     /* a raw piece of the signers field, or NULL */
	const char *detail;          /* raw, or NULL */
	bool long_one;               /* a name longer than any record: cut, safely */
};

static void check_json(const struct expect *e, json_t *r, const char *raw)
{
	char *want;

	CHECK(strlen(raw) && raw[strlen(raw) - 1] == '\n' &&
	      strchr(raw, '\n') == raw + strlen(raw) - 1,
	      "%s: the JSON record is not one line", e->what);
	CHECK(printable(raw, strlen(raw) - 1), "%s: the JSON line is not printable ASCII", e->what);
	CHECK(r != NULL, "%s: not JSON (%zu bytes): %s", e->what, strlen(raw), check_esc(raw));
	if (!r)
		return;
	json_fields(r, e->what);
	CHECK_STREQ(json_string_value(json_object_get(r, "decision")), e->decision);
	CHECK_STREQ(json_string_value(json_object_get(r, "cause")), e->cause);
	CHECK_STREQ(json_string_value(json_object_get(r, "severity")),
		    strcmp(e->cause, "ok") ? "alert" : "info");
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "pid")), getpid());
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "uid")), getuid());
#define SAME(field, raw) do { \
	const char *g_ = json_string_value(json_object_get(r, field)); \
	want = want_escape(raw); \
	if (e->long_one) /* cut, and marked: a prefix of the name, then "..." */ \
		CHECK(g_ && strlen(g_) > 1000 && !strcmp(g_ + strlen(g_) - 3, "...") && \
		      !strncmp(g_, want, strlen(g_) - 3), \
		      "%s: %s is not a long prefix of the name ending \"...\"", e->what, field); \
	else \
		CHECK(g_ && !strcmp(g_, want), "%s: %s is \"%s\", want \"%s\"", e->what, field, \
		      check_esc(g_), check_esc(want)); \
	free(want); \
} while (0)
	SAME("path", e->path);
	if (e->comm)
		SAME("comm", e->comm);
	if (e->model)
		SAME("model", e->model);
	if (e->detail) {
		const char *g = json_string_value(json_object_get(r, "detail"));
		want = want_escape(e->detail);
		CHECK(g && strstr(g, want), "%s: detail \"%s\" lacks \"%s\"", e->what, check_esc(g),
		      check_esc(want));
		free(want);
	}
	if (e->keyid)
		CHECK_STREQ(json_string_value(json_object_get(r, "keyid")), e->keyid);
	if (e->signers_has) {
		const char *g = json_string_value(json_object_get(r, "signers"));
		want = want_escape(e->signers_has);
		CHECK(g && strstr(g, want), "%s: signers \"%s\" lacks \"%s\"", e->what,
		      check_esc(g), check_esc(want));
		free(want);
	}
#undef SAME
}

static void check_kv(const struct expect *e, const char *rec)
{
	struct kv *kv = calloc(1, sizeof(*kv));
	char why[128] = "", *want;
	const char *v;
	bool ok;

	REQUIRE(kv, "calloc");
	CHECK(printable(rec, strlen(rec)), "%s: the syslog record is not printable ASCII: %s",
	      e->what, check_esc(rec));
	ok = kv_parse(rec, kv);
	CHECK(ok, "%s: not a vouch key=value record: %s", e->what, check_esc(rec));
	if (!ok) {
		free(kv);
		return;
	}
	/* facility authpriv; deny at alert, allow at info */
	CHECK_EQ_INT(kv->pri, LOG_AUTHPRIV | (strcmp(e->cause, "ok") ? LOG_ALERT : LOG_INFO));
	CHECK(escapes_whole(rec, strlen(rec)) || e->long_one, "%s: an escape cut: %s", e->what,
	      check_esc(rec));
	if (e->long_one) {
		ok = kv_fields_ok(kv, why, sizeof(why));
		CHECK(kv->whole && ok && escapes_whole(rec, strlen(rec)), "%s: %s%s%s (%zu bytes)",
			e->what, kv->whole ? "" : "a value left open; ", ok ? "" : why,
			escapes_whole(rec, strlen(rec)) ? "" : "; an escape cut", strlen(rec));
		CHECK_STREQ(kv_get(kv, "decision"), e->decision);
		CHECK_STREQ(kv_get(kv, "cause"), e->cause);
		free(kv);
		return;
	}
	CHECK(kv->whole, "%s: a quoted value left open: %s", e->what, check_esc(rec));
	CHECK(kv_fields_ok(kv, why, sizeof(why)), "%s: %s: %s", e->what, why, check_esc(rec));
	CHECK_STREQ(kv_get(kv, "decision"), e->decision);
	CHECK_STREQ(kv_get(kv, "cause"), e->cause);
	want = want_kv(e->path);
	CHECK_STREQ(kv_get(kv, "path"), want);
	free(want);
	if (e->comm) {
		want = want_kv(e->comm);
		CHECK_STREQ(kv_get(kv, "comm"), want);
		free(want);
	}
	if (e->model) {
		want = want_kv(e->model);
		CHECK_STREQ(kv_get(kv, "model"), want);
		free(want);
	}
	if (e->keyid)
		CHECK_STREQ(kv_get(kv, "keyid"), e->keyid);
	v = kv_get(kv, "pid");
	CHECK(v && atoi(v) == getpid(), "%s: pid %s", e->what, v ? v : "(none)");
	free(kv);
}

/* The records made since the last call must be exactly those expected, in
 * order, in the JSON log and (when caught) in syslog. */
static void check_records(struct vouch_ctx *ctx, long *joff, const struct expect *e, size_t ne)
{
	json_t *js[32];
	char *raw[32], *sl[64];
	size_t nj, ns = 0, k = 0;

	vouch_ctx_drain(ctx, 5000);
	nj = json_take(P("audit.jsonl"), joff, js, raw, 32);
	CHECK(nj == ne, "%zu JSON records, want %zu", nj, ne);
	for (size_t i = 0; i < nj && i < ne; i++)
		check_json(&e[i], js[i], raw[i]);
	for (size_t i = 0; i < nj; i++) {
		json_decref(js[i]);
		free(raw[i]);
	}
	if (logsock < 0)
		return;
	ns = syslog_take(sl, 64);
	for (size_t i = 0; i < ns; i++) {
		/* notes about the sinks are not decisions */
		if (!strstr(sl[i], "decision=")) {
			free(sl[i]);
			continue;
		}
		if (k < ne)
			check_kv(&e[k], sl[i]);
		k++;
		free(sl[i]);
	}
	CHECK(k == ne, "%zu syslog records, want %zu", k, ne);
}

static void test_records(void)
{
	struct vouch_config cfg;
	struct vouch_ctx *ctx = NULL;
	char err[1024], rel[PATH_MAX], full[2 * PATH_MAX + 32], longdir[PATH_MAX - 64],
		id[VOUCH_KEYID_LEN + 1];
	static char longpath[6000], longcomm[10000];
	char goodpath[PATH_MAX], claimedpath[PATH_MAX];
	struct vouch_verdict v;
	struct stat st;
	long joff = 0;
	int fd;

	REQUIRE(vouch_keygen(P("k"), NULL, 0, id, err, sizeof(err)) == 0, "keygen: %s", err);
	REQUIRE(vouch_keygen(P("other"), NULL, 0, id, err, sizeof(err)) == 0, "keygen: %s", err);
	keyid_of(P("k.pub"), keyid);
	REQUIRE(mkdir(P("root"), 0755) == 0 && mkdir(P("root/hostile"), 0755) == 0, "mkdir");
	snprintf(rootpath, sizeof(rootpath), "%s", P("root"));
	root.path = rootpath;
	vouch_config_init(&cfg);
	vouch_config_add(&cfg.pubkeys, &cfg.npubkeys, P("k.pub"));
	cfg.audit_log = strdup(P("audit.jsonl"));
	REQUIRE(vouch_ctx_new(&cfg, &ctx, err, sizeof(err)) == 0, "context: %s", err);
	vouch_config_clear(&cfg);
	root.fd = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	REQUIRE(root.fd >= 0, "open root");

	/* A signed model, allowed: every field, the signer's key id. */
	REQUIRE(mkdir(P("root/good"), 0755) == 0, "mkdir");
	snprintf(goodpath, sizeof(goodpath), "%s", P("root/good/w.bin"));
	snprintf(claimedpath, sizeof(claimedpath), "%s", P("root/claimed/w.bin"));
	put(goodpath, "weights\n");
	sign(P("root/good"), P("k.key"), "resnet");
	fd = openat(root.fd, "good/w.bin", O_RDONLY);
	REQUIRE(fd >= 0 && fstat(fd, &st) == 0, "open good/w.bin");
	CHECK_CAUSE(vouch_verify_open(ctx, &root, "good/w.bin", fd, 0, NULL, &v), VOUCH_CAUSE_OK);
	close(fd);
	{
		const struct expect e = { "a signed model", goodpath, "allow", "ok", NULL,
					  "resnet", keyid, "model.sig=", NULL, false };
		json_t *js[4];
		char *raw[4];
		long off = joff;
		size_t n;

		vouch_ctx_drain(ctx, 5000);
		n = json_take(P("audit.jsonl"), &off, js, raw, 4);
		/* dev, ino, size: the file as verified */
		if (n == 1 && js[0]) {
			CHECK_EQ_INT(json_integer_value(json_object_get(js[0], "dev")), st.st_dev);
			CHECK_EQ_INT(json_integer_value(json_object_get(js[0], "ino")), st.st_ino);
			CHECK_EQ_INT(json_integer_value(json_object_get(js[0], "size")),
				     st.st_size);
			CHECK_EQ_INT(json_integer_value(json_object_get(js[0], "version")), 7);
			CHECK_STREQ(json_string_value(json_object_get(js[0], "mode")), "enforce");
		}
		for (size_t i = 0; i < n; i++) {
			json_decref(js[i]);
			free(raw[i]);
		}
		check_records(ctx, &joff, &e, 1);
	}

	/* Files whose names are hostile, opened: not signed, denied. */
	{
		struct expect e[NHOSTILE];
		static char paths[NHOSTILE][2 * PATH_MAX + 32], whats[NHOSTILE][1800];

		for (size_t i = 0; i < NHOSTILE; i++) {
			snprintf(rel, sizeof(rel), "hostile/%s", hostile[i]);
			snprintf(paths[i], sizeof(paths[i]), "%s/%s", rootpath, rel);
			put(paths[i], "x");
			fd = openat(root.fd, rel, O_RDONLY);
			REQUIRE(fd >= 0, "open %s", check_esc(rel));
			/* a name no signature can hold is malformed, else it is
			 * not signed */
			CHECK_CAUSE(vouch_verify_open(ctx, &root, rel, fd, 0, NULL, &v),
				    name_signable(hostile[i]) ? VOUCH_CAUSE_NOT_SIGNED
							      : VOUCH_CAUSE_MALFORMED);
			close(fd);
			snprintf(whats[i], sizeof(whats[i]), "hostile name %zu (%s)", i,
				 check_esc(hostile[i]));
			e[i] = (struct expect){ whats[i], paths[i], "deny",
						name_signable(hostile[i]) ? "not-signed" :
						"malformed", NULL, NULL, NULL, NULL, NULL, false };
		}
		check_records(ctx, &joff, e, NHOSTILE);
	}

	/* A hostile program name (comm), and a claimed model name and a
	 * cosignature file name from a signature by a key not trusted. */
	{
		const char *comm = "py\nthon decision=allow \x1b[2J\xe2\x80\xae";
		const char *name = "evil\ndecision=allow \"q\" \x1b]0;title\x07";
		const char *cosig = "x\ny \x1b[31m=\".sig";
		struct vouch_subject who = { .pid = getpid(), .uid = getuid(), .comm = comm };
		struct expect e[2];
		char sigfrom[PATH_MAX], sigto[PATH_MAX + 300];

		e[0] = (struct expect){ "hostile comm", goodpath, "allow", "ok", comm, NULL,
					NULL, NULL, NULL, false };
		/* flushed: only the first allow of a file is logged */
		vouch_ctx_flush(ctx);
		fd = openat(root.fd, "good/w.bin", O_RDONLY);
		REQUIRE(fd >= 0, "open");
		CHECK_CAUSE(vouch_verify_open(ctx, &root, "good/w.bin", fd, 0, &who, &v),
			    VOUCH_CAUSE_OK);
		close(fd);

		REQUIRE(mkdir(P("root/claimed"), 0755) == 0, "mkdir");
		put(claimedpath, "other weights\n");
		sign(P("root/claimed"), P("other.key"), name);
		REQUIRE(mkdir(P("root/claimed/model.sig.d"), 0755) == 0, "mkdir");
		snprintf(sigfrom, sizeof(sigfrom), "%s", P("root/claimed/model.sig"));
		snprintf(sigto, sizeof(sigto), "%s", P("root/claimed/model.sig.d/%s", cosig));
		REQUIRE(link(sigfrom, sigto) == 0, "link %s", check_esc(sigto));
		fd = openat(root.fd, "claimed/w.bin", O_RDONLY);
		REQUIRE(fd >= 0, "open");
		CHECK_CAUSE(vouch_verify_open(ctx, &root, "claimed/w.bin", fd, 0, NULL, &v),
			    VOUCH_CAUSE_UNTRUSTED_KEY);
		close(fd);
		snprintf(full, sizeof(full), "model.sig.d/%s=hint:", cosig);
		e[1] = (struct expect){ "a claimed name", claimedpath, "deny", "untrusted-key",
					NULL, name, NULL, full, NULL, false };
		check_records(ctx, &joff, e, 2);
	}

	/* A front end's own refusal (vouch_ctx_refuse): path, comm and detail
	 * as it gives them. */
	{
		const char *path = "/srv/models/\x1b[2Jm\n.pt decision=allow";
		const char *detail = "cannot locate \"\x1b[31mx\xe2\x80\xae\"\n";
		struct vouch_subject who = { .pid = getpid(), .uid = getuid(),
					     .comm = "ngi\tnx=1" };
		const struct expect e = { "a refusal", path, "deny", "unlocated", "ngi\tnx=1", NULL,
					  NULL, NULL, detail, false };

		CHECK(!vouch_ctx_refuse(ctx, VOUCH_CAUSE_UNLOCATED, path, NULL, &who, detail),
		      "an enforce-mode refusal let the open go on");
		check_records(ctx, &joff, &e, 1);
	}

	/* Names longer than any record: a real file deep under the root, and
	 * a refusal with a 5000-byte path and a 9999-byte comm.  Cut, but the
	 * record stays one well-formed line. */
	{
		struct expect e[2];
		size_t n = 0;
		int dfd = dup(root.fd);

		snprintf(longdir, sizeof(longdir), "long");
		REQUIRE(mkdirat(dfd, "long", 0755) == 0, "mkdir long");
		for (int lvl = 0; lvl < 7; lvl++) {
			char comp[256];
			int nfd;

			for (int i = 0; i < 127; i++)
				memcpy(comp + 2 * i, "\xc3\xa9", 2);       /* é: 254 bytes */
			comp[254] = '\0';
			n = strlen(longdir);
			snprintf(longdir + n, sizeof(longdir) - n, "/%s", comp);
			REQUIRE(mkdirat(root.fd, longdir, 0755) == 0, "mkdir level %d: %s", lvl,
				strerror(errno));
			nfd = openat(root.fd, longdir, O_RDONLY | O_DIRECTORY);
			REQUIRE(nfd >= 0, "open level %d", lvl);
			close(nfd);
		}
		close(dfd);
		snprintf(rel, sizeof(rel), "%s/w.bin", longdir);
		fd = openat(root.fd, rel, O_WRONLY | O_CREAT | O_EXCL, 0644);
		REQUIRE(fd >= 0 && write(fd, "x", 1) == 1, "create the deep file");
		close(fd);
		fd = openat(root.fd, rel, O_RDONLY);
		REQUIRE(fd >= 0, "open the deep file");
		CHECK_CAUSE(vouch_verify_open(ctx, &root, rel, fd, 0, NULL, &v),
			    VOUCH_CAUSE_NOT_SIGNED);
		close(fd);
		snprintf(full, sizeof(full), "%s/%s", rootpath, rel);
		e[0] = (struct expect){ "a 1.8 KB non-ASCII path", full, "deny", "not-signed", NULL,
					NULL, NULL, NULL, NULL, true };
		n = (size_t)snprintf(longpath, sizeof(longpath), "/srv/");
		while (n + 3 < sizeof(longpath) - 900)
			n += (size_t)snprintf(longpath + n, sizeof(longpath) - n, "\xc3\xa9");
		memset(longcomm, '\x1b', sizeof(longcomm) - 1);
		{
			struct vouch_subject who = { .pid = getpid(), .uid = getuid(),
						     .comm = longcomm };

			vouch_ctx_refuse(ctx, VOUCH_CAUSE_UNLOCATED, longpath, NULL, &who, "why");
		}
		e[1] = (struct expect){ "a 5 KB path and a 10 KB comm", longpath, "deny",
					"unlocated", NULL, NULL, NULL, NULL, NULL, true };
		check_records(ctx, &joff, e, 2);
	}

	vouch_ctx_free(ctx);
	close(root.fd);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Remove T without ever crossing into a mount (T/hostdev is the real /dev
 * while our namespace lives). */
static void cleanup(void)
{
	char hostdev[PATH_MAX];

	snprintf(hostdev, sizeof(hostdev), "%s", P("hostdev"));
	umount2(hostdev, MNT_DETACH);
	nftw(T, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	REQUIRE(vouch_init() == 0, "vouch_init");
	snprintf(T, sizeof(T), "%s/vouch-audit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	REQUIRE(mkdtemp(T), "mkdtemp %s: %s", T, strerror(errno));
	umask(022);
	if (!private_devlog())
		printf("no private /dev/log (needs root and mount namespaces): the syslog "
		       "records are not checked, the JSON log is\n");

	test_escape();
	test_put_value();
	test_records();

	if (logsock >= 0)
		close(logsock);
	cleanup();
	CHECK_EXIT();
}
