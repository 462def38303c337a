/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signer_opts.h - the options that choose who signs, shared by `vouch sign`
 * and `vouch cosign`: a key file (-k), a PKCS#11 token (--pkcs11), or an
 * external command such as a cloud KMS client (--signer-cmd).  Exactly one.
 *
 * Use: put SIGNER_LONGOPTS in the command's struct option table and
 * SIGNER_SHORTOPTS in its optstring, hand every option to signer_opts_parse()
 * first, print SIGNER_OPTS_HELP in --help, then signer_opts_check() with the
 * other usage checks and signer_opts_load() when it is time to sign.
 */
#ifndef VOUCH_SIGNER_OPTS_H
#define VOUCH_SIGNER_OPTS_H

#include "cli.h"

/* Long-only option values: above any char, so they never clash with a
 * command's own short options. */
enum {
	SIGNER_OPT_PASSFILE = 0x5300,
	SIGNER_OPT_PKCS11,
	SIGNER_OPT_PKCS11_MODULE,
	SIGNER_OPT_CMD,
	SIGNER_OPT_CMD_PUBKEY,
};

struct signer_opts {
	const char *cmd;            /* "sign", "cosign": for usage messages */
	const char *key;            /* -k */
	const char *pkcs11;         /* --pkcs11 URI */
	const char *module;         /* --pkcs11-module */
	const char *signer_cmd;     /* --signer-cmd */
	const char *signer_pubkey;  /* --signer-pubkey */
	struct vouch_passphrase pp; /* --passphrase-file: key passphrase or token PIN */
};

#define SIGNER_SHORTOPTS "k:"
#define SIGNER_LONGOPTS \
	{ "key", required_argument, NULL, 'k' }, \
	{ "passphrase-file", required_argument, NULL, SIGNER_OPT_PASSFILE }, \
	{ "pkcs11", required_argument, NULL, SIGNER_OPT_PKCS11 }, \
	{ "pkcs11-module", required_argument, NULL, SIGNER_OPT_PKCS11_MODULE }, \
	{ "signer-cmd", required_argument, NULL, SIGNER_OPT_CMD }, \
	{ "signer-pubkey", required_argument, NULL, SIGNER_OPT_CMD_PUBKEY }

/* --help lines, in the layout of the commands' own option lists. */
#define SIGNER_OPTS_HELP \
	"  -k, --key KEY             vouch secret key (vouch keygen), or a PEM EC/Ed25519\n" \
	"                            private key (EC signatures verify with model_signing)\n" \
	"      --pkcs11 URI          sign with a private key that stays on a PKCS#11 token,\n" \
	"                            named by an RFC 7512 URI, e.g.\n" \
	"                            'pkcs11:token=release;object=signer;type=private';\n" \
	"                            ECDSA P-256 (the engine cannot use Ed25519 keys)\n" \
	"      --pkcs11-module PATH  PKCS#11 module (default: p11-kit-proxy.so, which\n" \
	"                            reaches every module registered with p11-kit)\n" \
	"      --signer-cmd CMD      run 'sh -c CMD', which gets the bytes to sign on its\n" \
	"                            stdin and writes the signature (raw or base64) to\n" \
	"                            stdout: how a cloud KMS signs (see docs/keys.md)\n" \
	"      --signer-pubkey PEM   the public key CMD signs for (needed with --signer-cmd);\n" \
	"                            a signature that does not verify with it is refused\n" \
	"      --passphrase-file F   read the key's passphrase, or the token PIN, from the\n" \
	"                            first line of F (default: ask on the terminal)\n"

void signer_opts_init(struct signer_opts *o, const char *cmd);
/* Take one option: returns 1 if it was a signer option, 0 if not. */
int  signer_opts_parse(struct signer_opts *o, int opt, const char *arg);
/* Exactly one of -k/--pkcs11/--signer-cmd, and no option that does not go
 * with it.  Returns 0, or EXIT_USAGE after printing why. */
int  signer_opts_check(const struct signer_opts *o);
/* Check, then build the signer (may ask for a passphrase or PIN).  Prints
 * "vouch: ..." on failure.  Returns 0 or an exit code (EXIT_USAGE,
 * EXIT_OPERATIONAL); on success the caller frees *out with
 * vouch_signer_free(). */
int  signer_opts_load(struct signer_opts *o, struct vouch_signer **out);

#endif
