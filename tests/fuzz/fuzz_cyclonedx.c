/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_cyclonedx.c - libFuzzer harness for the documents a signature
 * carries (attach.c): the input is one document, read as `vouch sign
 * --sbom/--provenance` and `vouch query` read them (bounded, depth-checked,
 * strict JSON), classified as an SBOM (CycloneDX 1.5/1.6 or SPDX 2.3), as
 * provenance and as a generic document, and its claims extracted.
 * Checks: a refusal says why; an input nested deeper than 64 levels (an
 * independent count outside strings) is always refused; an accepted SBOM
 * is CycloneDX with specVersion 1.5 or 1.6, or SPDX-2.3, and every
 * component extracted has a name, and a purl whose parts parse.
 */
#include "prov_i.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned max_depth(const uint8_t *b, size_t n)
{
	unsigned d = 0, m = 0;
	bool s = false;

	for (size_t i = 0; i < n; i++) {
		if (s) {
			if (b[i] == '\\')
				i++;
			else if (b[i] == '"')
				s = false;
		} else if (b[i] == '"') {
			s = true;
		} else if (b[i] == '[' || b[i] == '{') {
			if (++d > m)
				m = d;
		} else if ((b[i] == ']' || b[i] == '}') && d) {
			d--;
		}
	}
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "sbom", "provenance", "model-card" };
	char err[512] = "";
	json_t *j = vouch_doc_parse(data, size, err, sizeof(err));

	if (!j) {
		if (!err[0])
			abort();
		return 0;
	}
	if (max_depth(data, size) > VOUCH_DOC_DEPTH)
		abort();
	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		struct vouch_facts f = { 0 };
		enum vouch_doc_kind k;

		err[0] = '\0';
		if (vouch_doc_classify(types[t], j, &k, err, sizeof(err))) {
			if (!err[0])
				abort();
			continue;
		}
		if (k == VOUCH_DOC_CYCLONEDX) {
			const char *sv = json_string_value(json_object_get(j, "specVersion"));
			if (!sv || (strcmp(sv, "1.5") && strcmp(sv, "1.6")))
				abort();
		}
		if (k == VOUCH_DOC_SPDX &&
		    strcmp(json_string_value(json_object_get(j, "spdxVersion")), "SPDX-2.3"))
			abort();
		if (vouch_doc_facts(j, k, &f, err, sizeof(err)) == 0) {
			for (size_t i = 0; i < f.n; i++) {
				if (!f.c[i].name || !*f.c[i].name)
					abort();
				if (f.c[i].purl_text && (!f.c[i].purl.type || !f.c[i].purl.name))
					abort();
			}
			for (size_t i = 0; i < f.nbuilders; i++)
				if (!f.builders[i])
					abort();
		}
		vouch_facts_clear(&f);
	}
	json_decref(j);
	return 0;
}
