/* SPDX-License-Identifier: Apache-2.0 */
/*
 * blake3_simd.c - the BLAKE3 compression function on many inputs at once:
 * 4 (SSE4.1), 8 (AVX2) or 16 (AVX-512F/VL) chunks or parents side by side,
 * one input per 32-bit lane ("transposed": vector i holds state word i of
 * every input).  Each kernel takes whole groups of its lane width and hands
 * the rest to the next narrower kernel; blake3.c picks the widest the CPU
 * runs (vouch_blake3_isa_best) and owns the tree around them.
 *
 * Every function carries its instruction set in __attribute__((target)), so
 * the file needs no compiler flags of its own and the rest of libvouch stays
 * plain x86-64: nothing here may run before blake3.c has checked the CPU.
 * Helpers are always_inline with the same target, else the compiler refuses
 * to inline them into a kernel (or calls them without the right ISA).
 */
#include "blake3_i.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define SSE41_FN  static inline __attribute__((always_inline, target("sse4.1")))
#define AVX2_FN   static inline __attribute__((always_inline, target("avx2,sse4.1")))
#define AVX512_FN static inline __attribute__((always_inline, \
					      target("avx512f,avx512vl,avx2,sse4.1")))

/* One G on vectors, and a round: the columns, then the diagonals, message
 * words picked by the round's row of vouch_b3_sigma (constant after
 * inlining). */
#define B3_G(P, v, a, b, c, d, x, y) do {                                   \
	v[a] = P##_add(P##_add(v[a], v[b]), x);                             \
	v[d] = P##_rot16(P##_xor(v[d], v[a]));                              \
	v[c] = P##_add(v[c], v[d]);                                         \
	v[b] = P##_rot12(P##_xor(v[b], v[c]));                              \
	v[a] = P##_add(P##_add(v[a], v[b]), y);                             \
	v[d] = P##_rot8(P##_xor(v[d], v[a]));                               \
	v[c] = P##_add(v[c], v[d]);                                         \
	v[b] = P##_rot7(P##_xor(v[b], v[c]));                               \
} while (0)

#define B3_ROUND(P, v, m, r) do {                                           \
	const uint8_t *s_ = vouch_b3_sigma[r];                              \
	B3_G(P, v, 0, 4, 8, 12, m[s_[0]], m[s_[1]]);                        \
	B3_G(P, v, 1, 5, 9, 13, m[s_[2]], m[s_[3]]);                        \
	B3_G(P, v, 2, 6, 10, 14, m[s_[4]], m[s_[5]]);                       \
	B3_G(P, v, 3, 7, 11, 15, m[s_[6]], m[s_[7]]);                       \
	B3_G(P, v, 0, 5, 10, 15, m[s_[8]], m[s_[9]]);                       \
	B3_G(P, v, 1, 6, 11, 12, m[s_[10]], m[s_[11]]);                     \
	B3_G(P, v, 2, 7, 8, 13, m[s_[12]], m[s_[13]]);                      \
	B3_G(P, v, 3, 4, 9, 14, m[s_[14]], m[s_[15]]);                      \
} while (0)

#define B3_ROUNDS(P, v, m) do {                                             \
	B3_ROUND(P, v, m, 0); B3_ROUND(P, v, m, 1); B3_ROUND(P, v, m, 2);  \
	B3_ROUND(P, v, m, 3); B3_ROUND(P, v, m, 4); B3_ROUND(P, v, m, 5);  \
	B3_ROUND(P, v, m, 6);                                               \
} while (0)

static inline uint8_t block_flags(size_t b, size_t nblocks, uint8_t flags, uint8_t fs, uint8_t fe)
{
	return flags | (b == 0 ? fs : 0) | (b + 1 == nblocks ? fe : 0);
}

/* ---- SSE4.1: 4 lanes ---- */

typedef __m128i v4;

SSE41_FN v4 s4_add(v4 a, v4 b) { return _mm_add_epi32(a, b); }
SSE41_FN v4 s4_xor(v4 a, v4 b) { return _mm_xor_si128(a, b); }
SSE41_FN v4 s4_rot16(v4 x)
{
	return _mm_shuffle_epi8(x, _mm_set_epi8(13, 12, 15, 14, 9, 8, 11, 10,
						5, 4, 7, 6, 1, 0, 3, 2));
}
SSE41_FN v4 s4_rot8(v4 x)
{
	return _mm_shuffle_epi8(x, _mm_set_epi8(12, 15, 14, 13, 8, 11, 10, 9,
						4, 7, 6, 5, 0, 3, 2, 1));
}
SSE41_FN v4 s4_rot12(v4 x) { return _mm_or_si128(_mm_srli_epi32(x, 12), _mm_slli_epi32(x, 20)); }
SSE41_FN v4 s4_rot7(v4 x) { return _mm_or_si128(_mm_srli_epi32(x, 7), _mm_slli_epi32(x, 25)); }

