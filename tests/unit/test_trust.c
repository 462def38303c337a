/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_trust.c - the trust rules as the enforcement entry point applies
 * them (vouch_verify_open, with a context built from a trust directory):
 * k of n met and not met, an untrusted signature counting for nothing, one
 * signer counted once however often it signed (a copied signature, a
 * cosignature by the primary's own key, one key filed twice), revocation by
 * key id (the `revoked` file, and `vouch trust revoke`), and a key's
 * validity window (KEY.ini not_before/not_after) with now before, inside
 * and after it, a signing time outside it, and the clock skew at its edges.
 *
 * The fixtures are made at the start, in a fresh directory, by the CLI as a
 * user makes them ($VOUCH_BUILD/bin/vouch keygen, sign, cosign, trust
 * revoke; one key's passphrase from a --passphrase-file, never argv); the
 * verdicts are asked of the library.  Expected causes come from
 * docs/policy.md ("The order of checks", "Keys and the trust directory",
 * "Multi-party sign-off", "What counts as one signer", "Expiry and time"),
 * key ids from their definition there (hex SHA-256 of the DER
 * SubjectPublicKeyInfo, computed here with OpenSSL), not from trust.c.
 * The rules' horizons are tested where the rules are (and the verdict
 * cache's lapse in test_cache.c).
 */
#include "vouch_i.h"
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

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

extern char **environ;

#define DAY 86400

static char T[PATH_MAX];              /* the test's directory */
static char VOUCH[PATH_MAX];          /* the CLI */
static int rootfd = -1;               /* T/models: the protected root */
static char rootpath[PATH_MAX + 16];
static int64_t now;                   /* when the fixtures were made */

/* Key ids: k1 .. k4 (k1 has a passphrase). */
static char id[5][VOUCH_KEYID_LEN + 1];

/* T/fmt... (check_path in check.h). */
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

/*
 * Run the CLI: vouch ARGS... (NULL-terminated), with SOURCE_DATE_EPOCH set
 * to sde when sde is non-zero (else removed), and no VOUCH_CONFIG.  out
 * receives stdout and stderr.  Returns the exit status (-1: did not run).
 */
static int vouch(int64_t sde, char *out, size_t outlen, ...)
{
	char *argv[24], sdebuf[48], *envp[256];
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
	if (sde) {
		snprintf(sdebuf, sizeof(sdebuf), "SOURCE_DATE_EPOCH=%lld", (long long)sde);
		envp[envc++] = sdebuf;
	}
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
	while (read(pfd[0], sdebuf, sizeof(sdebuf)) > 0)
		;
	close(pfd[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* The key id of a PEM public key as docs/policy.md defines it: hex SHA-256
 * of the DER SubjectPublicKeyInfo. */
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

/* ---- fixtures ------------------------------------------------------------ */

static void keygen(int n)
{
	char out[4096], prefix[PATH_MAX], want[VOUCH_KEYID_LEN + 1], *line;
	int rc;

	snprintf(prefix, sizeof(prefix), "%s", P("k%d", n));
	if (n == 1)     /* the passphrase from a file (vouch(1): never argv or environment) */
		rc = vouch(0, out, sizeof(out), "keygen", "-o", prefix, "--passphrase-file",
			   P("pass"), (char *)NULL);
	else
		rc = vouch(0, out, sizeof(out), "keygen", "--no-passphrase", "-o", prefix,
			   (char *)NULL);
	REQUIRE(rc == 0, "vouch keygen k%d: exit %d: %s", n, rc, out);
	keyid_of(P("k%d.pub", n), want);
	line = strstr(out, "key id: ");
	REQUIRE(line, "keygen printed no key id: %s", out);
	snprintf(id[n], sizeof(id[n]), "%.64s", line + 8);
	CHECK_STREQ(id[n], want);
}

/* vouch sign -k kN.key [--passphrase-file] T/models/NAME, signed at sde
 * (0: now). */
static void sign(const char *name, int key, int64_t sde)
{
	char out[4096], keyf[PATH_MAX];
	int rc;

	snprintf(keyf, sizeof(keyf), "%s", P("k%d.key", key));
	if (key == 1)
		rc = vouch(sde, out, sizeof(out), "sign", "-k", keyf, "--passphrase-file",
			   P("pass"), "--name", name, P("models/%s", name), (char *)NULL);
	else
		rc = vouch(sde, out, sizeof(out), "sign", "-k", keyf, "--name", name,
			   P("models/%s", name), (char *)NULL);
	REQUIRE(rc == 0, "vouch sign %s with k%d: exit %d: %s", name, key, rc, out);
}

static void cosign(const char *name, int key)
{
	char out[4096], keyf[PATH_MAX];
	int rc;

	snprintf(keyf, sizeof(keyf), "%s", P("k%d.key", key));
	rc = vouch(0, out, sizeof(out), "cosign", "-k", keyf, P("models/%s/model.sig", name),
		   (char *)NULL);
	REQUIRE(rc == 0, "vouch cosign %s with k%d: exit %d: %s", name, key, rc, out);
}

/* A model directory T/models/NAME holding m.bin (its own bytes). */
static void model(const char *name)
{
	char text[64];

	REQUIRE(mkdir(P("models/%s", name), 0755) == 0, "mkdir %s", name);
	snprintf(text, sizeof(text), "weights of %s\n", name);
	put(P("models/%s/m.bin", name), text);
}

/* ---- trust directories and verdicts -------------------------------------- */

static unsigned ntrust;

/* A fresh trust directory holding the keys listed (1..4; negative: the
 * same key filed again under another name); returns its path. */
static const char *trust_dir(const int *keys, size_t n)
{
	static char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", P("trust%u", ++ntrust));
	REQUIRE(mkdir(dir, 0755) == 0, "mkdir %s", dir);
	for (size_t i = 0; i < n; i++) {
		char to[PATH_MAX + 32];
		int k = keys[i] < 0 ? -keys[i] : keys[i];

		snprintf(to, sizeof(to), "%s/k%d%s.pem", dir, k, keys[i] < 0 ? "-again" : "");
		copy(P("k%d.pub", k), to);
	}
	return dir;
}

/* KEY.ini beside kN.pem in dir. */
static void key_ini(const char *dir, int k, const char *text)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/k%d.ini", dir, k);
	put(path, text);
}

static void revoked(const char *dir, const char *text)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/revoked", dir);
	put(path, text);
}

/* A context over dir with threshold k and clock skew (-1: the default). */
static int ctx_for(const char *dir, unsigned k, long skew, struct vouch_ctx **ctx, char *err,
		   size_t errlen)
{
	struct vouch_config cfg;
	int ret;

	vouch_config_init(&cfg);
	cfg.trust_dir = strdup(dir);
	cfg.threshold = k;
	if (skew >= 0)
		cfg.clock_skew = skew;
	*ctx = NULL;
	ret = vouch_ctx_new(&cfg, ctx, err, errlen);
	vouch_config_clear(&cfg);
	return ret;
}

/* The verdict on T/models/NAME/m.bin, opened as a program would. */
static enum vouch_cause judge(const char *dir, unsigned k, long skew, const char *name,
			      struct vouch_verdict *v)
{
	struct vouch_root root = { .fd = rootfd, .path = rootpath };
	struct vouch_ctx *ctx;
	char err[1024], rel[256];
	enum vouch_cause c;
	int fd, ret;

	ret = ctx_for(dir, k, skew, &ctx, err, sizeof(err));
	REQUIRE(ret == 0, "context for %s, threshold %u: %s", dir, k, err);
	snprintf(rel, sizeof(rel), "%s/m.bin", name);
	fd = openat(rootfd, rel, O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0, "open %s: %s", rel, strerror(errno));
	c = vouch_verify_open(ctx, &root, rel, fd, 0, NULL, v);
	close(fd);
	vouch_ctx_free(ctx);
	return c;
}

#define EXPECT(dir, k, skew, name, want, ...) do { \
	struct vouch_verdict v_; \
	enum vouch_cause c_ = judge(dir, k, skew, name, &v_); \
	CHECK(c_ == (want) && v_.allow == ((want) == VOUCH_CAUSE_OK), \
	      "%s, threshold %u: %s (%s), want %s; signers: %s", name, k, vouch_cause_name(c_), \
	      check_esc(v_.detail), vouch_cause_name(want), check_esc(v_.signers)); \
	__VA_ARGS__ \
} while (0)

/* In an EXPECT's tail: the verdict's signers field (vouch.h: "FILE=WHO(TRUSTFILE):STATUS, ...")
 * holds s. */
#define SIGNERS_HAS(s) CHECK_CONTAINS(v_.signers, s)

static const char *who(const char *file, int k, const char *status)
{
	static char buf[8][256];
	static unsigned n;
	char *b = buf[n++ % 8];

	snprintf(b, 256, "%s=%s(k%d.pem):%s", file, id[k], k, status);
	return b;
}

/* ---- the rules ----------------------------------------------------------- */

static void test_threshold(void)
{
	const char *d;
	char cosig[128];

	snprintf(cosig, sizeof(cosig), "model.sig.d/%s.sig", id[2]);
	/* "two": k1 signed, k2 cosigned. */
	d = trust_dir((int[]){ 1, 2, 3 }, 3);
	EXPECT(d, 1, -1, "two", VOUCH_CAUSE_OK);
	EXPECT(d, 2, -1, "two", VOUCH_CAUSE_OK, SIGNERS_HAS(who("model.sig", 1, "counted"));
	       SIGNERS_HAS(who(cosig, 2, "counted")););
	EXPECT(d, 3, -1, "two", VOUCH_CAUSE_THRESHOLD);
	/* "one": k2 alone. */
	EXPECT(d, 2, -1, "one", VOUCH_CAUSE_THRESHOLD,
	       SIGNERS_HAS(who("model.sig", 2, "counted")););
	/* "three": k2, cosigned by k3 and k4: 3 of 3. */
	d = trust_dir((int[]){ 2, 3, 4 }, 3);
	EXPECT(d, 3, -1, "three", VOUCH_CAUSE_OK);
	EXPECT(d, 2, -1, "three", VOUCH_CAUSE_OK);
	/* A signature by a key not trusted counts for nothing, and is shown
	 * by its hint (the key is not in the bundle). */
	d = trust_dir((int[]){ 2, 3 }, 2);
	EXPECT(d, 1, -1, "two", VOUCH_CAUSE_OK, SIGNERS_HAS("model.sig=hint:");
	       SIGNERS_HAS(":untrusted-key"); SIGNERS_HAS(who(cosig, 2, "counted")););
	EXPECT(d, 2, -1, "two", VOUCH_CAUSE_THRESHOLD);
	/* No trusted signer at all: the primary's cause (docs/policy.md, step 3). */
	d = trust_dir((int[]){ 1, 3 }, 2);
	EXPECT(d, 1, -1, "one", VOUCH_CAUSE_UNTRUSTED_KEY);
	/* A threshold above the signers configured is a configuration error,
	 * never "verified by 0 of 0". */
	{
		struct vouch_ctx *ctx;
		char err[1024];
		int ret;

		d = trust_dir((int[]){ 1, 2 }, 2);
		ret = ctx_for(d, 3, -1, &ctx, err, sizeof(err));
		CHECK(ret < 0 && !ctx, "threshold 3 over 2 keys accepted");
		CHECK_CONTAINS(err, "threshold 3");
		vouch_ctx_free(ctx);
	}
}

static void test_one_signer(void)
{
	const char *d;
	char cosig[128];

	/* "dup": k2 signed; model.sig.d/copy.sig is model.sig copied, and k2
	 * cosigned its own payload: three signatures, one signer. */
	snprintf(cosig, sizeof(cosig), "model.sig.d/%s.sig", id[2]);
	d = trust_dir((int[]){ 2, 3 }, 2);
	EXPECT(d, 2, -1, "dup", VOUCH_CAUSE_THRESHOLD, SIGNERS_HAS(who("model.sig", 2, "counted"));
	       SIGNERS_HAS(who("model.sig.d/copy.sig", 2, "same-signer"));
	       SIGNERS_HAS(who(cosig, 2, "same-signer")););
	EXPECT(d, 1, -1, "dup", VOUCH_CAUSE_OK);
	/* One key filed twice in the trust directory is one signer: k2 alone
	 * does not make 2 of {k2, k2 again, k3}. */
	d = trust_dir((int[]){ 2, -2, 3 }, 3);
	EXPECT(d, 2, -1, "one", VOUCH_CAUSE_THRESHOLD);
	EXPECT(d, 2, -1, "dup", VOUCH_CAUSE_THRESHOLD);
	EXPECT(d, 1, -1, "one", VOUCH_CAUSE_OK);
}

static void test_revocation(void)
{
	const char *d;
	char text[512], out[4096];
	int rc;

	/* docs/policy.md: "A signature by a revoked key fails (revoked-key)
	 * even if its .pem is still present." */
	d = trust_dir((int[]){ 2, 3 }, 2);
	snprintf(text, sizeof(text), "%s\n", id[2]);
	revoked(d, text);
	EXPECT(d, 1, -1, "one", VOUCH_CAUSE_REVOKED_KEY,
	       SIGNERS_HAS(who("model.sig", 2, "revoked-key")););
	/* '#' comments and blank lines; a revoked id with no key file. */
	d = trust_dir((int[]){ 2, 3 }, 2);
	snprintf(text, sizeof(text), "# retired 2026-11\n\n  %s   # k2, leaked\n%s\n", id[2],
		 id[4]);
	revoked(d, text);
	EXPECT(d, 1, -1, "one", VOUCH_CAUSE_REVOKED_KEY);
	/* A revoked cosigner: the others still count; revoked keys count for
	 * the configuration check (a revocation never makes a config fail to
	 * load), so threshold 3 over {k1 revoked, k2, k3} loads and denies. */
	d = trust_dir((int[]){ 1, 2, 3 }, 3);
	snprintf(text, sizeof(text), "%s\n", id[1]);
	revoked(d, text);
	EXPECT(d, 1, -1, "two", VOUCH_CAUSE_OK, SIGNERS_HAS(who("model.sig", 1, "revoked-key")););
	EXPECT(d, 2, -1, "two", VOUCH_CAUSE_THRESHOLD);
	EXPECT(d, 3, -1, "two", VOUCH_CAUSE_THRESHOLD);
	/* Another key's id revokes nothing here. */
	d = trust_dir((int[]){ 2 }, 1);
	snprintf(text, sizeof(text), "%s\n", id[3]);
	revoked(d, text);
	EXPECT(d, 1, -1, "one", VOUCH_CAUSE_OK);
	/* `vouch trust revoke --trust DIR KEY.pub` writes the id. */
	d = trust_dir((int[]){ 2, 3 }, 2);
	rc = vouch(0, out, sizeof(out), "trust", "revoke", "--trust", d, P("k2.pub"), (char *)NULL);
	CHECK(rc == 0, "vouch trust revoke: exit %d: %s", rc, out);
	EXPECT(d, 1, -1, "one", VOUCH_CAUSE_REVOKED_KEY);
	/* A line that is not a key id is a configuration error, never a
	 * revocation silently not applied (an upper-case id would match
	 * nothing). */
	{
		struct vouch_ctx *ctx;
		char err[1024], upper[VOUCH_KEYID_LEN + 2];
		int ret;

		for (size_t i = 0; i <= VOUCH_KEYID_LEN; i++)
			upper[i] = (char)(id[2][i] >= 'a' && id[2][i] <= 'f' ? id[2][i] - 32 :
					  id[2][i]);
		d = trust_dir((int[]){ 2, 3 }, 2);
		snprintf(text, sizeof(text), "# ok\n%s\n", upper);
		revoked(d, text);
		ret = ctx_for(d, 1, -1, &ctx, err, sizeof(err));
		CHECK(ret < 0 && !ctx, "an upper-case id in revoked accepted");
		CHECK_CONTAINS(err, "revoked:2");
		vouch_ctx_free(ctx);
	}
}

/* KEY.ini "not_before = T1\nnot_after = T2\n" (0: left out). */
static void window(const char *dir, int k, int64_t nb, int64_t na)
{
	char text[256], a[32], b[32];
	size_t n = 0;

	text[0] = '\0';
	if (nb) {
		vouch_time_format(nb, b);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "not_before = %s\n", b);
	}
	if (na) {
		vouch_time_format(na, a);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "not_after = %s\n", a);
	}
	key_ini(dir, k, text);
}

