/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_seckey.c - libFuzzer harness for signing-key files (keyfile.c,
 * signer.c): vouch_signer_load() on a file in the harness's private temp
 * dir, which reaches vouch_sk_read and vouch_sk_open (the "VOUCH PRIVATE
 * KEY" armor, its base64, the key blob: magic, kind, encryption, KDF
 * bounds, the seed against the public key) and OpenSSL's PEM private keys
 * (PKCS#8, SEC1) with the Ed25519-from-seed and EC paths of signer.c.
 *
 * Two forms of input, so that mutations reach the blob as well as the armor:
 *  - anything not starting with a NUL byte is the file itself, and no
 *    passphrase can be read (its file does not exist): an encrypted vouch
 *    key stops before the KDF and an encrypted PEM key before its
 *    PBKDF2/scrypt, whose cost the file chooses;
 *  - a NUL byte, then a raw key blob, which the harness armors as vouch
 *    writes it.  When the blob asks for Argon2id at the cheapest cost
 *    (opslimit <= 2, memlimit <= 64 KiB) the passphrase "fuzz" is given,
 *    so the secretbox opening and the seed check run too; any dearer cost
 *    gets no passphrase (a hostile file may ask for up to 16 passes over
 *    1 GiB, which keyfile.c bounds but a fuzzer cannot afford per input).
 *    The blob layout (offsets of opslimit and memlimit) is keyfile.c's
 *    struct sk_blob: keep them in step.
 *
 * Checks: a refusal says why; a loaded signer signs, and its signature
 * verifies with its own public key (a key file whose seed and public key
 * disagree must never load).  For EC PEM keys that last check runs only
 * with FUZZ_STRICT=1: signer.c takes an EC key's public half from the file
 * without checking it against the private scalar (found by this harness;
 * see the fuzzing report), and the smoke run must not fail on a known bug.
 * Drop the exception when signer.c checks the pair.
 *
 * Seeds: throwaway keys made for this harness (and tests/keys/golden.key,
 * public on purpose); none is trusted anywhere.
 */
#include "vouch_i.h"
#include "fuzz_common.h"

#include <sodium.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BLOB_OPS 10             /* struct sk_blob: magic[8] kind enc opslimit[8] memlimit[8] */
#define BLOB_MEM 18
#define BLOB_ENC 9

static char keyfile[1200], passfile[1200], nopass[1200];
static bool strict;

static void setup(void)
{
	vouch_init();
	strict = getenv("FUZZ_STRICT") && atoi(getenv("FUZZ_STRICT"));
	fz_path(keyfile, sizeof(keyfile), "k.key");
	fz_path(passfile, sizeof(passfile), "pass");
	fz_path(nopass, sizeof(nopass), "no-such-passphrase-file");
	fz_write(passfile, "fuzz\n", 5, 0600);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* The blob armored as vouch_keygen writes it (64 columns). */
static char *armor(const uint8_t *blob, size_t n, size_t *outlen)
{
	size_t b64len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(b64len), *out = malloc(b64len + b64len / 64 + 128), *p;
	size_t l;

	if (!b64 || !out)
		abort();
	sodium_bin2base64(b64, b64len, blob, n, sodium_base64_VARIANT_ORIGINAL);
	p = out + sprintf(out, "-----BEGIN VOUCH PRIVATE KEY-----\n");
	l = strlen(b64);
	for (size_t i = 0; i < l; i += 64) {
		size_t k = l - i < 64 ? l - i : 64;

		memcpy(p, b64 + i, k);
		p += k;
		*p++ = '\n';
	}
	p += sprintf(p, "-----END VOUCH PRIVATE KEY-----\n");
	*outlen = (size_t)(p - out);
	free(b64);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouch_passphrase pp = { .file = nopass, .fd = -1 };
	struct vouch_signer *s = NULL;
	char err[512];
	int ret;

	if (!keyfile[0])
		setup();
	if (size > (64u << 10))
		return 0;               /* SK_FILE_MAX */
	if (size && data[0] == '\0') {
		const uint8_t *blob = data + 1;
		size_t n = size - 1, len;
		char *text = armor(blob, n, &len);

		if (n > BLOB_MEM + 8 && blob[BLOB_ENC] == 1 && le64(blob + BLOB_OPS) <= 2 &&
		    le64(blob + BLOB_MEM) <= (64u << 10))
			pp.file = passfile;
		fz_write(keyfile, text, len, 0600);
		free(text);
	} else {
		fz_write(keyfile, data, size, 0600);
	}
	err[0] = '\0';
	ret = vouch_signer_load(keyfile, &pp, &s, err, sizeof(err));
	if (ret > 0 || (ret == 0) != (s != NULL))
		abort();
	if (ret) {
		if (!err[0] && ret != -ENOMEM)
			abort();        /* every refusal says why */
		return 0;
	}
	{
		static const uint8_t msg[] = "fuzz_seckey";
		const struct vouch_key *pub = vouch_signer_key(s);
		uint8_t *sig = NULL;
		size_t siglen = 0;

		if (!pub || s->sign(s, msg, sizeof(msg), &sig, &siglen, err, sizeof(err)))
			abort();
		if (!vouch_key_verify(pub, msg, sizeof(msg), sig, siglen, NULL) &&
		    (strict || !strcmp(vouch_key_type(pub), "ed25519")))
			abort();        /* a loaded key signs for its own public key */
		free(sig);
	}
	vouch_signer_free(s);
	return 0;
}
