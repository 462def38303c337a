/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_horizon.c - the trust rules' horizons (trust.c): authenticating a
 * signature gives its cause and the moment the clock alone could change it
 * (auth.until), which is how long the verdict cache keeps the result.  A
 * horizon later than an edge of a rule that decided would let a cached
 * verdict outlive its key window or its signature's expiry; one that comes
 * from a rule that did not decide (another key's window) only costs a
 * re-decision.  Expected values are the edges of docs/policy.md: a window
 * [not_before, not_after] and expires are widened by clock_skew, so a
 * key counts from not_before - skew and until not_after + skew inclusive
 * (the outcome changes one second later); signed_at in the future counts
 * from signed_at - skew.  Real keys, real signatures (vouch_keygen,
 * vouch_sign_path), a real context (vouch_ctx_new on a trust directory).
 */
#include "verify_i.h"
#include "check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SKEW 10

static int64_t now;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	REQUIRE(f && fputs(text, f) >= 0 && fclose(f) == 0, "writing %s", path);
}

/* A model "m-NAME" signed by key k at signed_at, expiring at expires (0:
 * never). */
static void sign_model(const char *name, int64_t signed_at, int64_t expires)
{
	struct vouch_signer *s = NULL;
	struct vouch_sign_opts o = { .signed_at = signed_at, .expires = expires, .method = "files" };
	char dir[64], file[80], err[256] = "";

	snprintf(dir, sizeof(dir), "m-%s", name);
	snprintf(file, sizeof(file), "%s/w.bin", dir);
	REQUIRE(mkdir(dir, 0755) == 0, "mkdir %s", dir);
	write_file(file, "weights");
	REQUIRE(vouch_signer_load("k.key", NULL, &s, err, sizeof(err)) == 0, "signer: %s", err);
	REQUIRE(vouch_sign_path(s, dir, &o, err, sizeof(err)) == 0, "signing %s: %s", dir, err);
	vouch_signer_free(s);
}

/* A trust directory "t-NAME" holding k.pub (with k.ini = INI if not NULL)
 * and, if OTHER_INI is not NULL, the other key o.pub with o.ini. */
static void trust_dir(const char *name, const char *ini, const char *other_ini, bool revoke)
{
	char dir[64], path[128], cmd[256];

	snprintf(dir, sizeof(dir), "t-%s", name);
	REQUIRE(mkdir(dir, 0755) == 0, "mkdir %s", dir);
	snprintf(cmd, sizeof(cmd), "cp k.pub %s/ && chmod 644 %s/k.pub", dir, dir);
	REQUIRE(system(cmd) == 0, "%s", cmd);
	if (ini) {
		snprintf(path, sizeof(path), "%s/k.ini", dir);
		write_file(path, ini);
	}
	if (other_ini) {
		snprintf(cmd, sizeof(cmd), "cp o.pub %s/", dir);
		REQUIRE(system(cmd) == 0, "%s", cmd);
		snprintf(path, sizeof(path), "%s/o.ini", dir);
		write_file(path, other_ini);
	}
	if (revoke) {
		struct vouch_key *k = NULL;
		char err[200], line[128];

		REQUIRE(vouch_key_load("k.pub", &k, err, sizeof(err)) == 0, "k.pub: %s", err);
		snprintf(path, sizeof(path), "%s/revoked", dir);
		snprintf(line, sizeof(line), "%s\n", vouch_key_id(k));
		write_file(path, line);
		vouch_key_free(k);
	}
}

static const char *rfc3339(int64_t t)
{
	static char buf[4][32];
	static unsigned n;
	char *b = buf[n++ % 4];

	vouch_time_format(t, b);
	return b;
}

/* Authenticate m-MODEL/model.sig under trust dir t-TRUST (threshold k). */
static void auth_of(const char *model, const char *trust, unsigned threshold, struct vouch_auth *auth)
{
	struct vouch_config cfg;
	struct vouch_ctx *ctx = NULL;
	char dir[64], abs[4096], sig[96], err[256] = "";
	int fd;

	vouch_config_init(&cfg);
	snprintf(dir, sizeof(dir), "t-%s", trust);
	REQUIRE(realpath(dir, abs), "realpath %s", dir);
	cfg.trust_dir = strdup(abs);
	cfg.clock_skew = SKEW;
	cfg.threshold = threshold;
	REQUIRE(vouch_ctx_new(&cfg, &ctx, err, sizeof(err)) == 0, "context on %s: %s", dir, err);
	snprintf(sig, sizeof(sig), "m-%s/model.sig", model);
	fd = open(sig, O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0, "open %s", sig);
	vouch_authenticate_fd(ctx, AT_FDCWD, fd, sig, auth);
	close(fd);
	vouch_ctx_free(ctx);
	vouch_config_clear(&cfg);
}

