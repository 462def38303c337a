/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prov_i.h - libvouch's private interfaces for provenance: version orderings
 * (version.c), package URLs (purl.c), the documents a signature carries and
 * what they claim (attach.c), OSV advisories (osv.c).  sbom.c and query.c
 * build on them.  Nothing here decides whether a file may be opened: these
 * are read by `vouch sign`, `vouch sbom` and `vouch query` only
 * (docs/provenance.md).
 */
#ifndef VOUCH_PROV_I_H
#define VOUCH_PROV_I_H

#include "vouch_i.h"

/* Budgets for untrusted documents (docs/provenance.md, "Limits").  Real
 * SBOMs of a Python environment are tens of KiB; syft's of a large image a
 * few MiB. */
#define VOUCH_DOC_MAX        (16u << 20)   /* bytes of one attached document */
#define VOUCH_DOC_DEPTH      64            /* nesting of arrays and objects */
#define VOUCH_DOCS_MAX       16            /* documents listed for one model */
#define VOUCH_COMPONENTS_MAX (1u << 18)    /* components read from one SBOM */
#define VOUCH_VERSION_MAX    128           /* bytes of one version string */
#define VOUCH_OSV_MAX        (4u << 20)    /* bytes of one OSV record */

/* ---- versions (version.c) ---- */
enum vouch_vscheme {
	VOUCH_VS_PEP440,            /* PyPI (pkg:pypi) */
	VOUCH_VS_SEMVER,            /* npm, cargo, golang; OSV SEMVER ranges */
	VOUCH_VS_DOTTED,            /* everything else: integers separated by dots */
};
const char *vouch_vscheme_name(enum vouch_vscheme s);
/* The ordering for a purl type (lowercase), e.g. "pypi" -> PEP 440. */
enum vouch_vscheme vouch_vscheme_of_type(const char *purl_type);
/* Is v a version of scheme s?  0, or -EINVAL with err saying why. */
int vouch_version_check(enum vouch_vscheme s, const char *v, char *err, size_t errlen);
/* Compare a with b under s: *out < 0, 0 or > 0.  PEP 440: when b has no
 * local label, a's is ignored (1.13.0+cpu equals 1.13.0), as pip does for
 * ==, <= and >=; SemVer: build metadata is ignored.  -EINVAL with err
 * naming the version that does not parse. */
int vouch_version_cmp(enum vouch_vscheme s, const char *a, const char *b, int *out,
		      char *err, size_t errlen);

enum vouch_vop { VOUCH_OP_LT, VOUCH_OP_LE, VOUCH_OP_EQ, VOUCH_OP_NE, VOUCH_OP_GE, VOUCH_OP_GT };
struct vouch_vcons {
	enum vouch_vop op;
	char *version;
};
/* Parse "OP VERSION[, OP VERSION]..." (OP one of < <= == != >= >) into
 * *out (malloc'd, *n entries; each version checked against at least one
 * scheme).  0 or -EINVAL with err. */
int vouch_vcons_parse(const char *s, struct vouch_vcons **out, size_t *n, char *err, size_t errlen);
void vouch_vcons_free(struct vouch_vcons *c, size_t n);
/* Does v satisfy every constraint under s?  0 with *ok, or -EINVAL. */
int vouch_vcons_test(enum vouch_vscheme s, const char *v, const struct vouch_vcons *c, size_t n,
		     bool *ok, char *err, size_t errlen);

/* ---- package URLs (purl.c) ---- */
struct vouch_purl {
	char *type;                 /* lowercase */
	char *ns;                   /* decoded namespace, or NULL */
	char *name;                 /* decoded (pypi: normalised as PEP 503 says) */
	char *version;              /* decoded, or NULL */
};
/* Parse a package URL (pkg:TYPE/NS/NAME@VERSION?QUALIFIERS#SUBPATH;
 * qualifiers and subpath are read past).  0 or -EINVAL with err. */
int  vouch_purl_parse(const char *s, struct vouch_purl *p, char *err, size_t errlen);
void vouch_purl_clear(struct vouch_purl *p);
/* Format one: each part percent-encoded as the purl specification says
 * (only A-Z a-z 0-9 . - _ ~ : stay; "+" is %2B); pypi names normalised.
 * malloc'd, NULL on ENOMEM. */
char *vouch_purl_format(const char *type, const char *ns, const char *name, const char *version);
/* Are a and b the same package name under type's rules (pypi: PEP 503,
 * case and runs of - _ . ignored; otherwise exact)? */
bool vouch_pkg_name_eq(const char *type, const char *a, const char *b);

