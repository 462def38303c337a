/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_roles.c - sign-off by role (docs/policy.md, "Sign-off by role"):
 * `require = ROLE:N, ...` in [vouch] and `[require] GLOB = ROLE:N, ...`,
 * keys' `roles = ...` in KEY.ini, `roles_may_overlap`.  Each check tries to
 * break one claim:
 *  - one distinct signer fills at most one role unit: one key holding both
 *    roles meets "data-science:1, compliance:1" only with roles_may_overlap;
 *    one key that signed three times (primary, a copied signature, a
 *    cosignature) is one signer;
 *  - the matching is a real matching, not a greedy pass: the first signer
 *    holds x and y, the second only x; x:1, y:1 is met (the first must take
 *    y), whichever order the roles are listed in; and 2000 random instances
 *    against a brute-force search of every assignment;
 *  - a revoked key, or one outside its window, fills nothing;
 *  - a [require] entry applies under its glob only; requirements that apply
 *    together are joined (the larger n of a role) and met at once;
 *  - the deny is `threshold` and its detail names the missing role;
 *  - a role no trusted key holds is a configuration error (a misspelt role
 *    would otherwise deny everything); bad `role:n` values are refused with
 *    file and line.
 *
 * Fixtures are made with the CLI as a user makes them (keygen, sign,
 * cosign); verdicts are asked of vouch_verify_open, the entry point every
 * front end uses, with a config read by vouch_config_load.
 */
#include "verify_i.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static char T[PATH_MAX];              /* the test's directory */
static char VOUCH[PATH_MAX];          /* the CLI */
static int rootfd = -1;               /* T/models: the protected root */
static char rootpath[PATH_MAX + 16];
static char id[5][VOUCH_KEYID_LEN + 1];

#define P(...) check_path(T, __VA_ARGS__)

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);

	REQUIRE(fd >= 0, "create %s: %s", path, strerror(errno));
	REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", path);
	REQUIRE(fchmod(fd, 0644) == 0, "chmod %s", path);
	close(fd);
}

