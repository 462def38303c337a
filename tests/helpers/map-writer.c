/* SPDX-License-Identifier: Apache-2.0 */
/*
 * map-writer - keep a file mapped shared and writable, with its descriptor
 * closed, and store into it on request: the writer libvouch's read leases
 * must see (tests/cases/vouchd-writers.sh).
 *
 *   map-writer FILE READY STORE   open FILE O_RDWR (exit 1 if refused: prints
 *                                 "open: ERR"), map it, close the fd, dirty
 *                                 the first page with its own bytes, create
 *                                 READY; then, when STORE exists, write
 *                                 "UNSIGNED" at offset 0 (no fault: the page is
 *                                 already dirty and writable) and exit 0 when
 *                                 STORE is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	volatile char *p;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: map-writer FILE READY STORE\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) < 0 || st.st_size < 16)
		return 2;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 2;
	p[0] = p[0];            /* the one write fault: mtime moves once, now */
	close(open(argv[2], O_WRONLY | O_CREAT, 0644));
	while (access(argv[3], F_OK) != 0)
		usleep(10000);
	memcpy((char *)p, "UNSIGNED", 8);
	while (access(argv[3], F_OK) == 0)
		usleep(10000);
	return 0;
}
