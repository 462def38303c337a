/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_trust.c - `vouch trust list|add|revoke|remove [--trust DIR] [KEY]`
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
	printf("Usage: vouch trust list   [--trust DIR | -c CONFIG]\n"
	       "       vouch trust add    [--trust DIR | -c CONFIG] [--roles ROLE,...] PUBKEY.pem\n"
	       "       vouch trust revoke [--trust DIR | -c CONFIG] KEYID|PUBKEY.pem\n"
	       "       vouch trust remove [--trust DIR | -c CONFIG] KEYID\n\n"
	       "Manage the trust directory (default: `trust` in $VOUCH_CONFIG, else " DEFAULT_CONFIG ").\n"
	       "add copies the key in as KEYID.pem (0644; a KEYID.ini beside it may set\n"
	       "not_before, not_after, models = GLOB,... and roles = ROLE,...; --roles writes\n"
	       "that KEYID.ini with the roles the key holds, for `require` in vouch.conf);\n"
	       "revoke appends the id to the `revoked` list, so every signature by that key\n"
	       "fails (revoked-key) once vouchfs reloads (systemctl reload) or a shimmed process\n"
	       "starts; remove deletes the file.\n");
}

/* "  LABEL TIME" into out, or "" when t is unset. */
static const char *key_time(const char *label, int64_t t, char out[48])
{
	char ts[32];

	out[0] = '\0';
	if (t) {
		vouch_time_format(t, ts);
		snprintf(out, 48, "  %s %s", label, ts);
	}
	return out;
}

int cmd_trust(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, 'T' },
		{ "config", required_argument, NULL, 'c' },
		{ "roles", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vouch_config cfg;
	const char *dir = NULL, *config = NULL, *roles = NULL, *verb;
	char err[512] = "", keyid[VOUCH_KEYID_LEN + 1];
	int c, ret = 0;

	vouch_config_init(&cfg);
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'T': dir = optarg; break;
		case 'c': config = optarg; break;
		case 'R': roles = optarg; break;
		case 'h': help(); return 0;
		default:  return usage_error("trust", "unknown option");
		}
	}
	if (optind >= argc)
		return usage_error("trust", "a verb is required: list, add, revoke or remove");
	verb = argv[optind++];
	if (roles && strcmp(verb, "add"))
		return usage_error("trust", "--roles is for add (edit KEYID.ini to change a key's roles)");
	if (!dir) {
		const char *path = config ? config : config_default();
		if (vouch_config_load(&cfg, path, err, sizeof(err))) {
			msg("%s (or give --trust DIR)", err);
			return EXIT_OPERATIONAL;
		}
		if (!cfg.trust_dir) {
			msg("%s: no `trust` directory set (or give --trust DIR)", path);
			vouch_config_clear(&cfg);
			return EXIT_OPERATIONAL;
		}
		dir = cfg.trust_dir;
	}
	if (!strcmp(verb, "list")) {
		struct vouch_trust_entry *v = NULL;
		size_t n = 0;

		if (optind != argc) {
			ret = usage_error("trust", "list takes no argument");
			goto out;
		}
		if (vouch_trust_list(dir, &v, &n, err, sizeof(err))) {
			msg("%s", err);
			ret = EXIT_OPERATIONAL;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			char nb[48], na[48];

			say("%s  %-10s %s%s%s%s%s%s%s%s", v[i].keyid, v[i].type, v[i].revoked ? "REVOKED " : "",
			    v[i].file ? v[i].file : "(no key file)",
			    key_time("not_before", v[i].not_before, nb),
			    key_time("not_after", v[i].not_after, na),
			    v[i].models ? "  models " : "", v[i].models ? v[i].models : "",
			    v[i].roles ? "  roles " : "", v[i].roles ? v[i].roles : "");
		}
		if (!n)
			say("(no keys in %s)", dir);
		vouch_trust_list_free(v, n);
		goto out;
	}
	if (optind + 1 != argc) {
		ret = usage_error("trust", "%s takes exactly one argument", verb);
		goto out;
	}
	if (!strcmp(verb, "add"))
		ret = vouch_trust_add(dir, argv[optind], roles, keyid, err, sizeof(err));
	else if (!strcmp(verb, "revoke"))
		ret = vouch_trust_revoke(dir, argv[optind], keyid, err, sizeof(err));
	else if (!strcmp(verb, "remove"))
		ret = vouch_trust_remove(dir, argv[optind], err, sizeof(err));
	else {
		ret = usage_error("trust", "unknown verb '%s'", verb);
		goto out;
	}
	if (ret) {
		msg("%s", err);
		ret = ret == -EINVAL ? EXIT_USAGE : EXIT_OPERATIONAL;
		goto out;
	}
	if (!strcmp(verb, "remove"))
		say("removed %s from %s", argv[optind], dir);
	else
		say("%s %s in %s", !strcmp(verb, "add") ? "trusted" : "revoked", keyid, dir);
out:
	vouch_config_clear(&cfg);
	return ret;
}