static void test_windows(void)
{
	const char *d;

	/* "fresh": k2, signed now.  "old": k2, signed two days ago.
	 * "future": k2, signed tomorrow. */
	d = trust_dir((int[]){ 2 }, 1);
	window(d, 2, now - DAY, now + DAY);
	EXPECT(d, 1, -1, "fresh", VOUCH_CAUSE_OK);               /* inside */
	d = trust_dir((int[]){ 2 }, 1);
	window(d, 2, now + DAY, 0);
	EXPECT(d, 1, -1, "fresh", VOUCH_CAUSE_EXPIRED,           /* before */
	       SIGNERS_HAS(who("model.sig", 2, "expired")););
	d = trust_dir((int[]){ 2 }, 1);
	window(d, 2, 0, now - DAY);
	/* after: nothing it signed loads */
	EXPECT(d, 1, -1, "old", VOUCH_CAUSE_EXPIRED);
	EXPECT(d, 1, -1, "fresh", VOUCH_CAUSE_EXPIRED);
	/* Now inside the window, but the signature made before it. */
	d = trust_dir((int[]){ 2 }, 1);
	window(d, 2, now - DAY, now + DAY);
	EXPECT(d, 1, -1, "old", VOUCH_CAUSE_EXPIRED);
	/* The edges move by clock_skew (default 300 s), both ways. */
	d = trust_dir((int[]){ 2 }, 1);
	window(d, 2, now + 100, 0);
	EXPECT(d, 1, -1, "fresh", VOUCH_CAUSE_OK);
	EXPECT(d, 1, 0, "fresh", VOUCH_CAUSE_EXPIRED);
	d = trust_dir((int[]){ 2 }, 1);
	window(d, 2, 0, now - 100);
	EXPECT(d, 1, -1, "fresh", VOUCH_CAUSE_OK);
	EXPECT(d, 1, 0, "fresh", VOUCH_CAUSE_EXPIRED);
	/* A signature made after the skew's reach in the future. */
	d = trust_dir((int[]){ 2 }, 1);
	EXPECT(d, 1, -1, "future", VOUCH_CAUSE_EXPIRED);
	EXPECT(d, 1, -1, "fresh", VOUCH_CAUSE_OK);
	/* A cosigner outside its window does not count; the primary does. */
	d = trust_dir((int[]){ 1, 2 }, 2);
	window(d, 2, 0, now - DAY);
	EXPECT(d, 1, -1, "two", VOUCH_CAUSE_OK);
	EXPECT(d, 2, -1, "two", VOUCH_CAUSE_THRESHOLD, SIGNERS_HAS(":expired"););
	/* The [key] section is allowed; roles limit the names a key signs. */
	d = trust_dir((int[]){ 2 }, 1);
	key_ini(d, 2, "[key]\nmodels = fr*, other\n");
	EXPECT(d, 1, -1, "fresh", VOUCH_CAUSE_OK);
	EXPECT(d, 1, -1, "one", VOUCH_CAUSE_UNTRUSTED_KEY);
	/* A window that cannot be read is a configuration error. */
	{
		struct vouch_ctx *ctx;
		char err[1024];

		d = trust_dir((int[]){ 2 }, 1);
		key_ini(d, 2, "not_after = next year\n");
		CHECK(ctx_for(d, 1, -1, &ctx, err, sizeof(err)) < 0 && !ctx,
		      "not_after = next year");
		CHECK_CONTAINS(err, "k2.ini");
		vouch_ctx_free(ctx);
	}
}

