/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attach.c - the documents a signature carries (docs/provenance.md): an
 * SBOM (CycloneDX 1.5/1.6, SPDX 2.3), a provenance statement (in-toto with
 * SLSA provenance v1, or the bare predicate), any other JSON document.  At
 * signing they are read strictly and within bounds, checked, and copied to
 * a fixed name in the model (.vouch/NAME; F.vouch/NAME beside a single file
 * F), and listed in vouch's signed metadata ("documents").  At query time
 * the list is read back from a verified payload and each document's claims
 * (components, builder, sources) are extracted.  This file never decides
 * whether a model may load; it trusts nothing it reads until the caller
 * has checked the document's digest against an authenticated payload.
 */
#include "prov_i.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CDX_V15 "1.5"
#define CDX_V16 "1.6"
#define SPDX_V23 "SPDX-2.3"
#define INTOTO_V1 "https://in-toto.io/Statement/v1"
#define INTOTO_V01 "https://in-toto.io/Statement/v0.1"
#define SLSA_V1 "https://slsa.dev/provenance/v1"

static const char *const kind_names[] = {
	[VOUCH_DOC_CYCLONEDX] = "cyclonedx",
	[VOUCH_DOC_SPDX] = "spdx",
	[VOUCH_DOC_INTOTO_SLSA] = "in-toto+slsa-provenance-v1",
	[VOUCH_DOC_SLSA] = "slsa-provenance-v1",
	[VOUCH_DOC_JSON] = "json",
};

/* The fixed file name of each kind in the model's document directory. */
static const char *file_name(enum vouch_doc_kind k)
{
	switch (k) {
	case VOUCH_DOC_CYCLONEDX: return "sbom.cdx.json";
	case VOUCH_DOC_SPDX:      return "sbom.spdx.json";
	case VOUCH_DOC_INTOTO_SLSA:
	case VOUCH_DOC_SLSA:      return "provenance.json";
	default:                  return NULL;     /* TYPE.json */
	}
}

const char *vouch_doc_kind_name(enum vouch_doc_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "json";
}

bool vouch_doc_kind_parse(const char *name, enum vouch_doc_kind *k)
{
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
		if (name && !strcmp(name, kind_names[i])) {
			*k = (enum vouch_doc_kind)i;
			return true;
		}
	return false;
}

bool vouch_doc_type_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (n < 1 || n > 32 || t[0] < 'a' || t[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '-'))
			return false;
	return true;
}

/* ---- strict, bounded parsing ---- */

/* jansson recurses once per level; a document nested a million deep must
 * never reach it.  Count the depth over the raw bytes first (strings
 * skipped, escapes honoured). */
static int depth_check(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	unsigned depth = 0;
	bool str = false;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];
		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = false;
		} else if (c == '"') {
			str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > VOUCH_DOC_DEPTH)
				return verr(err, errlen, -EINVAL, "nested deeper than %d levels (at byte %zu)",
					    VOUCH_DOC_DEPTH, i);
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return 0;
}

json_t *vouch_doc_parse(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *j;

	if (len > VOUCH_DOC_MAX) {
		verr(err, errlen, -EFBIG, "larger than %u bytes", VOUCH_DOC_MAX);
		return NULL;
	}
	if (depth_check(buf, len, err, errlen))
		return NULL;
	/* Duplicate keys refused: two readers that keep different copies would
	 * see two SBOMs in one signed document.  jansson refuses invalid UTF-8
	 * and (without JSON_ALLOW_NUL) \u0000, and anything after the value. */
	j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		verr(err, errlen, -EINVAL, "not valid JSON (line %d, column %d: %s)", jerr.line,
		     jerr.column, jerr.text);
	return j;
}

/* ---- what each format must hold ---- */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* An optional member that, if present, must be a string. */
static bool opt_str(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return !v || json_is_string(v);
}

struct walk {
	size_t n;
	char *err;
	size_t errlen;
};

