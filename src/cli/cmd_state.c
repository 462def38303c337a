/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_state.c - `vouch state show [NAME] | reset NAME`: the anti-rollback
 * high-water marks (one per model name) that vouchfs records.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void help(void)
{
	printf("Usage: vouch state [-c CONFIG | --state-dir DIR] show [NAME]\n"
	       "       vouch state [-c CONFIG | --state-dir DIR] reset NAME\n\n"
	       "Show the highest version accepted per model name, or forget it (reset is\n"
	       "logged at severity alert: it lets an older signed version load again).\n"
	       "The marks are in the config's state_dir (default config: $VOUCH_CONFIG, else\n"
	       DEFAULT_CONFIG ").\n");
}

struct show {
	const char *name;
	unsigned n;
};

static void show_one(void *arg, const char *name, uint64_t version, const char *updated)
{
	struct show *s = arg;

	if (s->name && strcmp(s->name, name))
		return;
	say("%-40s version %" PRIu64 "  (updated %s)", name, version, updated ? updated : "?");
	s->n++;
}

int cmd_state(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vouch_config cfg;
	const char *dir = NULL, *config = NULL, *verb;
	char err[512] = "";
	int c, ret = 0;

	vouch_config_init(&cfg);
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'S': dir = optarg; break;
		case 'h': help(); return 0;
		default:  return usage_error("state", "unknown option");
		}
	}
	if (optind >= argc)
		return usage_error("state", "a verb is required: show or reset");
	verb = argv[optind++];
	if (!dir) {
		const char *path = config ? config : config_default();
		if (vouch_config_load(&cfg, path, err, sizeof(err)) || !cfg.state_dir) {
			msg("%s", err[0] ? err : "no state_dir in the config (or give --state-dir DIR)");
			vouch_config_clear(&cfg);
			return EXIT_OPERATIONAL;
		}
		dir = cfg.state_dir;
	}
	if (!strcmp(verb, "show") && optind + 1 >= argc) {
		struct show s = { .name = optind < argc ? argv[optind] : NULL };
		ret = vouch_state_list(dir, show_one, &s, err, sizeof(err));
		if (ret) {
			msg("%s", err);
			ret = EXIT_OPERATIONAL;
		} else if (!s.n) {
			say("(no versions recorded%s%s)", s.name ? " for " : "", s.name ? s.name : "");
		}
	} else if (!strcmp(verb, "reset") && optind + 1 == argc) {
		ret = vouch_state_reset(dir, argv[optind], err, sizeof(err));
		if (ret) {
			msg("%s", err);
			ret = EXIT_OPERATIONAL;
		} else {
			say("reset the recorded version of %s", argv[optind]);
		}
	} else {
		ret = usage_error("state", "use: show [NAME] | reset NAME");
	}
	vouch_config_clear(&cfg);
	return ret;
}
