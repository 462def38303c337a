/* SPDX-License-Identifier: Apache-2.0 */
/*
 * blake3_i.h - libvouch's private hashing core for the two hash types besides
 * SHA-256 that OpenSSF Model Signing allows: BLAKE3 (written here from the
 * BLAKE3 specification; Debian 12 has no C library for it) and BLAKE2b-512
 * (OpenSSL).  Owns the incremental BLAKE3 hasher (hash, keyed_hash and
 * derive_key modes, output of any length), the multi-chunk compression
 * kernels per instruction set, and hashing a file range from an fd with the
 * tree split across threads.  Knows nothing of signatures, manifests or
 * policy: those are sign.c/verify.c's.
 *
 * Files: blake3.c (portable compression, the tree, dispatch, the fd path),
 * blake3_simd.c (SSE4.1, AVX2 and AVX-512 kernels); vouch_blake2b_fd is
 * hash.c's (OpenSSL's BLAKE2b through the read loop every digest uses).
 */
#ifndef VOUCH_BLAKE3_I_H
#define VOUCH_BLAKE3_I_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VOUCH_BLAKE3_OUT_LEN   32
#define VOUCH_BLAKE3_KEY_LEN   32
#define VOUCH_BLAKE3_BLOCK_LEN 64
#define VOUCH_BLAKE3_CHUNK_LEN 1024
#define VOUCH_BLAKE2B_OUT_LEN  64

/* The compression kernels, slowest first.  A kernel is usable only if the
 * CPU (and the kernel's saved register state) supports it. */
enum vouch_blake3_isa {
	VOUCH_BLAKE3_PORTABLE = 0,
	VOUCH_BLAKE3_SSE41,
	VOUCH_BLAKE3_AVX2,
	VOUCH_BLAKE3_AVX512,
	VOUCH_BLAKE3_ISA_COUNT,
};

/* One chunk (1 KiB) being absorbed a block at a time. */
struct vouch_blake3_chunk {
	uint32_t cv[8];
	uint64_t counter;        /* the chunk's index in the whole input */
	uint8_t  buf[VOUCH_BLAKE3_BLOCK_LEN];
	uint8_t  buf_len;        /* bytes in buf, not yet compressed */
	uint8_t  blocks;         /* blocks of this chunk already compressed */
};

/*
 * An incremental BLAKE3 hasher.  Plain data: copy it to fork a state; no
 * destructor.  54 chaining values cover 2^64 bytes (2^54 chunks) plus one for
 * the pair a subtree leaves.  Not thread-safe; one hasher per thread.
 */
struct vouch_blake3 {
	uint32_t key[8];
	uint8_t  flags;          /* KEYED_HASH or DERIVE_KEY_MATERIAL, else 0 */
	uint8_t  isa;            /* enum vouch_blake3_isa of the kernels used */
	uint8_t  stack_len;
	uint64_t base;           /* chunk counter of the first chunk hashed */
	struct vouch_blake3_chunk chunk;
	uint8_t  stack[55][VOUCH_BLAKE3_OUT_LEN];
};

/* ---- the hasher ---- */

/* Start a hash (the `hash` mode), with the fastest kernels this CPU has. */
void vouch_blake3_init(struct vouch_blake3 *h);
/* Start a keyed hash (the `keyed_hash` mode) under a 32-byte key. */
void vouch_blake3_init_keyed(struct vouch_blake3 *h, const uint8_t key[VOUCH_BLAKE3_KEY_LEN]);
/* Start a key derivation (the `derive_key` mode) for a context string, which
 * the spec says must be a hard-coded, globally unique, application string. */
void vouch_blake3_init_derive_key(struct vouch_blake3 *h, const char *context);
/* Use the kernels of `isa` from now on (the tests and the fuzzer compare
 * them).  Returns 0, or -ENOTSUP if this CPU cannot run them. */
int  vouch_blake3_set_isa(struct vouch_blake3 *h, enum vouch_blake3_isa isa);
/* Absorb len bytes; any split of the input gives the same hash. */
void vouch_blake3_update(struct vouch_blake3 *h, const void *in, size_t len);
/* Write outlen bytes of output starting at byte `seek` of the output stream
 * (the extendable output: the first 32 bytes at seek 0 are the hash).  The
 * hasher is not changed: more input may follow, and finalizing again gives
 * the hash of everything absorbed by then. */
void vouch_blake3_final_seek(const struct vouch_blake3 *h, uint64_t seek, uint8_t *out,
			     size_t outlen);
