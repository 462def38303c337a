/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_pubkey.c - libFuzzer harness for public key files (key.c): arbitrary
 * bytes into vouch_key_from_pem() (what vouch_key_load, a trust directory's
 * KEY.pem and `vouch trust add` read: PEM SubjectPublicKeyInfo, then
 * vouch_key_from_evp's type, curve and explicit-parameter checks and the
 * canonical re-encoding the key id and hint are taken from).
 *
 * Checks: an accepted key has a known type and a 64-hex id and hint; its
 * canonical PEM reads back as the same key (same id, hint and type: one key,
 * one id, whatever form it was written in); a check of an arbitrary
 * signature over arbitrary bytes does not crash and does not verify.
 */
#include "vouch_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool hex64(const char *s)
{
	return strlen(s) == VOUCH_KEYID_LEN && strspn(s, "0123456789abcdef") == VOUCH_KEYID_LEN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct vouch_key *k = NULL, *again = NULL;
	char err[256], *pem;
	int ret;

	if (!init) {
		vouch_init();
		init = true;
	}
	if (size > (64u << 10))
		return 0;               /* vouch_key_load reads at most 64 KiB */
	err[0] = '\0';
	ret = vouch_key_from_pem(data, size, &k, err, sizeof(err));
	if (ret > 0 || (ret == 0) != (k != NULL))
		abort();
	if (ret) {
		if (!err[0] && ret != -ENOMEM)
			abort();        /* every refusal says why */
		return 0;
	}
	if (!strcmp(vouch_key_type(k), "unknown") || !hex64(vouch_key_id(k)) ||
	    !hex64(vouch_key_hint(k)))
		abort();
	pem = vouch_key_pem(k);
	if (!pem)
		abort();
	if (vouch_key_from_pem(pem, strlen(pem), &again, err, sizeof(err)) ||
	    strcmp(vouch_key_id(k), vouch_key_id(again)) ||
	    strcmp(vouch_key_hint(k), vouch_key_hint(again)) ||
	    strcmp(vouch_key_type(k), vouch_key_type(again)))
		abort();                /* the canonical form is a fixed point */
	{
		/* An all-zero "signature" of the right size for Ed25519 and a
		 * DER-shaped one for ECDSA: neither may verify. */
		static const uint8_t zero[64];
		static const uint8_t der[8] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01 };

		if (vouch_key_verify(k, data, size, zero, sizeof(zero), NULL) ||
		    vouch_key_verify(k, data, size, der, sizeof(der), NULL))
			abort();
	}
	free(pem);
	vouch_key_free(again);
	vouch_key_free(k);
	return 0;
}
