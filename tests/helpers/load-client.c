/* SPDX-License-Identifier: Apache-2.0 */
/*
 * load-client - one client of bench/load.sh: opens and reads random files of
 * a signed tree until a deadline, timing every open and checking every
 * verdict.
 *
 *   load-client START SECONDS OUT EXPECT:PATH [EXPECT:PATH ...]
 *
 * START is a CLOCK_REALTIME second at which to begin (so the clients that a
 * script starts one by one all begin together; 0: now); the client then runs
 * for SECONDS.  Each round picks a file at random (xorshift seeded by the pid),
 * times open(2) alone, reads the file to its end (LOAD_READ=BYTES in the
 * environment: at most that many bytes) and closes it.  EXPECT is ok (must
 * open and read to the end or to LOAD_READ) or deny (must fail with EACCES).
 * The latency of every open, in ns (uint64), is written to OUT.  On stdout,
 * one line:
 *   opens=N ok=A denied=D wrong=W errors=E rss_start_kb=R0 rss_end_kb=R1
 * (wrong: a verdict other than the expected one; errors: an allowed file
 * whose read failed or came up short; rss: this process after its first
 * open, and at the end), preceded by the first few wrong verdicts.
 * Exit 0 when W == 0 and E == 0, 1 otherwise, 2 on a usage error.
 */
#undef _FORTIFY_SOURCE   /* open(2) through the PLT, as a program's */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	const char *lr = getenv("LOAD_READ");
	long long limit = lr ? atoll(lr) : 0;
	unsigned long opens = 0, ok = 0, denied = 0, wrong = 0, errors = 0;
	long rss0 = -1, rss1;
	uint64_t seed, end, *lat = NULL;
	size_t nlat = 0, cap = 0;
	int nf = argc - 4;
	FILE *out;
	char *e1, *e2;
	long start = argc > 4 ? strtol(argv[1], &e1, 10) : -1;
	double secs = argc > 4 ? strtod(argv[2], &e2) : 0;

	if (argc < 5 || start < 0 || *e1 || secs <= 0 || *e2) {
		fprintf(stderr, "usage: load-client START SECONDS OUT ok:PATH|deny:PATH ...\n");
		return 2;
	}
	for (int i = 0; i < nf; i++)
		if (strncmp(argv[4 + i], "ok:", 3) && strncmp(argv[4 + i], "deny:", 5)) {
			fprintf(stderr, "load-client: %s: want ok:PATH or deny:PATH\n", argv[4 + i]);
			return 2;
		}
	out = fopen(argv[3], "wbe");
	if (!out) {
		fprintf(stderr, "load-client: %s: %s\n", argv[3], strerror(errno));
		return 2;
	}
	if (start) {
		struct timespec ts = { .tv_sec = start };

		while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	seed = 0x9e3779b97f4a7c15ull ^ ((uint64_t)getpid() << 17) ^ now_ns(CLOCK_MONOTONIC);
	end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(secs * 1e9);
	while (now_ns(CLOCK_MONOTONIC) < end) {
		const char *arg, *path;
		int deny, fd, err;
		long long total = 0;
		uint64_t t0, t1;
		struct stat st;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		arg = argv[4 + seed % (uint64_t)nf];
		deny = arg[0] == 'd';
		path = arg + (deny ? 5 : 3);
		t0 = now_ns(CLOCK_MONOTONIC);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		err = errno;
		t1 = now_ns(CLOCK_MONOTONIC);
		opens++;
		if (nlat == cap) {
			uint64_t *n = realloc(lat, (cap = cap ? cap * 2 : 1 << 16) * sizeof(*lat));

			if (!n)
				abort();
			lat = n;
		}
		lat[nlat++] = t1 - t0;
		if (fd < 0) {
			if (deny && err == EACCES) {
				denied++;
			} else if (wrong++ < 5) {
				printf("wrong: %s: wanted %s, got %s\n", path, deny ? "EACCES" : "ok",
				       strerror(err));
			}
			continue;
		}
		if (deny) {
			if (wrong++ < 5)
				printf("wrong: %s: wanted EACCES, it opened\n", path);
			close(fd);
			continue;
		}
		if (fstat(fd, &st) < 0) {
			errors++;
			close(fd);
			continue;
		}
		for (;;) {
			size_t want = sizeof(buf);
			ssize_t r;

			if (limit && (long long)want > limit - total)
				want = (size_t)(limit - total);
			if (!want)
				break;
			r = read(fd, buf, want);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			total += r;
		}
		close(fd);
		if (total != (limit && limit < (long long)st.st_size ? limit : (long long)st.st_size))
			errors++;
		else
			ok++;
		if (rss0 < 0)
			rss0 = rss_kb();
	}
	rss1 = rss_kb();
	if (fwrite(lat, sizeof(*lat), nlat, out) != nlat || fclose(out)) {
		fprintf(stderr, "load-client: %s: %s\n", argv[3], strerror(errno));
		return 2;
	}
	printf("opens=%lu ok=%lu denied=%lu wrong=%lu errors=%lu rss_start_kb=%ld rss_end_kb=%ld\n",
	       opens, ok, denied, wrong, errors, rss0, rss1);
	free(lat);
	return wrong || errors ? 1 : 0;
}
