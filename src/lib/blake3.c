/* SPDX-License-Identifier: Apache-2.0 */
/*
 * blake3.c - BLAKE3, written from its specification (Aumasson, Neves,
 * O'Connor, Wilcox-O'Hearn, "BLAKE3: one function, fast everywhere", 2020):
 * the portable compression function, the chunk state, the tree of chunks and
 * parents with extendable output, the choice of SIMD kernels at run time, and
 * hashing a file range with the tree split across threads.  The SIMD kernels
 * are in blake3_simd.c; this file holds everything whose speed does not
 * matter or that only calls them.  Owns no policy: what a hash is compared
 * with is verify.c's business.
 *
 * The tree, as the spec defines it: the input is cut into 1 KiB chunks
 * (counter = chunk index); a tree of n > 1 chunks is a parent node over a left
 * subtree of the largest power of two chunks less than n and a right subtree
 * of the rest; only the root's compression carries ROOT.  Equivalently, every
 * aligned run of 2^k chunks that ends before the input does is a subtree, and
 * the right edge is folded last.  The hasher keeps one chaining value per
 * finished aligned subtree (a stack, merged lazily: a pair is merged only
 * once input after it proves it is not the root), and hashes whole aligned
 * subtrees of up to SUBTREE_MAX chunks at once with the many-inputs kernels,
 * chunks first, then each level of parents.
 */
#include "blake3_i.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Subtrees hashed in one go: 512 chunks (512 KiB) needs 24 KiB of stack for
 * the chaining values of its levels and keeps the 16-lane kernel busy on all
 * but the last five levels; larger ones merge on the stack at a cost of one
 * compression per 512 chunks. */
#define SUBTREE_MAX 512

/* ---- portable compression ---- */

static inline uint32_t rotr32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static inline uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void store32(uint8_t *p, uint32_t w)
{
	p[0] = (uint8_t)w;
	p[1] = (uint8_t)(w >> 8);
	p[2] = (uint8_t)(w >> 16);
	p[3] = (uint8_t)(w >> 24);
}

static inline void g(uint32_t v[16], int a, int b, int c, int d, uint32_t x, uint32_t y)
{
	v[a] = v[a] + v[b] + x;
	v[d] = rotr32(v[d] ^ v[a], 16);
	v[c] = v[c] + v[d];
	v[b] = rotr32(v[b] ^ v[c], 12);
	v[a] = v[a] + v[b] + y;
	v[d] = rotr32(v[d] ^ v[a], 8);
	v[c] = v[c] + v[d];
	v[b] = rotr32(v[b] ^ v[c], 7);
}

/* The compression function: v becomes its 16-word output (the first 8 are
 * the new chaining value; all 16 are a root's output block). */
static void compress(const uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
		     uint64_t counter, uint8_t flags, uint32_t v[16])
{
	uint32_t m[16];

	/* memcpy, not a loop of loads: gcc -fanalyzer (make analyze) loses
	 * track of which words a loop set and calls the rest uninitialized. */
	memcpy(m, block, sizeof(m));
	for (int i = 0; i < 16; i++)
		m[i] = le32toh(m[i]);
	memcpy(v, cv, 8 * sizeof(*v));
	v[8] = vouch_b3_iv[0];
	v[9] = vouch_b3_iv[1];
	v[10] = vouch_b3_iv[2];
	v[11] = vouch_b3_iv[3];
	v[12] = (uint32_t)counter;
	v[13] = (uint32_t)(counter >> 32);
	v[14] = block_len;
	v[15] = flags;
	/* Written out with constant rounds, for the same reason. */
#define ROUND(r) do {                                                           \
	const uint8_t *s = vouch_b3_sigma[r];                                   \
	g(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);                                    \
	g(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);                                    \
	g(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);                                   \
	g(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);                                   \
	g(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);                                   \
	g(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);                                 \
	g(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);                                  \
	g(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);                                  \
} while (0)
	ROUND(0); ROUND(1); ROUND(2); ROUND(3); ROUND(4); ROUND(5); ROUND(6);
