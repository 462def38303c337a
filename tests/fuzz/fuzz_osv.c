/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_osv.c - libFuzzer harness for OSV records (osv.c): the input is one
 * record, parsed as `vouch query --cve` reads each file of a mirror
 * (bounded, strict JSON, every range checked), then matched against a few
 * components (PyPI torch with Debian's pre-release-and-local version, npm,
 * a component with no purl, one whose version no ordering reads).
 * Checks: a refusal says why; an accepted record matches without crashing,
 * names its own id when it matches, never matches the component with no
 * purl, and a match error says why.
 */
#include "prov_i.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vouch_component comps[4];

static void setup(void)
{
	static const char *const c[][3] = {
		{ "torch", "1.13.0a0+gitunknown", "pkg:pypi/torch@1.13.0a0%2Bgitunknown" },
		{ "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0" },
		{ "torch", "1.0", NULL },
		{ "torch", "not a version!", "pkg:pypi/torch" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(comps); i++) {
		comps[i].name = (char *)c[i][0];
		comps[i].version = (char *)c[i][1];
		if (c[i][2] && vouch_purl_parse(c[i][2], &comps[i].purl, NULL, 0))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct vouch_osv *o = NULL;
	char err[512] = "";

	if (!ready) {
		setup();
		ready = true;
	}
	if (vouch_osv_parse(data, size, "fuzz.json", &o, err, sizeof(err))) {
		if (o || !strstr(err, "fuzz.json"))
			abort();
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(comps); i++) {
		const char *adv = NULL;
		err[0] = '\0';
		if (vouch_osv_match(o, &comps[i], &adv, err, sizeof(err))) {
			if (!err[0] || adv)
				abort();
			continue;
		}
		if (adv && !comps[i].purl.type)
			abort();
		if (adv && !*adv)
			abort();
	}
	vouch_osv_free(o);
	return 0;
}
