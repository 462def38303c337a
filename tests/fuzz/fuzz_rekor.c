/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rekor.c - libFuzzer harness for the transparency-log and timestamp
 * evidence inside a Sigstore bundle (sigstore.c), reached through
 * vouch_interop_authenticate with the anchors fuzz_interop uses.  Mutating a
 * whole bundle (fuzz_interop) rarely gets past the base64 around these
 * fields or the signatures in front of them; here the input replaces one
 * field of the reference bundle (tests/data/oms-vectors/v1.1.0-sigstore,
 * which verifies), everything else left valid, so the parser behind it runs
 * on every input.  The first byte picks the field, the rest is its value:
 *   0: the Rekor entry body (canonicalizedBody, base64-encoded here):
 *      check_body's JSON, hash, signature and verifier PEM certificate;
 *   1: the inclusion proof's checkpoint (a signed note, as is): reached
 *      after the SET and the proof verify, so check_checkpoint's line,
 *      size, root and signature-line parsing runs;
 *   2: the RFC 3161 timestamp (signedTimestamp, base64-encoded here):
 *      d2i_TS_RESP, its time and the TSA verification, after the log entry
 *      verified;
 *   else: the kindVersion/logIndex/integratedTime of the entry as a JSON
 *      object text merged over the entry (json_loadb of the rest).
 * Checks: OK comes with a key.  Each field is put back after its run.
 */
#include "interop_i.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vouch_anchors anchors;
static json_t *bundle, *entry, *proof_cp, *tstamp;
static uint8_t *payload, *sig;
static size_t plen, slen;
static bool ready;

static uint8_t *field(const json_t *s, size_t *len)
{
	uint8_t *p = NULL;

	if (json_is_string(s))
		p = vouch_b64_decode(json_string_value(s), json_string_length(s), len);
	if (!p)
		*len = 0;
	return p;
}

static enum vouch_cause run(char *err, size_t errlen)
{
	struct vouch_key *key = NULL;
	int64_t t = 0;
	enum vouch_cause c;

	c = vouch_interop_authenticate(bundle, payload, plen, sig, slen, &anchors, &key, &t,
				       err, errlen);
	if (c == VOUCH_CAUSE_OK && !key)
		abort();                /* OK must always come with a key */
	vouch_key_free(key);
	return c;
}

static void setup(void)
{
	char path[4096], err[256];
	const json_t *env, *vm;

	vouch_init();
	vouch_anchors_init(&anchors);
	snprintf(path, sizeof(path), "%s/oms-vectors/keys/ca-cert.pem", fz_data());
	if (vouch_anchors_add_ca(&anchors, path, err, sizeof(err)))
		fprintf(stderr, "fuzz_rekor: no CA (%s); set VOUCH_DATA\n", err);
	snprintf(path, sizeof(path), "%s/oms-vectors/sigstore-trusted-root.json", fz_data());
	if (vouch_anchors_load_sigstore(&anchors, path, err, sizeof(err)))
		fprintf(stderr, "fuzz_rekor: no trusted root (%s); set VOUCH_DATA\n", err);
	vouch_anchors_set_policy(&anchors, "stefanb@us.ibm.com",
				 "https://sigstore.verify.ibm.com/oauth2", err, sizeof(err));
	snprintf(path, sizeof(path), "%s/oms-vectors/v1.1.0-sigstore/model.sig", fz_data());
	bundle = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	if (!bundle) {
		fprintf(stderr, "fuzz_rekor: %s: cannot read (set VOUCH_DATA)\n", path);
		abort();
	}
	env = json_object_get(bundle, "dsseEnvelope");
	payload = field(json_object_get(env, "payload"), &plen);
	sig = field(json_object_get(json_array_get(json_object_get(env, "signatures"), 0), "sig"),
		    &slen);
	vm = json_object_get(bundle, "verificationMaterial");
	entry = json_array_get(json_object_get(vm, "tlogEntries"), 0);
	proof_cp = json_object_get(json_object_get(entry, "inclusionProof"), "checkpoint");
	tstamp = json_array_get(json_object_get(json_object_get(vm, "timestampVerificationData"),
						"rfc3161Timestamps"), 0);
	if (!payload || !sig || !json_is_object(entry) || !json_is_object(proof_cp) ||
	    !json_is_object(tstamp)) {
		fprintf(stderr, "fuzz_rekor: %s is not the bundle this harness expects\n", path);
		abort();
	}
	if (run(err, sizeof(err)) != VOUCH_CAUSE_OK) {
		fprintf(stderr, "fuzz_rekor: the reference bundle does not verify: %s\n", err);
		abort();
	}
	ready = true;
}

/* Replace obj[key] by a new value for one run, then put the old one back. */
static void swap_run(json_t *obj, const char *key, json_t *value)
{
	json_t *old = json_incref(json_object_get(obj, key));
	char err[256];

	if (!value)
		abort();
	json_object_set_new(obj, key, value);
	(void)run(err, sizeof(err));
	json_object_set_new(obj, key, old);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *b64, err[256];

	if (!ready)
		setup();
	if (size == 0 || size > (128u << 10))
		return 0;
	switch (data[0]) {
	case 0:
	case 2:
		b64 = vouch_b64_encode(data + 1, size - 1);
		if (!b64)
			return 0;
		if (data[0] == 0)
			swap_run(entry, "canonicalizedBody", json_string(b64));
		else
			swap_run(tstamp, "signedTimestamp", json_string(b64));
		free(b64);
		break;
	case 1:
		swap_run(proof_cp, "envelope", json_stringn_nocheck((const char *)data + 1, size - 1));
		break;
	default: {
		json_t *over = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
		json_t *saved = json_object();
		const char *key;
		json_t *v;

		/* Only the members the input names change, and each is put
		 * back as the very same object (the pointers kept above stay
		 * valid). */
		if (json_is_object(over) && saved) {
			json_object_foreach(over, key, v) {
				json_t *old = json_object_get(entry, key);
				json_object_set(saved, key, old ? old : json_null());
			}
			json_object_update(entry, over);
			(void)run(err, sizeof(err));
			json_object_foreach(saved, key, v) {
				if (json_is_null(v) && !json_is_null(json_object_get(over, key)))
					json_object_del(entry, key);
				else
					json_object_set(entry, key, v);
			}
		}
		json_decref(saved);
		json_decref(over);
		break;
	}
	}
	return 0;
}
