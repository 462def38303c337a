/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_config.c - the config reader every program uses (vouch_config_load,
 * vouch_config_scrape_protect; vouch.h): every key of vouch.conf(5) read
 * with a valid value into its field; every bad value, unknown key or
 * section refused with a message that names the file, the line and the
 * key and shows the value as typed (escaped); comments; repeated keys,
 * continuation lines and lines longer than inih's buffer; a missing,
 * unreadable, foreign-owned, writable or non-regular file; and the
 * symlink chain rules (root's links, at most 40, directories
 * on the way root's and not writable by others unless sticky or on a
 * read-only mount: a Kubernetes ConfigMap).  Also the [models] rule checked
 * when a context is made (an entry outside every protected root).
 *
 * Expected values come from man/vouch.conf.5, config/vouch.conf (the
 * shipped example: "every key, with its default") and vouch.h's comments,
 * not from config.c.  Where those say nothing (a key given twice, an
 * indented continuation line) the test pins what the reader does today, so
 * that a change is a decision; those places say so.  Two holes found here
 * (a '#' comment read into a value; a line longer than inih's buffer read
 * as two lines) are refused now, with their line.
 *
 * Ownership and "unreadable" need root (chown, a child that drops to
 * nobody); run without it, those parts are left out and say so.
 */
#include "vouch_i.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

static char T[PATH_MAX];        /* the test's directory */
static bool root;

/* T/fmt... (check_path in check.h). */
#define P(...) check_path(T, __VA_ARGS__)

/* Write T/rel with mode (root-owned when we are root). */
static void put_mode(const char *rel, mode_t mode, const char *text)
{
	const char *path = P("%s", rel);
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	REQUIRE(fd >= 0, "create %s: %s", path, strerror(errno));
	REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", path);
	REQUIRE(fchmod(fd, mode) == 0, "chmod %s", path);
	close(fd);
}

static void put(const char *rel, const char *text)
{
	put_mode(rel, 0644, text);
}

static int load(const char *path, struct vouch_config *c, char *err, size_t errlen)
{
	vouch_config_init(c);
	err[0] = '\0';
	return vouch_config_load(c, path, err, errlen);
}

/* T/name holding text must load; returns the config (caller clears). */
static void good(const char *text, struct vouch_config *c)
{
	char err[1024];
	int ret;

	put("good.conf", text);
	ret = load(P("good.conf"), c, err, sizeof(err));
	CHECK(ret == 0, "a valid config refused (%d): %s\n--- config:\n%s---", ret, check_esc(err),
	      text);
}

/* "VALUE" as an error message shows what was typed: vouch.h's rule for
 * vouch_escape (printable ASCII but the backslash as it is, a backslash
 * doubled, every other byte \xHH), in double quotes. */
static const char *shown(const char *value)
{
	static char buf[4][1024];
	static unsigned k;
	char *b = buf[k++ % 4];
	size_t n = 0;

	b[n++] = '"';
	for (const unsigned char *p = (const unsigned char *)value; *p && n < sizeof(buf[0]) - 6;
	     p++) {
		if (*p == '\\')
			n += (size_t)snprintf(b + n, 3, "\\\\");
		else if (*p >= 0x20 && *p < 0x7f)
			b[n++] = (char)*p;
		else
			n += (size_t)snprintf(b + n, 5, "\\x%02x", *p);
	}
	b[n++] = '"';
	b[n] = '\0';
	return b;
}

/*
 * text must be refused (-EINVAL) with one line naming the file, the line
 * and the key; want, if not NULL, is a word of the reason.  value is what
 * the user typed (for the TODO below).
 */
static void bad(int line, const char *key, const char *value, const char *want, const char *text)
{
	struct vouch_config c;
	char err[1024], where[PATH_MAX + 32];
	int ret;

	put("bad.conf", text);
	ret = load(P("bad.conf"), &c, err, sizeof(err));
	snprintf(where, sizeof(where), "%s:%d: ", P("bad.conf"), line);
	CHECK(ret == -EINVAL, "%s = \"%s\" accepted (%d)", key, check_esc(value), ret);
	CHECK(!strchr(err, '\n'), "the message is more than one line: \"%s\"", check_esc(err));
	CHECK(strstr(err, where) != NULL,
	      "%s = \"%s\": message does not name file and line (%s): \"%s\"", key,
	      check_esc(value), where, check_esc(err));
	CHECK(strstr(err, key) != NULL, "%s = \"%s\": message does not name the key: \"%s\"", key,
	      check_esc(value), check_esc(err));
	/* The value as typed (issue 17), escaped as vouch_escape does (vouch.h):
	 * a value may hold a typo, or bytes, the user cannot see. */
	CHECK(strstr(err, shown(value)) != NULL,
	      "%s = \"%s\": message does not show the value: \"%s\"", key, check_esc(value),
	      check_esc(err));
	for (const char *e = err; *e; e++)
		if ((unsigned char)*e < 0x20 || *e == 0x7f) {
			CHECK(false, "a control byte in the message: \"%s\"", check_esc(err));
			break;
		}
	if (want)
		CHECK(strstr(err, want) != NULL, "%s = \"%s\": message lacks \"%s\": \"%s\"", key,
		      check_esc(value), want, check_esc(err));
	vouch_config_clear(&c);
}

/* [vouch] key = value alone must be refused at line 2. */
static void bad_value(const char *key, const char *value, const char *want)
{
	char text[4096];

	snprintf(text, sizeof(text), "[vouch]\n%s = %s\n", key, value);
	bad(2, key, value, want, text);
}

/* ---- defaults and the shipped example --------------------------------- */