#undef ROUND
	for (int i = 0; i < 8; i++) {
		v[i] ^= v[i + 8];
		v[i + 8] ^= cv[i];
	}
}

void vouch_blake3_many_portable(const uint8_t *in, size_t stride, size_t n, size_t nblocks,
				const uint32_t key[8], uint64_t counter, unsigned counter_step,
				uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t cv[8], v[16];

		memcpy(cv, key, sizeof(cv));
		for (size_t b = 0; b < nblocks; b++) {
			uint8_t f = flags | (b == 0 ? flags_start : 0) |
				    (b + 1 == nblocks ? flags_end : 0);

			compress(cv, in + i * stride + b * 64, 64, counter + i * counter_step, f,
				 v);
			memcpy(cv, v, sizeof(cv));
		}
		for (int w = 0; w < 8; w++)
			store32(out + 32 * i + 4 * w, cv[w]);
	}
}

/* ---- run-time choice of kernels ---- */

static vouch_blake3_many_fn *const many_of[VOUCH_BLAKE3_ISA_COUNT] = {
	[VOUCH_BLAKE3_PORTABLE] = vouch_blake3_many_portable,
	[VOUCH_BLAKE3_SSE41]    = vouch_blake3_many_sse41,
	[VOUCH_BLAKE3_AVX2]     = vouch_blake3_many_avx2,
	[VOUCH_BLAKE3_AVX512]   = vouch_blake3_many_avx512,
};

/* Each kernel hands the inputs left over from its lane width to the next
 * narrower one, so an instruction set is usable only with all below it. */
static unsigned isa_detect(void)
{
	unsigned best = VOUCH_BLAKE3_PORTABLE;

#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("sse4.1"))
		return best;
	best = VOUCH_BLAKE3_SSE41;
	if (!__builtin_cpu_supports("avx2"))
		return best;
	best = VOUCH_BLAKE3_AVX2;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
		best = VOUCH_BLAKE3_AVX512;
#endif
	return best;
}

enum vouch_blake3_isa vouch_blake3_isa_best(void)
{
	/* 0: not yet known; else best + 1.  Racing first calls agree. */
	static atomic_uint cached;
	unsigned c = atomic_load_explicit(&cached, memory_order_relaxed);

	if (!c) {
		c = isa_detect() + 1;
		atomic_store_explicit(&cached, c, memory_order_relaxed);
	}
	return (enum vouch_blake3_isa)(c - 1);
}

bool vouch_blake3_isa_ok(enum vouch_blake3_isa isa)
{
	return (unsigned)isa <= (unsigned)vouch_blake3_isa_best();
}

const char *vouch_blake3_isa_name(enum vouch_blake3_isa isa)
{
	static const char *const names[VOUCH_BLAKE3_ISA_COUNT] = {
		"portable", "sse41", "avx2", "avx512",
	};

	return (unsigned)isa < VOUCH_BLAKE3_ISA_COUNT ? names[isa] : "?";
}

/* ---- chunks, outputs, parents ---- */

/* What a node's last compression takes: finished into a chaining value
 * (inner node) or into output blocks with ROOT (the root). */
struct output {
	uint32_t cv[8];
	uint8_t  block[64];
	uint64_t counter;
	uint8_t  block_len;
	uint8_t  flags;
};

static void output_cv(const struct output *o, uint8_t cv[32])
{
	uint32_t v[16];

	compress(o->cv, o->block, o->block_len, o->counter, o->flags, v);
	for (int i = 0; i < 8; i++)
		store32(cv + 4 * i, v[i]);
}

static void output_root(const struct output *o, uint64_t seek, uint8_t *out, size_t outlen)
{
	uint64_t counter = seek / 64;
	size_t skip = (size_t)(seek % 64);

	while (outlen) {
		uint8_t block[64];
		uint32_t v[16];
		size_t take;

		compress(o->cv, o->block, o->block_len, counter++, o->flags | VOUCH_B3_ROOT, v);
		for (int i = 0; i < 16; i++)
			store32(block + 4 * i, v[i]);
		take = 64 - skip < outlen ? 64 - skip : outlen;
		memcpy(out, block + skip, take);
		out += take;
		outlen -= take;
		skip = 0;
	}
}

