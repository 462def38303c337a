/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_trust.c - libFuzzer harness for a trust directory's own text files
 * (trust.c): KEY.ini beside a trusted key (inih, then key_ini_handler:
 * [key] not_before, not_after, models) and the `revoked` list
 * (vouch_revoked_load).  Both parsers are static or reached only through a
 * directory, so the input is written into one: KEY.ini, then (after the
 * first NUL byte, if any) the revoked file; with no NUL there is no revoked
 * file.  The directory (one fixed Ed25519 public key, k.pem, 0644) is in the
 * harness's private temp dir and is loaded with vouch_trust_list
 * (vouch_trust_load with threshold 0, as `vouch trust list`).
 *
 * Checks: a refusal names the trust directory; an accepted directory lists
 * the key, with not_after after not_before when both are set, its models
 * globs non-empty and trimmed, and exactly the revoked ids an independent
 * reading of the file finds (the key itself revoked iff its id is listed).
 * The revoked list is cut at its first NUL byte, as the parser reads it
 * (a C string): set FUZZ_TRUST_STRICT_NUL=1 to check the whole file instead
 * (see the fuzzing report: a revocation after a NUL byte is ignored).
 */
#include "vouch.h"
#include "fuzz_common.h"

#include <stdbool.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A throwaway key made for this harness (public half only: nothing signs). */
static const char key_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEAZ84TI/HqfoJNDi4Xx6gbxjKOcsRZuqKhvoYobZTHKR0=\n"
	"-----END PUBLIC KEY-----\n";

static char dir[1100], ini[1200], revoked[1200];
static char key_id[VOUCH_KEYID_LEN + 1];
static bool strict_nul;

static void setup(void)
{
	struct vouch_key *k = NULL;
	char path[1200], err[256];

	vouch_init();
	fz_path(dir, sizeof(dir), "trust");
	fz_mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/k.pem", dir);
	fz_write(path, key_pem, strlen(key_pem), 0644);
	snprintf(ini, sizeof(ini), "%s/k.ini", dir);
	snprintf(revoked, sizeof(revoked), "%s/revoked", dir);
	if (vouch_key_from_pem(key_pem, strlen(key_pem), &k, err, sizeof(err)))
		abort();
	snprintf(key_id, sizeof(key_id), "%s", vouch_key_id(k));
	vouch_key_free(k);
	strict_nul = getenv("FUZZ_TRUST_STRICT_NUL") && atoi(getenv("FUZZ_TRUST_STRICT_NUL"));
}

/* The revoked file as docs/policy.md describes it: one key id (64 lowercase
 * hex digits) per line, blanks around it, '#' to the end of the line a
 * comment, blank lines skipped; anything else refuses the whole file.
 * Returns the number of ids (into ids) or -1 for a file to refuse. */
static int revoked_oracle(const uint8_t *p, size_t n, char ids[][VOUCH_KEYID_LEN + 1], int max)
{
	int count = 0;

	if (!strict_nul) {
		const uint8_t *z = memchr(p, '\0', n);
		if (z)
			n = (size_t)(z - p);
	}
	for (size_t i = 0; i < n;) {
		size_t e = i, b, l;

		while (e < n && p[e] != '\n')
			e++;
		b = i;
		while (b < e && (p[b] == ' ' || p[b] == '\t'))
			b++;
		l = b;
		while (l < e && p[l] != '#')
			l++;
		while (l > b && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\r'))
			l--;
		if (l > b) {
			if (l - b != VOUCH_KEYID_LEN)
				return -1;
			for (size_t k = b; k < l; k++)
				if (!((p[k] >= '0' && p[k] <= '9') || (p[k] >= 'a' && p[k] <= 'f')))
					return -1;
			if (count < max) {
				memcpy(ids[count], p + b, VOUCH_KEYID_LEN);
				ids[count][VOUCH_KEYID_LEN] = '\0';
			}
			count++;
		}
		i = e + 1;
	}
	return count;
}

static bool in_list(char ids[][VOUCH_KEYID_LEN + 1], int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(ids[i], id))
			return true;
	return false;
}

static void check_models(const char *m)
{
	/* vouch_trust_list joins the globs with ", "; a glob holds no ','. */
	for (const char *p = m;;) {
		const char *e = strstr(p, ", ");
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == 0 || p[0] == ' ' || p[0] == '\t' || p[l - 1] == ' ' || p[l - 1] == '\t' ||
		    memchr(p, ',', l))
			abort();        /* an empty or untrimmed glob */
		if (!e)
			break;
		p = e + 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char ids[4096][VOUCH_KEYID_LEN + 1];
	struct vouch_trust_entry *v = NULL;
	const uint8_t *a, *b;
	size_t alen, blen, n = 0, nrev = 0;
	char err[512];
	int ret, want;
	bool have_revoked, seen_key = false;

	if (!dir[0])
		setup();
	if (size > (1u << 20))
		return 0;
	fz_split(data, size, &a, &alen, &b, &blen);
	have_revoked = alen < size;
	fz_write(ini, a, alen, 0644);
	if (have_revoked)
		fz_write(revoked, b, blen, 0644);
	else
		unlink(revoked);
	want = have_revoked ? revoked_oracle(b, blen, ids, 4096) : 0;
	if (want > 4096)
		return 0;               /* more ids than the oracle keeps */

	err[0] = '\0';
	ret = vouch_trust_list(dir, &v, &n, err, sizeof(err));
	if (ret > 0)
		abort();
	if (ret < 0) {
		if (ret != -ENOMEM && !strstr(err, dir))
			abort();        /* a refusal names the directory */
		/* A revoked file the oracle accepts may still fail for KEY.ini;
		 * one it refuses must never load. */
		return 0;
	}
	if (want < 0)
		abort();                /* a malformed revoked file was accepted */
	for (size_t i = 0; i < n; i++) {
		if (strlen(v[i].keyid) != VOUCH_KEYID_LEN)
			abort();
		if (!strcmp(v[i].type, "-")) {
			if (!v[i].revoked || !in_list(ids, want, v[i].keyid))
				abort();        /* listed revoked, but not in the file */
			nrev++;
			continue;
		}
		if (strcmp(v[i].keyid, key_id) || seen_key)
			abort();                /* one key, ours */
		seen_key = true;
		if (v[i].revoked != in_list(ids, want, key_id))
			abort();
		if (v[i].not_before && v[i].not_after && v[i].not_after <= v[i].not_before)
			abort();
		if (v[i].models)
			check_models(v[i].models);
	}
	if (!seen_key)
		abort();
	/* every id in the file is listed (duplicates as often as they occur) */
	for (int i = 0; i < want && i < 4096; i++) {
		bool found = !strcmp(ids[i], key_id);
		for (size_t k = 0; k < n && !found; k++)
			found = !strcmp(v[k].keyid, ids[i]);
		if (!found)
			abort();
	}
	(void)nrev;
	vouch_trust_list_free(v, n);
	return 0;
}
