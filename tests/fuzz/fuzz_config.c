/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_config.c - libFuzzer harness for vouch.conf: the input is written to
 * a private temporary file (mode 0600, ours, so the ownership and mode
 * checks pass and the INI parser and every value check run) and loaded with
 * vouch_config_load(), then copied and cleared as a reload would.  A load
 * never crashes or leaks, and a refusal always names the file.  The same
 * file is also read by vouch_config_scrape_protect (what a front end reads
 * from a config vouch_config_load refused, to fail closed on its roots):
 * when the strict load succeeds, the scrape finds every root it found.
 */
#include "vouch_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[4096];
static int fd = -1;

static void cleanup(void)
{
	if (fd >= 0)
		unlink(path);
}

static int setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(path, sizeof(path), "%s/fuzz_config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);         /* mode 0600, owned by us */
	if (fd < 0) {
		perror("fuzz_config: mkstemp");
		abort();
	}
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouch_config cfg, copy;
	char err[512];
	int ret;

	if (fd < 0)
		setup();
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	vouch_config_init(&cfg);
	err[0] = '\0';
	ret = vouch_config_load(&cfg, path, err, sizeof(err));
	if (ret > 0)
		abort();                /* 0 or -errno */
	if (ret < 0 && ret != -ENOMEM && !strstr(err, path))
		abort();                /* a refusal names the file */
	if (ret == 0 && vouch_config_copy(&copy, &cfg) == 0)
		vouch_config_clear(&copy);
	{
		struct vouch_config scraped;

		vouch_config_init(&scraped);
		if (vouch_config_scrape_protect(path, &scraped) > 0)
			abort();
		for (size_t i = 0; ret == 0 && i < cfg.nprotect; i++) {
			bool found = false;

			for (size_t k = 0; k < scraped.nprotect && !found; k++)
				found = !strcmp(scraped.protect[k], cfg.protect[i]);
			if (!found)
				abort();        /* a root the scrape would not fail closed on */
		}
		vouch_config_clear(&scraped);
	}
	vouch_config_clear(&cfg);
	return 0;
}