int main(void)
{
	const char *build = getenv("VOUCH_BUILD"), *tmp = getenv("TMPDIR");
	char cmd[PATH_MAX + 16];

	REQUIRE(vouch_init() == 0, "vouch_init");
	snprintf(VOUCH, sizeof(VOUCH), "%s/bin/vouch", build && *build ? build : "./build");
	REQUIRE(access(VOUCH, X_OK) == 0, "no CLI at %s (set VOUCH_BUILD): %s", VOUCH,
		strerror(errno));
	snprintf(T, sizeof(T), "%s/vouch-trust.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	REQUIRE(mkdtemp(T), "mkdtemp %s: %s", T, strerror(errno));
	umask(022);
	now = (int64_t)time(NULL);

	/* Keys and models, as a user makes them. */
	put(P("pass"), "correct horse battery staple\n");
	REQUIRE(chmod(P("pass"), 0600) == 0, "chmod");
	for (int k = 1; k <= 4; k++)
		keygen(k);
	REQUIRE(mkdir(P("models"), 0755) == 0, "mkdir");
	model("two");
	sign("two", 1, 0);
	cosign("two", 2);
	model("one");
	sign("one", 2, 0);
	model("three");
	sign("three", 2, 0);
	cosign("three", 3);
	cosign("three", 4);
	model("dup");
	sign("dup", 2, 0);
	REQUIRE(mkdir(P("models/dup/model.sig.d"), 0755) == 0, "mkdir");
	copy(P("models/dup/model.sig"), P("models/dup/model.sig.d/copy.sig"));
	cosign("dup", 2);
	model("fresh");
	sign("fresh", 2, 0);
	model("old");
	sign("old", 2, now - 2 * DAY);
	model("future");
	sign("future", 2, now + DAY);

	snprintf(rootpath, sizeof(rootpath), "%s", P("models"));
	rootfd = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	REQUIRE(rootfd >= 0, "open %s", rootpath);

	test_threshold();
	test_one_signer();
	test_revocation();
	test_windows();

	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", T);
	CHECK_EXIT();
}
