/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_version.c - the orderings `vouch query` compares versions with
 * (version.c), the --dep constraints, and package URLs (purl.c).  Expected
 * orders come from outside the code under test: PEP 440's own example list
 * (checked against Python's packaging.version.Version, sorted() of the
 * table below gives the table), semver.org's precedence example, the purl
 * specification.  Includes the case the issue names: Debian's torch
 * 1.13.0a0+gitunknown is below 2.6 and satisfies torch<2.6.
 */
#include "prov_i.h"
#include "check.h"

static int sgn(int v)
{
	return (v > 0) - (v < 0);
}

/* Every earlier entry below every later one (and, where the rule on local
 * labels allows, the other way round). */
static void ordered(enum vouch_vscheme s, const char *const *t, size_t n)
{
	char err[256];

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			int r = 9, ret = vouch_version_cmp(s, t[i], t[j], &r, err, sizeof(err));

			CHECK(ret == 0, "%s: %s vs %s: %s", vouch_vscheme_name(s), t[i], t[j], err);
			if (ret)
				continue;
			/* PEP 440: a local label is ignored against a bound without one. */
			if (s == VOUCH_VS_PEP440 && i > j && strchr(t[i], '+') && !strchr(t[j], '+'))
				continue;
			CHECK(sgn(r) == (i < j ? -1 : i > j), "%s: cmp(%s, %s) = %d, want %d",
			      vouch_vscheme_name(s), t[i], t[j], r, i < j ? -1 : i > j);
		}
	}
}

