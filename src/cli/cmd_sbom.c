/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_sbom.c - `vouch sbom DIR [--python PYTHON] [-o FILE]`: a CycloneDX 1.6
 * SBOM of a model directory (vouch_sbom_make), for `vouch sign --sbom`.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(void)
{
	printf("Usage: vouch sbom DIR [--python PYTHON] [-o FILE]\n\n"
	       "Write a CycloneDX 1.6 SBOM of the model directory DIR: each file (the\n"
	       "signature, .git paths and .vouch/ left out) as a component with its SHA-256,\n"
	       "and, with --python, every distribution that interpreter has installed, as a\n"
	       "pkg:pypi/NAME@VERSION component (asked of importlib.metadata; no network).\n"
	       "Sign it with the model: vouch sign -k KEY --sbom FILE DIR.\n\n"
	       "      --python PYTHON   the interpreter whose distributions to list (run with\n"
	       "                        -I, no shell; found on PATH if it has no '/')\n"
	       "  -o, --output FILE     write here (default: standard output)\n"
	       "  -h, --help            this text\n\n"
	       "SOURCE_DATE_EPOCH, if set, fixes the timestamp (a reproducible SBOM).\n"
	       "Exit status: 0 written, 2 usage error, 3 operational error.\n");
}

int cmd_sbom(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "python", required_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *python = NULL, *output = NULL;
	char err[512] = "", *json = NULL;
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'P': python = optarg; break;
		case 'o': output = optarg; break;
		case 'h': help(); return 0;
		default:  return usage_error("sbom", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return usage_error("sbom", optind == argc ? "DIR is required" : "one DIR only");
	if (python && !*python)
		return usage_error("sbom", "--python needs an interpreter");
	ret = vouch_sbom_make(argv[optind], python, &json, err, sizeof(err));
	if (ret) {
		msg("%s", err[0] ? err : strerror(-ret));
		return EXIT_OPERATIONAL;
	}
	if (output) {
		FILE *f = fopen(output, "we");
		int bad = !f || fputs(json, f) < 0;

		if (f && fclose(f) != 0)
			bad = 1;
		if (bad) {
			msg("%s: %s", output, strerror(errno));
			free(json);
			return EXIT_OPERATIONAL;
		}
	} else if (fputs(json, stdout) < 0 || fflush(stdout) != 0) {
		msg("standard output: %s", strerror(errno));
		free(json);
		return EXIT_OPERATIONAL;
	}
	free(json);
	return 0;
}
