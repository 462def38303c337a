/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_bundle.c - libFuzzer harness for the signature parser: arbitrary
 * bytes into vouch_bundle_parse() (bounded strict JSON, DSSE envelope,
 * base64, in-toto statement, OMS predicate, vouch metadata, resource index),
 * then every read-only use a verifier makes of a parsed bundle: index
 * lookups, the ignore rules, the metadata, both PAE encodings.  The same
 * bytes are also wrapped as the DSSE payload of a well-formed bundle, so
 * that mutations reach the statement parser directly instead of dying in
 * base64 (seeds: whole bundles, and bare statements "*.json").  ASan/UBSan
 * find what the unit tests do not: a parse must never crash or leak, and a
 * bundle comes back exactly when the cause is OK.
 */
#include "bundle_i.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_one(const uint8_t *data, size_t size)
{
	struct vouch_bundle *b = NULL;
	enum vouch_cause c;
	char err[512];
	size_t n;

	err[0] = '\0';
	c = vouch_bundle_parse(data, size, "fuzz.sig", &b, err, sizeof(err));
	if ((c == VOUCH_CAUSE_OK) != (b != NULL))
		abort();                /* a bundle exactly when it parsed */
	if (c != VOUCH_CAUSE_OK) {
		if (!err[0])
			abort();        /* every refusal says why */
		return;
	}
	/* Everything a verifier reads from an (unauthenticated) parsed bundle. */
	for (size_t i = 0; i < b->st.nres; i++) {
		const struct vouch_resource *const *first;
		const struct vouch_resource *r = vouch_bundle_res_at(b, i);

		n = vouch_bundle_find(b, r->path, &first);
		if (n == 0 || strcmp(first[0]->path, r->path))
			abort();        /* every indexed path is found */
		if (!vouch_path_ok(r->path) && strcmp(r->path, "."))
			abort();        /* the parser let an unsafe name through */
		(void)vouch_ignored(&b->st, NULL, 0, r->path);
		(void)vouch_meta_find(&b->st.meta, r->path);
	}
	for (size_t i = 0; i < b->st.meta.nfiles; i++)
		if (vouch_meta_find(&b->st.meta, b->st.meta.files[i].path) == NULL)
			abort();
	{
		const struct vouch_resource *const *first;
		uint8_t *pae;

		(void)vouch_bundle_find(b, ".", &first);
		pae = vouch_dsse_pae(b->payload_type, b->payload, b->payload_len, &n);
		free(pae);
		pae = vouch_dsse_pae_v02(b->payload_type, b->payload, b->payload_len, &n);
		free(pae);
	}
	vouch_bundle_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	char *p64, *bundle;

	if (!init) {
		vouch_init();
		init = true;
	}
	parse_one(data, size);
	/* The input as the signed statement of an otherwise valid bundle. */
	if (size > (1u << 20))
		return 0;
	p64 = vouch_b64_encode(data, size);
	if (!p64)
		return 0;
	if (asprintf(&bundle, "{\"mediaType\":\"" VOUCH_BUNDLE_MEDIA "\","
		     "\"verificationMaterial\":{\"publicKey\":{\"hint\":\"\"},\"tlogEntries\":[]},"
		     "\"dsseEnvelope\":{\"payload\":\"%s\",\"payloadType\":\"" VOUCH_PAYLOAD_TYPE "\","
		     "\"signatures\":[{\"sig\":\"AAAA\",\"keyid\":\"\"}]}}", p64) >= 0) {
		parse_one((const uint8_t *)bundle, strlen(bundle));
		free(bundle);
	}
	free(p64);
	return 0;
}