static int cdx_component(const json_t *c, const char *where, struct walk *w)
{
	const json_t *sub;
	const char *purl;
	struct vouch_purl p;
	char sub_err[256];

	if (++w->n > VOUCH_COMPONENTS_MAX)
		return verr(w->err, w->errlen, -EINVAL, "more than %u components", VOUCH_COMPONENTS_MAX);
	if (!json_is_object(c))
		return verr(w->err, w->errlen, -EINVAL, "%s: a component is not an object", where);
	if (!jstr(c, "type") || !jstr(c, "name") || !*jstr(c, "name"))
		return verr(w->err, w->errlen, -EINVAL, "%s: a component lacks its type or name", where);
	if (!opt_str(c, "version") || !opt_str(c, "purl") || !opt_str(c, "bom-ref"))
		return verr(w->err, w->errlen, -EINVAL, "%s: component %s: version, purl and bom-ref "
			    "must be strings", where, jstr(c, "name"));
	purl = jstr(c, "purl");
	if (purl) {
		if (vouch_purl_parse(purl, &p, sub_err, sizeof(sub_err)))
			return verr(w->err, w->errlen, -EINVAL, "%s: component %s: %s", where,
				    jstr(c, "name"), sub_err);
		vouch_purl_clear(&p);
	}
	sub = json_object_get(c, "components");
	if (sub) {
		size_t i;
		const json_t *x;
		if (!json_is_array(sub))
			return verr(w->err, w->errlen, -EINVAL, "%s: component %s: components is not an "
				    "array", where, jstr(c, "name"));
		json_array_foreach(sub, i, x)
			if (cdx_component(x, where, w))
				return -EINVAL;
	}
	return 0;
}

static int check_cyclonedx(const json_t *d, char *err, size_t errlen)
{
	struct walk w = { .err = err, .errlen = errlen };
	const char *sv = jstr(d, "specVersion");
	const json_t *v = json_object_get(d, "version"), *comps, *meta, *x;
	size_t i;

	if (!jstr(d, "bomFormat") || strcmp(jstr(d, "bomFormat"), "CycloneDX"))
		return verr(err, errlen, -EINVAL, "bomFormat is not \"CycloneDX\"");
	if (!sv || (strcmp(sv, CDX_V15) && strcmp(sv, CDX_V16)))
		return verr(err, errlen, -EINVAL, "CycloneDX specVersion %s%s%s is not 1.5 or 1.6",
			    sv ? "\"" : "", sv ? sv : "(none)", sv ? "\"" : "");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1))
		return verr(err, errlen, -EINVAL, "CycloneDX version must be an integer from 1");
	meta = json_object_get(d, "metadata");
	if (meta && !json_is_object(meta))
		return verr(err, errlen, -EINVAL, "CycloneDX metadata is not an object");
	if (meta && json_object_get(meta, "component") &&
	    cdx_component(json_object_get(meta, "component"), "metadata", &w))
		return -EINVAL;
	comps = json_object_get(d, "components");
	if (comps && !json_is_array(comps))
		return verr(err, errlen, -EINVAL, "CycloneDX components is not an array");
	json_array_foreach(comps, i, x)
		if (cdx_component(x, "components", &w))
			return -EINVAL;
	return 0;
}

static int check_spdx(const json_t *d, char *err, size_t errlen)
{
	const char *sv = jstr(d, "spdxVersion");
	const json_t *ci = json_object_get(d, "creationInfo"), *pk, *p;
	size_t i;

	if (!sv || strcmp(sv, SPDX_V23))
		return verr(err, errlen, -EINVAL, "spdxVersion %s%s%s is not \"SPDX-2.3\"",
			    sv ? "\"" : "", sv ? sv : "(none)", sv ? "\"" : "");
	if (!jstr(d, "SPDXID") || strcmp(jstr(d, "SPDXID"), "SPDXRef-DOCUMENT"))
		return verr(err, errlen, -EINVAL, "SPDX document SPDXID is not \"SPDXRef-DOCUMENT\"");
	if (!jstr(d, "name") || !jstr(d, "dataLicense") || !jstr(d, "documentNamespace"))
		return verr(err, errlen, -EINVAL, "SPDX document lacks name, dataLicense or "
			    "documentNamespace");
	if (!json_is_object(ci) || !jstr(ci, "created") ||
	    !json_is_array(json_object_get(ci, "creators")))
		return verr(err, errlen, -EINVAL, "SPDX creationInfo lacks created or creators");
	pk = json_object_get(d, "packages");
	if (pk && !json_is_array(pk))
		return verr(err, errlen, -EINVAL, "SPDX packages is not an array");
	if (json_array_size(pk) > VOUCH_COMPONENTS_MAX)
		return verr(err, errlen, -EINVAL, "more than %u packages", VOUCH_COMPONENTS_MAX);
	json_array_foreach(pk, i, p) {
		const json_t *refs, *r;
		size_t k;

		if (!json_is_object(p) || !jstr(p, "SPDXID") || !jstr(p, "name") || !*jstr(p, "name"))
			return verr(err, errlen, -EINVAL, "SPDX package %zu lacks SPDXID or name", i);
		if (!opt_str(p, "versionInfo"))
			return verr(err, errlen, -EINVAL, "SPDX package %s: versionInfo is not a string",
				    jstr(p, "name"));
		refs = json_object_get(p, "externalRefs");
		if (refs && !json_is_array(refs))
			return verr(err, errlen, -EINVAL, "SPDX package %s: externalRefs is not an array",
				    jstr(p, "name"));
		json_array_foreach(refs, k, r) {
			struct vouch_purl pu;
			char sub[256];

			if (!json_is_object(r) || !jstr(r, "referenceCategory") ||
			    !jstr(r, "referenceType") || !jstr(r, "referenceLocator"))
				return verr(err, errlen, -EINVAL, "SPDX package %s: an external reference "
					    "lacks referenceCategory, referenceType or referenceLocator",
					    jstr(p, "name"));
			if (!strcmp(jstr(r, "referenceType"), "purl")) {
				if (vouch_purl_parse(jstr(r, "referenceLocator"), &pu, sub, sizeof(sub)))
					return verr(err, errlen, -EINVAL, "SPDX package %s: %s",
						    jstr(p, "name"), sub);
				vouch_purl_clear(&pu);
			}
		}
	}
	return 0;
}