/* Rows r[0..3] of 4 words become columns: r[i][j] -> r[j][i]. */
SSE41_FN void s4_transpose(v4 r[4])
{
	v4 ab_lo = _mm_unpacklo_epi32(r[0], r[1]), ab_hi = _mm_unpackhi_epi32(r[0], r[1]);
	v4 cd_lo = _mm_unpacklo_epi32(r[2], r[3]), cd_hi = _mm_unpackhi_epi32(r[2], r[3]);

	r[0] = _mm_unpacklo_epi64(ab_lo, cd_lo);
	r[1] = _mm_unpackhi_epi64(ab_lo, cd_lo);
	r[2] = _mm_unpacklo_epi64(ab_hi, cd_hi);
	r[3] = _mm_unpackhi_epi64(ab_hi, cd_hi);
}

__attribute__((target("sse4.1")))
static void many4(const uint8_t *in, size_t stride, size_t nblocks, const uint32_t key[8],
		  uint64_t counter, unsigned step, uint8_t flags, uint8_t fs, uint8_t fe,
		  uint8_t *out)
{
	uint32_t lo[4], hi[4];
	v4 h[8], v[16], m[16];

	for (int i = 0; i < 4; i++) {
		uint64_t c = counter + (uint64_t)i * step;

		lo[i] = (uint32_t)c;
		hi[i] = (uint32_t)(c >> 32);
	}
	for (int i = 0; i < 8; i++)
		h[i] = _mm_set1_epi32((int)key[i]);
	for (size_t b = 0; b < nblocks; b++) {
		for (int q = 0; q < 4; q++) {
			for (int j = 0; j < 4; j++)
				m[4 * q + j] = _mm_loadu_si128((const void *)(in + j * stride +
									      b * 64 + 16 * q));
			s4_transpose(&m[4 * q]);
		}
		for (int j = 4; j < 8; j++)        /* as in many16 */
			_mm_prefetch((const char *)(in + j * stride + b * 64), _MM_HINT_T0);
		for (int i = 0; i < 8; i++)
			v[i] = h[i];
		for (int i = 0; i < 4; i++)
			v[8 + i] = _mm_set1_epi32((int)vouch_b3_iv[i]);
		v[12] = _mm_loadu_si128((const void *)lo);
		v[13] = _mm_loadu_si128((const void *)hi);
		v[14] = _mm_set1_epi32(64);
		v[15] = _mm_set1_epi32(block_flags(b, nblocks, flags, fs, fe));
		B3_ROUNDS(s4, v, m);
		for (int i = 0; i < 8; i++)
			h[i] = s4_xor(v[i], v[i + 8]);
	}
	s4_transpose(&h[0]);
	s4_transpose(&h[4]);
	for (int j = 0; j < 4; j++) {
		_mm_storeu_si128((void *)(out + 32 * j), h[j]);
		_mm_storeu_si128((void *)(out + 32 * j + 16), h[4 + j]);
	}
}

__attribute__((target("sse4.1")))
void vouch_blake3_many_sse41(const uint8_t *in, size_t stride, size_t n, size_t nblocks,
			     const uint32_t key[8], uint64_t counter, unsigned counter_step,
			     uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out)
{
	for (; n >= 4; n -= 4) {
		many4(in, stride, nblocks, key, counter, counter_step, flags, flags_start,
		      flags_end, out);
		in += 4 * stride;
		counter += 4ull * counter_step;
		out += 4 * 32;
	}
	vouch_blake3_many_portable(in, stride, n, nblocks, key, counter, counter_step, flags,
				   flags_start, flags_end, out);
}

/* ---- AVX2: 8 lanes ---- */

typedef __m256i v8;

AVX2_FN v8 s8_add(v8 a, v8 b) { return _mm256_add_epi32(a, b); }
AVX2_FN v8 s8_xor(v8 a, v8 b) { return _mm256_xor_si256(a, b); }
AVX2_FN v8 s8_rot16(v8 x)
{
	return _mm256_shuffle_epi8(x, _mm256_set_epi8(13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6,
						      1, 0, 3, 2, 13, 12, 15, 14, 9, 8, 11, 10,
						      5, 4, 7, 6, 1, 0, 3, 2));
}
AVX2_FN v8 s8_rot8(v8 x)
{
	return _mm256_shuffle_epi8(x, _mm256_set_epi8(12, 15, 14, 13, 8, 11, 10, 9, 4, 7, 6, 5,
						      0, 3, 2, 1, 12, 15, 14, 13, 8, 11, 10, 9,
						      4, 7, 6, 5, 0, 3, 2, 1));
}
AVX2_FN v8 s8_rot12(v8 x)
{
	return _mm256_or_si256(_mm256_srli_epi32(x, 12), _mm256_slli_epi32(x, 20));
}
AVX2_FN v8 s8_rot7(v8 x)
{
	return _mm256_or_si256(_mm256_srli_epi32(x, 7), _mm256_slli_epi32(x, 25));
}

