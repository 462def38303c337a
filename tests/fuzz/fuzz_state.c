/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_state.c - libFuzzer harness for the anti-rollback state files
 * (state.c's static state_read, and the reading in admin.c's
 * vouch_state_list): the input is the mark file of one model name,
 * state_dir/SHA256(name).json, in the harness's private temp dir.  It is
 * read through the narrowest entries that reach the parsers:
 * vouch_state_check on a real context (read-only state_dir) at version 0
 * and at the largest version, and vouch_state_list.
 *
 * Checks: the only causes are ok, rollback, malformed and io-error, and every
 * refusal says why; the two checks agree (a corrupt file is corrupt at every
 * version, never a silent reset: a rollback at version 0 only, never at the
 * largest); the listing reports the one file, with a name.
 */
#include "verify_i.h"
#include "fuzz_common.h"

#include <openssl/sha.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz-model"

static const char key_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEAZ84TI/HqfoJNDi4Xx6gbxjKOcsRZuqKhvoYobZTHKR0=\n"
	"-----END PUBLIC KEY-----\n";

static struct vouch_ctx *ctx;
static char state[1100], mark[1200];

static void setup(void)
{
	struct vouch_config cfg;
	char keyfile[1200], err[512], hex[2 * SHA256_DIGEST_LENGTH + 1];
	uint8_t md[SHA256_DIGEST_LENGTH];

	vouch_init();
	fz_path(state, sizeof(state), "state");
	fz_mkdir(state, 0755);
	fz_path(keyfile, sizeof(keyfile), "k.pem");
	fz_write(keyfile, key_pem, strlen(key_pem), 0644);
	SHA256((const uint8_t *)NAME, strlen(NAME), md);
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(mark, sizeof(mark), "%s/%s.json", state, hex);

	vouch_config_init(&cfg);
	cfg.mode = VOUCH_MODE_ENFORCE;
	vouch_config_add(&cfg.pubkeys, &cfg.npubkeys, keyfile);
	cfg.state_dir = strdup(state);
	cfg.state_readonly = true;
	if (vouch_ctx_new(&cfg, &ctx, err, sizeof(err))) {
		fprintf(stderr, "fuzz_state: %s\n", err);
		abort();
	}
	vouch_config_clear(&cfg);
}

struct listing {
	int calls;
};

static void on_state(void *arg, const char *name, uint64_t version, const char *updated)
{
	struct listing *l = arg;

	(void)version;
	(void)updated;
	if (!name)
		abort();
	(void)strlen(name);
	if (updated)
		(void)strlen(updated);
	l->calls++;
}

static bool known(enum vouch_cause c)
{
	return c == VOUCH_CAUSE_OK || c == VOUCH_CAUSE_ROLLBACK || c == VOUCH_CAUSE_MALFORMED ||
	       c == VOUCH_CAUSE_IO_ERROR;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct listing l = { 0 };
	enum vouch_cause lo, hi;
	char d1[256], d2[256], err[256];

	if (!ctx)
		setup();
	if (size > (64u << 10))
		return 0;               /* state.c reads at most 64 KiB */
	fz_write(mark, data, size, 0644);
	d1[0] = d2[0] = '\0';
	lo = vouch_state_check(ctx, NAME, 0, d1, sizeof(d1));
	hi = vouch_state_check(ctx, NAME, UINT64_MAX, d2, sizeof(d2));
	if (!known(lo) || !known(hi))
		abort();
	if ((lo != VOUCH_CAUSE_OK && !d1[0]) || (hi != VOUCH_CAUSE_OK && !d2[0]))
		abort();                /* every refusal says why */
	if (hi == VOUCH_CAUSE_ROLLBACK)
		abort();                /* nothing is above the largest version */
	if ((lo == VOUCH_CAUSE_MALFORMED) != (hi == VOUCH_CAUSE_MALFORMED))
		abort();                /* corrupt at one version, fine at another */
	if (hi == VOUCH_CAUSE_OK && lo != VOUCH_CAUSE_OK && lo != VOUCH_CAUSE_ROLLBACK)
		abort();
	if (vouch_state_list(state, on_state, &l, err, sizeof(err)) || l.calls != 1)
		abort();                /* the one file, listed once */
	return 0;
}
