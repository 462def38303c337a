/* SPDX-License-Identifier: Apache-2.0 */
/*
 * b3-file.c - print the BLAKE3 hash of a file through libvouch's fd path
 * (vouch_blake3_fd), as lowercase hex and a newline: what
 * tests/cases/blake3-oracle.sh compares with `b3sum --no-names`, and what
 * bench/blake3.sh times.  Test helper only; not installed.
 *
 *   b3-file [-t THREADS] [-o OFFSET] [-l LENGTH] [-2] FILE
 *     -t  workers (default 0: one per core)
 *     -o  -l  a range of the file (default: all of it)
 *     -2  BLAKE2b-512 (vouch_blake2b_fd) instead
 * Exit: 0, 1 on a hashing error (its errno named), 2 on bad usage.
 */
#include "../../src/lib/blake3_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: b3-file [-t THREADS] [-o OFFSET] [-l LENGTH] [-2] FILE\n");
	return 2;
}

static int number(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t off = 0, len = UINT64_MAX, threads = 0;
	uint8_t out[VOUCH_BLAKE2B_OUT_LEN];
	size_t outlen = VOUCH_BLAKE3_OUT_LEN;
	int c, fd, rc, b2 = 0;

	while ((c = getopt(argc, argv, "t:o:l:2")) != -1) {
		switch (c) {
		case 't':
			if (number(optarg, &threads) || threads > 1024)
				return usage();
			break;
		case 'o':
			if (number(optarg, &off))
				return usage();
			break;
		case 'l':
			if (number(optarg, &len))
				return usage();
			break;
		case '2':
			b2 = 1;
			outlen = VOUCH_BLAKE2B_OUT_LEN;
			break;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc)
		return usage();
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		fprintf(stderr, "b3-file: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	rc = b2 ? vouch_blake2b_fd(fd, off, len, out) :
		  vouch_blake3_fd(fd, off, len, out, (unsigned)threads);
	close(fd);
	if (rc) {
		fprintf(stderr, "b3-file: %s: %s\n", argv[optind], strerror(-rc));
		return 1;
	}
	for (size_t i = 0; i < outlen; i++)
		printf("%02x", out[i]);
	putchar('\n');
	return 0;
}
