/* SPDX-License-Identifier: Apache-2.0 */
/*
 * race-swap - the rename race of issue 15 (defect 3), reader and swapper in
 * one process so that thousands of opens take seconds.
 *
 *   race-swap [-m open|openat|fopen] N DIR A B GOODREF [READPATH]
 *
 * A swapper thread exchanges DIR/A and DIR/B (renameat2 RENAME_EXCHANGE: two
 * files, or two directories) in a tight loop while the main thread does N
 * times: open READPATH (default DIR/A) + read to EOF + close, through the PLT
 * (so an LD_PRELOAD shim sees every open) with open(path) (-m open, the
 * default), openat(fd of READPATH's directory, its last name) (-m openat) or
 * fopen(path, "r") (-m fopen).  Every
 * read is compared with GOODREF, the signed bytes of A (kept outside the
 * protected root).  Prints one line:
 *   opens=N allowed=N denied=N other_errors=N good=N read_errors=N bad=N swaps=N
 * (denied: open failed with EACCES; other_errors: open failed otherwise,
 * e.g. ESTALE through a FUSE mount, the errors listed at the end;
 * read_errors: a read failed (vouchfs answers EIO once the verified file's
 * identity moved) after returning only good bytes; bad: an allowed open
 * returned bytes other than GOODREF's, or fewer at EOF: must be 0).  Exit 0 if bad == 0, 1 if bad > 0,
 * 2 on a usage or set-up error.
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

static int dirfd_g;
static const char *name_a, *name_b;
static atomic_bool stop;
static atomic_long swaps;

static void *swapper(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (renameat2(dirfd_g, name_a, dirfd_g, name_b, RENAME_EXCHANGE) == 0)
			atomic_fetch_add_explicit(&swaps, 1, memory_order_relaxed);
	}
	return NULL;
}

/* Read fd to EOF; *err = errno of a failed read (0 at EOF). */
static char *slurp(int fd, size_t *len, int *err)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	ssize_t got;

	*err = 0;
	while (buf && (got = read(fd, buf + n, cap - n)) != 0) {
		if (got < 0) {
			*err = errno;
			break;
		}
		n += (size_t)got;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	long n, allowed = 0, denied = 0, other = 0, good = 0, bad = 0, rderr = 0;
	char path[4096], errs[512] = "";
	size_t goodlen, len;
	char *goodbuf, *buf;
	const char *mode = "open", *base;
	pthread_t t;
	int fd, err, pdir = -1;
	FILE *fp = NULL;

	if (argc > 2 && !strcmp(argv[1], "-m")) {
		mode = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 6 || argc > 7 || (n = strtol(argv[1], NULL, 10)) < 1 ||
	    (strcmp(mode, "open") && strcmp(mode, "openat") && strcmp(mode, "fopen"))) {
		fprintf(stderr, "usage: race-swap [-m open|openat|fopen] N DIR A B GOODREF [READPATH]\n");
		return 2;
	}
	name_a = argv[3];
	name_b = argv[4];
	dirfd_g = open(argv[2], O_RDONLY | O_DIRECTORY);
	fd = open(argv[5], O_RDONLY);
	if (dirfd_g < 0 || fd < 0 || !(goodbuf = slurp(fd, &goodlen, &err)) || err) {
		perror("race-swap: set-up");
		return 2;
	}
	close(fd);
	if (argc == 7)
		snprintf(path, sizeof(path), "%s", argv[6]);
	else
		snprintf(path, sizeof(path), "%s/%s", argv[2], argv[3]);
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (!strcmp(mode, "openat")) {
		char d[4096];
		snprintf(d, sizeof(d), "%.*s", (int)(base - path), path);
		pdir = open(d[0] ? d : ".", O_RDONLY | O_DIRECTORY);
		if (pdir < 0) {
			perror("race-swap: directory of READPATH");
			return 2;
		}
	}
	if (pthread_create(&t, NULL, swapper, NULL)) {
		fprintf(stderr, "race-swap: pthread_create failed\n");
		return 2;
	}
	for (long i = 0; i < n; i++) {
		if (!strcmp(mode, "fopen")) {
			fp = fopen(path, "r");
			fd = fp ? fileno(fp) : -1;
		} else if (pdir >= 0) {
			fd = openat(pdir, base, O_RDONLY);
		} else {
			fd = open(path, O_RDONLY);
		}
		if (fd < 0) {
			if (errno == EACCES) {
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
		buf = slurp(fd, &len, &err);
		if (fp) {
			fclose(fp);
			fp = NULL;
		} else {
			close(fd);
		}
		if (!buf) {
			fprintf(stderr, "race-swap: out of memory\n");
			return 2;
		}
		if (len > goodlen || memcmp(buf, goodbuf, len))
			bad++;                  /* bytes that are not the signed ones */
		else if (err)
			rderr++;                /* a failed read (EIO: the file moved); what came before was good */
		else if (len == goodlen)
			good++;
		else
			bad++;                  /* cut short at EOF: not the signed file either */
		free(buf);
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	printf("opens=%ld allowed=%ld denied=%ld other_errors=%ld good=%ld read_errors=%ld bad=%ld swaps=%ld%s%s\n",
	       n, allowed, denied, other, good, rderr, bad, atomic_load(&swaps),
	       errs[0] ? " errors=" : "", errs);
	return bad ? 1 : 0;
}
