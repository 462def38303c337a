/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attack-read - the reader of the attack suite (tests/attacks/): open one
 * file the way a model loader would, read it all, and say exactly what it
 * got, so a case can tell a denial from an allow and an allow of the signed
 * bytes from one of the attacker's.
 *
 *   attack-read [-m MODE] [-x MARKER] [-w READY GO] [-r OFF:LEN] PATH
 *
 * MODE (how the file is opened; every call goes through the PLT, so the
 * LD_PRELOAD shim sees it):
 *   open      open(PATH, O_RDONLY) (the default)
 *   nonblock  open(PATH, O_RDONLY | O_NONBLOCK) (a FIFO opens at once)
 *   fopen     fopen(PATH, "r")
 *   mmap      open(PATH), then read through mmap(MAP_SHARED, PROT_READ)
 *   procfd    open(PATH, O_PATH), then open("/proc/self/fd/N", O_RDONLY)
 *   handle    name_to_handle_at(PATH), then open_by_handle_at with an fd of
 *             PATH's directory as the mount fd
 * -w READY GO: after a successful open (and the mapping, in mmap mode)
 * create READY and wait until GO exists before the first read: a case
 * changes the file between the verification and the read.
 * -r OFF:LEN: read only that window (pread), not the whole file.
 *
 * Prints one line:
 *   allow sha256=HEX size=N marker=0|1 [rderr=ENAME]
 *   deny errno=ENAME
 * (size: bytes read; marker=1: MARKER (default "ATTACKER-BYTES") occurs in
 * them; rderr: a read that failed after the bytes counted, SIGBUS for a
 * mapping that reached past the file's end).  Exit 0 when the
 * line was printed, 2 on a usage or set-up error.
 */
#undef _FORTIFY_SOURCE   /* call exactly the symbol named, not a fortified alias */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <setjmp.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *marker = "ATTACKER-BYTES";
static crypto_hash_sha256_state sha;
static unsigned long long total;
static bool found;
static char carry[256];
static size_t ncarry;
static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

/* Hash and search one chunk (the marker may straddle two chunks). */
static void feed(const unsigned char *p, size_t n)
{
	size_t ml = strlen(marker);
	char buf[512];

	crypto_hash_sha256_update(&sha, p, n);
	total += n;
	if (found || n == 0)
		return;
	if (ncarry) {
		size_t k = n < ml ? n : ml;
		memcpy(buf, carry, ncarry);
		memcpy(buf + ncarry, p, k);
		if (memmem(buf, ncarry + k, marker, ml))
			found = true;
	}
	if (memmem(p, n, marker, ml))
		found = true;
	ncarry = n < ml - 1 ? n : ml - 1;
	memcpy(carry, p + n - ncarry, ncarry);
}

/* Read [s, e) of a mapping.  A truncation shows here as SIGBUS past the
 * new end, what a loader would get too: -1 then. */
static int read_map(const char *map, unsigned long long s, unsigned long long e)
{
	static unsigned char mbuf[1 << 20];
	static volatile unsigned long long o;

	signal(SIGBUS, on_bus);
	if (sigsetjmp(bus_jmp, 1) != 0)
		return -1;
	for (o = s; o < e; o += sizeof(mbuf)) {
		size_t n = e - o < sizeof(mbuf) ? (size_t)(e - o) : sizeof(mbuf);
		memcpy(mbuf, map + o, n);
		feed(mbuf, n);
	}
	return 0;
}

static int by_handle(const char *path)
{
	struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
	char d[4096];
	int mnt, fd, mid, e;

	if (!h)
		return -1;
	h->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, h, &mid, 0) < 0) {
		e = errno;
		free(h);
		errno = e;
		return -1;
	}
	snprintf(d, sizeof(d), "%s", path);
	mnt = open(dirname(d), O_RDONLY | O_DIRECTORY);
	if (mnt < 0) {
		perror("attack-read: directory of PATH");
		exit(2);
	}
	fd = open_by_handle_at(mnt, h, O_RDONLY);
	e = errno;
	close(mnt);
	free(h);
	errno = e;
	return fd;
}