static int check_slsa(const json_t *p, char *err, size_t errlen)
{
	const json_t *bd = json_object_get(p, "buildDefinition"), *rd = json_object_get(p, "runDetails");
	const json_t *deps, *x;
	size_t i;

	if (!json_is_object(bd) || !jstr(bd, "buildType") ||
	    !json_is_object(json_object_get(bd, "externalParameters")))
		return verr(err, errlen, -EINVAL, "SLSA provenance: buildDefinition lacks buildType or "
			    "externalParameters");
	if (!json_is_object(rd) || !json_is_object(json_object_get(rd, "builder")) ||
	    !jstr(json_object_get(rd, "builder"), "id"))
		return verr(err, errlen, -EINVAL, "SLSA provenance: runDetails.builder.id is missing");
	deps = json_object_get(bd, "resolvedDependencies");
	if (deps && !json_is_array(deps))
		return verr(err, errlen, -EINVAL, "SLSA provenance: resolvedDependencies is not an array");
	json_array_foreach(deps, i, x)
		if (!json_is_object(x) || !opt_str(x, "uri"))
			return verr(err, errlen, -EINVAL, "SLSA provenance: resolvedDependencies[%zu] is "
				    "not a resource descriptor", i);
	return 0;
}

static int check_statement(const json_t *d, char *err, size_t errlen)
{
	const char *t = jstr(d, "_type"), *pt = jstr(d, "predicateType");
	const json_t *subj = json_object_get(d, "subject"), *s;
	size_t i;

	if (!t || (strcmp(t, INTOTO_V1) && strcmp(t, INTOTO_V01)))
		return verr(err, errlen, -EINVAL, "_type is not an in-toto Statement (%s)", INTOTO_V1);
	if (!json_is_array(subj) || !json_array_size(subj))
		return verr(err, errlen, -EINVAL, "in-toto statement without subject");
	json_array_foreach(subj, i, s)
		if (!json_is_object(s) || !json_is_object(json_object_get(s, "digest")))
			return verr(err, errlen, -EINVAL, "in-toto subject %zu has no digest", i);
	if (!pt || strcmp(pt, SLSA_V1))
		return verr(err, errlen, -EINVAL, "predicateType %s is not SLSA provenance v1 (%s)",
			    pt ? pt : "(none)", SLSA_V1);
	if (!json_is_object(json_object_get(d, "predicate")))
		return verr(err, errlen, -EINVAL, "in-toto statement without predicate");
	return check_slsa(json_object_get(d, "predicate"), err, errlen);
}