static void test_defaults(void)
{
	struct vouch_config c;
	char *example = NULL, path[PATH_MAX];
	const char *src = getenv("VOUCH_SRC");
	FILE *f;
	size_t n = 0;

	/* vouch.h: "enforce, threshold 1, clock_skew 300, allow_other, nothing
	 * protected"; vouch.conf(5): audit_failure log, receipts no,
	 * allow_symlinks no. */
	vouch_config_init(&c);
	CHECK(c.mode == VOUCH_MODE_ENFORCE, "default mode %d", c.mode);
	CHECK_EQ_INT(c.threshold, 1);
	CHECK_EQ_INT(c.clock_skew, 300);
	CHECK(c.allow_other, "allow_other is not on by default");
	CHECK(c.nprotect == 0 && !c.trust_dir && !c.state_dir && !c.audit_log && !c.path,
	      "something set by default");
	CHECK(!c.audit_failure_deny && !c.receipts && !c.allow_symlinks && !c.require_binding,
	      "a default that is on: deny %d receipts %d symlinks %d binding %d",
	      c.audit_failure_deny, c.receipts, c.allow_symlinks, c.require_binding);

	/* An empty file changes nothing; the config remembers where it was read. */
	good("", &c);
	CHECK(c.mode == VOUCH_MODE_ENFORCE && c.threshold == 1 && c.clock_skew == 300 &&
	      c.allow_other, "an empty config changed a default");
	CHECK_STREQ(c.path, P("good.conf"));
	vouch_config_clear(&c);
	CHECK(!c.path && c.threshold == 1, "vouch_config_clear does not re-initialise");

	/* config/vouch.conf, as `make install` puts it, loads and holds what
	 * it says. */
	snprintf(path, sizeof(path), "%s/config/vouch.conf", src ? src : ".");
	f = fopen(path, "r");
	REQUIRE(f, "%s: %s", path, strerror(errno));
	REQUIRE(getdelim(&example, &n, '\0', f) > 0, "read %s", path);
	fclose(f);
	good(example, &c);
	CHECK(c.mode == VOUCH_MODE_ENFORCE, "example: mode");
	CHECK(c.nprotect == 1 && !strcmp(c.protect[0], "/srv/models"), "example: protect");
	CHECK_STREQ(c.trust_dir, "/etc/vouch/trust");
	CHECK_EQ_INT(c.threshold, 1);
	CHECK_STREQ(c.state_dir, "/var/lib/vouch");
	CHECK_EQ_INT(c.clock_skew, 300);
	CHECK(c.allow_other && !c.require_binding && !c.allow_symlinks && !c.receipts,
	      "example: booleans");
	CHECK(!c.audit_log && !c.ncas && !c.sigstore_root && !c.vouchd_socket && !c.nmodels,
	      "example: a commented-out key was read");
	vouch_config_clear(&c);
	free(example);
}

/* ---- every key, valid ------------------------------------------------- */

