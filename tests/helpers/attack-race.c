/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attack-race - verify-then-swap races for the attack suite
 * (tests/attacks/swap-race.sh): an attacker thread changes what a name
 * holds in a tight loop while the main thread opens that name N times and
 * reads it, in one process so that thousands of attempts take seconds.
 * Extends tests/helpers/race-swap.c (RENAME_EXCHANGE only) with the other
 * ways to change a file between a check and a read.
 *
 *   attack-race N ATTACK READPATH GOODREF [-x MARKER] ARGS...
 *
 * ATTACK and its ARGS (the names are in the source tree: for vouchfs the
 * source, READPATH then being the name through the mount):
 *   exchange DIR A B          renameat2(DIR/A, DIR/B, RENAME_EXCHANGE)
 *   over FILE BAD STASH       write BAD's bytes to STASH/.bad.N and
 *                             rename(2) it over FILE, then GOODREF's bytes
 *                             to STASH/.good.N and rename that over FILE
 *                             (STASH: a directory on FILE's filesystem,
 *                             outside the protected root)
 *   inplace FILE BAD          open FILE O_WRONLY once, then pwrite BAD's
 *                             bytes and GOODREF's bytes at offset 0 in turn
 *   reopen FILE BAD           the same, opening and closing FILE for each
 *                             write (no writer holds it between writes)
 * A swap is one change of FILE's content or one exchange.
 *
 * The reader: N times open(READPATH) through the PLT (so an LD_PRELOAD shim
 * sees it) + read to EOF + close; every read is compared with GOODREF (the
 * signed bytes, kept outside the protected root).  Prints one line:
 *   opens=N allowed=N denied=N other_errors=N good=N read_errors=N bad=N
 *   marker=N swaps=N attacker=OK|ERRNAME [errors=...]
 * (denied: EACCES or EPERM; bad: an allowed open returned bytes other than
 * GOODREF's, or fewer at EOF; marker: of those, how many held MARKER
 * (default "ATTACKER-BYTES"), the attacker's own bytes; attacker: why the
 * attacker could not run, e.g. EPERM for a write open vouchd refused).
 * Exit 0 if bad == 0, 1 if bad > 0, 2 on a usage or set-up error.
 */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *attack, *marker = "ATTACKER-BYTES";
static char *a1, *a2, *a3;
static char *goodbuf, *badbuf;
static size_t goodlen, badlen;
static atomic_bool stop;
static atomic_long swaps;
static atomic_int attacker_err;

static char *slurp_path(const char *path, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	ssize_t got;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || !buf)
		return NULL;
	while ((got = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)got;
		if (n == cap && !(buf = realloc(buf, cap *= 2)))
			return NULL;
	}
	close(fd);
	*len = n;
	return got < 0 ? NULL : buf;
}