int vouch_doc_classify(const char *type, const json_t *doc, enum vouch_doc_kind *kind,
		       char *err, size_t errlen)
{
	if (!strcmp(type, "sbom")) {
		if (!json_is_object(doc))
			return verr(err, errlen, -EINVAL, "an SBOM must be a JSON object");
		if (json_object_get(doc, "bomFormat")) {
			*kind = VOUCH_DOC_CYCLONEDX;
			return check_cyclonedx(doc, err, errlen);
		}
		if (json_object_get(doc, "spdxVersion")) {
			*kind = VOUCH_DOC_SPDX;
			return check_spdx(doc, err, errlen);
		}
		return verr(err, errlen, -EINVAL, "neither CycloneDX (bomFormat) nor SPDX (spdxVersion)");
	}
	if (!strcmp(type, "provenance")) {
		if (!json_is_object(doc))
			return verr(err, errlen, -EINVAL, "provenance must be a JSON object");
		if (json_object_get(doc, "_type")) {
			*kind = VOUCH_DOC_INTOTO_SLSA;
			return check_statement(doc, err, errlen);
		}
		*kind = VOUCH_DOC_SLSA;
		return check_slsa(doc, err, errlen);
	}
	if (!json_is_object(doc) && !json_is_array(doc))
		return verr(err, errlen, -EINVAL, "a document must be a JSON object or array");
	*kind = VOUCH_DOC_JSON;
	return 0;
}

/* ---- claims ---- */

void vouch_facts_clear(struct vouch_facts *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->c[i].name);
		free(f->c[i].version);
		free(f->c[i].purl_text);
		vouch_purl_clear(&f->c[i].purl);
	}
	free(f->c);
	for (size_t i = 0; i < f->nbuilders; i++)
		free(f->builders[i]);
	free(f->builders);
	for (size_t i = 0; i < f->nsources; i++)
		free(f->sources[i]);
	free(f->sources);
	memset(f, 0, sizeof(*f));
}

static int add_component(struct vouch_facts *f, const char *name, const char *version,
			 const char *purl, char *err, size_t errlen)
{
	struct vouch_component *c;

	if (f->n >= VOUCH_COMPONENTS_MAX)
		return verr(err, errlen, -EINVAL, "more than %u components", VOUCH_COMPONENTS_MAX);
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct vouch_component *nc = realloc(f->c, cap * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		f->c = nc;
		f->cap = cap;
	}
	c = &f->c[f->n];
	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	c->version = version ? strdup(version) : NULL;
	if (!c->name || (version && !c->version)) {
		free(c->name);
		free(c->version);
		return -ENOMEM;
	}
	if (purl) {
		if (vouch_purl_parse(purl, &c->purl, err, errlen)) {
			free(c->name);
			free(c->version);
			return -EINVAL;
		}
		c->purl_text = strdup(purl);
		/* A purl's version, when the component gives none. */
		if (!c->version && c->purl.version)
			c->version = strdup(c->purl.version);
	}
	f->n++;
	return 0;
}

static int cdx_facts(const json_t *comps, struct vouch_facts *f, char *err, size_t errlen)
{
	const json_t *c;
	size_t i;
	int ret;

	json_array_foreach(comps, i, c) {
		if ((ret = add_component(f, jstr(c, "name"), jstr(c, "version"), jstr(c, "purl"),
					 err, errlen)))
			return ret;
		if ((ret = cdx_facts(json_object_get(c, "components"), f, err, errlen)))
			return ret;
	}
	return 0;
}