static void test_every_key(void)
{
	struct vouch_config c;

	good("# vouch.conf(5), every key\n"
	     "; a comment this way too\n"
	     "[vouch]\n"
	     "mode = audit\n"
	     "protect = /srv/models:/opt/more models\n"
	     "trust = /etc/vouch/trust\n"
	     "threshold = 64\n"
	     "ca = /etc/vouch/ca/corp-root.pem:/etc/vouch/ca/other.pem\n"
	     "ca_identity = release-pipeline@example.com, https://ci.example.com/*\n"
	     "sigstore_root = /etc/vouch/trusted_root.json\n"
	     "sigstore_identity = release@example.com\n"
	     "sigstore_issuer = https://accounts.google.com\n"
	     "state_dir = /var/lib/vouch\n"
	     "receipts = yes\n"
	     "vouchd_socket = /run/vouch/vouchd.sock\n"
	     "audit_log = /var/log/vouch/audit.jsonl\n"
	     "audit_failure = deny\n"
	     "clock_skew = 86400\n"
	     "allow_other = no\n"
	     "require_binding = yes\n"
	     "allow_symlinks = yes\n"
	     "symlink_root = /srv/models\n"
	     "\n"
	     "[models]\n"
	     "/srv/models/resnet = resnet\n"
	     "/srv/models/llm-* = llama-3-8b, llama-3-70b\n", &c);
	CHECK(c.mode == VOUCH_MODE_AUDIT, "mode = audit");
	CHECK(c.nprotect == 2 && !strcmp(c.protect[0], "/srv/models") &&
	      !strcmp(c.protect[1], "/opt/more models"), "protect: %zu roots", c.nprotect);
	CHECK_STREQ(c.trust_dir, "/etc/vouch/trust");
	CHECK_EQ_INT(c.threshold, 64);
	CHECK(c.ncas == 2 && !strcmp(c.cas[0], "/etc/vouch/ca/corp-root.pem") &&
	      !strcmp(c.cas[1], "/etc/vouch/ca/other.pem"), "ca: %zu files", c.ncas);
	/* ',' separates: a URI glob holds ':' */
	CHECK(c.nca_identity == 2 && !strcmp(c.ca_identity[0], "release-pipeline@example.com") &&
	      !strcmp(c.ca_identity[1], "https://ci.example.com/*"), "ca_identity: %zu globs",
	      c.nca_identity);
	CHECK_STREQ(c.sigstore_root, "/etc/vouch/trusted_root.json");
	CHECK_STREQ(c.sigstore_identity, "release@example.com");
	CHECK_STREQ(c.sigstore_issuer, "https://accounts.google.com");
	CHECK_STREQ(c.state_dir, "/var/lib/vouch");
	CHECK(c.receipts, "receipts = yes");
	CHECK_STREQ(c.vouchd_socket, "/run/vouch/vouchd.sock");
	CHECK_STREQ(c.audit_log, "/var/log/vouch/audit.jsonl");
	CHECK(c.audit_failure_deny, "audit_failure = deny");
	CHECK_EQ_INT(c.clock_skew, 86400);
	CHECK(!c.allow_other, "allow_other = no");
	CHECK(c.require_binding, "require_binding = yes");
	CHECK(c.allow_symlinks, "allow_symlinks = yes");
	CHECK_STREQ(c.symlink_root, "/srv/models");
	CHECK_EQ_INT(c.nmodels, 2);
	if (c.nmodels == 2) {
		CHECK(!strcmp(c.models[0].glob, "/srv/models/resnet") && c.models[0].nnames == 1 &&
		      !strcmp(c.models[0].names[0], "resnet"), "[models] resnet");
		CHECK_EQ_INT(c.models[0].line, 25);
		CHECK(!strcmp(c.models[1].glob, "/srv/models/llm-*") && c.models[1].nnames == 2 &&
		      !strcmp(c.models[1].names[0], "llama-3-8b") &&
		      !strcmp(c.models[1].names[1], "llama-3-70b"), "[models] llm-*");
		CHECK_EQ_INT(c.models[1].line, 26);
	}
	CHECK(c.pubkeys == NULL && !c.leases, "pubkeys/leases are never read from a file");
	vouch_config_clear(&c);

	/* The other spelling of each value, and the lower bounds. */
	good("[vouch]\nmode = enforce\nthreshold = 1\nclock_skew = 0\naudit_failure = log\n"
	     "allow_other = yes\nrequire_binding = no\nallow_symlinks = no\nreceipts = no\n", &c);
	CHECK(c.mode == VOUCH_MODE_ENFORCE && c.threshold == 1 && c.clock_skew == 0 &&
	      !c.audit_failure_deny && c.allow_other && !c.require_binding && !c.allow_symlinks &&
	      !c.receipts, "enforce/1/0/log/yes/no/no/no");
	vouch_config_clear(&c);

	/* "key = value" and "key: value" are the same. */
	good("[vouch]\nmode: audit\nthreshold:2\nprotect : /srv/models\n", &c);
	CHECK(c.mode == VOUCH_MODE_AUDIT && c.threshold == 2 && c.nprotect == 1 &&
	      !strcmp(c.protect[0], "/srv/models"), "key: value not read as key = value");
	vouch_config_clear(&c);

	/* Read "on top of what is there" (vouch.h): a second file adds. */
	{
		char err[512];

		put("a.conf", "[vouch]\nprotect = /srv/a\nthreshold = 3\n");
		put("b.conf", "[vouch]\nprotect = /srv/b\n");
		vouch_config_init(&c);
		CHECK(vouch_config_load(&c, P("a.conf"), err, sizeof(err)) == 0, "a.conf: %s", err);
		CHECK(vouch_config_load(&c, P("b.conf"), err, sizeof(err)) == 0, "b.conf: %s", err);
		CHECK(c.nprotect == 2 && c.threshold == 3, "a second load: %zu roots, threshold %u",
		      c.nprotect, c.threshold);
		CHECK_STREQ(c.path, P("b.conf"));
		vouch_config_clear(&c);
	}
}

/* ---- bad values, unknown keys and sections ------------------------------ */

