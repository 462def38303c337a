/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_common.h - what the libFuzzer harnesses that go through files share:
 * one private temporary directory per process (mode 0700, ours),
 * created at the first call and removed with everything in it at
 * exit, so that parallel runs (-jobs, -fork) never meet and nothing is
 * written to a fixed global path; writing a file there with an exact mode;
 * splitting an input into parts; the location of the test data.  Header
 * only (the Makefile builds each harness source on its own).
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fz_dir[1024];

static int fz_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

static void fz_cleanup(void)
{
	if (fz_dir[0])
		nftw(fz_dir, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The process's private directory (created on first use): under
 * $FUZZ_TMPDIR, else /dev/shm (a tmpfs: rewriting a file per input on a disk
 * filesystem costs a writeback each time), else $TMPDIR, else /tmp. */
static const char *fz_tmpdir(void)
{
	const char *tmp = getenv("FUZZ_TMPDIR");

	if (fz_dir[0])
		return fz_dir;
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(fz_dir, sizeof(fz_dir), "%s/vouch-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fz_dir)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(fz_cleanup);
	return fz_dir;
}

/* out = fz_tmpdir()/name */
static void fz_path(char *out, size_t len, const char *name)
{
	if ((size_t)snprintf(out, len, "%s/%s", fz_tmpdir(), name) >= len)
		abort();
}

/* Replace path with exactly these bytes and this mode (whatever the umask). */
static void fz_write(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	const uint8_t *p = data;

	if (fd < 0) {
		perror(path);
		abort();
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror(path);
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || close(fd) < 0)
		abort();
}

static void fz_mkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		perror(path);
		abort();
	}
	chmod(path, mode);
}

/* Read a whole file (the test data the harness builds on); NULL if absent. */
static uint8_t *fz_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* $VOUCH_DATA (tests/data), or tests/data for runs from the repository root. */
static const char *fz_data(void)
{
	const char *d = getenv("VOUCH_DATA");

	return d && *d ? d : "tests/data";
}

/* Cut data at the first NUL: part 1 before it, part 2 after it (empty if
 * there is none).  Harnesses that take several texts take them this way. */
static void fz_split(const uint8_t *data, size_t size, const uint8_t **a, size_t *alen,
		     const uint8_t **b, size_t *blen)
{
	const uint8_t *z = memchr(data, '\0', size);

	*a = data;
	*alen = z ? (size_t)(z - data) : size;
	*b = z ? z + 1 : data + size;
	*blen = z ? size - *alen - 1 : 0;
}

/* A NUL-terminated malloc'd copy. */
static char *fz_strndup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* The lowest free descriptor number: the same before and after an input
 * unless the input left a descriptor open. */
static int fz_lowest_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return fd;
}

#endif