static void test_pep440(void)
{
	/* sorted(t, key=packaging.version.Version) == t */
	static const char *const t[] = {
		"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456",
		"1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0",
		"1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.0.15",
		"1.1.dev1", "1.13.0a0+gitunknown", "1.13.0", "2.5.1+cpu", "2.6.0rc1", "2.6",
		"2.6.0.post1", "1!0.1",
	};
	static const char *const same[][2] = {
		{ "1.0.RC1", "1.0rc1" }, { "1.0-1", "1.0.post1" }, { "1.0alpha1", "1.0a1" },
		{ "1.0.0", "1.0" }, { "v1.0", "1.0" }, { "1.0c1", "1.0rc1" }, { "1.0-dev", "1.0.dev0" },
		{ "1.0+cpu", "1.0" }, { " 2.1 ", "2.1" }, { "1.0_preview_2", "1.0rc2" },
	};
	static const char *const bad[] = {
		"", "abc", "1.0.", "1..0", "1.0+", "1.0+a..b", "1.0 2", "1.0_", "-1", "1.0+ab cd",
		"1234567890123456789", "1.0a1a2",
	};
	char err[256], longv[300];
	int r;

	ordered(VOUCH_VS_PEP440, t, ARRAY_SIZE(t));
	for (size_t i = 0; i < ARRAY_SIZE(same); i++) {
		CHECK(vouch_version_cmp(VOUCH_VS_PEP440, same[i][0], same[i][1], &r, err,
					sizeof(err)) == 0 && r == 0, "%s == %s", same[i][0], same[i][1]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		CHECK(vouch_version_check(VOUCH_VS_PEP440, bad[i], err, sizeof(err)) == -EINVAL,
		      "'%s' accepted", check_esc(bad[i]));
		CHECK_CONTAINS(err, "is not a PEP 440 version");
	}
	memset(longv, '1', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	CHECK(vouch_version_check(VOUCH_VS_PEP440, longv, err, sizeof(err)) == -EINVAL, "long");
	CHECK_CONTAINS(err, "longer than");
	/* The local label counts against a bound that has one. */
	CHECK(vouch_version_cmp(VOUCH_VS_PEP440, "1.0+cpu", "1.0+cu118", &r, err, sizeof(err)) == 0 &&
	      r < 0, "1.0+cpu < 1.0+cu118");
}

static void test_semver(void)
{
	/* semver.org, item 11 */
	static const char *const t[] = {
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0",
	};
	static const char *const bad[] = {
		"1.0", "01.0.0", "1.0.0-01", "1.0.0-", "1.0.0+", "1.2.3.4", "1.0.0-a..b", "", "x.y.z",
	};
	char err[256];
	int r;

	ordered(VOUCH_VS_SEMVER, t, ARRAY_SIZE(t));
	CHECK(vouch_version_cmp(VOUCH_VS_SEMVER, "1.0.0+build.5", "1.0.0", &r, err, sizeof(err)) == 0 &&
	      r == 0, "build metadata ignored");
	CHECK(vouch_version_cmp(VOUCH_VS_SEMVER, "v1.2.3", "1.2.3", &r, err, sizeof(err)) == 0 && r == 0,
	      "a leading v");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		CHECK(vouch_version_check(VOUCH_VS_SEMVER, bad[i], err, sizeof(err)) == -EINVAL,
		      "'%s' accepted as SemVer", bad[i]);
		CHECK_CONTAINS(err, "is not a SemVer version");
	}
}

static void test_dotted(void)
{
	static const char *const t[] = { "0.9", "1", "1.0.1", "1.2", "1.10", "2.0.0.1" };
	char err[256];
	int r;

	ordered(VOUCH_VS_DOTTED, t, ARRAY_SIZE(t));
	CHECK(vouch_version_cmp(VOUCH_VS_DOTTED, "1.0.0", "1", &r, err, sizeof(err)) == 0 && r == 0,
	      "1.0.0 == 1");
	/* Incomparable: a clear error, never an order. */
	CHECK(vouch_version_cmp(VOUCH_VS_DOTTED, "1.2-3", "1.2", &r, err, sizeof(err)) == -EINVAL,
	      "1.2-3 compared as dotted");
	CHECK_CONTAINS(err, "'1.2-3' is not a dotted version");
	CHECK(vouch_version_check(VOUCH_VS_DOTTED, "1..2", err, sizeof(err)) == -EINVAL, "1..2");
	CHECK(vouch_version_check(VOUCH_VS_DOTTED, "", err, sizeof(err)) == -EINVAL, "empty");
}

static bool test_one(enum vouch_vscheme s, const char *v, const char *cons)
{
	struct vouch_vcons *c = NULL;
	size_t n = 0;
	char err[256];
	bool ok = false;

	REQUIRE(vouch_vcons_parse(cons, &c, &n, err, sizeof(err)) == 0, "%s: %s", cons, err);
	CHECK(vouch_vcons_test(s, v, c, n, &ok, err, sizeof(err)) == 0, "%s %s: %s", v, cons, err);
	vouch_vcons_free(c, n);
	return ok;
}

static void test_constraints(void)
{
	static const char *const bad[] = { "", "<", "<2.6,", "~=1.0", "==1.*", "2.6", "<<2", "<2.6,,>1",
					   "<not a version" };
	struct vouch_vcons *c;
	size_t n;
	char err[256];
	bool ok;

	/* The issue's case: Debian's torch is a pre-release with a local label,
	 * and it is below 2.6. */
	CHECK(test_one(VOUCH_VS_PEP440, "1.13.0a0+gitunknown", "<2.6"), "torch<2.6");
	CHECK(!test_one(VOUCH_VS_PEP440, "1.13.0a0+gitunknown", ">=2.6"), "torch>=2.6");
	CHECK(test_one(VOUCH_VS_PEP440, "2.5.1+cpu", ">=2.0, <2.6"), "range");
	CHECK(!test_one(VOUCH_VS_PEP440, "2.6.0+cpu", "<2.6"), "2.6.0+cpu < 2.6");
	CHECK(test_one(VOUCH_VS_PEP440, "2.6.0+cpu", "==2.6"), "2.6.0+cpu == 2.6");
	CHECK(test_one(VOUCH_VS_PEP440, "2.6.0rc1", "<2.6"), "a pre-release of the bound is below it");
	CHECK(test_one(VOUCH_VS_PEP440, "1.0", "!=1.1"), "!=");
	CHECK(test_one(VOUCH_VS_SEMVER, "1.0.0-beta", "<1.0.0"), "semver pre");
	CHECK(!test_one(VOUCH_VS_SEMVER, "1.0.0", ">1.0.0"), "semver >");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		c = NULL;
		n = 0;
		CHECK(vouch_vcons_parse(bad[i], &c, &n, err, sizeof(err)) == -EINVAL && !c,
		      "'%s' accepted", bad[i]);
	}
	/* A bound one ordering reads and another does not: an error when
	 * compared under the other, not a silent false. */
	REQUIRE(vouch_vcons_parse("<2.6rc1", &c, &n, err, sizeof(err)) == 0, "%s", err);
	CHECK(vouch_vcons_test(VOUCH_VS_SEMVER, "1.0.0", c, n, &ok, err, sizeof(err)) == -EINVAL,
	      "2.6rc1 compared as SemVer");
	CHECK_CONTAINS(err, "is not a SemVer version");
	vouch_vcons_free(c, n);
}

