/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_blake3.c - libFuzzer harness for the BLAKE3 hasher (blake3.c,
 * blake3_simd.c): the dispatching hasher (the widest SIMD kernels this CPU
 * has, or the one the input picks), fed in pieces the input chooses, must
 * give the same output as the portable kernel fed everything at once, in
 * hash and keyed_hash modes, at any output length and seek offset.
 *
 * Input layout: byte 0 selects the mode, the kernel and how often the
 * message repeats (to reach trees deeper than -max_len allows); bytes 1-8
 * seed the split points; bytes 9-10 the output length; the rest is the
 * message (in keyed mode its first 32 bytes are the key).
 */
#include "blake3_i.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[1 << 21];
	uint8_t want[600], got[600], key[32];
	struct vouch_blake3 ref, h;
	uint64_t seed = 0;
	size_t len, outlen, reps, at;
	enum vouch_blake3_isa isa;
	bool keyed;

	if (size < 11)
		return 0;
	keyed = data[0] & 1;
	isa = (data[0] >> 1) & 3 ? (enum vouch_blake3_isa)((data[0] >> 1) & 3) :
				     vouch_blake3_isa_best();
	if (!vouch_blake3_isa_ok(isa))
		isa = vouch_blake3_isa_best();
	reps = 1 + (data[0] >> 3);                      /* 1..32 copies */
	memcpy(&seed, data + 1, 8);
	seed |= 1;
	outlen = (size_t)(data[9] | data[10] << 8) % sizeof(want);
	data += 11;
	size -= 11;
	if (keyed) {
		if (size < 32)
			return 0;
		memcpy(key, data, 32);
		data += 32;
		size -= 32;
	}
	len = 0;
	for (size_t r = 0; r < reps && len + size <= sizeof(msg); r++) {
		if (size)
			memcpy(msg + len, data, size);
		len += size;
	}

	if (keyed) {
		vouch_blake3_init_keyed(&ref, key);
		vouch_blake3_init_keyed(&h, key);
	} else {
		vouch_blake3_init(&ref);
		vouch_blake3_init(&h);
	}
	if (vouch_blake3_set_isa(&ref, VOUCH_BLAKE3_PORTABLE) || vouch_blake3_set_isa(&h, isa))
		abort();
	vouch_blake3_update(&ref, msg, len);
	for (at = 0; at < len;) {
		uint64_t r = next(&seed);
		size_t n;

		switch (r & 3) {
		case 0:  n = (size_t)(r >> 8) % 65; break;
		case 1:  n = (size_t)(r >> 8) % 4097; break;
		case 2:  n = ((size_t)1024 << ((r >> 8) % 10)) - 1 + (size_t)((r >> 16) % 3); break;
		default: n = len - at;
		}
		if (n > len - at)
			n = len - at;
		vouch_blake3_update(&h, msg + at, n);
		at += n;
	}
	vouch_blake3_final(&ref, want, outlen);
	vouch_blake3_final(&h, got, outlen);
	if (memcmp(want, got, outlen))
		abort();
	/* a slice of the extended output at an offset */
	if (outlen > 1) {
		uint64_t seek = next(&seed) % outlen;

		vouch_blake3_final_seek(&h, seek, got, outlen - (size_t)seek);
		if (memcmp(want + seek, got, outlen - (size_t)seek))
			abort();
	}
	return 0;
}
