/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_interop.c - libFuzzer harness for the certificate and Sigstore
 * authentication of a bundle: the input is the bundle JSON, the anchors are
 * the interop vectors' (CA, production trusted root, identity, issuer), so
 * mutations of the seed bundles reach the chain, Rekor, checkpoint, SCT and
 * RFC 3161 parsers with real trust material behind them.
 */
#include "interop_i.h"

#include <stdio.h>
#include <stdlib.h>

static struct vouch_anchors anchors;

static void load_anchors(void)
{
	const char *shared = getenv("VOUCH_DATA");
	char path[4096], err[256];

	/* make fuzz runs from the repository root */
	if (!shared)
		shared = "tests/data";
	vouch_init();
	vouch_anchors_init(&anchors);
	snprintf(path, sizeof(path), "%s/oms-vectors/keys/ca-cert.pem", shared);
	if (vouch_anchors_add_ca(&anchors, path, err, sizeof(err)))
		fprintf(stderr, "fuzz_interop: no CA (%s); set VOUCH_DATA\n", err);
	snprintf(path, sizeof(path), "%s/oms-vectors/sigstore-trusted-root.json", shared);
	if (vouch_anchors_load_sigstore(&anchors, path, err, sizeof(err)))
		fprintf(stderr, "fuzz_interop: no trusted root (%s); set VOUCH_DATA\n", err);
	vouch_anchors_set_policy(&anchors, "stefanb@us.ibm.com",
				 "https://sigstore.verify.ibm.com/oauth2", err, sizeof(err));
}

static uint8_t *field(const json_t *s, size_t *len)
{
	uint8_t *p = NULL;

	if (json_is_string(s))
		p = vouch_b64_decode(json_string_value(s), json_string_length(s), len);
	if (!p)
		*len = 0;       /* the decoder may leave a partial length behind */
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int loaded;
	const json_t *env;
	struct vouch_key *key = NULL;
	uint8_t *payload, *sig;
	size_t plen, slen;
	int64_t t;
	char err[256];
	json_t *b;

	if (!loaded) {
		load_anchors();
		loaded = 1;
	}
	b = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!b)
		return 0;
	env = json_object_get(b, "dsseEnvelope");
	payload = field(json_object_get(env, "payload"), &plen);
	sig = field(json_object_get(json_array_get(json_object_get(env, "signatures"), 0), "sig"),
		    &slen);
	/* The input length's parity picks the x509 time rule, so both run. */
	anchors.ca_check_now = size & 1;
	if (vouch_interop_authenticate(b, payload ? payload : (const uint8_t *)"", plen,
				       sig ? sig : (const uint8_t *)"", slen, &anchors, &key, &t,
				       err, sizeof(err)) == VOUCH_CAUSE_OK && !key)
		abort();                /* OK must always come with a key */
	vouch_key_free(key);
	free(payload);
	free(sig);
	json_decref(b);
	return 0;
}