static int write_file(const char *path, const char *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (write(fd, b, n) != (ssize_t)n) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

static void *attacker(void *arg)
{
	char tmp[4200];
	int fd = -1, dfd = -1, e;
	long i = 0;

	(void)arg;
	if (!strcmp(attack, "exchange")) {
		dfd = open(a1, O_RDONLY | O_DIRECTORY);
		if (dfd < 0) {
			atomic_store(&attacker_err, errno);
			return NULL;
		}
	} else if (!strcmp(attack, "inplace")) {
		fd = open(a1, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			atomic_store(&attacker_err, errno);
			return NULL;
		}
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		bool bad = (i++ & 1) == 0;
		const char *b = bad ? badbuf : goodbuf;
		size_t n = bad ? badlen : goodlen;

		if (dfd >= 0) {
			if (renameat2(dfd, a2, dfd, a3, RENAME_EXCHANGE) < 0) {
				atomic_store(&attacker_err, errno);
				break;
			}
		} else if (!strcmp(attack, "over")) {
			snprintf(tmp, sizeof(tmp), "%s/.%s.%ld", a3, bad ? "bad" : "good", i);
			if ((e = write_file(tmp, b, n)) < 0 || rename(tmp, a1) < 0) {
				atomic_store(&attacker_err, e < 0 ? -e : errno);
				unlink(tmp);
				break;
			}
		} else {
			int w = fd;
			if (w < 0 && (w = open(a1, O_WRONLY | O_CLOEXEC)) < 0) {
				/* vouchd refuses a write open under a protected root */
				atomic_store(&attacker_err, errno);
				usleep(100);
				continue;
			}
			if (pwrite(w, b, n, 0) != (ssize_t)n)
				atomic_store(&attacker_err, errno);
			if (w != fd)
				close(w);
		}
		atomic_fetch_add_explicit(&swaps, 1, memory_order_relaxed);
	}
	/* Leave FILE holding the signed bytes. */
	if (fd >= 0) {
		if (pwrite(fd, goodbuf, goodlen, 0) != (ssize_t)goodlen)
			atomic_store(&attacker_err, errno);
		close(fd);
	} else if (!strcmp(attack, "reopen")) {
		if (write_file(a1, goodbuf, goodlen) < 0 && !atomic_load(&attacker_err))
			atomic_store(&attacker_err, EIO);
	} else if (!strcmp(attack, "over")) {
		snprintf(tmp, sizeof(tmp), "%s/.good.end", a3);
		if (write_file(tmp, goodbuf, goodlen) == 0)
			rename(tmp, a1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long n, allowed = 0, denied = 0, other = 0, good = 0, bad = 0, mark = 0, rderr = 0;
	char errs[512] = "";
	const char *path;
	static char buf[1 << 22];
	pthread_t t;
	int need;

	if (argc > 5 && !strcmp(argv[5], "-x")) {
		marker = argv[6];
		memmove(argv + 5, argv + 7, (size_t)(argc - 7 + 1) * sizeof(*argv));
		argc -= 2;
	}
	if (argc < 6 || (n = strtol(argv[1], NULL, 10)) < 1)
		goto usage;
	attack = argv[2];
	path = argv[3];
	need = !strcmp(attack, "exchange") || !strcmp(attack, "over") ? 3 :
	       !strcmp(attack, "inplace") || !strcmp(attack, "reopen") ? 2 : 0;
	if (!need || argc != 5 + need)
		goto usage;
	a1 = argv[5];
	a2 = argv[6];
	a3 = need > 2 ? argv[7] : NULL;
	if (!(goodbuf = slurp_path(argv[4], &goodlen)) || goodlen > sizeof(buf)) {
		fprintf(stderr, "attack-race: cannot read GOODREF %s\n", argv[4]);
		return 2;
	}
	if (strcmp(attack, "exchange")) {
		if (!(badbuf = slurp_path(a2, &badlen))) {
			fprintf(stderr, "attack-race: cannot read BAD %s\n", a2);
			return 2;
		}
		if (!strcmp(attack, "over"))
			a3 = argv[7];
	}
	if (pthread_create(&t, NULL, attacker, NULL)) {
		fprintf(stderr, "attack-race: pthread_create failed\n");
		return 2;
	}
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY), err = 0;
		size_t len = 0;
		ssize_t got;

		if (fd < 0) {
			if (errno == EACCES || errno == EPERM) {
				denied++;
			} else {
				other++;
				if (!strstr(errs, strerror(errno)) && strlen(errs) < 400)
					snprintf(errs + strlen(errs), sizeof(errs) - strlen(errs), "%s%s",
						 errs[0] ? "," : "", strerror(errno));
			}
			continue;
		}
		allowed++;
		while (len < sizeof(buf) && (got = read(fd, buf + len, sizeof(buf) - len)) != 0) {
			if (got < 0) {
				err = errno;
				break;
			}
			len += (size_t)got;
		}
		close(fd);
		if (len > goodlen || memcmp(buf, goodbuf, len)) {
			bad++;                  /* bytes that are not the signed ones */
			if (memmem(buf, len, marker, strlen(marker)))
				mark++;
		} else if (err) {
			rderr++;                /* a failed read (EIO); what came before was good */
		} else if (len == goodlen) {
			good++;
		} else {
			bad++;                  /* cut short at EOF: not the signed file either */
		}
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	printf("opens=%ld allowed=%ld denied=%ld other_errors=%ld good=%ld read_errors=%ld bad=%ld "
	       "marker=%ld swaps=%ld attacker=%s%s%s\n",
	       n, allowed, denied, other, good, rderr, bad, mark, atomic_load(&swaps),
	       atomic_load(&attacker_err) ? strerrorname_np(atomic_load(&attacker_err)) : "OK",
	       errs[0] ? " errors=" : "", errs);
	return bad ? 1 : 0;
usage:
	fprintf(stderr, "usage: attack-race N exchange|over|inplace|reopen READPATH GOODREF [-x MARKER] "
		"ARGS...\n");
	return 2;
}