/* Rows r[0..7] of 8 words become columns.  The unpacks work inside each
 * 128-bit half: after two rounds of them, half k of u[j] (rows 4g..4g+3 for
 * u[4g + j]) holds word 4k + j, and the last step pairs the halves. */
AVX2_FN void s8_transpose(v8 r[8])
{
	/* Written out: gcc -O2 keeps short loops here as loops through memory. */
	v8 t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
	v8 t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
	v8 t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
	v8 t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
	v8 u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
	v8 u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
	v8 u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
	v8 u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);

	r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
	r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
	r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
	r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
	r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
	r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
	r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
	r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

__attribute__((target("avx2,sse4.1")))
static void many8(const uint8_t *in, size_t stride, size_t nblocks, const uint32_t key[8],
		  uint64_t counter, unsigned step, uint8_t flags, uint8_t fs, uint8_t fe,
		  uint8_t *out)
{
	uint32_t lo[8], hi[8];
	v8 h[8], v[16], m[16];

	for (int i = 0; i < 8; i++) {
		uint64_t c = counter + (uint64_t)i * step;

		lo[i] = (uint32_t)c;
		hi[i] = (uint32_t)(c >> 32);
	}
	for (int i = 0; i < 8; i++)
		h[i] = _mm256_set1_epi32((int)key[i]);
	for (size_t b = 0; b < nblocks; b++) {
		for (int q = 0; q < 2; q++) {
			for (int j = 0; j < 8; j++)
				m[8 * q + j] = _mm256_loadu_si256((const void *)(in + j * stride +
										 b * 64 + 32 * q));
			s8_transpose(&m[8 * q]);
		}
		for (int j = 8; j < 16; j++)       /* as in many16 */
			_mm_prefetch((const char *)(in + j * stride + b * 64), _MM_HINT_T0);
		for (int i = 0; i < 8; i++)
			v[i] = h[i];
		for (int i = 0; i < 4; i++)
			v[8 + i] = _mm256_set1_epi32((int)vouch_b3_iv[i]);
		v[12] = _mm256_loadu_si256((const void *)lo);
		v[13] = _mm256_loadu_si256((const void *)hi);
		v[14] = _mm256_set1_epi32(64);
		v[15] = _mm256_set1_epi32(block_flags(b, nblocks, flags, fs, fe));
		B3_ROUNDS(s8, v, m);
		for (int i = 0; i < 8; i++)
			h[i] = s8_xor(v[i], v[i + 8]);
	}
	s8_transpose(h);
	for (int j = 0; j < 8; j++)
		_mm256_storeu_si256((void *)(out + 32 * j), h[j]);
}

__attribute__((target("avx2,sse4.1")))
void vouch_blake3_many_avx2(const uint8_t *in, size_t stride, size_t n, size_t nblocks,
			    const uint32_t key[8], uint64_t counter, unsigned counter_step,
			    uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out)
{
	for (; n >= 8; n -= 8) {
		many8(in, stride, nblocks, key, counter, counter_step, flags, flags_start,
		      flags_end, out);
		in += 8 * stride;
		counter += 8ull * counter_step;
		out += 8 * 32;
	}
	vouch_blake3_many_sse41(in, stride, n, nblocks, key, counter, counter_step, flags,
				flags_start, flags_end, out);
}

/* ---- AVX-512: 16 lanes ---- */

typedef __m512i v16;

AVX512_FN v16 s16_add(v16 a, v16 b) { return _mm512_add_epi32(a, b); }
AVX512_FN v16 s16_xor(v16 a, v16 b) { return _mm512_xor_si512(a, b); }
AVX512_FN v16 s16_rot16(v16 x) { return _mm512_ror_epi32(x, 16); }
AVX512_FN v16 s16_rot12(v16 x) { return _mm512_ror_epi32(x, 12); }
AVX512_FN v16 s16_rot8(v16 x) { return _mm512_ror_epi32(x, 8); }
AVX512_FN v16 s16_rot7(v16 x) { return _mm512_ror_epi32(x, 7); }

