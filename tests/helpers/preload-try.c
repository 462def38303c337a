/* SPDX-License-Identifier: Apache-2.0 */
/*
 * preload-try - open files through one named libc entry point each, so the
 * preload tests can prove every wrapped symbol decides (tests/cases/preload-*).
 *
 *   preload-try CALL PATH [CALL PATH ...]
 *
 * Prints one line per pair: "CALL ok off=N" (N: the fd's offset after the
 * open, which the shim must never move; the first byte is then read back) or
 * "CALL errno=E".  Exit status 0 if every call succeeded, 1 otherwise.
 * CALL is a libc name (open, open64, __open, __open64, __open_2, __open64_2,
 * openat, openat64, __openat_2, __openat64_2, fopen, fopen64, freopen,
 * freopen64, open_by_handle_at) or: rdwr (open O_RDWR), wronly (O_WRONLY),
 * opath (O_PATH), reopen (O_PATH then open("/proc/self/fd/N")), direct
 * (O_DIRECT), freopen-null (fopen(PATH, "a"), a write, then freopen(NULL, "r")),
 * openat2 (the raw system call, which no shim sees; it tells whether a
 * sandbox refuses openat2, as systemd's RestrictSUIDSGID= does with ENOSYS).
 */
#undef _FORTIFY_SOURCE   /* call exactly the symbol named, not a fortified alias */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int __open(const char *path, int flags, ...);
int __open64(const char *path, int flags, ...);
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

static int dir_of(const char *path, const char **base)
{
	static char buf[4096];
	char *d;

	snprintf(buf, sizeof(buf), "%s", path);
	*base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	d = dirname(buf);
	return open(d, O_RDONLY | O_DIRECTORY);
}

static int by_handle(const char *path)
{
	struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
	int mnt, fd;

	h->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, h, &mnt, 0) < 0)
		return -1;
	mnt = open("/", O_RDONLY | O_DIRECTORY);
	fd = open_by_handle_at(mnt, h, O_RDONLY);
	free(h);
	return fd;
}

/* Returns an fd (or -1 with errno); *fp set for stdio calls. */
static int try(const char *call, const char *path, FILE **fp)
{
	const char *base;
	int d, fd;

	*fp = NULL;
	if (!strcmp(call, "open")) return open(path, O_RDONLY);
	if (!strcmp(call, "open64")) return open64(path, O_RDONLY);
	if (!strcmp(call, "__open")) return __open(path, O_RDONLY);
	if (!strcmp(call, "__open64")) return __open64(path, O_RDONLY);
	if (!strcmp(call, "__open_2")) return __open_2(path, O_RDONLY);
	if (!strcmp(call, "__open64_2")) return __open64_2(path, O_RDONLY);
	if (!strcmp(call, "rdwr")) return open(path, O_RDWR);
	if (!strcmp(call, "wronly")) return open(path, O_WRONLY);
	if (!strcmp(call, "opath")) return open(path, O_PATH);
	if (!strcmp(call, "direct")) return open(path, O_RDONLY | O_DIRECT);
	if (!strcmp(call, "open_by_handle_at")) return by_handle(path);
	if (!strcmp(call, "openat2")) {
		struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
		return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	}
	if (!strcmp(call, "reopen")) {
		char p[64];
		int o = open(path, O_PATH);
		if (o < 0)
			return -1;
		snprintf(p, sizeof(p), "/proc/self/fd/%d", o);
		return open(p, O_RDONLY);
	}
	if (!strncmp(call, "openat", 6) || !strncmp(call, "__openat", 8)) {
		d = dir_of(path, &base);
		if (d < 0)
			return -1;
		if (!strcmp(call, "openat")) fd = openat(d, base, O_RDONLY);
		else if (!strcmp(call, "openat64")) fd = openat64(d, base, O_RDONLY);
		else if (!strcmp(call, "__openat_2")) fd = __openat_2(d, base, O_RDONLY);
		else if (!strcmp(call, "__openat64_2")) fd = __openat64_2(d, base, O_RDONLY);
		else { errno = EINVAL; fd = -1; }
		return fd;
	}
	if (!strcmp(call, "fopen")) *fp = fopen(path, "r");
	else if (!strcmp(call, "fopen64")) *fp = fopen64(path, "r");
	else if (!strcmp(call, "freopen")) *fp = freopen(path, "r", fopen("/dev/null", "r"));
	else if (!strcmp(call, "freopen64")) *fp = freopen64(path, "r", fopen("/dev/null", "r"));
	else if (!strcmp(call, "freopen-null")) {
		FILE *f = fopen(path, "a");       /* write-only: not a read, passes */
		*fp = f ? freopen(NULL, "r", f) : NULL;
	} else {
		fprintf(stderr, "preload-try: unknown call %s\n", call);
		exit(2);
	}
	return *fp ? fileno(*fp) : -1;
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc < 3 || argc % 2 == 0) {
		fprintf(stderr, "usage: preload-try CALL PATH [CALL PATH ...]\n");
		return 2;
	}
	for (int i = 1; i + 1 < argc; i += 2) {
		FILE *f;
		char c;
		int fd = try(argv[i], argv[i + 1], &f);
		if (fd < 0) {
			printf("%s errno=%d\n", argv[i], errno);
			bad = 1;
			continue;
		}
		/* O_PATH fds have no offset. */
		off_t off = strcmp(argv[i], "opath") ? lseek(fd, 0, SEEK_CUR) : 0;
		if (strcmp(argv[i], "opath") && strcmp(argv[i], "wronly") && strcmp(argv[i], "direct") &&
		    read(fd, &c, 1) < 0) {
			printf("%s read-errno=%d\n", argv[i], errno);
			bad = 1;
		} else {
			printf("%s ok off=%lld\n", argv[i], (long long)off);
		}
		if (f)
			fclose(f);
		else
			close(fd);
	}
	return bad;
}