static void test_purl(void)
{
	struct vouch_purl p;
	char err[256], *s;
	static const char *const bad[] = { "torch", "pkg:pypi", "pkg:/x", "pkg:pypi/x@%zz",
					   "pkg:pypi/", "pkg:py pi/x", "pkg:pypi/x@", "pkg:pypi/a%00b" };

	s = vouch_purl_format("pypi", NULL, "Torch_Vision", "1.13.0a0+gitunknown");
	CHECK_STREQ(s, "pkg:pypi/torch-vision@1.13.0a0%2Bgitunknown");
	free(s);
	s = vouch_purl_format("npm", "@angular", "core", "16.0.0 beta");
	CHECK_STREQ(s, "pkg:npm/%40angular/core@16.0.0%20beta");
	free(s);
	REQUIRE(vouch_purl_parse("pkg:pypi/torch@1.13.0a0%2Bgitunknown?arch=x86_64#sub", &p, err,
				 sizeof(err)) == 0, "%s", err);
	CHECK_STREQ(p.type, "pypi");
	CHECK_STREQ(p.name, "torch");
	CHECK_STREQ(p.version, "1.13.0a0+gitunknown");
	CHECK(p.ns == NULL, "namespace");
	vouch_purl_clear(&p);
	REQUIRE(vouch_purl_parse("PKG:NPM/%40angular/core@16.0.0", &p, err, sizeof(err)) == 0, "%s", err);
	CHECK_STREQ(p.type, "npm");
	CHECK_STREQ(p.ns, "@angular");
	CHECK_STREQ(p.name, "core");
	vouch_purl_clear(&p);
	REQUIRE(vouch_purl_parse("pkg:pypi/Scikit_Learn", &p, err, sizeof(err)) == 0, "%s", err);
	CHECK_STREQ(p.name, "scikit-learn");
	CHECK(p.version == NULL, "no version");
	vouch_purl_clear(&p);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK(vouch_purl_parse(bad[i], &p, err, sizeof(err)) == -EINVAL, "'%s' accepted", bad[i]);
		CHECK_CONTAINS(err, "is not a package URL");
	}
	CHECK(vouch_pkg_name_eq("pypi", "Scikit__Learn", "scikit-learn"), "PEP 503");
	CHECK(vouch_pkg_name_eq("pypi", "zope.interface", "zope-interface"), "PEP 503 dots");
	CHECK(!vouch_pkg_name_eq("npm", "Left-Pad", "left-pad"), "npm names are exact");
}

int main(void)
{
	test_pep440();
	test_semver();
	test_dotted();
	test_constraints();
	test_purl();
	CHECK_EXIT();
}
