/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_query.c - `vouch query [TRUST OPTIONS] [FILTERS] [ROOT...]`: the signed
 * models whose verified documents match (vouch_query_run), as a table or
 * as JSON lines.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
	printf("Usage: vouch query [TRUST OPTIONS] [FILTERS] [--json] [--hash] [ROOT...]\n\n"
	       "List the signed models under each ROOT (default: the protected roots of the\n"
	       "config) whose signature and attached documents verify and whose documents\n"
	       "match every filter given.  A model that does not verify is listed as\n"
	       "unverified and its claims are not read.\n\n"
	       "Trust (as vouch verify):\n"
	       "  -p, --pubkey FILE          trust this PEM public key (repeatable)\n"
	       "      --trust DIR            trust the PEM public keys in DIR\n"
	       "      --ca FILE, --sigstore-root FILE --identity ID --issuer URL\n"
	       "  -c, --config FILE          trust, policy and roots from FILE (default, when no\n"
	       "                             key is given: $VOUCH_CONFIG, else " DEFAULT_CONFIG ")\n"
	       "      --threshold K          require K distinct trusted signers\n"
	       "Filters (all must hold; --dep is repeatable):\n"
	       "      --dep NAME[OP V,...]   a component NAME, its version satisfying each\n"
	       "                             OP V (OP: < <= == != >= >); PEP 440 ordering for\n"
	       "                             PyPI, SemVer for npm/cargo/golang, dotted otherwise\n"
	       "      --dep PURL[OP V,...]   the same for a package URL (pkg:pypi/torch)\n"
	       "      --cve ID --osv DIR     components an OSV record in DIR (id or alias ID)\n"
	       "                             marks affected\n"
	       "      --builder ID           SLSA provenance runDetails.builder.id equal to ID\n"
	       "      --source PREFIX        a resolvedDependencies[].uri starting with PREFIX\n"
	       "Output:\n"
	       "      --json                 one JSON object per line\n"
	       "      --hash                 also hash every file of each model (vouch verify)\n"
	       "  -h, --help                 this text\n\n"
	       "Exit status: 0 a verified model matched, 1 none did, 2 usage error,\n"
	       "3 an error (a root unreadable, a version that cannot be compared, ...): the\n"
	       "answer may be incomplete, whatever matched.\n");
}

struct out {
	bool json;
	bool header;
	unsigned rows;
};

static const char *kind_name(enum vouch_query_kind k)
{
	return k == VOUCH_QUERY_MATCH ? "match" : k == VOUCH_QUERY_UNVERIFIED ? "unverified" : "error";
}

/* A JSON string of s: as is when UTF-8, else escaped (vouch_escape). */
static json_t *jstring(const char *s)
{
	json_t *j;
	char *safe;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	safe = malloc(4 * strlen(s) + 1);
	if (!safe)
		return json_null();
	vouch_escape(s, safe, 4 * strlen(s) + 1);
	j = json_string(safe);
	free(safe);
	return j ? j : json_null();
}