/* ---- documents (attach.c) ---- */
enum vouch_doc_kind {
	VOUCH_DOC_CYCLONEDX,        /* CycloneDX 1.5 / 1.6 JSON */
	VOUCH_DOC_SPDX,             /* SPDX 2.3 JSON */
	VOUCH_DOC_INTOTO_SLSA,      /* in-toto Statement with SLSA provenance v1 */
	VOUCH_DOC_SLSA,             /* a bare SLSA provenance v1 predicate */
	VOUCH_DOC_JSON,             /* any other JSON document (--attach) */
};
/* The format name recorded in the metadata ("cyclonedx", ...) and back. */
const char *vouch_doc_kind_name(enum vouch_doc_kind k);
bool vouch_doc_kind_parse(const char *name, enum vouch_doc_kind *k);

/* Parse a document strictly and within bounds: at most VOUCH_DOC_MAX bytes,
 * VOUCH_DOC_DEPTH levels, UTF-8, no duplicate key, no \u0000, nothing after
 * the value.  NULL with err saying why (and where). */
json_t *vouch_doc_parse(const uint8_t *buf, size_t len, char *err, size_t errlen);
/* What a document of this attach type is: "sbom" must be CycloneDX 1.5/1.6
 * or SPDX 2.3, "provenance" an in-toto statement with SLSA provenance v1 or
 * a bare predicate; any other type any JSON object or array.  Checks the
 * fields vouch reads.  0 or -EINVAL with err. */
int vouch_doc_classify(const char *type, const json_t *doc, enum vouch_doc_kind *kind,
		       char *err, size_t errlen);

/* What documents claim. */
struct vouch_component {
	char *name;
	char *version;              /* NULL if none */
	struct vouch_purl purl;     /* type NULL when the component has no purl */
	char *purl_text;            /* as written, or NULL */
};
struct vouch_facts {
	struct vouch_component *c;
	size_t n, cap;
	char **builders;            /* SLSA runDetails.builder.id */
	size_t nbuilders;
	char **sources;             /* SLSA buildDefinition.resolvedDependencies[].uri */
	size_t nsources;
};
/* Add what doc (already classified as kind) claims to f.  0 or -EINVAL. */
int  vouch_doc_facts(const json_t *doc, enum vouch_doc_kind kind, struct vouch_facts *f,
		     char *err, size_t errlen);
void vouch_facts_clear(struct vouch_facts *f);

/* A document as vouch's signed metadata lists it. */
struct vouch_doc_ref {
	char *type;                 /* "sbom", "provenance", or an --attach TYPE */
	enum vouch_doc_kind kind;
	char *name;                 /* relative to the model directory (a single file:
				     * to the directory it is in) */
	uint8_t sha256[32];
};
/* The attach type rule: 1 to 32 of [a-z0-9-], starting with a letter. */
bool vouch_doc_type_ok(const char *type);
/* Validate every document, then write each to its fixed name (0644, atomic):
 * DIR/.vouch/NAME for a directory, DIR/F.vouch/NAME beside a single file F.
 * *docs receives the metadata's "documents" array.  Nothing is written
 * unless every document is good.  0 or -errno with err naming the file. */
int  vouch_docs_place(const char *path, bool is_dir, const struct vouch_attach *a, size_t n,
		      json_t **docs, char *err, size_t errlen);
/* The documents b's signed metadata lists (none: *n = 0).  OK, or MALFORMED
 * with err. */
enum vouch_cause vouch_docs_of_bundle(const struct vouch_bundle *b, struct vouch_doc_ref **out,
				      size_t *n, char *err, size_t errlen);
void vouch_doc_refs_free(struct vouch_doc_ref *d, size_t n);

/* ---- OSV advisories (osv.c) ---- */
struct vouch_osv;
/* Parse one OSV record (bounded, strict) and check its ranges.  source
 * names it in errors.  0 or -EINVAL with err. */
int  vouch_osv_parse(const uint8_t *buf, size_t len, const char *source, struct vouch_osv **out,
		     char *err, size_t errlen);
/* The records under dir (*.json, recursively, at most 8 levels) whose id or
 * aliases equal id, chained.  -ENOENT if none does; -EINVAL if one that
 * names it is malformed. */
int  vouch_osv_load(const char *dir, const char *id, struct vouch_osv **out, char *err, size_t errlen);
void vouch_osv_free(struct vouch_osv *o);
/* Is component c affected by a record of o?  0 with *advisory set to the
 * record's id (NULL: not affected), or -EINVAL when its version cannot be
 * compared with a range that names its package (err says which). */
int  vouch_osv_match(const struct vouch_osv *o, const struct vouch_component *c,
		     const char **advisory, char *err, size_t errlen);
/* The OSV ecosystem's purl type ("PyPI" -> "pypi"), or NULL if unknown. */
const char *vouch_osv_ecosystem_type(const char *ecosystem);

#endif
