/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_inspect.c - `vouch inspect [--json] [--verify TRUST] SIG`: what a
 * signature says, clearly marked unverified unless --verify checked it.
 */
#include "cli.h"

#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
	printf("Usage: vouch inspect [--json] [--verify (-p PUBKEY | --trust DIR | -c CONFIG)] SIG\n\n"
	       "Print what a signature file says: model name, version, signing and expiry\n"
	       "times, signer key hints, serialization and the signed resources.  Nothing is\n"
	       "verified unless --verify is given; then the model beside SIG (SIG without\n"
	       ".sig, or the directory holding model.sig) is verified with the given trust.\n\n"
	       "      --json                 machine-readable output\n"
	       "      --verify               verify too (exit 1 if it fails)\n"
	       "  -p, --pubkey FILE          trusted key for --verify (repeatable)\n"
	       "      --trust DIR            trusted key directory for --verify\n"
	       "  -c, --config FILE          config for --verify\n"
	       "      --threshold K          signers required for --verify\n"
	       "  -h, --help                 this text\n");
}

static void warn_cosig(void *arg, const char *line)
{
	(void)arg;
	msg("%s", line);
}

static json_t *to_json(const struct vouch_bundle *b)
{
	const struct vouch_statement *st = &b->st;
	json_t *o = json_object(), *res = json_array(), *ign = json_array(), *sigs = json_array();
	char ts[32], hex[129];

	for (size_t i = 0; i < b->nsigs; i++)
		json_array_append_new(sigs, json_pack("{s:s, s:s, s:s}", "material", b->sigs[i].material,
						      "key_hint", b->sigs[i].hint,
						      "file", b->sigs[i].source ? b->sigs[i].source : ""));
	for (size_t i = 0; i < st->nignore; i++)
		json_array_append_new(ign, json_string(st->ignore_paths[i]));
	for (size_t i = 0; i < st->nres; i++) {
		vouch_hex(st->res[i].digest, st->res[i].digest_len, hex);
		json_array_append_new(res, json_pack("{s:s, s:s, s:s}", "name", st->res[i].name,
						     "algorithm", st->res[i].algorithm, "digest", hex));
	}
	json_object_set_new(o, "verified", json_false());
	json_object_set_new(o, "predicate_type", json_string(st->predicate_type));
	json_object_set_new(o, "subject", json_string(st->subject_name));
	if (st->has_root) {
		vouch_hex(st->root, 32, hex);
		json_object_set_new(o, "root_digest", json_string(hex));
	}
	if (st->meta.present) {
		json_object_set_new(o, "model", json_string(st->meta.name));
		json_object_set_new(o, "version", json_integer((json_int_t)st->meta.version));
		vouch_time_format(st->meta.signed_at, ts);
		json_object_set_new(o, "signed_at", json_string(ts));
		if (st->meta.expires) {
			vouch_time_format(st->meta.expires, ts);
			json_object_set_new(o, "expires", json_string(ts));
		}
	}
	json_object_set_new(o, "signers", sigs);
	json_object_set_new(o, "serialization", json_pack("{s:s, s:s, s:b}", "method", st->method,
							  "hash_type", st->hash_type,
							  "allow_symlinks", st->allow_symlinks));
	if (!strcmp(st->method, "shards"))
		json_object_set_new(json_object_get(o, "serialization"), "shard_size",
				    json_integer((json_int_t)st->shard_size));
	json_object_set_new(json_object_get(o, "serialization"), "ignore_paths", ign);
	json_object_set_new(o, "resources", res);
	return o;
}

/* Every line through say(): all of it is what the signature claims, and
 * a crafted bundle must not print "VERIFIED" or move the cursor. */
