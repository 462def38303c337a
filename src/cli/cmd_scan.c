/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_scan.c - `vouch scan [OPTIONS] [ROOT...]`: print libvouch's read-only
 * assessment (vouch_assess, src/lib/scan.c) as a table for people, JSON
 * lines for a SIEM, or either with journald priority prefixes (<N>) for
 * vouch-scan.service.  Owns the output forms and the exit status; decides
 * nothing and changes nothing.
 */
#include "cli.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static void help(void)
{
	printf("Usage: vouch scan [-c CONFIG | -p KEY | --trust DIR] [OPTIONS] [ROOT...]\n\n"
	       "Assess every protected root (default: the config's protect roots) without\n"
	       "changing anything: each model verified or the cause it fails, files no\n"
	       "signature governs, signatures expiring soon, signing keys revoked or near\n"
	       "their not_after, versions against the anti-rollback marks (never raised),\n"
	       "threshold and [models] policy.  Each finding has a severity and the NIST\n"
	       "SP 800-53 controls it evidences (docs/compliance.md).\n\n"
	       "  -c, --config FILE       trust and policy from FILE (default $VOUCH_CONFIG,\n"
	       "                          else " DEFAULT_CONFIG ")\n"
	       "  -p, --pubkey FILE       trust this PEM public key (repeatable)\n"
	       "      --trust DIR         trust the keys in DIR (windows, revocations)\n"
	       "      --threshold K       require K distinct trusted signers\n"
	       "      --warn-days N       report signatures and keys ending within N days\n"
	       "                          (default 30)\n"
	       "      --fail-on SEVERITY  exit 1 on a finding at or above it: critical, high\n"
	       "                          (default), medium, low, info\n"
	       "      --no-hash           signatures, policy, file presence and sizes only:\n"
	       "                          no byte of a model is read\n"
	       "      --json              one JSON object per finding and line\n"
	       "      --journal           prefix each line with its syslog priority (<2>..<6>),\n"
	       "                          as journald reads a service's output\n"
	       "      --min SEVERITY      print only findings at or above it (default info)\n"
	       "      --threads N         hashing threads (default: one per core)\n"
	       "  -h, --help              this text\n\n"
	       "Exit status: 0 no finding at or above --fail-on, 1 some, 2 usage error,\n"
	       "3 operational error (a root or file could not be read).\n");
}

struct out {
	bool json, journal;
	enum vouch_severity min;
	enum vouch_severity fail_on;
	unsigned count[5];
	bool failed;
};

static int priority_of(enum vouch_severity s)
{
	static const int prio[] = { LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR, LOG_CRIT };
	return prio[s];
}

static void controls_text(const char *const *c, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; c && c[i] && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : "", c[i]);
}

/* A string for JSON: escaped as for a terminal (vouch_escape), so a file
 * name that is not UTF-8 still makes a valid line. */
static json_t *jstr(const char *s)
{
	size_t cap = 4 * strlen(s) + 1;
	char *e = malloc(cap);
	json_t *j;

	if (!e)
		return json_string("");
	j = json_string(vouch_escape(s, e, cap));
	free(e);
	return j;
}

static void print_json(const struct out *o, const struct vouch_finding *f)
{
	json_t *j = json_object(), *c = json_array();
	char *line;

	for (size_t i = 0; f->controls && f->controls[i]; i++)
		json_array_append_new(c, json_string(f->controls[i]));
	json_object_set_new(j, "severity", json_string(vouch_severity_name(f->severity)));
	json_object_set_new(j, "check", json_string(f->check));
	json_object_set_new(j, "subject", jstr(f->subject));
	if (f->root)
		json_object_set_new(j, "root", jstr(f->root));
	if (f->cause)
		json_object_set_new(j, "cause", json_string(vouch_cause_name(f->cause)));
	if (f->model[0]) {
		json_object_set_new(j, "model", jstr(f->model));
		json_object_set_new(j, "version", json_integer((json_int_t)f->version));
	}
	if (f->signers[0])
		json_object_set_new(j, "signers", jstr(f->signers));
	json_object_set_new(j, "detail", jstr(f->detail));
	json_object_set_new(j, "controls", c);
	line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line) {
		if (o->journal)
			printf("<%d>", priority_of(f->severity));
		printf("%s\n", line);
		free(line);
	}
	json_decref(j);
}

