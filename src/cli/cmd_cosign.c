/*
 * cmd_cosign.c - `vouch cosign -k KEY [TRUST] SIG`: a second (third, ...)
 * party signs off the exact payload of an existing signature.
 */
#include "cli.h"
#include "signer_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
	printf("Usage: vouch cosign (-k KEY | --pkcs11 URI | --signer-cmd CMD --signer-pubkey PEM)\n"
	       "                    [-p PUBKEY | --trust DIR | -c CONFIG] SIG\n\n"
	       "Sign off a signed model: check that the model beside SIG (DIR for DIR/model.sig,\n"
	       "F for F.sig) still matches SIG's manifest, then sign SIG's exact payload with KEY\n"
	       "and write the cosigner's own bundle to SIG.d/KEYID.sig.  Each bundle holds one\n"
	       "signature, as every Sigstore client requires; `threshold = k` in the config (or\n"
	       "verify --threshold k) then requires k distinct trusted signers.\n\n"
	       SIGNER_OPTS_HELP
	       "  -p, --pubkey FILE          also authenticate SIG against these keys first\n"
	       "      --trust DIR, -c FILE   likewise\n"
	       "  -h, --help                 this text\n\n"
	       "Without -p/--trust/-c only the files are checked against SIG (its signer is not\n"
	       "authenticated); the cosignature is over the same payload either way.\n");
}

static void report(void *arg, const char *name, enum vouch_cause cause, const char *detail)
{
	(void)arg;
	msg("%s: %s%s%s%s", name, vouch_cause_name(cause), detail && *detail ? " (" : "",
	    detail ? detail : "", detail && *detail ? ")" : "");
}

int cmd_cosign(int argc, char **argv)
{
	static const struct option opts[] = {
		TRUST_LONGOPTS,
		SIGNER_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct signer_opts so;
	struct vouch_verify_opts vo = { 0 };
	struct vouch_signer *signer = NULL;
	struct vouch_ctx *ctx = NULL;
	struct trust_opts t;
	char err[512] = "", *model = NULL, *out = NULL;
	int c, r, ret = EXIT_USAGE;

	trust_opts_init(&t);
	signer_opts_init(&so, "cosign");
	while ((c = getopt_long(argc, argv, SIGNER_SHORTOPTS "p:c:h", opts, NULL)) != -1) {
		if (signer_opts_parse(&so, c, optarg))
			continue;
		r = trust_opts_parse(&t, "cosign", c, optarg);
		if (r < 0) {
			ret = -r;
			goto out;
		}
		if (r)
			continue;
		switch (c) {
		case 'h': help(); ret = 0; goto out;
		default:  ret = usage_error("cosign", "unknown option"); goto out;
		}
	}
	ret = signer_opts_check(&so);
	if (ret)
		goto out;
	ret = EXIT_USAGE;
	if (optind + 1 != argc) {
		ret = usage_error("cosign", "one signature file (DIR/model.sig or F.sig) is required");
		goto out;
	}
	model = model_of_sig(argv[optind]);
	if (!model) {
		ret = usage_error("cosign", "%s: not DIR/model.sig or F.sig", argv[optind]);
		goto out;
	}
	vo.sigpath = argv[optind];
	if (t.have_trust || t.config) {
		ret = trust_opts_ctx(&t, "cosign", &ctx);
		if (ret)
			goto out;
	} else {
		vo.content_only = true;
	}
	/* Sign off only what is actually there: refuse if the files changed. */
	if (vouch_verify_tree(ctx, model, &vo, report, NULL, NULL) != VOUCH_CAUSE_OK) {
		msg("%s: not cosigning: the model does not match the signature", argv[optind]);
		ret = EXIT_FAILED;
		goto out;
	}
	ret = signer_opts_load(&so, &signer);
	if (ret)
		goto out;
	if (vouch_cosign(signer, argv[optind], &out, err, sizeof(err))) {
		msg("%s", err);
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	say("cosigned %s with key %s: %s", argv[optind], vouch_key_id(vouch_signer_key(signer)), out);
	ret = 0;
out:
	vouch_signer_free(signer);
	vouch_ctx_free(ctx);
	vouch_config_clear(&t.cfg);
	free(model);
	free(out);
	return ret;
}