static int add_str(char ***v, size_t *n, const char *s)
{
	char **nv;

	if (*n >= VOUCH_COMPONENTS_MAX)
		return -EINVAL;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

int vouch_doc_facts(const json_t *doc, enum vouch_doc_kind kind, struct vouch_facts *f,
		    char *err, size_t errlen)
{
	const json_t *p, *x, *r;
	size_t i, k;
	int ret;

	switch (kind) {
	case VOUCH_DOC_CYCLONEDX:
		return cdx_facts(json_object_get(doc, "components"), f, err, errlen);
	case VOUCH_DOC_SPDX:
		json_array_foreach(json_object_get(doc, "packages"), i, p) {
			const char *purl = NULL;
			json_array_foreach(json_object_get(p, "externalRefs"), k, r)
				if (!purl && !strcmp(jstr(r, "referenceType"), "purl"))
					purl = jstr(r, "referenceLocator");
			if ((ret = add_component(f, jstr(p, "name"), jstr(p, "versionInfo"), purl,
						 err, errlen)))
				return ret;
		}
		return 0;
	case VOUCH_DOC_INTOTO_SLSA:
	case VOUCH_DOC_SLSA:
		p = kind == VOUCH_DOC_SLSA ? doc : json_object_get(doc, "predicate");
		if ((ret = add_str(&f->builders, &f->nbuilders,
				   jstr(json_object_get(json_object_get(p, "runDetails"), "builder"), "id"))))
			return ret;
		json_array_foreach(json_object_get(json_object_get(p, "buildDefinition"),
						   "resolvedDependencies"), i, x)
			if (jstr(x, "uri") && (ret = add_str(&f->sources, &f->nsources, jstr(x, "uri"))))
				return ret;
		return 0;
	default:
		return 0;
	}
}

/* ---- placing documents at signing ---- */

struct placed {
	const struct vouch_attach *a;
	uint8_t *buf;
	size_t len;
	enum vouch_doc_kind kind;
	char name[64];
};

static int cmp_placed(const void *x, const void *y)
{
	return strcmp(((const struct placed *)x)->name, ((const struct placed *)y)->name);
}

int vouch_docs_place(const char *path, bool is_dir, const struct vouch_attach *a, size_t n,
		     json_t **docs, char *err, size_t errlen)
{
	struct placed *p = NULL;
	char *dir = NULL, *copy = NULL, sub[300], hex[65];
	const char *base, *prefix;
	json_t *arr = NULL;
	int dfd = -1, ret;

	*docs = NULL;
	if (n > VOUCH_DOCS_MAX)
		return verr(err, errlen, -EINVAL, "at most %d documents", VOUCH_DOCS_MAX);
	p = calloc(n + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/* Everything is read and checked before anything is written. */
	for (size_t i = 0; i < n; i++) {
		json_t *j;

		p[i].a = &a[i];
		if (!vouch_doc_type_ok(a[i].type)) {
			ret = verr(err, errlen, -EINVAL, "document type '%s': 1 to 32 of a-z 0-9 -, "
				   "starting with a letter", a[i].type);
			goto out;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(a[k].type, a[i].type)) {
				ret = verr(err, errlen, -EINVAL, "%s: a second %s document (one per type)",
					   a[i].file, a[i].type);
				goto out;
			}
		ret = vouch_read_file(AT_FDCWD, a[i].file, VOUCH_DOC_MAX, &p[i].buf, &p[i].len, NULL);
		if (ret) {
			ret = verr(err, errlen, ret, "%s: %s", a[i].file,
				   ret == -EFBIG ? "larger than 16 MiB (a document's limit)" :
				   ret == -ELOOP ? "is a symlink (name the file itself)" :
				   ret == -EINVAL ? "not a regular file" : strerror(-ret));
			goto out;
		}
		j = vouch_doc_parse(p[i].buf, p[i].len, sub, sizeof(sub));
		if (!j) {
			ret = verr(err, errlen, -EINVAL, "%s: %s document refused: %s", a[i].file,
				   a[i].type, sub);
			goto out;
		}
		ret = vouch_doc_classify(a[i].type, j, &p[i].kind, sub, sizeof(sub));
		json_decref(j);
		if (ret) {
			ret = verr(err, errlen, -EINVAL, "%s: %s document refused: %s", a[i].file,
				   a[i].type, sub);
			goto out;
		}
		snprintf(p[i].name, sizeof(p[i].name), "%s",
			 file_name(p[i].kind) ? file_name(p[i].kind) : a[i].type);
		if (!file_name(p[i].kind))
			strcat(p[i].name, ".json");
		for (size_t k = 0; k < i; k++)
			if (!strcmp(p[k].name, p[i].name)) {
				ret = verr(err, errlen, -EINVAL, "%s and %s would both be %s", a[k].file,
					   a[i].file, p[i].name);
				goto out;
			}
	}
	qsort(p, n, sizeof(*p), cmp_placed);

	/* Where: DIR/.vouch, or F.vouch beside a single file F. */
	copy = strdup(path);
	if (!copy) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t l = strlen(copy); l > 1 && copy[l - 1] == '/'; l--)
		copy[l - 1] = '\0';
	if (is_dir) {
		prefix = ".vouch";
		ret = asprintf(&dir, "%s/.vouch", copy);
	} else {
		base = strrchr(copy, '/');
		base = base ? base + 1 : copy;
		prefix = base;
		ret = asprintf(&dir, "%s.vouch", copy);
	}
	if (ret < 0) {
		dir = NULL;
		ret = -ENOMEM;
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ret = verr(err, errlen, -errno, "%s: %s", dir, strerror(errno));
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		ret = verr(err, errlen, -errno, "%s: %s", dir,
			   errno == ELOOP || errno == ENOTDIR ? "not a directory (a symlink?)" :
			   strerror(errno));
		goto out;
	}
	arr = json_array();
	if (!arr) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t md[32];
		char name[PATH_MAX];

		ret = vouch_write_at_atomic(dfd, p[i].name, p[i].buf, p[i].len, 0644, i + 1 == n);
		if (ret) {
			ret = verr(err, errlen, ret, "%s/%s: %s", dir, p[i].name, strerror(-ret));
			goto out;
		}
		SHA256(p[i].buf, p[i].len, md);
		vouch_hex(md, 32, hex);
		if (is_dir)
			snprintf(name, sizeof(name), "%s/%s", prefix, p[i].name);
		else
			snprintf(name, sizeof(name), "%s.vouch/%s", prefix, p[i].name);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:{s:s}}", "type", p[i].a->type,
						     "format", vouch_doc_kind_name(p[i].kind),
						     "name", name, "digest", "sha256", hex));
	}
	*docs = arr;
	arr = NULL;
	ret = 0;