/* Rows r[0..15] of 16 words become columns.  As for 8 lanes, two rounds of
 * unpacks leave 128-bit lane k of u[4g + j] holding word 4k + j of rows
 * 4g..4g+3; then for each j a 4x4 transpose of 128-bit lanes across
 * u[j], u[4 + j], u[8 + j], u[12 + j] gives words j, 4 + j, 8 + j, 12 + j. */
/* 4x4 transpose of 128-bit lanes across a, b, c, d (lanes: x0 = [A0 A1 B0
 * B1], x1 = [A2 A3 B2 B3], y0 = [C0 C1 D0 D1], y1 = [C2 C3 D2 D3]). */
#define S16_LANES(a, b, c, d, o0, o1, o2, o3) do {                          \
	v16 x0_ = _mm512_shuffle_i32x4(a, b, 0x44);                         \
	v16 x1_ = _mm512_shuffle_i32x4(a, b, 0xEE);                         \
	v16 y0_ = _mm512_shuffle_i32x4(c, d, 0x44);                         \
	v16 y1_ = _mm512_shuffle_i32x4(c, d, 0xEE);                         \
	o0 = _mm512_shuffle_i32x4(x0_, y0_, 0x88);                          \
	o1 = _mm512_shuffle_i32x4(x0_, y0_, 0xDD);                          \
	o2 = _mm512_shuffle_i32x4(x1_, y1_, 0x88);                          \
	o3 = _mm512_shuffle_i32x4(x1_, y1_, 0xDD);                          \
} while (0)

/* Two rounds of unpacks on rows 4g..4g+3: 128-bit lane k of u_j then holds
 * word 4k + j of those rows. */
#define S16_ROWS4(r, g, u0, u1, u2, u3) do {                                \
	v16 t0_ = _mm512_unpacklo_epi32(r[4 * g], r[4 * g + 1]);            \
	v16 t1_ = _mm512_unpackhi_epi32(r[4 * g], r[4 * g + 1]);            \
	v16 t2_ = _mm512_unpacklo_epi32(r[4 * g + 2], r[4 * g + 3]);        \
	v16 t3_ = _mm512_unpackhi_epi32(r[4 * g + 2], r[4 * g + 3]);        \
	u0 = _mm512_unpacklo_epi64(t0_, t2_);                               \
	u1 = _mm512_unpackhi_epi64(t0_, t2_);                               \
	u2 = _mm512_unpacklo_epi64(t1_, t3_);                               \
	u3 = _mm512_unpackhi_epi64(t1_, t3_);                               \
} while (0)

/* Rows r[0..15] of 16 words become columns: the unpacks leave 128-bit lane
 * k of u[4g + j] holding word 4k + j of rows 4g..4g+3; then for each j a 4x4
 * transpose of 128-bit lanes across u[j], u[4 + j], u[8 + j], u[12 + j]
 * gives words j, 4 + j, 8 + j, 12 + j.  Written out, as for 8 lanes. */
AVX512_FN void s16_transpose(v16 r[16])
{
	v16 u0, u1, u2, u3, u4, u5, u6, u7, u8, u9, u10, u11, u12, u13, u14, u15;

	S16_ROWS4(r, 0, u0, u1, u2, u3);
	S16_ROWS4(r, 1, u4, u5, u6, u7);
	S16_ROWS4(r, 2, u8, u9, u10, u11);
	S16_ROWS4(r, 3, u12, u13, u14, u15);
	S16_LANES(u0, u4, u8, u12, r[0], r[4], r[8], r[12]);
	S16_LANES(u1, u5, u9, u13, r[1], r[5], r[9], r[13]);
	S16_LANES(u2, u6, u10, u14, r[2], r[6], r[10], r[14]);
	S16_LANES(u3, u7, u11, u15, r[3], r[7], r[11], r[15]);
}