void vouch_blake3_final(const struct vouch_blake3 *h, uint8_t *out, size_t outlen);
/* One call: the 32-byte hash of a buffer. */
void vouch_blake3(const void *in, size_t len, uint8_t out[VOUCH_BLAKE3_OUT_LEN]);

/* ---- files ---- */

/*
 * The BLAKE3 hash (unkeyed, 32 bytes) of len bytes of fd from offset off,
 * read with pread (the fd's file offset never moves; the fd is not closed).
 * len UINT64_MAX: to the end of the file as fstat gives it when the call
 * starts.  nthreads: workers (0: one per core, at most 64); the calling
 * thread is one of them.  The input is split into subtrees of a power of two
 * chunks, hashed on the workers and joined by parent nodes exactly as the
 * spec's tree does, so the hash does not depend on nthreads.  Memory: one
 * 1 MiB read buffer per worker and at most 128 KiB of chaining values,
 * whatever the file size.
 * Returns 0, -ERANGE if the file is shorter than off + len (or changed size
 * while a to-EOF hash ran), -EINVAL for a range past 2^63, -ENOMEM, or the
 * -errno of a failed read.  out is written only on success.
 */
int vouch_blake3_fd(int fd, uint64_t off, uint64_t len, uint8_t out[VOUCH_BLAKE3_OUT_LEN],
		    unsigned nthreads);

/*
 * BLAKE2b-512 (unkeyed, 64 bytes: model_signing's `blake2b`) of a file range,
 * through OpenSSL's EVP_blake2b512 on one thread; the same contract as
 * vouch_blake3_fd for off, len, the fd and the return value.
 */
int vouch_blake2b_fd(int fd, uint64_t off, uint64_t len, uint8_t out[VOUCH_BLAKE2B_OUT_LEN]);

/* ---- kernels (blake3.c, blake3_simd.c; tests call them directly) ---- */

/* Domain flags of the compression function (the spec's table 3). */
enum {
	VOUCH_B3_CHUNK_START         = 1 << 0,
	VOUCH_B3_CHUNK_END           = 1 << 1,
	VOUCH_B3_PARENT              = 1 << 2,
	VOUCH_B3_ROOT                = 1 << 3,
	VOUCH_B3_KEYED_HASH          = 1 << 4,
	VOUCH_B3_DERIVE_KEY_CONTEXT  = 1 << 5,
	VOUCH_B3_DERIVE_KEY_MATERIAL = 1 << 6,
};

/* The IV (SHA-256's) and, per round, which message word each G input takes:
 * row r is the spec's permutation applied r times, so no kernel permutes
 * its message words between rounds.  (unused: not every includer needs them.) */
static const uint32_t vouch_b3_iv[8] __attribute__((unused)) = {
	0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
	0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
};
static const uint8_t vouch_b3_sigma[7][16] __attribute__((unused)) = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8 },
	{ 3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1 },
	{ 10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6 },
	{ 12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4 },
	{ 9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7 },
	{ 11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13 },
};

/*
 * Hash n independent inputs of nblocks 64-byte blocks each, input i at
 * in + i * stride, each from the chaining value key: chunks (nblocks 16,
 * stride 1024, counter_step 1, flags_start CHUNK_START, flags_end CHUNK_END)
 * or parents (nblocks 1, stride 64, counter 0, counter_step 0).  Input i uses
 * counter + i * counter_step; block 0 adds flags_start, the last flags_end.
 * Writes n 32-byte chaining values to out (which must not overlap in).
 */
typedef void vouch_blake3_many_fn(const uint8_t *in, size_t stride, size_t n, size_t nblocks,
				  const uint32_t key[8], uint64_t counter, unsigned counter_step,
				  uint8_t flags, uint8_t flags_start, uint8_t flags_end,
				  uint8_t *out);

vouch_blake3_many_fn vouch_blake3_many_portable;
vouch_blake3_many_fn vouch_blake3_many_sse41;   /* needs SSE4.1 */
vouch_blake3_many_fn vouch_blake3_many_avx2;    /* needs AVX2 and SSE4.1 */
vouch_blake3_many_fn vouch_blake3_many_avx512;  /* needs AVX-512F/VL, AVX2 and SSE4.1 */

/* Whether this CPU can run an instruction set's kernels (detected once). */
bool vouch_blake3_isa_ok(enum vouch_blake3_isa isa);
/* The fastest usable instruction set, and a name for it ("avx512", ...). */
enum vouch_blake3_isa vouch_blake3_isa_best(void);
const char *vouch_blake3_isa_name(enum vouch_blake3_isa isa);

#endif