static void parent_output(const struct vouch_blake3 *h, const uint8_t left[32],
			  const uint8_t right[32], struct output *o)
{
	memcpy(o->cv, h->key, sizeof(o->cv));
	memcpy(o->block, left, 32);
	memcpy(o->block + 32, right, 32);
	o->counter = 0;
	o->block_len = 64;
	o->flags = h->flags | VOUCH_B3_PARENT;
}

static void chunk_init(struct vouch_blake3_chunk *c, const uint32_t key[8], uint64_t counter)
{
	memcpy(c->cv, key, sizeof(c->cv));
	c->counter = counter;
	memset(c->buf, 0, sizeof(c->buf));
	c->buf_len = 0;
	c->blocks = 0;
}

static size_t chunk_len(const struct vouch_blake3_chunk *c)
{
	return (size_t)c->blocks * 64 + c->buf_len;
}

static uint8_t chunk_start_flag(const struct vouch_blake3_chunk *c)
{
	return c->blocks == 0 ? VOUCH_B3_CHUNK_START : 0;
}

/* Absorb at most what is left of the chunk.  A full block is compressed only
 * when more input follows: the last block must carry CHUNK_END. */
static void chunk_update(struct vouch_blake3_chunk *c, uint8_t flags, const uint8_t *in, size_t len)
{
	while (len) {
		size_t take;

		if (c->buf_len == 64) {
			uint32_t v[16];

			compress(c->cv, c->buf, 64, c->counter, flags | chunk_start_flag(c), v);
			memcpy(c->cv, v, sizeof(c->cv));
			c->blocks++;
			c->buf_len = 0;
			memset(c->buf, 0, sizeof(c->buf));
		}
		take = 64u - c->buf_len < len ? 64u - c->buf_len : len;
		memcpy(c->buf + c->buf_len, in, take);
		c->buf_len = (uint8_t)(c->buf_len + take);
		in += take;
		len -= take;
	}
}

static void chunk_output(const struct vouch_blake3_chunk *c, uint8_t flags, struct output *o)
{
	memcpy(o->cv, c->cv, sizeof(o->cv));
	memcpy(o->block, c->buf, 64);       /* zero past buf_len: the spec's padding */
	o->counter = c->counter;
	o->block_len = c->buf_len;
	o->flags = flags | chunk_start_flag(c) | VOUCH_B3_CHUNK_END;
}

/* ---- the hasher ---- */

static void hasher_init(struct vouch_blake3 *h, const uint32_t key[8], uint8_t flags,
			uint64_t base)
{
	memcpy(h->key, key, sizeof(h->key));
	h->flags = flags;
	h->isa = (uint8_t)vouch_blake3_isa_best();
	h->stack_len = 0;
	h->base = base;
	chunk_init(&h->chunk, key, base);
}

void vouch_blake3_init(struct vouch_blake3 *h)
{
	hasher_init(h, vouch_b3_iv, 0, 0);
}

void vouch_blake3_init_keyed(struct vouch_blake3 *h, const uint8_t key[VOUCH_BLAKE3_KEY_LEN])
{
	uint32_t k[8];

	for (int i = 0; i < 8; i++)
		k[i] = load32(key + 4 * i);
	hasher_init(h, k, VOUCH_B3_KEYED_HASH, 0);
}

void vouch_blake3_init_derive_key(struct vouch_blake3 *h, const char *context)
{
	uint8_t ck[32];
	uint32_t k[8];

	hasher_init(h, vouch_b3_iv, VOUCH_B3_DERIVE_KEY_CONTEXT, 0);
	vouch_blake3_update(h, context, strlen(context));
	vouch_blake3_final(h, ck, sizeof(ck));
	for (int i = 0; i < 8; i++)
		k[i] = load32(ck + 4 * i);
	hasher_init(h, k, VOUCH_B3_DERIVE_KEY_MATERIAL, 0);
}

