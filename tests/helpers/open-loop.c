/* SPDX-License-Identifier: Apache-2.0 */
/*
 * open-loop - open, read to the end and close files N times, checking every
 * verdict, for the leak and descriptor cases (tests/cases/leaks-*.sh) and the
 * sanitizer cases (tests/cases/san-*.sh).
 *
 *   open-loop N EXPECT:PATH [EXPECT:PATH ...]
 *
 * EXPECT is ok (must open, and read exactly its size) or deny (must fail
 * with EACCES).  Open i goes to file i % count, through open(), openat() and
 * fopen() in turn (each a different wrapper of the shim), so verified,
 * tampered and unsigned files interleave.  Before the N opens, one warm-up
 * pass over the list: what a front end makes once and keeps (the shim's
 * config, trust store, audit socket, verdict cache) exists before counting.
 * This process's own open descriptors (/proc/self/fd) are counted after the
 * warm-up and again after the N opens, each time once the count has held
 * still for 200 ms: a shim that leaks one per open shows.
 *
 * Prints "opens=N ok=A denied=D wrong=W fds_before=X fds_after=Y" and, for
 * each wrong verdict (first 10), what happened.  Exit 0 when W == 0 and
 * X == Y, 1 otherwise, 2 on a usage error.
 */
#undef _FORTIFY_SOURCE   /* call exactly open/openat/fopen, as a program does */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct file {
	const char *path;
	int deny;               /* 1: EACCES expected */
};

/* This process's open descriptors; with `show`, each with what it is. */
static int count_fds(int show)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char link[300], to[512];
		ssize_t r;

		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		n++;
		if (!show)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		r = readlink(link, to, sizeof(to) - 1);
		to[r < 0 ? 0 : r] = '\0';
		printf("  fd %s -> %s\n", de->d_name, to);
	}
	closedir(d);
	return n;
}

/* The count once it has held still for 200 ms (at most 3 s): what a front end
 * opens from a thread of its own (the shim's audit sender opens its sinks
 * when the first record is queued) is counted, not raced. */
static int settled_fds(void)
{
	int n = count_fds(0), still = 0;

	for (int i = 0; i < 150 && still < 10; i++) {
		int m;

		usleep(20000);
		m = count_fds(0);
		still = m == n ? still + 1 : 0;
		n = m;
	}
	return n;
}

/* One open, read and close of f through entry point `how`.  Returns 0 (read
 * all of it), or the errno of the open (-1: opened, but the read failed or
 * was short). */
static int one(const struct file *f, int how)
{
	static char buf[1 << 16];
	struct stat st;
	long long total = 0;
	int fd;

	if (how == 2) {
		FILE *fp = fopen(f->path, "rb");
		size_t r;

		if (!fp)
			return errno;
		if (fstat(fileno(fp), &st) < 0) {
			fclose(fp);
			return -1;
		}
		while ((r = fread(buf, 1, sizeof(buf), fp)) > 0)
			total += (long long)r;
		r = ferror(fp);
		fclose(fp);
		return r || total != (long long)st.st_size ? -1 : 0;
	}
	fd = how == 0 ? open(f->path, O_RDONLY) : openat(AT_FDCWD, f->path, O_RDONLY);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return r < 0 || total != (long long)st.st_size ? -1 : 0;
		}
		total += r;
	}
}

int main(int argc, char **argv)
{
	static const char *const how_name[] = { "open", "openat", "fopen" };
	struct file *files;
	long n, ok = 0, denied = 0, wrong = 0;
	int nf = argc - 2, before, after;
	char *end;

	if (argc < 3 || (n = strtol(argv[1], &end, 10)) < 1 || *end) {
		fprintf(stderr, "usage: open-loop N ok:PATH|deny:PATH ...\n");
		return 2;
	}
	files = calloc((size_t)nf, sizeof(*files));
	if (!files)
		return 2;
	for (int i = 0; i < nf; i++) {
		const char *a = argv[i + 2];

		if (!strncmp(a, "ok:", 3)) {
			files[i].path = a + 3;
		} else if (!strncmp(a, "deny:", 5)) {
			files[i].path = a + 5;
			files[i].deny = 1;
		} else {
			fprintf(stderr, "open-loop: %s: want ok:PATH or deny:PATH\n", a);
			return 2;
		}
	}
	for (int i = 0; i < nf; i++)
		for (int how = 0; how < 3; how++)
			one(&files[i], how);
	before = settled_fds();
	for (long i = 0; i < n; i++) {
		const struct file *f = &files[i % nf];
		int how = (int)((i / nf) % 3);
		int r = one(f, how);

		if (r == 0 && !f->deny) {
			ok++;
		} else if (r == EACCES && f->deny) {
			denied++;
		} else {
			if (wrong++ < 10)
				printf("wrong: %s %s: wanted %s, got %s\n", how_name[how], f->path,
				       f->deny ? "EACCES" : "ok",
				       r == 0 ? "ok" : r < 0 ? "a failed or short read" : strerror(r));
		}
	}
	after = settled_fds();
	if (after != before) {
		printf("descriptors after the opens:\n");
		count_fds(1);
	}
	printf("opens=%ld ok=%ld denied=%ld wrong=%ld fds_before=%d fds_after=%d\n",
	       n, ok, denied, wrong, before, after);
	free(files);
	return wrong || before != after || before < 0 ? 1 : 0;
}
