/* SPDX-License-Identifier: Apache-2.0 */
/*
 * preload-bench - time open()+close() of one file, for bench/preload.sh.
 *
 *   preload-bench N PATH    N open+close pairs; prints "us_per_open=X"
 *   preload-bench 1 PATH    a single timed open (the first, uncached one);
 *                           prints "ms_first_open=X"
 *
 * open() is called through the PLT like any program's, so LD_PRELOAD sees it.
 */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n;
	double t;

	if (argc != 3 || (n = strtol(argv[1], NULL, 10)) < 1) {
		fprintf(stderr, "usage: preload-bench N PATH\n");
		return 2;
	}
	t = now();
	for (long i = 0; i < n; i++) {
		int fd = open(argv[2], O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "preload-bench: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		close(fd);
	}
	t = now() - t;
	if (n == 1)
		printf("ms_first_open=%.3f\n", t * 1e3);
	else
		printf("us_per_open=%.3f\n", t / (double)n * 1e6);
	return 0;
}