int vouch_blake3_set_isa(struct vouch_blake3 *h, enum vouch_blake3_isa isa)
{
	if (!vouch_blake3_isa_ok(isa))
		return -ENOTSUP;
	h->isa = (uint8_t)isa;
	return 0;
}

/*
 * Input exists from chunk `t` (counted from h->base) on, so every subtree
 * before it that is complete can be merged: the finished subtrees of t
 * chunks are the popcount(t) aligned runs of its binary form, and anything
 * on the stack beyond that is pairs of siblings, which that input shows are
 * not the root.  Afterwards the stack holds exactly those runs, so folding it
 * onto whatever follows builds the spec's tree.
 */
static void merge_before(struct vouch_blake3 *h, uint64_t t)
{
	while (h->stack_len > (unsigned)__builtin_popcountll(t)) {
		struct output o;

		parent_output(h, h->stack[h->stack_len - 2], h->stack[h->stack_len - 1], &o);
		output_cv(&o, h->stack[h->stack_len - 2]);
		h->stack_len--;
	}
}

/* Push the chaining value of the aligned subtree that starts at chunk t. */
static void push_cv(struct vouch_blake3 *h, const uint8_t cv[32], uint64_t t)
{
	merge_before(h, t);
	memcpy(h->stack[h->stack_len++], cv, 32);
}

/*
 * Hash an aligned subtree of n chunks (a power of two, 2 <= n <= SUBTREE_MAX)
 * to the chaining values of its two children: its own would be the root's if
 * no input followed, and only the finalizer may decide that.
 */
static void subtree_pair(const struct vouch_blake3 *h, const uint8_t *in, size_t n,
			 uint64_t counter, uint8_t pair[64])
{
	_Alignas(64) uint8_t a[SUBTREE_MAX * 32], b[SUBTREE_MAX / 2 * 32];
	vouch_blake3_many_fn *many = many_of[h->isa];
	uint8_t *src = a, *dst = b, *t;

	many(in, VOUCH_BLAKE3_CHUNK_LEN, n, VOUCH_BLAKE3_CHUNK_LEN / 64, h->key, counter, 1,
	     h->flags, VOUCH_B3_CHUNK_START, VOUCH_B3_CHUNK_END, src);
	for (; n > 2; n /= 2) {
		many(src, 64, n / 2, 1, h->key, 0, 0, h->flags | VOUCH_B3_PARENT, 0, 0, dst);
		t = src;
		src = dst;
		dst = t;
	}
	memcpy(pair, src, 64);
}

void vouch_blake3_update(struct vouch_blake3 *h, const void *input, size_t len)
{
	const uint8_t *in = input;

	while (len) {
		size_t have = chunk_len(&h->chunk);

		if (have == VOUCH_BLAKE3_CHUNK_LEN) {     /* full, and more follows */
			struct output o;
			uint8_t cv[32];

			chunk_output(&h->chunk, h->flags, &o);
			output_cv(&o, cv);
			push_cv(h, cv, h->chunk.counter - h->base);
			chunk_init(&h->chunk, h->key, h->chunk.counter + 1);
			have = 0;
		}
		if (have == 0 && len > VOUCH_BLAKE3_CHUNK_LEN) {
			uint64_t t = h->chunk.counter - h->base;
			size_t n = SUBTREE_MAX;

			while (n > len / VOUCH_BLAKE3_CHUNK_LEN || (t & (n - 1)))
				n /= 2;
			if (n >= 2) {
				uint8_t pair[64];

				subtree_pair(h, in, n, h->chunk.counter, pair);
				push_cv(h, pair, t);
				push_cv(h, pair + 32, t + n / 2);
				chunk_init(&h->chunk, h->key, h->chunk.counter + n);
				in += n * VOUCH_BLAKE3_CHUNK_LEN;
				len -= n * VOUCH_BLAKE3_CHUNK_LEN;
				continue;
			}
		}
		{
			size_t take = VOUCH_BLAKE3_CHUNK_LEN - have < len ?
				      VOUCH_BLAKE3_CHUNK_LEN - have : len;

			merge_before(h, h->chunk.counter - h->base);
			chunk_update(&h->chunk, h->flags, in, take);
			in += take;
			len -= take;
		}
	}
}

