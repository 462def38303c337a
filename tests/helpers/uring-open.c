/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uring-open - open a file through io_uring (IORING_OP_OPENAT), which no
 * libc wrapper sees, and read it: tests/cases/preload-limits.sh shows with it
 * that the preload shim cannot stop this (vouchfs can).
 *
 *   uring-open PATH    prints "uring read N bytes", exit 0; 1 on failure
 *
 * Raw syscalls, no liburing: one submission, one completion.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned *sq_tail, *sq_array, *cq_head, *cq_tail, *sq_mask, *cq_mask;
	char *sq, *cq, buf[65536];
	int ring, fd;
	ssize_t n, total = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: uring-open PATH\n");
		return 2;
	}
	memset(&p, 0, sizeof(p));
	ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0) {
		printf("io_uring_setup: %s\n", strerror(errno));
		return 1;
	}
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return 1;
	}
	sq_tail = (unsigned *)(sq + p.sq_off.tail);
	sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	sq_array = (unsigned *)(sq + p.sq_off.array);
	cq_head = (unsigned *)(cq + p.cq_off.head);
	cq_tail = (unsigned *)(cq + p.cq_off.tail);
	cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);

	unsigned t = *sq_tail, i = t & *sq_mask;
	memset(&sqes[i], 0, sizeof(sqes[i]));
	sqes[i].opcode = IORING_OP_OPENAT;
	sqes[i].fd = AT_FDCWD;
	sqes[i].addr = (unsigned long)argv[1];
	sqes[i].open_flags = O_RDONLY;
	sq_array[i] = i;
	__atomic_store_n(sq_tail, t + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		printf("io_uring_enter: %s\n", strerror(errno));
		return 1;
	}
	unsigned h = __atomic_load_n(cq_head, __ATOMIC_ACQUIRE);
	if (h == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) {
		printf("no completion\n");
		return 1;
	}
	fd = cqes[h & *cq_mask].res;
	__atomic_store_n(cq_head, h + 1, __ATOMIC_RELEASE);
	if (fd < 0) {
		printf("openat: %s\n", strerror(-fd));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	printf("uring read %zd bytes\n", total);
	return 0;
}
