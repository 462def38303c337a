/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_anchors.c - libFuzzer harness for the trust material behind
 * certificate signers (x509_chain.c, sigstore.c), which fuzz_interop
 * takes as fixed: the input, written to a file in the harness's private
 * temp dir, is loaded both as a Sigstore trusted_root.json
 * (vouch_anchors_load_sigstore: the static parse_list, parse_log, parse_ca,
 * parse_window: log ids and SPKI keys, CA chains, validity windows) and as a
 * `ca` PEM file (vouch_anchors_add_ca: every certificate of it).
 *
 * Checks: a refusal names the file; a root that loads has a transparency
 * log and a CA, and is then used for real: the reference Sigstore bundle
 * (tests/data/oms-vectors/v1.1.0-sigstore, $VOUCH_DATA) is authenticated
 * against it, so that odd but accepted material (an RSA or Ed25519 log key,
 * open or inverted windows, a CA of one self-signed certificate) meets the
 * code that uses it.  OK must come with a key.
 */
#include "interop_i.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char file[1200];
static json_t *bundle;
static uint8_t *payload, *sig;
static size_t plen, slen;

static uint8_t *field(const json_t *s, size_t *len)
{
	uint8_t *p = NULL;

	if (json_is_string(s))
		p = vouch_b64_decode(json_string_value(s), json_string_length(s), len);
	if (!p)
		*len = 0;
	return p;
}

static void setup(void)
{
	char path[4096];
	const json_t *env;

	vouch_init();
	fz_path(file, sizeof(file), "anchor");
	snprintf(path, sizeof(path), "%s/oms-vectors/v1.1.0-sigstore/model.sig", fz_data());
	bundle = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	if (!bundle) {
		fprintf(stderr, "fuzz_anchors: %s: cannot read (set VOUCH_DATA)\n", path);
		return;
	}
	env = json_object_get(bundle, "dsseEnvelope");
	payload = field(json_object_get(env, "payload"), &plen);
	sig = field(json_object_get(json_array_get(json_object_get(env, "signatures"), 0), "sig"),
		    &slen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouch_anchors a;
	char err[512];
	int ret;

	if (!file[0])
		setup();
	if (size > (1u << 20))
		return 0;
	fz_write(file, data, size, 0644);

	vouch_anchors_init(&a);
	err[0] = '\0';
	ret = vouch_anchors_load_sigstore(&a, file, err, sizeof(err));
	if (ret > 0 || (ret == 0) != (a.sigstore != NULL))
		abort();
	if (ret && ret != -ENOMEM && !strstr(err, file))
		abort();                /* a refusal names the file */
	if (!ret && bundle) {
		struct vouch_key *key = NULL;
		int64_t t = 0;

		vouch_anchors_set_policy(&a, "stefanb@us.ibm.com",
					 "https://sigstore.verify.ibm.com/oauth2", err, sizeof(err));
		if (vouch_interop_authenticate(bundle, payload ? payload : (const uint8_t *)"", plen,
					       sig ? sig : (const uint8_t *)"", slen, &a, &key, &t,
					       err, sizeof(err)) == VOUCH_CAUSE_OK && !key)
			abort();        /* OK must always come with a key */
		vouch_key_free(key);
	}
	vouch_anchors_clear(&a);

	vouch_anchors_init(&a);
	err[0] = '\0';
	ret = vouch_anchors_add_ca(&a, file, err, sizeof(err));
	if (ret > 0 || (ret == 0) != (a.nca_files == 1))
		abort();
	if (ret && ret != -ENOMEM && !strstr(err, file))
		abort();
	if (!ret && (!a.cas || sk_X509_num(a.ca_files[0].certs) < 1))
		abort();                /* a CA file holds at least one certificate */
	vouch_anchors_clear(&a);
	return 0;
}