static void test_bad_values(void)
{
	bad_value("mode", "permissive", "enforce or audit");
	bad_value("mode", "Enforce", "mode");
	bad_value("mode", "", NULL);
	bad_value("protect", "srv/models", "absolute");
	bad_value("protect", "/srv/models:relative/dir", "absolute");
	bad_value("protect", "/srv/../etc", NULL);
	bad_value("protect", "/srv/..", NULL);
	bad_value("protect", "", NULL);
	bad_value("trust", "trust", "absolute");
	bad_value("trust", "", NULL);
	bad_value("threshold", "0", "1 to 64");
	bad_value("threshold", "65", "1 to 64");
	bad_value("threshold", "-1", NULL);
	bad_value("threshold", "many", NULL);
	bad_value("threshold", "2x", NULL);
	bad_value("threshold", "99999999999999999999", NULL);
	bad_value("threshold", "", NULL);
	bad_value("clock_skew", "-5", "0 to 86400");
	bad_value("clock_skew", "86401", "0 to 86400");
	bad_value("clock_skew", "5m", NULL);
	bad_value("state_dir", "var/lib/vouch", "absolute");
	bad_value("audit_log", "audit.jsonl", "absolute");
	bad_value("audit_failure", "ignore", "log or deny");
	bad_value("symlink_root", "srv/models", "absolute");
	bad_value("vouchd_socket", "vouchd.sock", "absolute");
	bad_value("sigstore_root", "trusted_root.json", "absolute");
	bad_value("sigstore_identity", "", NULL);
	bad_value("sigstore_issuer", "", NULL);
	bad_value("ca", "corp-root.pem", "absolute");
	bad_value("ca", "/etc/vouch/ca/a.pem:b.pem", "absolute");
	bad_value("ca_identity", ",", NULL);
	bad_value("ca_identity", "", NULL);
	/* What the user cannot see is shown escaped. */
	bad_value("mode", "enforce\x1b[2J\x1b[H", "enforce or audit");
	bad_value("mode", "enforce\xe2\x80\xae", "enforce or audit");   /* U+202E, bidi override */
	bad_value("mode", "enforce\\", "enforce or audit");
	bad_value("mode", "\"audit\"", "enforce or audit");
	/* yes | no (vouch.conf(5)) */
	bad_value("require_binding", "maybe", "yes or no");
	bad_value("allow_other", "maybe", "yes or no");
	bad_value("allow_symlinks", "maybe", "yes or no");
	bad_value("receipts", "maybe", "yes or no");
	bad_value("receipts", "", NULL);
	/* [models] GLOB = NAME[, NAME...], GLOB absolute */
	bad(4, "relative/*", "resnet", "absolute",
	    "[vouch]\nprotect = /srv/models\n[models]\nrelative/* = resnet\n");
	bad(3, "/srv/models/x", "", NULL, "[vouch]\n[models]\n/srv/models/x =\n");
	bad(3, "/srv/models/x", ",", NULL, "[vouch]\n[models]\n/srv/models/x = ,\n");

	/* The error is on the line where it is, comments and blank lines
	 * counted; the first error is the one reported. */
	bad(6, "threshhold", "1", "unknown key",
	    "# comment\n\n[vouch]\ntrust = /etc/vouch/trust\nmode=enforce\nthreshhold = 1\n");
	bad(3, "foo", "1", "unknown key", "[vouch]\ntrust = /etc/vouch/trust\nfoo = 1\nbar = 2\n");
	/* An unknown section: named at its first key (inih reports keys). */
	bad(4, "bogus", "1", "unknown section", "[vouch]\nmode = audit\n[bogus]\nx = 1\n");
	bad(1, "mode", "enforce", NULL, "mode = enforce\n[vouch]\n");
	/* Sections and keys are matched exactly. */
	bad(2, "Vouch", "audit", "unknown section", "[Vouch]\nmode = audit\n");
	bad(2, "Mode", "audit", "unknown key", "[vouch]\nMode = audit\n");
	/* A [models] key is a glob, never a [vouch] key. */
	bad(2, "/srv/models/x", "resnet", "unknown key", "[vouch]\n/srv/models/x = resnet\n");

	/* Syntax errors name file and line. */
	{
		struct vouch_config c;
		char err[1024];

		put("bad.conf", "[vouch]\ntrust = /etc/vouch/trust\nnot a key value line\n");
		CHECK(load(P("bad.conf"), &c, err, sizeof(err)) == -EINVAL,
		      "a line with no '=' accepted");
		CHECK(strstr(err, P("bad.conf:3: ")) != NULL, "syntax error: \"%s\"",
		      check_esc(err));
		vouch_config_clear(&c);
		put("bad.conf", "[vouch\nmode = audit\n");
		CHECK(load(P("bad.conf"), &c, err, sizeof(err)) == -EINVAL, "an open '[' accepted");
		CHECK(strstr(err, P("bad.conf:1: ")) != NULL, "broken header: \"%s\"",
		      check_esc(err));
		vouch_config_clear(&c);
		/* A syntax error before a bad value is the one reported. */
		put("bad.conf", "[vouch]\nnonsense\nmode = bogus\n");
		CHECK(load(P("bad.conf"), &c, err, sizeof(err)) == -EINVAL,
		      "syntax error accepted");
		CHECK(strstr(err, P("bad.conf:2: ")) != NULL, "first error: \"%s\"",
		      check_esc(err));
		vouch_config_clear(&c);
		put("bad.conf", "[vouch]\nmode = bogus\nnonsense\n");
		CHECK(load(P("bad.conf"), &c, err, sizeof(err)) == -EINVAL, "bad value accepted");
		CHECK(strstr(err, P("bad.conf:2: ")) != NULL && strstr(err, "mode"),
		      "first error: \"%s\"", check_esc(err));
		vouch_config_clear(&c);
	}
}

/* ---- keys given twice, continuation lines, long lines ------------------- */