static void row_json(const struct vouch_query_row *r)
{
	json_t *o = json_object(), *signers = json_array();
	char *line, *list = r->signers ? strdup(r->signers) : NULL, *save = NULL;

	for (char *t = list ? strtok_r(list, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(signers, jstring(t));
	free(list);
	json_object_set_new(o, "status", json_string(kind_name(r->kind)));
	json_object_set_new(o, "path", jstring(r->path));
	json_object_set_new(o, "name", jstring(r->name));
	json_object_set_new(o, "version", json_integer((json_int_t)r->version));
	json_object_set_new(o, "signers", signers);
	if (r->kind == VOUCH_QUERY_UNVERIFIED)
		json_object_set_new(o, "cause", json_string(vouch_cause_name(r->cause)));
	if (r->detail)
		json_object_set_new(o, "detail", jstring(r->detail));
	if (r->component) {
		json_object_set_new(o, "component", jstring(r->component));
		json_object_set_new(o, "component_version", jstring(r->component_version));
		json_object_set_new(o, "purl", jstring(r->purl));
	}
	if (r->advisory)
		json_object_set_new(o, "advisory", jstring(r->advisory));
	if (r->builder)
		json_object_set_new(o, "builder", jstring(r->builder));
	/* One line, ASCII only: a SIEM splits on newlines. */
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (line)
		printf("%s\n", line);
	free(line);
	json_decref(o);
}

static void on_row(void *arg, const struct vouch_query_row *r)
{
	struct out *o = arg;
	char comp[600];

	if (r->kind == VOUCH_QUERY_ERROR) {
		msg("%s: %s", r->path, r->detail ? r->detail : "error");
		if (!o->json)
			return;
	}
	o->rows++;
	if (o->json) {
		row_json(r);
		return;
	}
	if (!o->header) {
		printf("%-10s %-40s %-20s %7s %-16s %-36s %s\n", "STATUS", "MODEL", "NAME", "VERSION",
		       "SIGNERS", "COMPONENT", "ADVISORY");
		o->header = true;
	}
	if (r->kind == VOUCH_QUERY_UNVERIFIED) {
		say("%-10s %-40s %-20s %7" PRIu64 " %-16s %s: %s", "unverified", r->path,
		    r->name && *r->name ? r->name : "-", r->version, "-",
		    vouch_cause_name(r->cause), r->detail ? r->detail : "");
		return;
	}
	if (r->component)
		snprintf(comp, sizeof(comp), "%s %s", r->component,
			 r->component_version ? r->component_version : "(no version)");
	else
		snprintf(comp, sizeof(comp), "-");
	/* A key id is 64 hex digits: the table shows 16 (--json has them all). */
	say("%-10s %-40s %-20s %7" PRIu64 " %-16.16s %-36s %s", "verified", r->path, r->name,
	    r->version, r->signers && *r->signers ? r->signers : "-", comp,
	    r->advisory ? r->advisory : "-");
}

int cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {
		TRUST_LONGOPTS,
		{ "dep", required_argument, NULL, 'D' },
		{ "cve", required_argument, NULL, 'C' },
		{ "osv", required_argument, NULL, 'O' },
		{ "builder", required_argument, NULL, 'B' },
		{ "source", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "hash", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct trust_opts t;
	struct vouch_ctx *ctx = NULL;
	struct vouch_query *q = NULL;
	struct out o = { 0 };
	const char *cve = NULL, *osv = NULL;
	char err[600] = "";
	char *const *roots;
	size_t nroots;
	unsigned errors = 0;
	int c, r, ret = EXIT_USAGE, matched;

	trust_opts_init(&t);
	if (vouch_query_new(&q)) {
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	while ((c = getopt_long(argc, argv, "p:c:h", opts, NULL)) != -1) {
		r = trust_opts_parse(&t, "query", c, optarg);
		if (r < 0) {
			ret = -r;
			goto out;
		}
		if (r)
			continue;
		switch (c) {
		case 'D':
			if (vouch_query_dep(q, optarg, err, sizeof(err))) {
				ret = usage_error("query", "%s", err);
				goto out;
			}
			break;
		case 'C': cve = optarg; break;
		case 'O': osv = optarg; break;
		case 'B':
			if (!*optarg || vouch_query_builder(q, optarg)) {
				ret = usage_error("query", "--builder needs an id");
				goto out;
			}
			break;
		case 'S':
			if (!*optarg || vouch_query_source(q, optarg)) {
				ret = usage_error("query", "--source needs a URI prefix");
				goto out;
			}
			break;
		case 'j': o.json = true; break;
		case 'H': vouch_query_hash_all(q, true); break;
		case 'h': help(); ret = 0; goto out;
		default:  ret = usage_error("query", "unknown option"); goto out;
		}
	}
	if (!cve != !osv) {
		ret = usage_error("query", cve ? "--cve needs --osv DIR (a local OSV mirror)" :
				  "--osv needs --cve ID");
		goto out;
	}
	if (cve) {
		r = vouch_query_cve(q, cve, osv, err, sizeof(err));
		if (r) {
			msg("%s", err);
			/* No record names it: nothing can match; say so, exit 3
			 * (a typo in ID must not read as "no affected model"). */
			ret = EXIT_OPERATIONAL;
			goto out;
		}
	}
	ret = trust_opts_ctx(&t, "query", &ctx);
	if (ret)
		goto out;
	if (optind < argc) {
		roots = argv + optind;
		nroots = (size_t)(argc - optind);
	} else {
		const struct vouch_config *cfg = vouch_ctx_config(ctx);
		roots = cfg->protect;
		nroots = cfg->nprotect;
		if (!nroots) {
			ret = usage_error("query", "no ROOT given and the config protects none");
			goto out;
		}
	}
	matched = vouch_query_run(ctx, q, roots, nroots, on_row, &o, &errors);
	fflush(stdout);
	if (matched < 0) {
		msg("%s", strerror(-matched));
		ret = EXIT_OPERATIONAL;
	} else if (errors) {
		ret = EXIT_OPERATIONAL;
	} else {
		ret = matched > 0 ? 0 : EXIT_FAILED;
	}
out:
	vouch_ctx_free(ctx);
	vouch_query_free(q);
	vouch_config_clear(&t.cfg);
	return ret;
}
