/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signer_opts.c - parse and load the signer options (-k, --pkcs11,
 * --signer-cmd) that `vouch sign` and `vouch cosign` share; see
 * signer_opts.h.  Owns only option handling and messages: what a signer is
 * and how it signs is libvouch's (signer.c, signer_ext.c).
 */
#include "signer_opts.h"

#include <string.h>

void signer_opts_init(struct signer_opts *o, const char *cmd)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->pp.fd = -1;
}

int signer_opts_parse(struct signer_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'k':                      o->key = arg; return 1;
	case SIGNER_OPT_PASSFILE:      o->pp.file = arg; return 1;
	case SIGNER_OPT_PKCS11:        o->pkcs11 = arg; return 1;
	case SIGNER_OPT_PKCS11_MODULE: o->module = arg; return 1;
	case SIGNER_OPT_CMD:           o->signer_cmd = arg; return 1;
	case SIGNER_OPT_CMD_PUBKEY:    o->signer_pubkey = arg; return 1;
	}
	return 0;
}

int signer_opts_check(const struct signer_opts *o)
{
	int n = !!o->key + !!o->pkcs11 + !!o->signer_cmd;

	if (n == 0)
		return usage_error(o->cmd, "a signer is required: -k KEY, --pkcs11 URI or --signer-cmd CMD");
	if (n > 1)
		return usage_error(o->cmd, "give only one of -k, --pkcs11 and --signer-cmd");
	if (o->module && !o->pkcs11)
		return usage_error(o->cmd, "--pkcs11-module goes with --pkcs11");
	if (o->signer_cmd && !o->signer_pubkey)
		return usage_error(o->cmd, "--signer-cmd needs --signer-pubkey PEM (the key the "
				   "command signs for)");
	if (o->signer_pubkey && !o->signer_cmd)
		return usage_error(o->cmd, "--signer-pubkey goes with --signer-cmd");
	/* No secret passes through vouch with an external command. */
	if (o->signer_cmd && o->pp.file)
		return usage_error(o->cmd, "--passphrase-file does not apply to --signer-cmd");
	if (o->pkcs11 && strncmp(o->pkcs11, "pkcs11:", 7) != 0)
		return usage_error(o->cmd, "--pkcs11 wants an RFC 7512 URI (pkcs11:token=...;object=...), "
				   "not '%s'", o->pkcs11);
	return 0;
}

int signer_opts_load(struct signer_opts *o, struct vouch_signer **out)
{
	char err[512] = "";
	int ret = signer_opts_check(o);

	if (ret)
		return ret;
	if (o->key) {
		ret = vouch_signer_load(o->key, &o->pp, out, err, sizeof(err));
	} else if (o->pkcs11) {
		/* pin-value is RFC 7512 and the engine honours it, but argv is
		 * readable by every user on the host (ps, /proc). */
		if (strstr(o->pkcs11, "pin-value="))
			msg("warning: the PIN in the --pkcs11 URI (pin-value) is visible to every "
			    "user on this host; use --passphrase-file");
		ret = vouch_signer_pkcs11(o->pkcs11, o->module, &o->pp, out, err, sizeof(err));
	} else {
		ret = vouch_signer_cmd(o->signer_cmd, o->signer_pubkey, out, err, sizeof(err));
	}
	if (ret) {
		msg("%s", err);
		return EXIT_OPERATIONAL;
	}
	return 0;
}