static void test_repeats_and_lengths(void)
{
	struct vouch_config c;
	char err[1024], *text;
	bool whole;
	size_t n;
	int ret;

	/* vouch.conf(5) does not say what a key given twice means.  Today:
	 * list keys add (protect, ca, ca_identity, [models]; the shim's
	 * fail-closed scrape reads every protect line the same way), and a
	 * single-valued key takes the last value.  Pinned here so that a
	 * change is a decision (issue 17: a typo must never silently weaken
	 * policy, and a second `mode = audit` does). */
	good("[vouch]\nprotect = /srv/a\nprotect = /srv/b:/srv/c\nca = /x.pem\nca = /y.pem\n"
	     "[models]\n/srv/a = m1\n/srv/a = m2\n", &c);
	CHECK(c.nprotect == 3 && !strcmp(c.protect[2], "/srv/c"), "protect twice: %zu roots",
	      c.nprotect);
	CHECK_EQ_INT(c.ncas, 2);
	CHECK_EQ_INT(c.nmodels, 2);
	vouch_config_clear(&c);
	good("[vouch]\nmode = enforce\nthreshold = 2\nmode = audit\nthreshold = 1\n", &c);
	CHECK(c.mode == VOUCH_MODE_AUDIT && c.threshold == 1, "repeated key: mode %d threshold %u",
	      c.mode, c.threshold);
	vouch_config_clear(&c);
	/* A section given twice continues it. */
	good("[vouch]\nmode = audit\n[models]\n/srv/a = m\n[vouch]\nthreshold = 2\n", &c);
	CHECK(c.mode == VOUCH_MODE_AUDIT && c.threshold == 2 && c.nmodels == 1, "[vouch] twice");
	vouch_config_clear(&c);
	/* An indented line continues the key above it (inih's multi-line
	 * values, as Python's configparser): the value is given again, as if
	 * the key were repeated.  Not in vouch.conf(5); pinned as above. */
	good("[vouch]\nprotect = /srv/a\n  /srv/b\nmode = enforce\n\taudit\n", &c);
	CHECK(c.nprotect == 2 && !strcmp(c.protect[1], "/srv/b"), "continued protect: %zu roots",
	      c.nprotect);
	CHECK(c.mode == VOUCH_MODE_AUDIT, "continued mode: %d", c.mode);
	vouch_config_clear(&c);

	/* Comments: '#' and ';' start one at the start of a line (config/vouch.conf
	 * uses '#'); after a value, ';' does (inih).  A '#' after a value must
	 * not become part of it: "protect = /srv/models  # production" would
	 * protect a directory that does not exist and leave /srv/models open. */
	good("[vouch]\n# a comment\n; another\n  # indented\nthreshold = 2 ; two people\n", &c);
	CHECK_EQ_INT(c.threshold, 2);
	vouch_config_clear(&c);
	put("hash.conf", "[vouch]\nprotect = /srv/models   # production models\n");
	ret = load(P("hash.conf"), &c, err, sizeof(err));
	CHECK(ret == -EINVAL && strstr(err, "hash.conf:2:") && strstr(err, "comment"),
	      "a '#' comment after a value: loaded (%d) with protect \"%s\": /srv/models is not protected", ret,
			c.nprotect ? check_esc(c.protect[0]) : "");
	vouch_config_clear(&c);

	/* Long values that fit inih's line (Debian's libinih: 200 bytes with
	 * the newline and NUL) are read whole. */
	text = malloc(8192);
	REQUIRE(text, "malloc");
	n = (size_t)snprintf(text, 8192, "[vouch]\ntrust = /");
	memset(text + n, 'a', 189);
	snprintf(text + n + 189, 8192 - n - 189, "\n");      /* "trust = /a...a": 198 bytes */
	good(text, &c);
	CHECK(c.trust_dir && strlen(c.trust_dir) == 190, "a 198-byte line: trust is %zu bytes",
	      c.trust_dir ? strlen(c.trust_dir) : 0);
	vouch_config_clear(&c);

	/*
	 * A longer line must be read whole, or refused naming its line: never
	 * cut, with what was cut off read as a line of its own.  Here the cut
	 * falls so that the rest of a (strange, but absolute) protect path
	 * reads "mode = audit".
	 */
	n = (size_t)snprintf(text, 8192, "[vouch]\nprotect = /");
	memset(text + n, 'a', 188);
	snprintf(text + n + 188, 8192 - n - 188, "mode = audit\n");
	put("long.conf", text);
	ret = load(P("long.conf"), &c, err, sizeof(err));
	whole = ret == 0 && c.mode == VOUCH_MODE_ENFORCE && c.nprotect == 1 &&
		strlen(c.protect[0]) == 201;
	CHECK(whole || (ret == -EINVAL && strstr(err, P("long.conf:2:"))),
			"a 211-byte protect line: loaded (%d) in %s mode with protect \"%.12s...\" "
			"(%zu of 201 bytes): the rest of the line was read as \"mode = audit\"",
			ret, c.mode == VOUCH_MODE_AUDIT ? "audit" : "enforce",
			c.nprotect ? c.protect[0] : "", c.nprotect ? strlen(c.protect[0]) : 0);
	vouch_config_clear(&c);

	/* A value longer than the line buffer (a path may be 4095 bytes). */
	n = (size_t)snprintf(text, 8192, "[vouch]\ntrust = /");
	memset(text + n, 'a', 2000);
	snprintf(text + n + 2000, 8192 - n - 2000, "\nmode = enforce\n");
	put("long.conf", text);
	ret = load(P("long.conf"), &c, err, sizeof(err));
	CHECK(ret == 0 ? c.trust_dir && strlen(c.trust_dir) == 2001 : ret == -EINVAL,
	      "a 2009-byte line: %d, trust %zu bytes", ret, c.trust_dir ? strlen(c.trust_dir) : 0);
	if (ret)
		CHECK(strstr(err, P("long.conf:2:")) != NULL,
				"a 2009-byte line 2 refused as: \"%s\"", check_esc(err));
	vouch_config_clear(&c);

	/* A long comment is a comment. */
	n = (size_t)snprintf(text, 8192, "[vouch]\n# ");
	memset(text + n, 'c', 300);
	snprintf(text + n + 300, 8192 - n - 300, "\nmode = audit\n");
	put("long.conf", text);
	ret = load(P("long.conf"), &c, err, sizeof(err));
	CHECK(ret == 0 && c.mode == VOUCH_MODE_AUDIT,
			"a 302-byte comment on line 2 refused as: \"%s\"", check_esc(err));
	vouch_config_clear(&c);
	free(text);
}

/* ---- reaching the file --------------------------------------------------- */

/* path must be refused with -want, the message naming path and holding
 * each of the words (NULL-terminated). */
static void refused(const char *path, int want, ...)
{
	struct vouch_config c;
	char err[2048];
	const char *w;
	va_list ap;
	int ret = load(path, &c, err, sizeof(err));

	CHECK(ret == -want, "%s: %d (%s), want -%s: \"%s\"", path, ret, strerror(-ret),
	      strerror(want), check_esc(err));
	CHECK(err[0] && !strchr(err, '\n'), "%s: the message is empty or several lines", path);
	CHECK(strstr(err, path) != NULL, "the message does not name %s: \"%s\"", path,
	      check_esc(err));
	va_start(ap, want);
	while ((w = va_arg(ap, const char *)))
		CHECK(strstr(err, w) != NULL, "%s: message lacks \"%s\": \"%s\"", path, w,
		      check_esc(err));
	va_end(ap);
	vouch_config_clear(&c);
}