static void copy(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	REQUIRE(in >= 0 && out >= 0, "copy %s -> %s: %s", from, to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		REQUIRE(write(out, buf, (size_t)n) == n, "write %s", to);
	REQUIRE(fchmod(out, 0644) == 0, "chmod %s", to);
	close(in);
	close(out);
}

/* vouch ARGS... (NULL-terminated), no VOUCH_CONFIG; out gets stdout+stderr. */
static int vouch(char *out, size_t outlen, ...)
{
	char *argv[24], *envp[256], sink[256];
	size_t argc = 0, envc = 0, got = 0;
	int pfd[2], st;
	va_list ap;
	pid_t pid;
	ssize_t n;

	argv[argc++] = VOUCH;
	va_start(ap, outlen);
	while (argc < 23 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	for (char **e = environ; *e && envc < 250; e++)
		if (strncmp(*e, "SOURCE_DATE_EPOCH=", 18) && strncmp(*e, "VOUCH_CONFIG=", 13))
			envp[envc++] = *e;
	envp[envc] = NULL;
	REQUIRE(pipe(pfd) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execve(VOUCH, argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	while (got + 1 < outlen && (n = read(pfd[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	while (read(pfd[0], sink, sizeof(sink)) > 0)
		;
	close(pfd[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* ---- fixtures ------------------------------------------------------------ */

static void keygen(int n)
{
	char out[4096], *line;
	int rc = vouch(out, sizeof(out), "keygen", "--no-passphrase", "-o", P("k%d", n), (char *)NULL);

	REQUIRE(rc == 0, "vouch keygen k%d: exit %d: %s", n, rc, out);
	line = strstr(out, "key id: ");
	REQUIRE(line, "keygen printed no key id: %s", out);
	snprintf(id[n], sizeof(id[n]), "%.64s", line + 8);
}

/* T/models/NAME holding m.bin, signed by the first key, cosigned by the rest. */
static void model(const char *name, const int *keys, size_t n)
{
	char out[4096], text[64];
	int rc;

	REQUIRE(mkdir(P("models/%s", name), 0755) == 0, "mkdir %s", name);
	snprintf(text, sizeof(text), "weights of %s\n", name);
	put(P("models/%s/m.bin", name), text);
	rc = vouch(out, sizeof(out), "sign", "-k", P("k%d.key", keys[0]), "--name", name,
		   P("models/%s", name), (char *)NULL);
	REQUIRE(rc == 0, "vouch sign %s: exit %d: %s", name, rc, out);
	for (size_t i = 1; i < n; i++) {
		rc = vouch(out, sizeof(out), "cosign", "-k", P("k%d.key", keys[i]),
			   P("models/%s/model.sig", name), (char *)NULL);
		REQUIRE(rc == 0, "vouch cosign %s with k%d: exit %d: %s", name, keys[i], rc, out);
	}
}

static unsigned ntrust;

/* A trust directory with k1..k4, each with the roles given (NULL: no
 * KEY.ini), and a config over it: threshold 1, then conf.  Returns the
 * config's path. */
static const char *setup(const char *const roles[5], const char *conf)
{
	static char cpath[PATH_MAX + 8];
	char dir[PATH_MAX], path[PATH_MAX + 32], *text = NULL;

	snprintf(dir, sizeof(dir), "%s", P("trust%u", ++ntrust));
	REQUIRE(mkdir(dir, 0755) == 0, "mkdir %s", dir);
	for (int k = 1; k <= 4; k++) {
		snprintf(path, sizeof(path), "%s/k%d.pem", dir, k);
		copy(P("k%d.pub", k), path);
		if (roles[k]) {
			snprintf(path, sizeof(path), "%s/k%d.ini", dir, k);
			REQUIRE(asprintf(&text, "roles = %s\n", roles[k]) > 0, "asprintf");
			put(path, text);
			free(text);
		}
	}
	snprintf(cpath, sizeof(cpath), "%s.conf", dir);
	REQUIRE(asprintf(&text, "[vouch]\ntrust = %s\nthreshold = 1\n%s", dir, conf) > 0, "asprintf");
	put(cpath, text);
	free(text);
	return cpath;
}

static void revoke_key(unsigned trust, int k)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/revoked", P("trust%u", trust));
	put(path, id[k]);
}

static int ctx_for(const char *conf, struct vouch_ctx **ctx, char *err, size_t errlen)
{
	struct vouch_config cfg;
	int ret;

	vouch_config_init(&cfg);
	*ctx = NULL;
	ret = vouch_config_load(&cfg, conf, err, errlen);
	if (!ret)
		ret = vouch_ctx_new(&cfg, ctx, err, errlen);
	vouch_config_clear(&cfg);
	return ret;
}

static enum vouch_cause judge(const char *conf, const char *name, struct vouch_verdict *v)
{
	struct vouch_root root = { .fd = rootfd, .path = rootpath };
	struct vouch_ctx *ctx;
	char err[1024], rel[256];
	enum vouch_cause c;
	int fd, ret;

	ret = ctx_for(conf, &ctx, err, sizeof(err));
	REQUIRE(ret == 0, "context for %s: %s", conf, err);
	snprintf(rel, sizeof(rel), "%s/m.bin", name);
	fd = openat(rootfd, rel, O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0, "open %s: %s", rel, strerror(errno));
	c = vouch_verify_open(ctx, &root, rel, fd, 0, NULL, v);
	close(fd);
	vouch_ctx_free(ctx);
	return c;
}

#define EXPECT(conf, name, want, ...) do { \
	struct vouch_verdict v_; \
	enum vouch_cause c_ = judge(conf, name, &v_); \
	CHECK(c_ == (want) && v_.allow == ((want) == VOUCH_CAUSE_OK), \
	      "line %d: %s: %s (%s), want %s; signers: %s", __LINE__, name, vouch_cause_name(c_), \
	      check_esc(v_.detail), vouch_cause_name(want), check_esc(v_.signers)); \
	__VA_ARGS__ \
} while (0)
#define DETAIL_HAS(s) CHECK_CONTAINS(v_.detail, s)
#define DETAIL_LACKS(s) CHECK_NOT_CONTAINS(v_.detail, s)

/* ---- through vouch_verify_open ------------------------------------------- */

static void test_two_people(void)
{
	const char *c;

	/* "two": k1 signed, k2 cosigned.  k1 data science, k2 compliance. */
	c = setup((const char *[5]){ NULL, "data-science", "compliance", NULL, NULL },
		  "require = data-science:1, compliance:1\n");
	EXPECT(c, "two", VOUCH_CAUSE_OK);
	/* "one": k1 alone: compliance missing, and named. */
	EXPECT(c, "one", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS("role compliance: 0 of 1");
	       DETAIL_LACKS("data-science"););
	/* "k2only": compliance alone: data-science named. */
	EXPECT(c, "k2only", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS("role data-science: 0 of 1"););
	/* Roles held by keys that did not sign fill nothing. */
	c = setup((const char *[5]){ NULL, "data-science", "data-science", "compliance", NULL },
		  "require = data-science:1, compliance:1\n");
	EXPECT(c, "two", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS("role compliance: 0 of 1"););
	/* Roles on top of the threshold, not instead of it. */
	c = setup((const char *[5]){ NULL, "data-science", "compliance", NULL, NULL },
		  "threshold = 3\nrequire = data-science:1, compliance:1\n");
	EXPECT(c, "two", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS("2 distinct trusted signers, 3 required"););
}

static void test_one_person_two_roles(void)
{
	const char *c;

	/* k1 holds both roles and signed "one" alone: one person, two roles. */
	c = setup((const char *[5]){ NULL, "data-science, compliance", "compliance", NULL, NULL },
		  "require = data-science:1, compliance:1\n");
	EXPECT(c, "one", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS(": 0 of 1");
	       DETAIL_HAS("holding it fills another role"););
	c = setup((const char *[5]){ NULL, "data-science, compliance", "compliance", NULL, NULL },
		  "require = data-science:1, compliance:1\nroles_may_overlap = yes\n");
	EXPECT(c, "one", VOUCH_CAUSE_OK);
	/* But overlap never makes one signer two of one role. */
	c = setup((const char *[5]){ NULL, "data-science, compliance", "compliance", NULL, NULL },
		  "require = compliance:2\nroles_may_overlap = yes\n");
	EXPECT(c, "one", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS("role compliance: 1 of 2"););
	/* Two keys each with both roles, two requirements: allowed. */
	c = setup((const char *[5]){ NULL, "data-science, compliance", "compliance,data-science",
				     NULL, NULL },
		  "require = data-science:1, compliance:1\n");
	EXPECT(c, "two", VOUCH_CAUSE_OK);
	/* Three requirements, two keys holding all three: denied. */
	c = setup((const char *[5]){ NULL, "a, b, c", "a, b, c", "c", NULL },
		  "require = a:1, b:1, c:1\n");
	EXPECT(c, "two", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS(": 0 of 1"););
	/* ... and one of two units of a role is short too. */
	c = setup((const char *[5]){ NULL, "a, b", "a, b", "a", NULL },
		  "require = a:2, b:1\n");
	EXPECT(c, "two", VOUCH_CAUSE_THRESHOLD);
	EXPECT(c, "three", VOUCH_CAUSE_THRESHOLD);     /* k2, k3, k4: k2 a+b, k3 a, k4 none */
	c = setup((const char *[5]){ NULL, "a, b", "a, b", "a", "a" },
		  "require = a:2, b:1\n");
	EXPECT(c, "three", VOUCH_CAUSE_OK);
}

static void test_matching_not_greedy(void)
{
	const char *c;

	/* "two": k1 (the primary, seen first) holds x and y, k2 only x.  A
	 * greedy pass gives k1 x and leaves y empty; the matching moves k1 to
	 * y.  Both orders of the roles, as listed and as held. */
	c = setup((const char *[5]){ NULL, "x, y", "x", NULL, NULL }, "require = x:1, y:1\n");
	EXPECT(c, "two", VOUCH_CAUSE_OK);
	c = setup((const char *[5]){ NULL, "y, x", "x", NULL, NULL }, "require = y:1, x:1\n");
	EXPECT(c, "two", VOUCH_CAUSE_OK);
	c = setup((const char *[5]){ NULL, "x", "x, y", NULL, NULL }, "require = x:1, y:1\n");
	EXPECT(c, "two", VOUCH_CAUSE_OK);
	/* A chain: k2 x+y, k3 y+z, k4 z only ("three": k2, k3, k4). */
	c = setup((const char *[5]){ NULL, NULL, "x, y", "y, z", "z" }, "require = x:1, y:1, z:1\n");
	EXPECT(c, "three", VOUCH_CAUSE_OK);
	/* k2 x+y, k3 x, k4 y+z: greedy gives k2 x, k3 nothing, k4 y, and z
	 * stays empty; the matching gives k2 y, k3 x, k4 z. */
	c = setup((const char *[5]){ NULL, NULL, "x, y", "x", "y, z" }, "require = x:1, y:1, z:1\n");
	EXPECT(c, "three", VOUCH_CAUSE_OK);
}

static void test_same_signer(void)
{
	const char *c;

	/* "dup": k2 signed, the same signature copied into model.sig.d, and a
	 * cosignature by k2 again: one signer. */
	c = setup((const char *[5]){ NULL, NULL, "a, b", NULL, NULL }, "require = a:1, b:1\n");
	EXPECT(c, "dup", VOUCH_CAUSE_THRESHOLD);
	c = setup((const char *[5]){ NULL, NULL, "a", "a", NULL }, "require = a:2\n");
	EXPECT(c, "dup", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS("role a: 1 of 2"););
	c = setup((const char *[5]){ NULL, NULL, "a", NULL, NULL }, "require = a:1\n");
	EXPECT(c, "dup", VOUCH_CAUSE_OK);
	/* The same key filed twice, a role in each file: one signer holding
	 * both, so it fills one of a:1, b:1, or both with overlap. */
	{
		char path[PATH_MAX + 32];

		c = setup((const char *[5]){ NULL, NULL, "a", NULL, "b" }, "require = a:1, b:1\n");
		snprintf(path, sizeof(path), "%s/k2-again.pem", P("trust%u", ntrust));
		copy(P("k2.pub"), path);
		snprintf(path, sizeof(path), "%s/k2-again.ini", P("trust%u", ntrust));
		put(path, "roles = b\n");
		EXPECT(c, "dup", VOUCH_CAUSE_THRESHOLD);
		c = setup((const char *[5]){ NULL, NULL, "a", NULL, "b" },
			  "require = a:1, b:1\nroles_may_overlap = yes\n");
		snprintf(path, sizeof(path), "%s/k2-again.pem", P("trust%u", ntrust));
		copy(P("k2.pub"), path);
		snprintf(path, sizeof(path), "%s/k2-again.ini", P("trust%u", ntrust));
		put(path, "roles = b\n");
		EXPECT(c, "dup", VOUCH_CAUSE_OK);
	}
}

static void test_revoked_and_window(void)
{
	const char *c;
	char path[PATH_MAX + 32];

	c = setup((const char *[5]){ NULL, "data-science", "compliance", NULL, NULL },
		  "require = data-science:1, compliance:1\n");
	revoke_key(ntrust, 2);
	EXPECT(c, "two", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS("role compliance: 0 of 1"););
	/* Outside its window: fills nothing either. */
	c = setup((const char *[5]){ NULL, "data-science", NULL, NULL, NULL },
		  "require = data-science:1, compliance:1\n");
	snprintf(path, sizeof(path), "%s/k2.ini", P("trust%u", ntrust));
	put(path, "roles = compliance\nnot_after = 2001-01-01T00:00:00Z\n");
	EXPECT(c, "two", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS("role compliance: 0 of 1"););
}

static void test_require_glob(void)
{
	const char *c;
	char conf[PATH_MAX * 2];

	/* compliance only under models/sec*: "secure" (k1 alone) denied, "one"
	 * (k1 alone) elsewhere allowed. */
	snprintf(conf, sizeof(conf), "[require]\n%s/sec* = compliance:1\n", rootpath);
	c = setup((const char *[5]){ NULL, "data-science", "compliance", NULL, NULL }, conf);
	EXPECT(c, "secure", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS("role compliance: 0 of 1"););
	EXPECT(c, "one", VOUCH_CAUSE_OK);
	EXPECT(c, "two", VOUCH_CAUSE_OK);
	/* Joined with [vouch] require: under the glob both hold at once, so one
	 * person with both roles is not enough there, and is elsewhere. */
	snprintf(conf, sizeof(conf), "require = data-science:1\n[require]\n%s/sec* = compliance:1\n",
		 rootpath);
	c = setup((const char *[5]){ NULL, "data-science, compliance", NULL, NULL, NULL }, conf);
	EXPECT(c, "secure", VOUCH_CAUSE_THRESHOLD);
	EXPECT(c, "one", VOUCH_CAUSE_OK);
	/* The same role in two entries: the larger n. */
	snprintf(conf, sizeof(conf), "require = a:1\n[require]\n%s/tw* = a:2\n", rootpath);
	c = setup((const char *[5]){ NULL, "a", NULL, "a", NULL }, conf);
	EXPECT(c, "one", VOUCH_CAUSE_OK);
	EXPECT(c, "two", VOUCH_CAUSE_THRESHOLD, DETAIL_HAS("role a: 1 of 2"););
	c = setup((const char *[5]){ NULL, "a", "a", NULL, NULL }, conf);
	EXPECT(c, "two", VOUCH_CAUSE_OK);
	/* A glob is a path glob: '*' does not cross '/' (models/s* does not
	 * reach into models/sub/dir/...), but names a directory and below. */
	snprintf(conf, sizeof(conf), "[require]\n%s/*/inner = compliance:1\n", rootpath);
	c = setup((const char *[5]){ NULL, "data-science", "compliance", NULL, NULL }, conf);
	EXPECT(c, "secure", VOUCH_CAUSE_OK);
}

static void test_config(void)
{
	static const char *const bad[] = {
		"require = data-science\n",                 /* no :n */
		"require = data-science:0\n",
		"require = data-science:65\n",
		"require = data-science:1x\n",
		"require = data science:1\n",
		"require = ds:1, ds:2\n",
		"require = :1\n",
		"require = \n",
		"require = ds:-1\n",
		"roles_may_overlap = maybe\n",
		"[require]\nrelative/* = ds:1\n",
		"[require]\n/srv/x = ds\n",
	};
	struct vouch_config cfg;
	char err[1024], path[PATH_MAX];
	const char *c;
	struct vouch_ctx *ctx;
	int ret;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "%s", P("bad%zu.conf", i));
		{
			char *text = NULL;

			REQUIRE(asprintf(&text, "%s%s", bad[i][0] == '[' ? "" : "[vouch]\n", bad[i]) > 0,
				"asprintf");
			put(path, text);
			free(text);
		}
		vouch_config_init(&cfg);
		ret = vouch_config_load(&cfg, path, err, sizeof(err));
		CHECK(ret == -EINVAL, "%s accepted: %s", check_esc(bad[i]), err);
		CHECK_CONTAINS(err, path);
		vouch_config_clear(&cfg);
	}
	/* 65 distinct roles: more than a signer's role set holds. */
	{
		char *text = NULL, *t2;

		REQUIRE(asprintf(&text, "[vouch]\nrequire = r0:1") > 0, "asprintf");
		for (int i = 1; i < 65; i++) {
			REQUIRE(asprintf(&t2, "%s, r%d:1", text, i) > 0, "asprintf");
			free(text);
			text = t2;
		}
		snprintf(path, sizeof(path), "%s", P("many.conf"));
		put(path, text);
		free(text);
		vouch_config_init(&cfg);
		CHECK(vouch_config_load(&cfg, path, err, sizeof(err)) == -EINVAL, "65 roles accepted");
		vouch_config_clear(&cfg);
	}
	/* A good one reads back as written, and survives a copy. */
	snprintf(path, sizeof(path), "%s", P("good.conf"));
	put(path, "[vouch]\nrequire = data-science:1 , compliance : 2\nroles_may_overlap = yes\n"
		  "[require]\n/srv/models/prod* = security-scan:1\n");
	vouch_config_init(&cfg);
	ret = vouch_config_load(&cfg, path, err, sizeof(err));
	CHECK(ret == 0, "good config refused: %s", err);
	if (!ret) {
		struct vouch_config cp;

		CHECK(cfg.nrequire == 2 && !cfg.require[0].glob && cfg.require[0].nneeds == 2 &&
		      cfg.require[0].line == 2 && cfg.require[1].line == 5 &&
		      cfg.roles_may_overlap, "read back wrong");
		CHECK_STREQ(cfg.require[0].needs[1].role, "compliance");
		CHECK(cfg.require[0].needs[1].n == 2, "compliance : 2 read as %u", cfg.require[0].needs[1].n);
		REQUIRE(vouch_config_copy(&cp, &cfg) == 0, "copy");
		CHECK_STREQ(cp.require[1].glob, "/srv/models/prod*");
		CHECK_STREQ(cp.require[1].needs[0].role, "security-scan");
		vouch_config_clear(&cp);
	}
	vouch_config_clear(&cfg);
	/* A role no trusted key holds: a configuration error naming it (a
	 * misspelling would deny everything it applies to). */
	c = setup((const char *[5]){ NULL, "data-science", "compliance", NULL, NULL },
		  "require = data-science:1, complaince:1\n");
	ret = ctx_for(c, &ctx, err, sizeof(err));
	CHECK(ret == -ENOKEY && !ctx, "a role nobody holds accepted (%d)", ret);
	CHECK_CONTAINS(err, "role complaince needs 1 signer, but 0 trusted keys hold it");
	vouch_ctx_free(ctx);
	/* Two units of a role one key holds: also unreachable. */
	c = setup((const char *[5]){ NULL, "data-science", "compliance", NULL, NULL },
		  "require = compliance:2\n");
	ret = ctx_for(c, &ctx, err, sizeof(err));
	CHECK(ret == -ENOKEY && !ctx, "compliance:2 over one key accepted (%d)", ret);
	vouch_ctx_free(ctx);
	/* A revoked key still counts for that check (a revocation must not make
	 * a configuration fail to load), and fills nothing at the decision. */
	c = setup((const char *[5]){ NULL, "data-science", "compliance", NULL, NULL },
		  "require = compliance:1\n");
	revoke_key(ntrust, 2);
	ret = ctx_for(c, &ctx, err, sizeof(err));
	CHECK(ret == 0, "revoked role holder made the config fail: %s", err);
	vouch_ctx_free(ctx);
	/* A bad roles line in KEY.ini names the file. */
	c = setup((const char *[5]){ NULL, "data science", NULL, NULL, NULL }, "");
	ret = ctx_for(c, &ctx, err, sizeof(err));
	CHECK(ret == -EINVAL && !ctx, "roles = data science accepted");
	CHECK_CONTAINS(err, "k1.ini");
	vouch_ctx_free(ctx);
}

/* ---- the matching against brute force -------------------------------------- */

/* Can signers (role sets has[0..n)) fill need[0..R) with each signer in at
 * most one unit?  Every assignment of each signer to one of its roles or
 * none, tried. */
static bool brute(const uint64_t *has, unsigned n, const unsigned *need, unsigned R,
		  unsigned *filled, unsigned u)
{
	if (u == n) {
		for (unsigned r = 0; r < R; r++)
			if (filled[r] < need[r])
				return false;
		return true;
	}
	if (brute(has, n, need, R, filled, u + 1))
		return true;
	for (unsigned r = 0; r < R; r++) {
		bool ok;

		if (!((has[u] >> r) & 1) || filled[r] >= need[r])
			continue;
		filled[r]++;
		ok = brute(has, n, need, R, filled, u + 1);
		filled[r]--;
		if (ok)
			return true;
	}
	return false;
}

static void test_matching_random(void)
{
	static const char *const names[] = { "r0", "r1", "r2", "r3" };
	struct vouch_role_need needs[4];
	struct vouch_requirement req = { .needs = needs };
	struct vouch_trust trust = { 0 };
	struct vouch_ctx *ctx = calloc(1, sizeof(*ctx));
	struct vouch_auth *auth = calloc(1, sizeof(*auth));
	unsigned long seed = 12345, mismatches = 0;
	char detail[256], note[VOUCH_SIGNERS_LEN];

	REQUIRE(ctx && auth, "calloc");
	trust.role_names = (char **)names;
	trust.nrole_names = 4;
	ctx->trust = &trust;
	ctx->cfg.require = &req;
	ctx->cfg.nrequire = 1;
	for (int iter = 0; iter < 2000; iter++) {
		unsigned need[4] = { 0 }, filled[4] = { 0 }, R = 0, n;
		enum vouch_cause c;
		bool want;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		n = (unsigned)(seed >> 33) % 7;                 /* 0..6 signers */
		req.nneeds = 0;
		for (unsigned r = 0; r < 4; r++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			need[r] = (unsigned)(seed >> 40) % 3;   /* 0..2 units */
			if (need[r]) {
				needs[req.nneeds].role = (char *)names[r];
				needs[req.nneeds++].n = need[r];
			}
		}
		R = 4;
		auth->nsigners = n;
		auth->signers[0] = '\0';
		for (unsigned u = 0; u < n; u++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			auth->signer_roles[u] = (seed >> 37) & 15;
			auth->signer_note[u] = 0;
		}
		if (!req.nneeds)
			continue;
		want = brute(auth->signer_roles, n, need, R, filled, 0);
		ctx->cfg.roles_may_overlap = false;
		c = vouch_rule_roles(ctx, auth, "/x", note, sizeof(note), detail, sizeof(detail));
		if ((c == VOUCH_CAUSE_OK) != want) {
			if (mismatches++ < 5)
				CHECK(0, "instance %d: matching says %s, brute force %s (%s)", iter,
				      vouch_cause_name(c), want ? "met" : "not met", detail);
		}
		CHECK(c == VOUCH_CAUSE_OK || c == VOUCH_CAUSE_THRESHOLD, "cause %s", vouch_cause_name(c));
		/* With overlap: met iff each role has enough holders. */
		want = true;
		for (unsigned r = 0; r < 4; r++) {
			unsigned h = 0;

			for (unsigned u = 0; u < n; u++)
				h += (auth->signer_roles[u] >> r) & 1;
			want &= h >= need[r];
		}
		ctx->cfg.roles_may_overlap = true;
		c = vouch_rule_roles(ctx, auth, "/x", NULL, 0, detail, sizeof(detail));
		if ((c == VOUCH_CAUSE_OK) != want && mismatches++ < 5)
			CHECK(0, "instance %d with overlap: %s, want %s", iter, vouch_cause_name(c),
			      want ? "met" : "not met");
	}
	CHECK(mismatches == 0, "%lu instances decided wrongly", mismatches);
	/* The note: ":role=" after the counted signers that fill one. */
	snprintf(auth->signers, sizeof(auth->signers), "model.sig=aa(k1.pem):counted, "
		 "model.sig.d/b.sig=bb(k2.pem):counted");
	auth->nsigners = 2;
	auth->signer_note[0] = (uint16_t)strlen("model.sig=aa(k1.pem):counted");
	auth->signer_note[1] = (uint16_t)strlen(auth->signers);
	auth->signer_roles[0] = 3;      /* r0, r1 */
	auth->signer_roles[1] = 1;      /* r0 */
	needs[0].role = (char *)"r0";
	needs[0].n = 1;
	needs[1].role = (char *)"r1";
	needs[1].n = 1;
	req.nneeds = 2;
	ctx->cfg.roles_may_overlap = false;
	CHECK(vouch_rule_roles(ctx, auth, "/x", note, sizeof(note), detail, sizeof(detail)) ==
	      VOUCH_CAUSE_OK, "note instance: %s", detail);
	CHECK_STREQ(note, "model.sig=aa(k1.pem):counted:role=r1, model.sig.d/b.sig=bb(k2.pem):"
		    "counted:role=r0");
	ctx->cfg.roles_may_overlap = true;
	vouch_rule_roles(ctx, auth, "/x", note, sizeof(note), detail, sizeof(detail));
	CHECK_STREQ(note, "model.sig=aa(k1.pem):counted:role=r0+r1, model.sig.d/b.sig=bb(k2.pem):"
		    "counted:role=r0");
	/* A note that does not fit is cut, never overrun. */
	{
		char small[40];

		memset(small, 'x', sizeof(small));
		vouch_rule_roles(ctx, auth, "/x", small, 32, detail, sizeof(detail));
		CHECK(strlen(small) < 32 && small[32] == 'x', "note overran its buffer: %s",
		      check_esc_n(small, 40));
	}
	free(ctx);
	free(auth);
}

int main(void)
{
	const char *build = getenv("VOUCH_BUILD"), *tmp = getenv("TMPDIR");
	char cmd[PATH_MAX + 16];

	REQUIRE(vouch_init() == 0, "vouch_init");
	snprintf(VOUCH, sizeof(VOUCH), "%s/bin/vouch", build && *build ? build : "./build");
	REQUIRE(access(VOUCH, X_OK) == 0, "no CLI at %s (set VOUCH_BUILD): %s", VOUCH,
		strerror(errno));
	snprintf(T, sizeof(T), "%s/vouch-roles.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	REQUIRE(mkdtemp(T), "mkdtemp %s: %s", T, strerror(errno));
	umask(022);
	REQUIRE(chmod(T, 0755) == 0, "chmod %s", T);

	for (int k = 1; k <= 4; k++)
		keygen(k);
	REQUIRE(mkdir(P("models"), 0755) == 0, "mkdir");
	model("two", (int[]){ 1, 2 }, 2);
	model("one", (int[]){ 1 }, 1);
	model("k2only", (int[]){ 2 }, 1);
	model("secure", (int[]){ 1 }, 1);
	model("three", (int[]){ 2, 3, 4 }, 3);
	model("dup", (int[]){ 2 }, 1);
	REQUIRE(mkdir(P("models/dup/model.sig.d"), 0755) == 0, "mkdir");
	copy(P("models/dup/model.sig"), P("models/dup/model.sig.d/copy.sig"));
	{
		char out[4096];
		int rc = vouch(out, sizeof(out), "cosign", "-k", P("k2.key"),
			       P("models/dup/model.sig"), (char *)NULL);

		REQUIRE(rc == 0, "cosign dup: %s", out);
	}
	snprintf(rootpath, sizeof(rootpath), "%s", P("models"));
	rootfd = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	REQUIRE(rootfd >= 0, "open %s", rootpath);

	test_two_people();
	test_one_person_two_roles();
	test_matching_not_greedy();
	test_same_signer();
	test_revoked_and_window();
	test_require_glob();
	test_config();
	test_matching_random();

	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", T);
	CHECK_EXIT();
}