static void print_text(const char *sig, const struct vouch_bundle *b, bool verified)
{
	const struct vouch_statement *st = &b->st;
	char ts[32], ts2[32], hex[129], shard[48] = "";

	say("signature:     %s%s", sig, verified ? "" : "  (UNVERIFIED: contents as claimed)");
	say("format:        %s", st->predicate_type);
	say("subject:       %s", st->subject_name);
	if (st->meta.present) {
		vouch_time_format(st->meta.signed_at, ts);
		if (st->meta.expires)
			vouch_time_format(st->meta.expires, ts2);
		say("model:         %s", st->meta.name);
		say("version:       %" PRIu64, st->meta.version);
		say("signed_at:     %s", ts);
		say("expires:       %s", st->meta.expires ? ts2 : "never");
	} else {
		say("model:         (no vouch metadata: signed by another tool)");
	}
	for (size_t i = 0; i < b->nsigs; i++)
		say("signer %zu:      %s, key hint %s%s%s", i + 1, b->sigs[i].material,
		    b->sigs[i].hint[0] ? b->sigs[i].hint : "(none)",
		    i ? ", in " : "", i && b->sigs[i].source ? b->sigs[i].source : "");
	if (!strcmp(st->method, "shards"))
		snprintf(shard, sizeof(shard), ", shard size %" PRIu64, st->shard_size);
	say("serialization: %s, %s%s", st->method, st->hash_type, shard);
	for (size_t i = 0; i < st->nignore; i++)
		say("ignored:       %s", st->ignore_paths[i]);
	say("resources:     %zu", st->nres);
	for (size_t i = 0; i < st->nres; i++) {
		vouch_hex(st->res[i].digest, st->res[i].digest_len, hex);
		say("  %s  %s", hex, st->res[i].name);
	}
}

static void report(void *arg, const char *name, enum vouch_cause cause, const char *detail)
{
	(void)arg;
	msg("%s: %s%s%s%s", name, vouch_cause_name(cause), detail && *detail ? " (" : "",
	    detail ? detail : "", detail && *detail ? ")" : "");
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		TRUST_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "verify", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vouch_bundle *b = NULL;
	struct vouch_ctx *ctx = NULL;
	struct vouch_verdict v;
	struct trust_opts t;
	bool json = false, verify = false, verified = false;
	char err[512] = "", *model = NULL;
	enum vouch_cause c;
	int o, r, ret = EXIT_USAGE;

	trust_opts_init(&t);
	while ((o = getopt_long(argc, argv, "p:c:h", opts, NULL)) != -1) {
		r = trust_opts_parse(&t, "inspect", o, optarg);
		if (r < 0) {
			ret = -r;
			goto out;
		}
		if (r)
			continue;
		switch (o) {
		case 'j': json = true; break;
		case 'v': verify = true; break;
		case 'h': help(); ret = 0; goto out;
		default:  ret = usage_error("inspect", "unknown option"); goto out;
		}
	}
	if (optind + 1 != argc) {
		ret = usage_error("inspect", "one signature file is required");
		goto out;
	}
	if ((t.have_trust || t.config) && !verify) {
		ret = usage_error("inspect", "trust options only make sense with --verify");
		goto out;
	}
	c = vouch_bundle_load(AT_FDCWD, argv[optind], &b, err, sizeof(err));
	if (c) {
		msg("%s: %s (%s)", argv[optind], vouch_cause_name(c), err);
		ret = c == VOUCH_CAUSE_IO_ERROR || c == VOUCH_CAUSE_NOT_SIGNED ? EXIT_OPERATIONAL : EXIT_FAILED;
		goto out;
	}
	vouch_cosignatures_load(AT_FDCWD, argv[optind], b, warn_cosig, NULL);
	if (verify) {
		struct vouch_verify_opts vo = { .sigpath = argv[optind] };

		model = model_of_sig(argv[optind]);
		if (!model) {
			msg("%s: cannot tell which model it signs (name it F.sig or DIR/model.sig)",
			    argv[optind]);
			ret = EXIT_USAGE;
			goto out;
		}
		ret = trust_opts_ctx(&t, "inspect", &ctx);
		if (ret)
			goto out;
		verified = vouch_verify_tree(ctx, model, &vo, report, NULL, &v) == VOUCH_CAUSE_OK;
	}
	if (json) {
		json_t *j = to_json(b);
		json_object_set_new(j, "verified", json_boolean(verified));
		if (verified)
			json_object_set_new(j, "verified_keyid", json_string(v.keyid));
		if (verify)
			json_object_set_new(j, "signers", json_string(v.signers));
		/* ASCII only: jansson escapes the C0 controls, this flag every
		 * other non-ASCII character (C1 controls, bidi overrides) too. */
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		putchar('\n');
		json_decref(j);
	} else {
		print_text(argv[optind], b, verified);
		if (verify && v.signers[0])
			say("signers:       %s", v.signers);
		if (verified)
			say("VERIFIED:      %s, signed by key %s", model, v.keyid);
	}
	ret = verify && !verified ? EXIT_FAILED : 0;
out:
	vouch_bundle_free(b);
	vouch_ctx_free(ctx);
	vouch_config_clear(&t.cfg);
	free(model);
	return ret;
}
