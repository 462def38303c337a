/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_attest.c - libFuzzer harness for the quote document and the
 * measurement log (attest.c's vouch_attest_check, measure.c's
 * vouch_mline_parse): the input is a quote file as `vouch attest verify`
 * reads it, checked with the signature check off (so the TPMS_ATTEST
 * parser, the nonce and index checks and the log replay are reached), and
 * each of its lines as a log line.
 *
 * Checks: no crash, no leak; every refusal says why; a document accepted
 * reports only models with a name and a digest.
 */
#include "attest_i.h"
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void seen(void *arg, const struct vouch_attested *m)
{
	(void)arg;
	if (!m->model || !m->digest || !m->path)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t nonce[4] = { 1, 2, 3, 4 };
	char err[256] = "", lerr[160];
	char *copy = malloc(size + 1);
	enum vouch_cause c;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	c = vouch_attest_check(copy, size, "", 0, nonce, sizeof(nonce), false, seen, NULL, err,
			       sizeof(err));
	if (c != VOUCH_CAUSE_OK && !err[0])
		abort();
	/* Each line as a measurement log line. */
	for (char *l = copy, *e; l && *l; l = e ? e + 1 : NULL) {
		struct vouch_mline ml;
		e = strchr(l, '\n');
		if (e)
			*e = '\0';
		lerr[0] = '\0';
		if (vouch_mline_parse(l, strlen(l), &ml, lerr, sizeof(lerr)) && !lerr[0])
			abort();
	}
	free(copy);
	return 0;
}