static void loads(const char *path, const char *what)
{
	struct vouch_config c;
	char err[2048];
	int ret = load(path, &c, err, sizeof(err));

	CHECK(ret == 0, "%s: %s refused (%d): \"%s\"", what, path, ret, check_esc(err));
	CHECK(ret || c.threshold == 7, "%s: not the file written", what);
	vouch_config_clear(&c);
}

#define CONF "[vouch]\nthreshold = 7\n"

/* Run fn in a child as nobody; its return value is the child's -errno. */
static int as_nobody(const char *path, char *err, size_t errlen)
{
	int pfd[2];
	pid_t pid;
	int st;
	ssize_t n;

	REQUIRE(pipe(pfd) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		struct vouch_config c;
		char e[1024] = "";
		int ret;

		close(pfd[0]);
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(250);
		ret = load(path, &c, e, sizeof(e));
		(void)!write(pfd[1], e, strlen(e));
		_exit(-ret);
	}
	close(pfd[1]);
	n = read(pfd[0], err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	waitpid(pid, &st, 0);
	REQUIRE(WIFEXITED(st) && WEXITSTATUS(st) != 250, "the child could not become nobody");
	return -WEXITSTATUS(st);
}

static void test_file(void)
{
	char err[1024];
	int ret;

	/* vouch.conf(5): a regular file owned by root (or the user running the
	 * tool), not group- or world-writable.  0644, 0600, 0444 are fine. */
	for (unsigned m = 0; m < 3; m++) {
		static const mode_t ok[] = { 0644, 0600, 0444 };
		put_mode("m.conf", ok[m], CONF);
		loads(P("m.conf"), "mode 0644/0600/0444");
	}
	for (unsigned m = 0; m < 4; m++) {
		static const mode_t no[] = { 0664, 0646, 0666, 0620 };
		put_mode("m.conf", no[m], CONF);
		refused(P("m.conf"), EPERM, "writable", (char *)NULL);
	}
	put("m.conf", CONF);
	if (root) {
		REQUIRE(chown(P("m.conf"), NOBODY, NOBODY) == 0, "chown");
		refused(P("m.conf"), EPERM, "owned by uid 65534", (char *)NULL);
		REQUIRE(chown(P("m.conf"), 0, 0) == 0, "chown");
	} else {
		printf("not root: a config owned by another user not tried\n");
	}

	/* Missing, empty path, not a regular file. */
	refused(P("nonexistent.conf"), ENOENT, (char *)NULL);
	{
		struct vouch_config c;
		CHECK(load("", &c, err, sizeof(err)) == -ENOENT && err[0], "an empty path: \"%s\"",
		      err);
		vouch_config_clear(&c);
	}
	REQUIRE(mkdir(P("dir.conf"), 0755) == 0, "mkdir");
	refused(P("dir.conf"), EINVAL, "not a regular file", (char *)NULL);
	refused(P("m.conf/"), EINVAL, "not a regular file", (char *)NULL);
	REQUIRE(mkfifo(P("fifo.conf"), 0644) == 0, "mkfifo");
	alarm(30);                   /* a FIFO must never be opened: it would block */
	refused(P("fifo.conf"), EINVAL, "not a regular file", (char *)NULL);
	alarm(0);
	refused("/dev/null", EINVAL, "not a regular file", (char *)NULL);
	refused(P("m.conf/x"), ENOTDIR, (char *)NULL);

	/* A relative path is read from the working directory. */
	{
		char cwd[PATH_MAX];

		REQUIRE(getcwd(cwd, sizeof(cwd)) && chdir(T) == 0, "chdir");
		loads("m.conf", "relative path");
		loads("./dir.conf/../m.conf", "relative path with ..");
		REQUIRE(chdir(cwd) == 0, "chdir back");
	}

	/* Unreadable: the file (0600, root's, in a directory others may
	 * enter) and a directory on the way that others may not enter, read
	 * as nobody.  Root reads anything: only a child that dropped to nobody
	 * can show it.  Its own directory under /tmp (sticky, root's), so that
	 * every directory above is one the walk accepts. */
	if (root) {
		char ur[] = "/tmp/vouch-config-ur.XXXXXX", path[PATH_MAX], inner[PATH_MAX];
		int fd;

		REQUIRE(mkdtemp(ur) && chmod(ur, 0711) == 0, "mkdtemp");
		snprintf(path, sizeof(path), "%s/vouch.conf", ur);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		REQUIRE(fd >= 0 && write(fd, CONF, strlen(CONF)) > 0, "write %s", path);
		close(fd);
		ret = as_nobody(path, err, sizeof(err));
		CHECK(ret == -EACCES, "a 0600 root config read by nobody: %d \"%s\"", ret, err);
		CHECK(strstr(err, path) && strstr(err, strerror(EACCES)), "unreadable: \"%s\"",
		      err);
		/* readable once others may read it */
		chmod(path, 0644);
		ret = as_nobody(path, err, sizeof(err));
		CHECK(ret == 0, "a 0644 root config read by nobody: %d \"%s\"", ret, err);
		/* a directory on the way nobody may not enter */
		snprintf(inner, sizeof(inner), "%s/closed", ur);
		REQUIRE(mkdir(inner, 0700) == 0, "mkdir");
		snprintf(path, sizeof(path), "%s/closed/vouch.conf", ur);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		REQUIRE(fd >= 0 && write(fd, CONF, strlen(CONF)) > 0, "write %s", path);
		close(fd);
		ret = as_nobody(path, err, sizeof(err));
		CHECK(ret == -EACCES && strstr(err, path),
		      "behind a 0700 directory, as nobody: %d \"%s\"", ret, err);
		unlink(path);
		rmdir(inner);
		snprintf(path, sizeof(path), "%s/vouch.conf", ur);
		unlink(path);
		rmdir(ur);
	} else {
		put_mode("ur.conf", 0, CONF);
		refused(P("ur.conf"), EACCES, (char *)NULL);
	}
}

/* ---- symlinks and the directories on the way ---------------------------- */

static void test_links(void)
{
	char target[PATH_MAX];

	put("real.conf", CONF);
	/* A root's link to a root's file, relative or absolute. */
	REQUIRE(symlink("real.conf", P("rel.conf")) == 0, "symlink");
	loads(P("rel.conf"), "a relative link");
	REQUIRE(symlink(P("real.conf"), P("abs.conf")) == 0, "symlink");
	loads(P("abs.conf"), "an absolute link");
	{
		struct vouch_config c;
		char err[512];
		CHECK(load(P("rel.conf"), &c, err, sizeof(err)) == 0, "rel.conf: %s", err);
		CHECK_STREQ(c.path, P("rel.conf"));      /* named as the caller named it */
		vouch_config_clear(&c);
	}

	/* A Kubernetes ConfigMap volume: vouch.conf -> ..data/vouch.conf,
	 * ..data -> ..2026_12_02_00_00_00.000000001. */
	REQUIRE(mkdir(P("cm"), 0755) == 0 &&
		mkdir(P("cm/..2026_12_02_00_00_00.000000001"), 0755) == 0, "mkdir");
	put("cm/..2026_12_02_00_00_00.000000001/vouch.conf", CONF);
	REQUIRE(symlink("..2026_12_02_00_00_00.000000001", P("cm/..data")) == 0 &&
		symlink("..data/vouch.conf", P("cm/vouch.conf")) == 0, "symlink");
	loads(P("cm/vouch.conf"), "a ConfigMap chain");

	/* At most 40 links: l1 -> l2 -> ... -> l40 -> real.conf loads; one more
	 * is refused. */
	for (int i = 40; i >= 1; i--) {
		char to[32];
		snprintf(to, sizeof(to), i == 40 ? "real.conf" : "l%d", i + 1);
		REQUIRE(symlink(to, P("l%d", i)) == 0, "symlink l%d", i);
	}
	loads(P("l1"), "40 links");
	REQUIRE(symlink("l1", P("l0")) == 0, "symlink");
	refused(P("l0"), ELOOP, "40", (char *)NULL);
	REQUIRE(symlink("loop-b", P("loop-a")) == 0 && symlink("loop-a", P("loop-b")) == 0,
		"symlink");
	refused(P("loop-a"), ELOOP, (char *)NULL);
	/* A link to nothing, a link to a directory. */
	REQUIRE(symlink("nothing.conf", P("dangling.conf")) == 0, "symlink");
	refused(P("dangling.conf"), ENOENT, "nothing.conf", (char *)NULL);
	REQUIRE(symlink("cm", P("todir.conf")) == 0, "symlink");
	refused(P("todir.conf"), EINVAL, "not a regular file", (char *)NULL);

	/* A directory on the way that others could write: refused, whether
	 * named or reached through a link, unless it is sticky. */
	REQUIRE(mkdir(P("ww"), 0755) == 0 && chmod(P("ww"), 0777) == 0, "mkdir ww");
	put("ww/vouch.conf", CONF);
	refused(P("ww/vouch.conf"), EPERM, "ww", "writable", (char *)NULL);
	REQUIRE(symlink("ww/vouch.conf", P("via-ww.conf")) == 0, "symlink");
	refused(P("via-ww.conf"), EPERM, "ww", "writable", (char *)NULL);
	REQUIRE(chmod(P("ww"), 0775) == 0, "chmod");
	refused(P("ww/vouch.conf"), EPERM, "ww", "writable", (char *)NULL);
	REQUIRE(chmod(P("ww"), 01777) == 0, "chmod");
	loads(P("ww/vouch.conf"), "in a sticky world-writable directory (/tmp)");
	loads(P("via-ww.conf"), "through a link into a sticky directory");

	/* ... or on a read-only mount (a ConfigMap volume: a 0777 directory
	 * mounted read-only).  A private mount namespace in a child. */
	REQUIRE(chmod(P("ww"), 0777) == 0, "chmod");
	if (root) {
		pid_t pid = fork();
		int st;

		REQUIRE(pid >= 0, "fork");
		if (pid == 0) {
			struct vouch_config c;
			char err[1024];
			int ret;

			if (unshare(CLONE_NEWNS) ||
			    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			    mount(P("ww"), P("ww"), NULL, MS_BIND, NULL) ||
			    mount(NULL, P("ww"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)) {
				fprintf(stderr, "cannot make a read-only bind mount: %s\n",
					strerror(errno));
				_exit(100);
			}
			ret = load(P("ww/vouch.conf"), &c, err, sizeof(err));
			if (ret)
				fprintf(stderr, "read-only mount: %s\n", err);
			_exit(ret ? 1 : 0);
		}
		waitpid(pid, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 1,
		      "a config in a 0777 directory on a read-only mount refused");
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 100,
		      "no read-only mount to try (see above)");
	}
	REQUIRE(chmod(P("ww"), 0755) == 0, "chmod");

	if (!root) {
		printf("not root: links and directories owned by another user not tried\n");
		return;
	}
	/* A link owned by another user, anywhere in the chain. */
	REQUIRE(symlink("real.conf", P("nobodys.conf")) == 0 &&
		lchown(P("nobodys.conf"), NOBODY, NOBODY) == 0, "lchown");
	refused(P("nobodys.conf"), EPERM, "symlink", "nobodys.conf", "owned by uid 65534",
		(char *)NULL);
	REQUIRE(lchown(P("cm/..data"), NOBODY, NOBODY) == 0, "lchown");
	refused(P("cm/vouch.conf"), EPERM, "..data", "owned by uid 65534", (char *)NULL);
	REQUIRE(lchown(P("cm/..data"), 0, 0) == 0, "lchown");
	loads(P("cm/vouch.conf"), "the ConfigMap chain, root's again");
	/* The file a link leads to, owned by another user: named by both. */
	put("theirs.conf", CONF);
	REQUIRE(chown(P("theirs.conf"), NOBODY, NOBODY) == 0 &&
		symlink("theirs.conf", P("to-theirs.conf")) == 0, "chown");
	refused(P("to-theirs.conf"), EPERM, "theirs.conf", "owned by uid 65534", (char *)NULL);
	/* A directory on the way owned by another user. */
	REQUIRE(mkdir(P("nd"), 0755) == 0, "mkdir");
	put("nd/vouch.conf", CONF);
	REQUIRE(chown(P("nd"), NOBODY, NOBODY) == 0, "chown");
	refused(P("nd/vouch.conf"), EPERM, "directory", "owned by uid 65534", (char *)NULL);
	snprintf(target, sizeof(target), "%s", P("nd/vouch.conf"));
	REQUIRE(symlink(target, P("to-nd.conf")) == 0, "symlink");
	refused(P("to-nd.conf"), EPERM, "owned by uid 65534", (char *)NULL);
}

/* ---- the shim's fallback: vouch_config_scrape_protect ------------------- */

static void test_scrape(void)
{
	struct vouch_config c;
	int ret;

	/* vouch.h: the [vouch] protect roots of a config vouch_config_load
	 * refused; every other key, bad value and syntax error ignored, and so
	 * are owner and mode; relative roots are not roots. */
	put_mode("scrape.conf", 0666,
		 "[vouch]\nmode = bogus\nprotect = /srv/a:relative:/srv/b\n"
		 "not a line\nbogus = 1\n[other]\nprotect = /srv/not-vouch\n"
		 "[vouch]\nprotect: /srv/c\n");
	if (root)
		REQUIRE(chown(P("scrape.conf"), NOBODY, NOBODY) == 0, "chown");
	vouch_config_init(&c);
	ret = vouch_config_scrape_protect(P("scrape.conf"), &c);
	CHECK(ret == 0, "scrape: %d", ret);
	CHECK(c.nprotect == 3 && !strcmp(c.protect[0], "/srv/a") &&
	      !strcmp(c.protect[1], "/srv/b") && !strcmp(c.protect[2], "/srv/c"),
	      "scrape: %zu roots (%s, ...)", c.nprotect, c.nprotect ? c.protect[0] : "");
	vouch_config_clear(&c);
	vouch_config_init(&c);
	CHECK(vouch_config_scrape_protect(P("nonexistent.conf"), &c) == -ENOENT, "scrape: missing");
	alarm(30);
	ret = vouch_config_scrape_protect(P("fifo.conf"), &c);
	alarm(0);
	CHECK(ret < 0 && c.nprotect == 0, "scrape opened a FIFO: %d", ret);
	vouch_config_clear(&c);
}

/* ---- the config as a whole, when a context is made ---------------------- */

static void test_models_outside(void)
{
	struct vouch_config c;
	struct vouch_ctx *ctx = NULL;
	char err[1024], keyid[VOUCH_KEYID_LEN + 1];
	int ret;

	REQUIRE(vouch_keygen(P("k"), NULL, 0, keyid, err, sizeof(err)) == 0, "keygen: %s", err);
	/* vouch.conf(5): "An entry outside every protected root is an error."
	 * /srv/models-old is not under /srv/models. */
	put("ctx.conf", "[vouch]\nprotect = /srv/models\n[models]\n/srv/models/a = a\n"
	    "/srv/models-old/b = b\n");
	ret = load(P("ctx.conf"), &c, err, sizeof(err));
	CHECK(ret == 0, "ctx.conf: %s", err);
	vouch_config_add(&c.pubkeys, &c.npubkeys, P("k.pub"));
	ret = vouch_ctx_new(&c, &ctx, err, sizeof(err));
	CHECK(ret == -EINVAL && !ctx, "a [models] entry outside every root accepted: %d", ret);
	CHECK(strstr(err, P("ctx.conf:5: ")) && strstr(err, "/srv/models-old/b"),
	      "outside every root: \"%s\"", check_esc(err));
	vouch_ctx_free(ctx);
	vouch_config_clear(&c);
	put("ctx.conf", "[vouch]\nprotect = /srv/models/\n[models]\n/srv/models = a\n"
	    "/srv/models/b* = b\n");
	ret = load(P("ctx.conf"), &c, err, sizeof(err));
	CHECK(ret == 0, "ctx.conf: %s", err);
	vouch_config_add(&c.pubkeys, &c.npubkeys, P("k.pub"));
	ctx = NULL;
	ret = vouch_ctx_new(&c, &ctx, err, sizeof(err));
	CHECK(ret == 0, "entries under the root refused: %s", check_esc(err));
	vouch_ctx_free(ctx);
	vouch_config_clear(&c);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[PATH_MAX + 16];

	REQUIRE(vouch_init() == 0, "vouch_init");
	root = geteuid() == 0;
	snprintf(T, sizeof(T), "%s/vouch-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	REQUIRE(mkdtemp(T), "mkdtemp %s: %s", T, strerror(errno));
	umask(022);
	test_defaults();
	test_every_key();
	test_bad_values();
	test_repeats_and_lengths();
	test_file();
	test_links();
	test_scrape();
	test_models_outside();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", T);
	CHECK_EXIT();
}