#define EXPECT(model, trust, k, want_cause, want_until, why) do { \
	struct vouch_auth a_; \
	int64_t w_ = (want_until); \
	auth_of(model, trust, k, &a_); \
	CHECK(a_.cause == (want_cause) && a_.until == w_, "%s: %s, until %lld (%+lld from now), " \
	      "want %s until %lld (%+lld); detail: %s", why, vouch_cause_name(a_.cause), \
	      (long long)a_.until, (long long)(a_.until ? a_.until - now : 0), \
	      vouch_cause_name(want_cause), (long long)w_, (long long)(w_ ? w_ - now : 0), \
	      check_esc(a_.detail)); \
	vouch_auth_clear(&a_); \
} while (0)

int main(void)
{
	char dir[4096], err[256], id[VOUCH_KEYID_LEN + 1], ini[256];
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/horizon.XXXXXX", tmp ? tmp : "/tmp");
	REQUIRE(vouch_init() == 0, "vouch_init");
	REQUIRE(mkdtemp(dir) && chdir(dir) == 0, "temp dir %s", dir);
	REQUIRE(vouch_keygen("k", NULL, 0, id, err, sizeof(err)) == 0, "keygen: %s", err);
	REQUIRE(vouch_keygen("o", NULL, 0, id, err, sizeof(err)) == 0, "keygen: %s", err);
	now = (int64_t)time(NULL);

	/* Signed a minute ago; one expiring in 1000 s; one signed 100 s ahead. */
	sign_model("plain", now - 60, 0);
	sign_model("exp", now - 60, now + 1000);
	sign_model("future", now + 100, 0);
	sign_model("expired", now - 600, now - 300);

	trust_dir("none", NULL, NULL, false);
	EXPECT("plain", "none", 1, VOUCH_CAUSE_OK, 0, "no window, no expiry: never");
	EXPECT("exp", "none", 1, VOUCH_CAUSE_OK, now + 1000 + SKEW + 1,
	       "expires: one second after expires + skew");
	EXPECT("future", "none", 1, VOUCH_CAUSE_EXPIRED, now + 100 - SKEW,
	       "signed_at ahead: refused until signed_at - skew");
	EXPECT("expired", "none", 1, VOUCH_CAUSE_EXPIRED, 0,
	       "expired for good: no edge ahead, nothing can change it");

	/* The key's window ends before the signature expires: the earlier edge. */
	snprintf(ini, sizeof(ini), "not_after = %s\n", rfc3339(now + 500));
	trust_dir("na", ini, NULL, false);
	EXPECT("exp", "na", 1, VOUCH_CAUSE_OK, now + 500 + SKEW + 1,
	       "not_after before expires: not_after + skew + 1");
	EXPECT("plain", "na", 1, VOUCH_CAUSE_OK, now + 500 + SKEW + 1, "not_after alone");

	/* A window that has not begun: refused now, and the edge is its start. */
	snprintf(ini, sizeof(ini), "not_before = %s\n", rfc3339(now + 200));
	trust_dir("nb", ini, NULL, false);
	EXPECT("plain", "nb", 1, VOUCH_CAUSE_EXPIRED, now + 200 - SKEW,
	       "not_before ahead: refused, lapses at not_before - skew");

	/* Another trusted key's window decides nothing for this signature. */
	snprintf(ini, sizeof(ini), "not_after = %s\n", rfc3339(now + 50));
	trust_dir("other", NULL, ini, false);
	EXPECT("exp", "other", 1, VOUCH_CAUSE_OK, now + 1000 + SKEW + 1,
	       "a window of a key that made no signature here is not this verdict's edge");

	/* Refused for another reason: the time rules still give their edges
	 * (a window opening could change a refusal into an allow). */
	trust_dir("both", NULL, "", false);
	EXPECT("exp", "both", 2, VOUCH_CAUSE_THRESHOLD, now + 1000 + SKEW + 1,
	       "threshold not met: the expiry edge still bounds the cached refusal");
	snprintf(ini, sizeof(ini), "not_after = %s\n", rfc3339(now + 500));
	trust_dir("rev", ini, NULL, true);
	EXPECT("plain", "rev", 1, VOUCH_CAUSE_REVOKED_KEY, now + 500 + SKEW + 1,
	       "revoked: the window's edge is still reported");

	/* signed_at 0 means now (vouch.h), not 1970: a library caller's
	 * signature must count under a key window that began this year. */
	unsetenv("SOURCE_DATE_EPOCH");
	sign_model("zero", 0, 0);
	snprintf(ini, sizeof(ini), "not_before = %s\n", rfc3339(now - 3600));
	trust_dir("recent", ini, NULL, false);
	{
		struct vouch_auth a;

		auth_of("zero", "recent", 1, &a);
		CHECK(a.cause == VOUCH_CAUSE_OK && a.b && a.b->st.meta.signed_at >= now &&
		      a.b->st.meta.signed_at <= now + 60, "signed_at 0: %s, signed at %lld (now %lld)",
		      vouch_cause_name(a.cause), a.b ? (long long)a.b->st.meta.signed_at : 0LL,
		      (long long)now);
		vouch_auth_clear(&a);
	}

	/* The skew works both ways: signed_at within the skew ahead is fine,
	 * and the edge is already behind us. */
	sign_model("near", now + SKEW - 2, 0);
	EXPECT("near", "none", 1, VOUCH_CAUSE_OK, 0, "signed_at within the skew: allowed, no edge");
	CHECK_EXIT();
}