/* The last compression of the node that covers everything absorbed: the
 * right edge folded into the stack, right to left. */
static void hasher_output(const struct vouch_blake3 *h, struct output *o)
{
	size_t i = h->stack_len;

	if (chunk_len(&h->chunk) > 0 || i == 0) {
		chunk_output(&h->chunk, h->flags, o);
	} else {        /* input ended on a subtree: its pair is on top */
		parent_output(h, h->stack[i - 2], h->stack[i - 1], o);
		i -= 2;
	}
	while (i > 0) {
		uint8_t cv[32];

		output_cv(o, cv);
		i--;
		parent_output(h, h->stack[i], cv, o);
	}
}

void vouch_blake3_final_seek(const struct vouch_blake3 *h, uint64_t seek, uint8_t *out,
			     size_t outlen)
{
	struct output o;

	hasher_output(h, &o);
	output_root(&o, seek, out, outlen);
}

void vouch_blake3_final(const struct vouch_blake3 *h, uint8_t *out, size_t outlen)
{
	vouch_blake3_final_seek(h, 0, out, outlen);
}

void vouch_blake3(const void *in, size_t len, uint8_t out[VOUCH_BLAKE3_OUT_LEN])
{
	struct vouch_blake3 h;

	vouch_blake3_init(&h);
	vouch_blake3_update(&h, in, len);
	vouch_blake3_final(&h, out, VOUCH_BLAKE3_OUT_LEN);
}

/* ---- files ---- */

/*
 * pread into a page-aligned buffer (see hash.c for what a misaligned one
 * costs the kernel's copy), not mmap.  Measured on the 4 GiB bench file in
 * page cache, one thread: the kernel's copy costs about a quarter of the
 * hashing time, yet the total matches b3sum --num-threads 1 (which maps the
 * file), because the kernels then read from L2 instead of DRAM; hashing
 * through 16 MiB mmap windows measured no faster (a fifth slower where the
 * page cache held small folios), and would need a process-wide SIGBUS
 * handler for a file truncated under the mapping.
 * 1 MiB reads: syscall cost vanishes, and 256 KiB to 2 MiB measured alike.
 */
#define READ_BUF (1u << 20)
/* At most this many subtrees per file for the workers to share: enough to
 * keep every core busy to the end, and the chaining values (32 bytes each)
 * stay at 128 KiB whatever the file size. */
#define UNITS_MAX 4096

/* Hash len bytes at off into h (a fresh hasher), reading into buf. */
static int hash_range(struct vouch_blake3 *h, int fd, uint64_t off, uint64_t len, uint8_t *buf)
{
	uint64_t done = 0;

	while (done < len) {
		size_t want = len - done < READ_BUF ? (size_t)(len - done) : READ_BUF;
		ssize_t n = pread(fd, buf, want, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ERANGE;         /* the file is shorter than the range */
		vouch_blake3_update(h, buf, (size_t)n);
		done += (uint64_t)n;
	}
	return 0;
}

struct fd_job {
	int       fd;
	uint64_t  off, len;
	uint64_t  unit;             /* bytes per subtree: a power of two chunks */
	size_t    nunits;           /* the last may be shorter */
	uint8_t (*cvs)[32];
	atomic_size_t next;
	atomic_int    err;
};

/* Each unit is a subtree of the whole tree (aligned, a power of two chunks;
 * the last is the right edge), hashed to its chaining value: never the root,
 * as a file of one unit is hashed without workers. */
static void *fd_worker(void *arg)
{
	struct fd_job *j = arg;
	uint8_t *buf = aligned_alloc(4096, READ_BUF);
	int expect = 0;

	if (!buf) {
		atomic_compare_exchange_strong(&j->err, &expect, -ENOMEM);
		return NULL;
	}
	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);
		uint64_t at = (uint64_t)i * j->unit;
		struct vouch_blake3 h;
		struct output o;
		int rc;

		if (i >= j->nunits || atomic_load(&j->err))
			break;
		hasher_init(&h, vouch_b3_iv, 0, at / VOUCH_BLAKE3_CHUNK_LEN);
		rc = hash_range(&h, j->fd, j->off + at,
				j->len - at < j->unit ? j->len - at : j->unit, buf);
		if (rc) {
			atomic_compare_exchange_strong(&j->err, &expect, rc);
			break;
		}
		hasher_output(&h, &o);
		output_cv(&o, j->cvs[i]);
	}
	free(buf);
	return NULL;
}