int main(int argc, char **argv)
{
	const char *mode = "open", *ready = NULL, *go = NULL, *path;
	unsigned long long off = 0, len = 0;
	static unsigned char buf[1 << 20];
	unsigned char digest[32];
	char hex[65];
	bool window = false;
	int opt, fd, rderr = 0;
	FILE *fp = NULL;
	char *map = NULL;
	struct stat st;

	while ((opt = getopt(argc, argv, "m:x:w:r:")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'x': marker = optarg; break;
		case 'w':
			if (optind >= argc)
				goto usage;
			ready = optarg;
			go = argv[optind++];
			break;
		case 'r':
			if (sscanf(optarg, "%llu:%llu", &off, &len) != 2)
				goto usage;
			window = true;
			break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || strlen(marker) == 0 || strlen(marker) >= sizeof(carry))
		goto usage;
	path = argv[optind];
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		return 2;
	crypto_hash_sha256_init(&sha);

	if (!strcmp(mode, "open") || !strcmp(mode, "mmap")) {
		fd = open(path, O_RDONLY);
	} else if (!strcmp(mode, "nonblock")) {
		fd = open(path, O_RDONLY | O_NONBLOCK);
	} else if (!strcmp(mode, "fopen")) {
		fp = fopen(path, "r");
		fd = fp ? fileno(fp) : -1;
	} else if (!strcmp(mode, "procfd")) {
		char p[64];
		int o = open(path, O_PATH);
		if (o < 0) {
			printf("deny errno=%s\n", ename(errno));
			return 0;
		}
		snprintf(p, sizeof(p), "/proc/self/fd/%d", o);
		fd = open(p, O_RDONLY);
	} else if (!strcmp(mode, "handle")) {
		fd = by_handle(path);
	} else {
		goto usage;
	}
	if (fd < 0) {
		printf("deny errno=%s\n", ename(errno));
		return 0;
	}
	if (!strcmp(mode, "mmap")) {
		if (fstat(fd, &st) < 0)
			return 2;
		if (st.st_size > 0) {
			map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
			if (map == MAP_FAILED) {
				printf("deny errno=%s (mmap)\n", ename(errno));
				return 0;
			}
		}
	}
	if (ready) {
		close(open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
		while (access(go, F_OK) != 0)
			usleep(2000);
	}
	if (map) {
		unsigned long long e = window ? off + len : (unsigned long long)st.st_size;
		rderr = read_map(map, window ? off : 0,
				 e > (unsigned long long)st.st_size ? (unsigned long long)st.st_size : e);
	} else if (window) {
		while (len > 0) {
			ssize_t n = pread(fd, buf, len < sizeof(buf) ? (size_t)len : sizeof(buf),
					  (off_t)off);
			if (n <= 0) {
				rderr = n < 0 ? errno : 0;
				break;
			}
			feed(buf, (size_t)n);
			off += (unsigned long long)n;
			len -= (unsigned long long)n;
		}
	} else {
		for (;;) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n < 0 && errno == EAGAIN)
				break;          /* a FIFO opened O_NONBLOCK with no data */
			if (n <= 0) {
				rderr = n < 0 ? errno : 0;
				break;
			}
			feed(buf, (size_t)n);
		}
	}
	crypto_hash_sha256_final(&sha, digest);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	printf("allow sha256=%s size=%llu marker=%d%s%s\n", hex, total, found ? 1 : 0,
	       rderr ? " rderr=" : "", rderr < 0 ? "SIGBUS" : rderr ? ename(rderr) : "");
	if (fp)
		fclose(fp);
	else
		close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: attack-read [-m open|nonblock|fopen|mmap|procfd|handle] [-x MARKER] "
		"[-w READY GO] [-r OFF:LEN] PATH\n");
	return 2;
}
