/* SPDX-License-Identifier: Apache-2.0 */
/*
 * handle-open - open a file by handle, the way issue 15's defect 7 does it
 * (tests/cases/preload-handle.sh).
 *
 *   handle-open save PATH HANDLEFILE   name_to_handle_at(PATH) -> HANDLEFILE
 *   handle-open open HANDLEFILE REF    open_by_handle_at(open("/"), handle,
 *                                      O_RDONLY) through the PLT (an
 *                                      LD_PRELOAD shim sees it), then read
 *                                      the file to EOF and compare with REF
 *
 * "open" prints one line: "ok path=P bytes=same|differ" (P: what
 * /proc/self/fd/N names, "/" for a disconnected dentry) or "errno=E".
 * Exit 0 when the line was printed, 2 on a usage or set-up error.
 */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_fd_file(int fd, const char *ref)
{
	char a[65536], b[65536];
	FILE *r = fopen(ref, "rb");
	int same = 1;

	if (!r)
		return -1;
	for (;;) {
		ssize_t na = 0, got;
		size_t nb;

		while (na < (ssize_t)sizeof(a) && (got = read(fd, a + na, sizeof(a) - (size_t)na)) > 0)
			na += got;
		nb = fread(b, 1, (size_t)na ? (size_t)na : sizeof(b), r);
		if ((size_t)na != nb || memcmp(a, b, nb)) {
			same = 0;
			break;
		}
		if (na == 0)
			break;
	}
	fclose(r);
	return same;
}

int main(int argc, char **argv)
{
	struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
	char link[64], path[4096];
	int mnt, fd, same;
	ssize_t n;
	FILE *f;

	if (!h || argc != 4)
		goto usage;
	if (!strcmp(argv[1], "save")) {
		h->handle_bytes = MAX_HANDLE_SZ;
		if (name_to_handle_at(AT_FDCWD, argv[2], h, &mnt, 0) < 0) {
			perror("handle-open: name_to_handle_at");
			return 2;
		}
		if (!(f = fopen(argv[3], "wb")) ||
		    fwrite(h, sizeof(*h) + h->handle_bytes, 1, f) != 1 || fclose(f)) {
			perror("handle-open: write handle");
			return 2;
		}
		return 0;
	}
	if (strcmp(argv[1], "open"))
		goto usage;
	if (!(f = fopen(argv[2], "rb")) || fread(h, 1, sizeof(*h) + MAX_HANDLE_SZ, f) < sizeof(*h)) {
		perror("handle-open: read handle");
		return 2;
	}
	fclose(f);
	mnt = open("/", O_RDONLY | O_DIRECTORY);
	if (mnt < 0) {
		perror("handle-open: /");
		return 2;
	}
	fd = open_by_handle_at(mnt, h, O_RDONLY);
	if (fd < 0) {
		printf("errno=%d\n", errno);
		return 0;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = '\0';
	same = cmp_fd_file(fd, argv[3]);
	if (same < 0) {
		perror("handle-open: REF");
		return 2;
	}
	printf("ok path=%s bytes=%s\n", path, same ? "same" : "differ");
	return 0;
usage:
	fprintf(stderr, "usage: handle-open save PATH HANDLEFILE | open HANDLEFILE REF\n");
	return 2;
}
