/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash.c - digests of file ranges: SHA-256 and BLAKE2b-512 through OpenSSL
 * EVP (SHA-256 on the CPU's SHA extensions), BLAKE3 through blake3.c; and a
 * worker pool that spreads files and shards over the cores (and a BLAKE3
 * file's tree over them when there are fewer files than cores).  Memory is bounded whatever the model size: one read buffer per
 * worker.  A caller's file offset never moves.
 *
 * The bytes come with pread into a page-aligned 1 MiB buffer.  (Hashing
 * straight from mmap'd page cache saved about a tenth of the CPU time, but
 * needs a process-wide SIGBUS handler for files truncated under the mapping,
 * which a library loaded into someone else's program must not install; with
 * the aligned buffer, pread meets the throughput target without it.)
 */
#include "vouch_i.h"
#include "blake3_i.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 1 MiB reads: large enough that syscall cost vanishes against hashing,
 * small enough that N workers stay far below the 64 MiB RSS budget. */
#define HASH_BUF (1u << 20)

/*
 * The read buffer must be page-aligned.  malloc() serves a 1 MiB request from
 * its own mmap with a 16-byte header, so the buffer starts 16 bytes into a
 * page, and the kernel's copy from the page cache (rep movsb) is then about
 * 4x slower on the AMD EPYC hosts we measured: 2.7 s of system time per 4 GiB
 * instead of 0.55 s, which alone cost a third of the hashing throughput.
 */
static uint8_t *hash_buf_new(void)
{
	return aligned_alloc(4096, HASH_BUF);
}

/* ---- hashing a range ---- */

static const EVP_MD *evp_of(enum vouch_hash h)
{
	return h == VOUCH_HASH_BLAKE2B ? EVP_blake2b512() : EVP_sha256();
}

static int hash_range(int fd, uint64_t off, uint64_t len, enum vouch_hash alg, uint8_t *out,
		      uint8_t *buf)
{
	EVP_MD_CTX *ctx = NULL;
	struct vouch_blake3 b3;
	uint64_t done = 0;
	unsigned mdlen = 0;
	int ret = 0;

	if (alg == VOUCH_HASH_BLAKE3) {
		vouch_blake3_init(&b3);
	} else {
		ctx = EVP_MD_CTX_new();
		if (!ctx)
			return -ENOMEM;
		if (EVP_DigestInit_ex(ctx, evp_of(alg), NULL) != 1) {
			ret = -EIO;
			goto out;
		}
	}
	posix_fadvise(fd, (off_t)off, len == UINT64_MAX ? 0 : (off_t)len, POSIX_FADV_SEQUENTIAL);
	while (done < len) {
		size_t want = len - done < HASH_BUF ? (size_t)(len - done) : HASH_BUF;
		ssize_t n = pread(fd, buf, want, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0) {
			if (len != UINT64_MAX)
				ret = -ERANGE;      /* the file is shorter than signed */
			break;
		}
		if (ctx)
			EVP_DigestUpdate(ctx, buf, (size_t)n);
		else
			vouch_blake3_update(&b3, buf, (size_t)n);
		done += (uint64_t)n;
	}
	if (ret)
		goto out;
	if (!ctx)
		vouch_blake3_final(&b3, out, VOUCH_BLAKE3_OUT_LEN);
	else if (EVP_DigestFinal_ex(ctx, out, &mdlen) != 1)
		ret = -EIO;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}

size_t vouch_hash_len(enum vouch_hash h)
{
	return h == VOUCH_HASH_BLAKE2B ? VOUCH_BLAKE2B_OUT_LEN : 32;
}

static const char *const hash_names[] = {
	[VOUCH_HASH_SHA256] = "sha256",
	[VOUCH_HASH_BLAKE2B] = "blake2b",
	[VOUCH_HASH_BLAKE3] = "blake3",
};

const char *vouch_hash_name(enum vouch_hash h)
{
	return (unsigned)h < ARRAY_SIZE(hash_names) ? hash_names[h] : "unknown";
}

bool vouch_hash_parse(const char *name, enum vouch_hash *h)
{
	for (size_t i = 0; i < ARRAY_SIZE(hash_names); i++)
		if (!strcmp(name, hash_names[i])) {
			*h = (enum vouch_hash)i;
			return true;
		}
	return false;
}

static int hash_one(int fd, uint64_t off, uint64_t len, enum vouch_hash alg, uint8_t *out)
{
	uint8_t *buf;
	int ret;

	if (off > INT64_MAX || (len != UINT64_MAX && len > INT64_MAX - off))
		return -EINVAL;
	if (!(buf = hash_buf_new()))
		return -ENOMEM;
	ret = hash_range(fd, off, len, alg, out, buf);
	free(buf);
	return ret;
}

int vouch_hash_fd(int fd, uint64_t off, uint64_t len, uint8_t out[32])
{
	return hash_one(fd, off, len, VOUCH_HASH_SHA256, out);
}

int vouch_blake2b_fd(int fd, uint64_t off, uint64_t len, uint8_t out[VOUCH_BLAKE2B_OUT_LEN])
{
	return hash_one(fd, off, len, VOUCH_HASH_BLAKE2B, out);
}

/* ---- the worker pool ---- */

/* vouch_hash_set_nice: 0, or the nice value hash workers run at. */
static atomic_int hash_nice;

void vouch_hash_set_nice(int nice)
{
	atomic_store(&hash_nice, nice < 0 ? 0 : nice > 19 ? 19 : nice);
}

struct pool {
	struct vouch_hash_job *jobs;
	size_t n;
	atomic_size_t next;
	bool own;                   /* set for the pool's own threads */
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	uint8_t *buf = hash_buf_new();
	int nice = atomic_load(&hash_nice);

	/* Only threads made for the pool (never the caller's) are reniced:
	 * a thread cannot take a nice value back without privilege. */
	if (nice && p->own)
		setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);

	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);

		if (i >= p->n)
			break;
		p->jobs[i].rc = buf ? hash_range(p->jobs[i].fd, p->jobs[i].off, p->jobs[i].len,
						 p->jobs[i].alg, p->jobs[i].digest, buf) : -ENOMEM;
	}
	free(buf);
	return NULL;
}

void vouch_hash_jobs(struct vouch_hash_job *jobs, size_t n, unsigned threads)
{
	struct pool p = { .jobs = jobs, .n = n };
	pthread_t tids[64];
	unsigned started = 0;

	if (!threads)
		threads = vouch_ncpu();
	if (threads > ARRAY_SIZE(tids))
		threads = ARRAY_SIZE(tids);
	/* Fewer BLAKE3 files than workers: each file's tree is split across
	 * them instead (one file at a time, every core on it). */
	if (n < threads && n && jobs[0].alg == VOUCH_HASH_BLAKE3) {
		for (size_t i = 0; i < n; i++)
			jobs[i].rc = vouch_blake3_fd(jobs[i].fd, jobs[i].off, jobs[i].len,
						     jobs[i].digest, threads);
		return;
	}
	if (threads > n)
		threads = (unsigned)n;
	atomic_init(&p.next, 0);
	/* The calling thread works too, so one job never pays for a thread;
	 * unless hashing runs reniced (vouch_hash_set_nice): then every
	 * worker is a thread of the pool's and the caller only waits. */
	p.own = atomic_load(&hash_nice) != 0;
	for (unsigned i = p.own ? 0 : 1; i < threads; i++)
		if (pthread_create(&tids[started], NULL, worker, &p) == 0)
			started++;
	if (!started)
		p.own = false;          /* no thread: the caller works, as it is */
	if (!p.own)
		worker(&p);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
}