out:
	if (dfd >= 0)
		close(dfd);
	for (size_t i = 0; p && i < n; i++)
		free(p[i].buf);
	free(p);
	free(dir);
	free(copy);
	json_decref(arr);
	return ret;
}

/* ---- reading the list back ---- */

void vouch_doc_refs_free(struct vouch_doc_ref *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++) {
		free(d[i].type);
		free(d[i].name);
	}
	free(d);
}

static bool hex64(const char *s, uint8_t out[32])
{
	if (!s || strlen(s) != 64)
		return false;
	for (int i = 0; i < 32; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];
			int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			if (h < 0)
				return false;
			v = v * 16 + h;
		}
		out[i] = (uint8_t)v;
	}
	return true;
}

enum vouch_cause vouch_docs_of_bundle(const struct vouch_bundle *b, struct vouch_doc_ref **out,
				      size_t *n, char *err, size_t errlen)
{
	struct vouch_doc_ref *d = NULL;
	json_t *stmt, *list, *e;
	enum vouch_cause c = VOUCH_CAUSE_OK;
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	stmt = json_loadb((const char *)b->payload, b->payload_len, JSON_REJECT_DUPLICATES, NULL);
	list = json_object_get(json_object_get(json_object_get(stmt, "predicate"), VOUCH_META_KEY),
			       "documents");
	if (!list)
		goto out;
	if (!json_is_array(list) || json_array_size(list) > VOUCH_DOCS_MAX) {
		c = VOUCH_CAUSE_MALFORMED;
		verr(err, errlen, 0, "%s: documents must be an array of at most %d", VOUCH_META_KEY,
		     VOUCH_DOCS_MAX);
		goto out;
	}
	d = calloc(json_array_size(list) + 1, sizeof(*d));
	if (!d) {
		c = VOUCH_CAUSE_IO_ERROR;
		verr(err, errlen, 0, "out of memory");
		goto out;
	}
	json_array_foreach(list, i, e) {
		const char *type = jstr(e, "type"), *name = jstr(e, "name");

		if (!vouch_doc_type_ok(type) || !name || !vouch_path_ok(name) ||
		    !vouch_doc_kind_parse(jstr(e, "format"), &d[k].kind) ||
		    !hex64(jstr(json_object_get(e, "digest"), "sha256"), d[k].sha256)) {
			c = VOUCH_CAUSE_MALFORMED;
			verr(err, errlen, 0, "%s: documents[%zu] needs a type, a format vouch knows, a "
			     "safe name and a sha256 digest", VOUCH_META_KEY, i);
			goto out;
		}
		for (size_t j = 0; j < k; j++)
			if (!strcmp(d[j].type, type) || !strcmp(d[j].name, name)) {
				c = VOUCH_CAUSE_MALFORMED;
				verr(err, errlen, 0, "%s: documents list %s twice", VOUCH_META_KEY, name);
				goto out;
			}
		d[k].type = strdup(type);
		d[k].name = strdup(name);
		k++;
		if (!d[k - 1].type || !d[k - 1].name) {
			c = VOUCH_CAUSE_IO_ERROR;
			verr(err, errlen, 0, "out of memory");
			goto out;
		}
	}
	*out = d;
	*n = k;
	d = NULL;
out:
	vouch_doc_refs_free(d, k);
	json_decref(stmt);
	return c;
}