__attribute__((target("avx512f,avx512vl,avx2,sse4.1")))
static void many16(const uint8_t *in, size_t stride, size_t nblocks, const uint32_t key[8],
		   uint64_t counter, unsigned step, uint8_t flags, uint8_t fs, uint8_t fe,
		   uint8_t *out)
{
	uint32_t lo[16], hi[16];
	v16 h[8], v[16], m[16];
	v8 half[8];

	for (int i = 0; i < 16; i++) {
		uint64_t c = counter + (uint64_t)i * step;

		lo[i] = (uint32_t)c;
		hi[i] = (uint32_t)(c >> 32);
	}
	for (int i = 0; i < 8; i++)
		h[i] = _mm512_set1_epi32((int)key[i]);
	for (size_t b = 0; b < nblocks; b++) {
		const uint8_t *p = in + b * 64;

		m[0] = _mm512_loadu_si512((const void *)p);
		m[1] = _mm512_loadu_si512((const void *)(p + stride));
		m[2] = _mm512_loadu_si512((const void *)(p + 2 * stride));
		m[3] = _mm512_loadu_si512((const void *)(p + 3 * stride));
		m[4] = _mm512_loadu_si512((const void *)(p + 4 * stride));
		m[5] = _mm512_loadu_si512((const void *)(p + 5 * stride));
		m[6] = _mm512_loadu_si512((const void *)(p + 6 * stride));
		m[7] = _mm512_loadu_si512((const void *)(p + 7 * stride));
		m[8] = _mm512_loadu_si512((const void *)(p + 8 * stride));
		m[9] = _mm512_loadu_si512((const void *)(p + 9 * stride));
		m[10] = _mm512_loadu_si512((const void *)(p + 10 * stride));
		m[11] = _mm512_loadu_si512((const void *)(p + 11 * stride));
		m[12] = _mm512_loadu_si512((const void *)(p + 12 * stride));
		m[13] = _mm512_loadu_si512((const void *)(p + 13 * stride));
		m[14] = _mm512_loadu_si512((const void *)(p + 14 * stride));
		m[15] = _mm512_loadu_si512((const void *)(p + 15 * stride));
		s16_transpose(m);
		/* The same block of the next 16 inputs, a group's work ahead:
		 * without it, input from DRAM costs a third of the speed.  (A
		 * prefetch past the end of the input is harmless: it never faults.) */
		for (int j = 16; j < 32; j++)
			_mm_prefetch((const char *)(p + j * stride), _MM_HINT_T0);
		for (int i = 0; i < 8; i++)
			v[i] = h[i];
		for (int i = 0; i < 4; i++)
			v[8 + i] = _mm512_set1_epi32((int)vouch_b3_iv[i]);
		v[12] = _mm512_loadu_si512((const void *)lo);
		v[13] = _mm512_loadu_si512((const void *)hi);
		v[14] = _mm512_set1_epi32(64);
		v[15] = _mm512_set1_epi32(block_flags(b, nblocks, flags, fs, fe));
		B3_ROUNDS(s16, v, m);
		for (int i = 0; i < 8; i++)
			h[i] = s16_xor(v[i], v[i + 8]);
	}
	/* 8 words x 16 lanes out: each 256-bit half is an 8x8 transpose. */
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 8; i++)
			half[i] = k ? _mm512_extracti64x4_epi64(h[i], 1) :
				      _mm512_castsi512_si256(h[i]);
		s8_transpose(half);
		for (int j = 0; j < 8; j++)
			_mm256_storeu_si256((void *)(out + 32 * (8 * k + j)), half[j]);
	}
}

__attribute__((target("avx512f,avx512vl,avx2,sse4.1")))
void vouch_blake3_many_avx512(const uint8_t *in, size_t stride, size_t n, size_t nblocks,
			      const uint32_t key[8], uint64_t counter, unsigned counter_step,
			      uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out)
{
	for (; n >= 16; n -= 16) {
		many16(in, stride, nblocks, key, counter, counter_step, flags, flags_start,
		       flags_end, out);
		in += 16 * stride;
		counter += 16ull * counter_step;
		out += 16 * 32;
	}
	vouch_blake3_many_avx2(in, stride, n, nblocks, key, counter, counter_step, flags,
			       flags_start, flags_end, out);
}

#else /* not x86: blake3.c never selects these; they exist for the table */

void vouch_blake3_many_sse41(const uint8_t *in, size_t stride, size_t n, size_t nblocks,
			     const uint32_t key[8], uint64_t counter, unsigned counter_step,
			     uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out)
{
	vouch_blake3_many_portable(in, stride, n, nblocks, key, counter, counter_step, flags,
				   flags_start, flags_end, out);
}

void vouch_blake3_many_avx2(const uint8_t *in, size_t stride, size_t n, size_t nblocks,
			    const uint32_t key[8], uint64_t counter, unsigned counter_step,
			    uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out)
{
	vouch_blake3_many_portable(in, stride, n, nblocks, key, counter, counter_step, flags,
				   flags_start, flags_end, out);
}

void vouch_blake3_many_avx512(const uint8_t *in, size_t stride, size_t n, size_t nblocks,
			      const uint32_t key[8], uint64_t counter, unsigned counter_step,
			      uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out)
{
	vouch_blake3_many_portable(in, stride, n, nblocks, key, counter, counter_step, flags,
				   flags_start, flags_end, out);
}

#endif
