/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_verify.c - `vouch verify (-p KEY | --trust DIR | -c CONFIG) [-s SIG] PATH`
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
	printf("Usage: vouch verify (-p PUBKEY | --trust DIR | --ca ROOT | --sigstore-root TR\n"
	       "                     --identity ID --issuer URL | -c CONFIG) [OPTIONS] PATH\n\n"
	       "Verify a model file against its sidecar PATH.sig, or a directory against\n"
	       "PATH/model.sig: the signature, the trusted key(s), every signed file's digest,\n"
	       "no file missing and no unsigned file present.  Prints one line per failure.\n\n"
	       "  -p, --pubkey FILE          trust this PEM public key (repeatable)\n"
	       "      --trust DIR            trust the PEM public keys in DIR\n"
	       "      --ca FILE              trust X.509-chain signers under these PEM CA\n"
	       "                             certificates (repeatable; model_signing certificates)\n"
	       "      --sigstore-root FILE   trust Sigstore keyless signers (a trusted_root.json),\n"
	       "      --identity ID          ...whose certificate names this identity (email/URI)\n"
	       "      --issuer URL           ...issued after login at this OIDC issuer\n"
	       "  -c, --config FILE          read trust and policy from FILE (default, when no\n"
	       "                             key is given: $VOUCH_CONFIG, else " DEFAULT_CONFIG ")\n"
	       "  -s, --signature SIG        the signature file (default PATH.sig / PATH/model.sig)\n"
	       "      --threshold K          require K distinct trusted signers\n"
	       "      --expect-name NAME     require the signed model name to be NAME\n"
	       "      --ignore-paths P       leave P (model-relative) out of the check (repeatable)\n"
	       "      --ignore-unsigned-files  allow files the signature does not list\n"
	       "      --allow-symlinks       check symlinks under their own names with their\n"
	       "                             targets' content; targets must stay inside\n"
	       "                             --symlink-root (default: PATH)\n"
	       "      --symlink-root DIR     the root symlink targets must resolve inside (as\n"
	       "                             given to vouch sign; e.g. a Hugging Face hub\n"
	       "                             model directory, for its snapshots)\n"
	       "      --threads N            hashing threads (default: one per core)\n"
	       "      --record               advance the model's anti-rollback mark in the config's\n"
	       "                             state_dir on success, as vouchfs does (default: only check)\n"
	       "  -h, --help                 this text\n\n"
	       "Exit status: 0 verified, 1 verification failed, 2 usage error, 3 operational error.\n");
}

static void report(void *arg, const char *name, enum vouch_cause cause, const char *detail)
{
	(void)arg;
	if (detail && *detail)
		msg("%s: %s (%s)", name, vouch_cause_name(cause), detail);
	else
		msg("%s: %s", name, vouch_cause_name(cause));
}

/* --ignore-paths may name a path as model_signing's CLI takes it (relative
 * to the cwd, or absolute) or relative to the model: make it model-relative.
 * Returns a malloc'd string. */
static char *model_relative(const char *model, const char *p)
{
	char *rm = realpath(model, NULL), *rp = realpath(p, NULL), *out = NULL;
	size_t n = strlen(model);

	if (rm && rp) {
		size_t l = strlen(rm);
		if (!strncmp(rp, rm, l) && rp[l] == '/')
			out = strdup(rp + l + 1);
	}
	while (!out && n > 1 && model[n - 1] == '/')
		n--;
	if (!out && !strncmp(p, model, n) && p[n] == '/')
		out = strdup(p + n + 1);
	free(rm);
	free(rp);
	return out ? out : strdup(p);
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		TRUST_LONGOPTS,
		{ "signature", required_argument, NULL, 's' },
		{ "expect-name", required_argument, NULL, 'N' },
		{ "ignore-paths", required_argument, NULL, 'I' },
		{ "ignore-unsigned-files", no_argument, NULL, 'U' },
		{ "allow-symlinks", no_argument, NULL, 'L' },
		{ "symlink-root", required_argument, NULL, 'R' },
		{ "threads", required_argument, NULL, 't' },
		{ "record", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vouch_verify_opts vo = { 0 };
	struct vouch_verdict v;
	struct trust_opts t;
	struct vouch_ctx *ctx = NULL;
	const char **ignores = NULL;
	size_t nign = 0;
	int c, r, ret = EXIT_USAGE;

	trust_opts_init(&t);
	ignores = calloc((size_t)argc + 1, sizeof(*ignores));
	if (!ignores)
		return EXIT_OPERATIONAL;
	while ((c = getopt_long(argc, argv, "p:c:s:h", opts, NULL)) != -1) {
		r = trust_opts_parse(&t, "verify", c, optarg);
		if (r < 0) {
			ret = -r;
			goto out;
		}
		if (r)
			continue;
		switch (c) {
		case 's': vo.sigpath = optarg; break;
		case 'N': vo.expect_name = optarg; break;
		case 'I': ignores[nign++] = optarg; break;
		case 'U': vo.ignore_unsigned = true; break;
		case 'L': vo.allow_symlinks = true; break;
		case 'R': vo.symlink_root = optarg; break;
		case 'r': vo.record = t.record = true; break;
		case 't':
			vo.threads = (unsigned)atoi(optarg);
			if (vo.threads < 1 || vo.threads > 64) {
				ret = usage_error("verify", "--threads must be from 1 to 64");
				goto out;
			}
			break;
		case 'h': help(); ret = 0; goto out;
		default:  ret = usage_error("verify", "unknown option"); goto out;
		}
	}
	if (optind + 1 != argc) {
		ret = usage_error("verify", optind == argc ? "PATH is required" : "one PATH only");
		goto out;
	}
	if (vo.symlink_root && !vo.allow_symlinks) {
		ret = usage_error("verify", "--symlink-root needs --allow-symlinks");
		goto out;
	}
	for (size_t i = 0; i < nign; i++)
		ignores[i] = model_relative(argv[optind], ignores[i]);   /* freed below */
	vo.ignore_paths = (char **)ignores;
	vo.nignore = nign;
	ret = trust_opts_ctx(&t, "verify", &ctx);
	if (ret)
		goto out;
	if (vouch_verify_tree(ctx, argv[optind], &vo, report, NULL, &v) == VOUCH_CAUSE_OK) {
		say("vouch: %s: verified (model %s, version %" PRIu64 ", signed by %s)",
		    argv[optind], v.model[0] ? v.model : "(unnamed)", v.version, v.keyid);
		if (v.signers[0])
			say("vouch: %s: signers: %s", argv[optind], v.signers);
		ret = EXIT_VERIFIED;
	} else {
		if (v.signers[0])
			msg("%s: signers: %s", argv[optind], v.signers);
		ret = v.cause == VOUCH_CAUSE_IO_ERROR ? EXIT_OPERATIONAL : EXIT_FAILED;
	}
out:
	vouch_ctx_free(ctx);
	vouch_config_clear(&t.cfg);
	for (size_t i = 0; vo.ignore_paths && i < nign; i++)
		free((char *)ignores[i]);
	free(ignores);
	return ret;
}