static int hash_parallel(int fd, uint64_t off, uint64_t len, unsigned nthreads, uint64_t unit,
			 uint8_t out[32])
{
	struct fd_job j = { .fd = fd, .off = off, .len = len, .unit = unit };
	pthread_t tids[64];
	unsigned started = 0;
	struct vouch_blake3 h;
	struct output o;
	int ret;

	j.nunits = (size_t)((len + unit - 1) / unit);
	j.cvs = malloc(j.nunits * sizeof(*j.cvs));
	if (!j.cvs)
		return -ENOMEM;
	atomic_init(&j.next, 0);
	atomic_init(&j.err, 0);
	if (nthreads > j.nunits)
		nthreads = (unsigned)j.nunits;
	for (unsigned i = 1; i < nthreads; i++)
		if (pthread_create(&tids[started], NULL, fd_worker, &j) == 0)
			started++;
	fd_worker(&j);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	ret = atomic_load(&j.err);
	if (!ret) {
		/* Join the units as the tree does: they are chunks scaled by
		 * unit/1 KiB, so the stack's rule holds with unit indices. */
		hasher_init(&h, vouch_b3_iv, 0, 0);
		for (size_t i = 0; i < j.nunits; i++)
			push_cv(&h, j.cvs[i], i);
		hasher_output(&h, &o);
		output_root(&o, 0, out, 32);
	}
	free(j.cvs);
	return ret;
}

int vouch_blake3_fd(int fd, uint64_t off, uint64_t len, uint8_t out[VOUCH_BLAKE3_OUT_LEN],
		    unsigned nthreads)
{
	bool to_eof = len == UINT64_MAX;
	uint64_t unit = READ_BUF;
	uint8_t *buf = NULL;
	uint8_t probe, hash[VOUCH_BLAKE3_OUT_LEN];
	int ret;

	if (off > INT64_MAX)
		return -EINVAL;
	if (to_eof) {
		struct stat st;

		if (fstat(fd, &st) < 0)
			return -errno;
		len = (uint64_t)st.st_size > off ? (uint64_t)st.st_size - off : 0;
	}
	if (len > (uint64_t)INT64_MAX - off)
		return -EINVAL;
	if (!nthreads) {         /* as vouch_ncpu(); this file stands alone */
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		nthreads = n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
	}
	if (nthreads > 64)
		nthreads = 64;
	while (len / unit > UNITS_MAX)
		unit *= 2;
	posix_fadvise(fd, (off_t)off, (off_t)len, POSIX_FADV_SEQUENTIAL);
	if (nthreads > 1 && len > unit) {
		ret = hash_parallel(fd, off, len, nthreads, unit, hash);
	} else {
		struct vouch_blake3 h;

		buf = aligned_alloc(4096, READ_BUF);
		if (!buf)
			return -ENOMEM;
		vouch_blake3_init(&h);
		ret = hash_range(&h, fd, off, len, buf);
		if (!ret)
			vouch_blake3_final(&h, hash, sizeof(hash));
		free(buf);
	}
	/* To EOF means to EOF: a file that grew while hashed fails closed
	 * rather than vouch for a prefix of what will be served. */
	if (!ret && to_eof) {
		ssize_t n;

		do
			n = pread(fd, &probe, 1, (off_t)(off + len));
		while (n < 0 && errno == EINTR);
		if (n != 0)
			ret = n < 0 ? -errno : -ERANGE;
	}
	if (!ret)
		memcpy(out, hash, sizeof(hash));
	return ret;
}
