/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_keygen.c - `vouch keygen -o PREFIX [--no-passphrase | --passphrase-file FILE]`
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void help(void)
{
	printf("Usage: vouch keygen -o PREFIX [--no-passphrase | --passphrase-file FILE]\n\n"
	       "Write an Ed25519 key pair: PREFIX.pub (PEM SubjectPublicKeyInfo, readable by\n"
	       "OpenSSL and Sigstore tools) and PREFIX.key (the secret key, mode 0600, encrypted\n"
	       "with a passphrase: Argon2id + XSalsa20-Poly1305).  Neither file may exist.\n\n"
	       "  -o, --output PREFIX         where to write the two files\n"
	       "      --passphrase-file FILE  read the passphrase from the first line of FILE\n"
	       "                              (default: ask twice on the terminal)\n"
	       "      --no-passphrase         write the secret key unencrypted\n"
	       "  -h, --help                  this text\n\n"
	       "Prints the key id (hex SHA-256 of the DER public key).\n");
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "no-passphrase", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vouch_passphrase pp = { .fd = -1 };
	const char *prefix = NULL;
	char keyid[VOUCH_KEYID_LEN + 1], err[512] = "", *pass = NULL;
	size_t passlen = 0;
	bool plain = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': prefix = optarg; break;
		case 'P': pp.file = optarg; break;
		case 'N': plain = true; break;
		case 'h': help(); return 0;
		default:  return usage_error("keygen", "unknown option");
		}
	}
	if (!prefix)
		return usage_error("keygen", "-o PREFIX is required");
	if (optind != argc)
		return usage_error("keygen", "unexpected argument '%s'", argv[optind]);
	if (plain && pp.file)
		return usage_error("keygen", "--no-passphrase and --passphrase-file exclude each other");
	if (!plain && vouch_passphrase_read(&pp, true, &pass, &passlen, err, sizeof(err))) {
		msg("%s", err);
		return EXIT_OPERATIONAL;
	}
	ret = vouch_keygen(prefix, pass, passlen, keyid, err, sizeof(err));
	if (pass)
		vouch_secret_free(pass, passlen);
	if (ret) {
		msg("%s", err);
		return EXIT_OPERATIONAL;
	}
	if (plain)
		msg("warning: %s.key is NOT encrypted; protect it like a password", prefix);
	say("public key: %s.pub", prefix);
	say("secret key: %s.key%s", prefix, plain ? " (unencrypted)" : "");
	say("key id: %s", keyid);
	return 0;
}