static void on_finding(void *arg, const struct vouch_finding *f)
{
	struct out *o = arg;
	char controls[128], prefix[8] = "";

	o->count[f->severity]++;
	if (f->severity >= o->fail_on)
		o->failed = true;
	if (f->severity < o->min)
		return;
	if (o->json) {
		print_json(o, f);
	} else {
		controls_text(f->controls, controls, sizeof(controls));
		if (o->journal)
			snprintf(prefix, sizeof(prefix), "<%d>", priority_of(f->severity));
		fflush(stdout);
		say("%s%-8s %-18s %s: %s%s%s [%s]", prefix, vouch_severity_name(f->severity), f->check,
		    f->subject, f->cause ? vouch_cause_name(f->cause) : "",
		    f->cause && f->detail[0] ? ": " : "", f->detail, controls);
	}
	fflush(stdout);
}

static int severity_arg(const char *opt, const char *arg, enum vouch_severity *out)
{
	if (vouch_severity_parse(arg, out))
		return 0;
	return usage_error("scan", "%s must be critical, high, medium, low or info, not '%s'", opt, arg);
}

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		TRUST_LONGOPTS,
		{ "warn-days", required_argument, NULL, 'w' },
		{ "fail-on", required_argument, NULL, 'f' },
		{ "min", required_argument, NULL, 'm' },
		{ "no-hash", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "journal", no_argument, NULL, 'J' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vouch_assess_opts so = { .warn_days = 30 };
	struct out o = { .fail_on = VOUCH_SEV_HIGH, .min = VOUCH_SEV_INFO };
	const struct vouch_config *cfg;
	struct vouch_ctx *ctx = NULL;
	struct trust_opts t;
	char err[512] = "", *end;
	char *const *roots;
	size_t nroots;
	long n;
	int c, r, ret = EXIT_USAGE;

	trust_opts_init(&t);
	while ((c = getopt_long(argc, argv, "p:c:h", opts, NULL)) != -1) {
		r = trust_opts_parse(&t, "scan", c, optarg);
		if (r < 0) {
			ret = -r;
			goto out;
		}
		if (r)
			continue;
		switch (c) {
		case 'w':
			n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 0 || n > 36500) {
				ret = usage_error("scan", "--warn-days must be from 0 to 36500, not '%s'",
						  optarg);
				goto out;
			}
			so.warn_days = (unsigned)n;
			break;
		case 'f':
			if (severity_arg("--fail-on", optarg, &o.fail_on))
				goto out;
			break;
		case 'm':
			if (severity_arg("--min", optarg, &o.min))
				goto out;
			break;
		case 'n': so.no_hash = true; break;
		case 'j': o.json = true; break;
		case 'J': o.journal = true; break;
		case 't':
			n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 64) {
				ret = usage_error("scan", "--threads must be from 1 to 64, not '%s'", optarg);
				goto out;
			}
			so.threads = (unsigned)n;
			break;
		case 'h': help(); ret = 0; goto out;
		default:  ret = usage_error("scan", "unknown option"); goto out;
		}
	}
	ret = trust_opts_ctx(&t, "scan", &ctx);       /* marks read-only: never raised */
	if (ret)
		goto out;
	cfg = vouch_ctx_config(ctx);
	roots = optind < argc ? argv + optind : cfg->protect;
	nroots = optind < argc ? (size_t)(argc - optind) : cfg->nprotect;
	if (!nroots) {
		ret = usage_error("scan", "no ROOT given and %s protects nothing",
				  cfg->path ? cfg->path : "the configuration");
		goto out;
	}
	r = vouch_assess(ctx, roots, nroots, &so, on_finding, &o, err, sizeof(err));
	if (r < 0) {
		msg("%s", err);
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	if (!o.json)
		say("%s%u findings: %u critical, %u high, %u medium, %u low, %u info",
		    o.journal ? "<6>" : "", o.count[0] + o.count[1] + o.count[2] + o.count[3] + o.count[4],
		    o.count[4], o.count[3], o.count[2], o.count[1], o.count[0]);
	ret = r > 0 ? EXIT_OPERATIONAL : o.failed ? EXIT_FAILED : 0;
out:
	vouch_ctx_free(ctx);
	vouch_config_clear(&t.cfg);
	return ret;
}
