/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_blake3.c - the hashing core of blake3.c, blake3_simd.c and blake2b.c:
 *   - every case of the official BLAKE3 test vectors
 *     ($VOUCH_DATA/blake3/test_vectors.json: hash, keyed_hash and derive_key,
 *     each with its extended output, and the 32-byte default output), with
 *     each instruction set this CPU has, whole, byte by byte and in pieces;
 *   - output at a seek offset is the matching slice of the long output;
 *   - each SIMD kernel against the portable one, directly (lane counts that
 *     are not a multiple of the width, counters that carry into the high
 *     word) and through the hasher (random inputs of awkward lengths, random
 *     split points, keyed too);
 *   - the fd path (vouch_blake3_fd) on 1, 2, 3 and 7 threads against the
 *     in-memory hash, ranges, to-EOF, a short file (-ERANGE), bad arguments;
 *   - BLAKE2b-512 (vouch_blake2b_fd) against RFC 7693's "abc" vector and the
 *     empty string, and a file range against EVP on the same bytes.
 * Expected values come from the BLAKE3 team's published vectors and RFC 7693,
 * never from the code under test; the portable kernel is the reference only
 * for the SIMD ones, and it passes the vectors itself.
 */
#include "blake3_i.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
	fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* Deterministic pseudo-random bytes and lengths (xorshift64*): a failure
 * reproduces from the seed printed at the start. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static void rnd_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 56);
}

static int unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

static const char *hex(const uint8_t *p, size_t n)
{
	static char buf[2 * 256 + 1];

	if (n > 256)
		n = 256;
	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	return buf;
}

/* ---- the official vectors ---- */

enum mode { MODE_HASH, MODE_KEYED, MODE_DERIVE };

static const char *const mode_name[] = { "hash", "keyed_hash", "derive_key" };

static void start(struct vouch_blake3 *h, enum mode m, const uint8_t *key, const char *context,
		  enum vouch_blake3_isa isa)
{
	if (m == MODE_HASH)
		vouch_blake3_init(h);
	else if (m == MODE_KEYED)
		vouch_blake3_init_keyed(h, key);
	else
		vouch_blake3_init_derive_key(h, context);
	CHECK(vouch_blake3_set_isa(h, isa) == 0, "isa %s", vouch_blake3_isa_name(isa));
}

static void one_vector(const uint8_t *input, size_t len, enum mode m, const uint8_t *key,
		       const char *context, const uint8_t *want, size_t wantlen)
{
	uint8_t got[512];

	for (int isa = 0; isa < VOUCH_BLAKE3_ISA_COUNT; isa++) {
		struct vouch_blake3 h;
		const char *in = vouch_blake3_isa_name((enum vouch_blake3_isa)isa);
		size_t at;

		if (!vouch_blake3_isa_ok((enum vouch_blake3_isa)isa))
			continue;
		/* whole */
		start(&h, m, key, context, (enum vouch_blake3_isa)isa);
		vouch_blake3_update(&h, input, len);
		vouch_blake3_final(&h, got, wantlen);
		CHECK(!memcmp(got, want, wantlen), "%s len %zu %s: got %s", mode_name[m], len, in,
		      hex(got, wantlen));
		/* the default length is the prefix of the extended output */
		memset(got, 0, sizeof(got));
		vouch_blake3_final(&h, got, VOUCH_BLAKE3_OUT_LEN);
		CHECK(!memcmp(got, want, VOUCH_BLAKE3_OUT_LEN), "%s len %zu %s: 32-byte output",
		      mode_name[m], len, in);
		/* byte by byte (the small ones), and in random pieces */
		if (len <= 8192) {
			start(&h, m, key, context, (enum vouch_blake3_isa)isa);
			for (size_t i = 0; i < len; i++)
				vouch_blake3_update(&h, input + i, 1);
			vouch_blake3_final(&h, got, wantlen);
			CHECK(!memcmp(got, want, wantlen), "%s len %zu %s: byte by byte",
			      mode_name[m], len, in);
		}
		start(&h, m, key, context, (enum vouch_blake3_isa)isa);
		for (at = 0; at < len;) {
			size_t n = (size_t)(rnd() % 3000);

			if (n > len - at)
				n = len - at;
			vouch_blake3_update(&h, input + at, n);
			at += n;
		}
		vouch_blake3_final(&h, got, wantlen);
		CHECK(!memcmp(got, want, wantlen), "%s len %zu %s: in pieces", mode_name[m], len,
		      in);
	}
	if (m == MODE_HASH) {
		vouch_blake3(input, len, got);
		CHECK(!memcmp(got, want, VOUCH_BLAKE3_OUT_LEN), "vouch_blake3 len %zu", len);
	}
}

static char *find_data(const char *rel)
{
	const char *env = getenv("VOUCH_DATA");
	char exe[PATH_MAX], path[PATH_MAX * 2];
	ssize_t n;

	if (env) {
		snprintf(path, sizeof(path), "%s/%s", env, rel);
		return strdup(path);
	}
	snprintf(path, sizeof(path), "tests/data/%s", rel);
	if (access(path, R_OK) == 0)
		return strdup(path);
	/* run as BUILD/tests/test_blake3 from anywhere: look up from there */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return strdup(path);
	exe[n] = '\0';
	for (char *slash = strrchr(exe, '/'); slash; slash = strrchr(exe, '/')) {
		*slash = '\0';
		snprintf(path, sizeof(path), "%s/tests/data/%s", exe, rel);
		if (access(path, R_OK) == 0)
			return strdup(path);
	}
	snprintf(path, sizeof(path), "tests/data/%s", rel);
	return strdup(path);
}

static void test_vectors(void)
{
	char *path = find_data("blake3/test_vectors.json");
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	const char *key, *context;
	json_t *cases, *c;
	size_t i, ncases = 0;
	uint8_t *input = malloc(1 << 17);

	CHECK(root != NULL, "%s: %s (line %d)", path, jerr.text, jerr.line);
	if (!root || !input)
		goto out;
	key = json_string_value(json_object_get(root, "key"));
	context = json_string_value(json_object_get(root, "context_string"));
	cases = json_object_get(root, "cases");
	CHECK(key && strlen(key) == 32 && context && json_is_array(cases), "%s: layout", path);
	if (!key || strlen(key) != 32 || !context || !json_is_array(cases))
		goto out;
	json_array_foreach(cases, i, c) {
		json_int_t len = json_integer_value(json_object_get(c, "input_len"));

		CHECK(len >= 0 && len <= (1 << 17), "case %zu: input_len %lld", i, (long long)len);
		if (len < 0 || len > (1 << 17))
			continue;
		for (json_int_t k = 0; k < len; k++)
			input[k] = (uint8_t)(k % 251);
		for (int m = MODE_HASH; m <= MODE_DERIVE; m++) {
			const char *w = json_string_value(json_object_get(c, mode_name[m]));
			uint8_t want[512];
			int wantlen = w ? unhex(w, want, sizeof(want)) : -1;

			CHECK(wantlen > VOUCH_BLAKE3_OUT_LEN, "case %zu: %s", i, mode_name[m]);
			if (wantlen > VOUCH_BLAKE3_OUT_LEN)
				one_vector(input, (size_t)len, (enum mode)m, (const uint8_t *)key,
					   context, want, (size_t)wantlen);
		}
		ncases++;
	}
	/* 35 in the file as published; all the spec's awkward lengths */
	CHECK(ncases >= 35, "only %zu cases in %s", ncases, path);
	printf("test_blake3: %zu official vectors x 3 modes, isa up to %s\n", ncases,
	       vouch_blake3_isa_name(vouch_blake3_isa_best()));
out:
	json_decref(root);
	free(input);
	free(path);
}

/* ---- extended output at an offset ---- */

static void test_seek(void)
{
	uint8_t in[3000], full[1000], part[300];
	struct vouch_blake3 h;

	rnd_fill(in, sizeof(in));
	vouch_blake3_init(&h);
	vouch_blake3_update(&h, in, sizeof(in));
	vouch_blake3_final(&h, full, sizeof(full));
	for (int k = 0; k < 200; k++) {
		size_t seek = (size_t)(rnd() % 700), n = (size_t)(rnd() % 300);

		vouch_blake3_final_seek(&h, seek, part, n);
		CHECK(!memcmp(part, full + seek, n), "seek %zu len %zu", seek, n);
	}
	/* finalizing leaves the hasher usable: more input, new hash */
	vouch_blake3_update(&h, in, 5);
	vouch_blake3_final(&h, part, 32);
	CHECK(memcmp(part, full, 32) != 0, "final must not freeze the state");
}

/* ---- kernels against the portable one ---- */

/* One call of kernel `isa` against the portable one on fresh random input;
 * nothing may be written past the n chaining values. */
static void kernel_case(enum vouch_blake3_isa isa, vouch_blake3_many_fn *fn, uint8_t *in,
			size_t stride, size_t n, size_t nblocks, uint64_t counter, unsigned step)
{
	uint8_t want[40 * 32], got[40 * 32 + 1];
	uint8_t flags = (uint8_t)(rnd() & 0x70);
	uint32_t key[8];

	rnd_fill(in, n * stride);
	for (int i = 0; i < 8; i++)
		key[i] = (uint32_t)rnd();
	vouch_blake3_many_portable(in, stride, n, nblocks, key, counter, step, flags, 1, 2, want);
	memset(got, 0xA5, sizeof(got));
	fn(in, stride, n, nblocks, key, counter, step, flags, 1, 2, got);
	CHECK(!memcmp(got, want, n * 32), "%s: n %zu blocks %zu counter %llx step %u",
	      vouch_blake3_isa_name(isa), n, nblocks, (unsigned long long)counter, step);
	CHECK(got[n * 32] == 0xA5, "%s wrote past n = %zu", vouch_blake3_isa_name(isa), n);
}

static void test_kernels(void)
{
	static const uint64_t counters[] = { 0, 1, 0xFFFFFFF0ull, 0xFFFFFFFFull, 0x1FFFFFFF9ull,
					     (1ull << 54) - 20 };
	static vouch_blake3_many_fn *const fns[VOUCH_BLAKE3_ISA_COUNT] = {
		vouch_blake3_many_portable, vouch_blake3_many_sse41, vouch_blake3_many_avx2,
		vouch_blake3_many_avx512,
	};
	size_t max = 40, stride = VOUCH_BLAKE3_CHUNK_LEN + 64;    /* not the natural stride */
	uint8_t *in = malloc(max * stride);

	if (!in)
		return;
	for (int isa = VOUCH_BLAKE3_SSE41; isa < VOUCH_BLAKE3_ISA_COUNT; isa++) {
		if (!vouch_blake3_isa_ok((enum vouch_blake3_isa)isa))
			continue;
		for (size_t ci = 0; ci < sizeof(counters) / sizeof(counters[0]); ci++)
			for (size_t n = 0; n <= max; n++) {
				kernel_case((enum vouch_blake3_isa)isa, fns[isa], in, stride, n, 16,
					    counters[ci], 1);              /* chunks */
				kernel_case((enum vouch_blake3_isa)isa, fns[isa], in, stride, n, 1,
					    counters[ci], 0);              /* parents */
				kernel_case((enum vouch_blake3_isa)isa, fns[isa], in, stride, n, 3,
					    counters[ci], 1);
			}
	}
	free(in);
}

/* ---- the hasher, each ISA against portable, awkward lengths and splits ---- */

static void hash_split(enum vouch_blake3_isa isa, const uint8_t *key, const uint8_t *in,
		       size_t len, uint8_t *out, size_t outlen, int how)
{
	struct vouch_blake3 h;
	size_t at = 0;

	if (key)
		vouch_blake3_init_keyed(&h, key);
	else
		vouch_blake3_init(&h);
	vouch_blake3_set_isa(&h, isa);
	while (at < len) {
		uint64_t r1 = rnd(), r2 = rnd();    /* sequenced: same splits in every build */
		size_t n;

		switch (how) {
		case 0:  n = len; break;                                 /* whole */
		case 1:  n = (size_t)(r1 % 70); break;                   /* small */
		case 2:  n = (size_t)(r1 % 5000); break;                 /* around a chunk */
		case 3:  n = (size_t)(1 + r1 % (len + 1)); break;        /* anywhere */
		default: n = ((size_t)(r1 % 2 ? 1024 : 64) << (r2 % 10)) +
			     (size_t)(r1 >> 8) % 3 - 1;                  /* near powers of two */
		}
		if (n > len - at)
			n = len - at;
		vouch_blake3_update(&h, in + at, n);
		at += n;
	}
	vouch_blake3_final(&h, out, outlen);
}

static void test_isas_vs_portable(void)
{
	/* awkward sizes: around blocks, chunks, kernel widths (4, 8, 16
	 * chunks), the 512-chunk subtree, the 1 MiB read buffer */
	static const size_t sizes[] = {
		0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 3 * 1024 + 1,
		4 * 1024 - 1, 4 * 1024, 4 * 1024 + 1, 8 * 1024 - 1, 8 * 1024 + 1, 16 * 1024 - 1,
		16 * 1024, 16 * 1024 + 1, 17 * 1024, 31 * 1024 + 7, 64 * 1024 - 1, 64 * 1024,
		64 * 1024 + 1, 512 * 1024 - 1, 512 * 1024, 512 * 1024 + 1, 1536 * 1024 + 3,
		(1 << 20) - 1, 1 << 20, (1 << 20) + 1, (5 << 20) + 1000,
	};
	size_t maxlen = (5 << 20) + 1000;
	uint8_t *in = malloc(maxlen), want[100], got[100], key[32];
	int n = 0;

	if (!in)
		return;
	rnd_fill(in, maxlen);
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]) + 40; si++) {
		size_t len = si < sizeof(sizes) / sizeof(sizes[0]) ? sizes[si] :
			     (size_t)(rnd() % (si % 4 ? 40000 : 3000000));
		const uint8_t *p = in + (len < maxlen - 7 ? rnd() % 7 : 0);   /* misaligned too */
		bool keyed = rnd() % 2;

		rnd_fill(key, sizeof(key));
		hash_split(VOUCH_BLAKE3_PORTABLE, keyed ? key : NULL, p, len, want, sizeof(want),
			   0);
		for (int isa = VOUCH_BLAKE3_SSE41; isa < VOUCH_BLAKE3_ISA_COUNT; isa++) {
			if (!vouch_blake3_isa_ok((enum vouch_blake3_isa)isa))
				continue;
			for (int how = 0; how < 5; how++) {
				if (how == 1 && len > 200000)
					continue;           /* slow, and says nothing more */
				hash_split((enum vouch_blake3_isa)isa, keyed ? key : NULL, p, len,
					   got, sizeof(got), how);
				CHECK(!memcmp(got, want, sizeof(got)),
				      "%s len %zu keyed %d split %d",
				      vouch_blake3_isa_name((enum vouch_blake3_isa)isa), len, keyed,
				      how);
				n++;
			}
		}
	}
	printf("test_blake3: %d hasher runs agree with the portable kernel\n", n);
	free(in);
}

/* ---- files ---- */

static int temp_file(const uint8_t *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/test_blake3.XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	for (size_t at = 0; at < len;) {
		ssize_t n = write(fd, data + at, len - at);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		at += (size_t)n;
	}
	return fd;
}

static void test_fd(void)
{
	static const size_t sizes[] = { 0, 1, 1023, 1024, 1025, (1 << 20) - 1, 1 << 20,
					(1 << 20) + 1, (2 << 20) + 4097, (9 << 20) + 333 };
	static const unsigned threads[] = { 1, 2, 3, 7, 0 };
	size_t maxlen = (9 << 20) + 333;
	uint8_t *data = malloc(maxlen), want[32], got[32];

	if (!data)
		return;
	rnd_fill(data, maxlen);
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		size_t len = sizes[si];
		int fd = temp_file(data, len);

		CHECK(fd >= 0, "temp file: %s", strerror(errno));
		if (fd < 0)
			continue;
		vouch_blake3(data, len, want);
		for (size_t ti = 0; ti < sizeof(threads) / sizeof(threads[0]); ti++) {
			int rc;

			memset(got, 0, sizeof(got));
			rc = vouch_blake3_fd(fd, 0, len, got, threads[ti]);
			CHECK(rc == 0 && !memcmp(got, want, 32), "fd len %zu threads %u: rc %d",
			      len, threads[ti], rc);
			rc = vouch_blake3_fd(fd, 0, UINT64_MAX, got, threads[ti]);
			CHECK(rc == 0 && !memcmp(got, want, 32),
			      "fd to EOF len %zu threads %u: rc %d", len, threads[ti], rc);
			/* a range that does not start on a chunk */
			if (len > 5000) {
				uint64_t off = 1 + rnd() % 4000, n = len - off - rnd() % 1000;
				uint8_t w2[32];

				vouch_blake3(data + off, (size_t)n, w2);
				rc = vouch_blake3_fd(fd, off, n, got, threads[ti]);
				CHECK(rc == 0 && !memcmp(got, w2, 32),
				      "fd range %llu+%llu threads %u: rc %d",
				      (unsigned long long)off, (unsigned long long)n, threads[ti],
				      rc);
			}
			/* longer than the file: the file is "short", never a crash */
			rc = vouch_blake3_fd(fd, 0, (uint64_t)len + 1, got, threads[ti]);
			CHECK(rc == -ERANGE, "fd len %zu + 1 threads %u: rc %d", len, threads[ti],
			      rc);
			rc = vouch_blake3_fd(fd, len / 2, (uint64_t)len, got, threads[ti]);
			CHECK(len < 2 || rc == -ERANGE, "fd half-past len %zu threads %u: rc %d",
			      len, threads[ti], rc);
		}
		/* past the end, to EOF: the empty input */
		vouch_blake3(NULL, 0, want);
		CHECK(vouch_blake3_fd(fd, (uint64_t)len + 10, UINT64_MAX, got, 2) == 0 &&
		      !memcmp(got, want, 32), "to EOF from past the end of %zu", len);
		CHECK(vouch_blake3_fd(fd, 1ull << 63, 1, got, 1) == -EINVAL, "offset 2^63");
		CHECK(vouch_blake3_fd(fd, 1, INT64_MAX, got, 1) == -EINVAL, "end past 2^63");
		close(fd);
	}
	CHECK(vouch_blake3_fd(-1, 0, 10, got, 1) == -EBADF, "bad fd, one thread");
	CHECK(vouch_blake3_fd(-1, 0, 10 << 20, got, 2) == -EBADF, "bad fd, two threads");
	CHECK(vouch_blake3_fd(-1, 0, UINT64_MAX, got, 2) == -EBADF, "bad fd, to EOF");
	free(data);
}

/* ---- BLAKE2b-512 ---- */

static void test_blake2b(void)
{
	static const char abc[] =       /* RFC 7693, appendix A */
		"ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
		"7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923";
	static const char empty[] =     /* BLAKE2b-512("") as published */
		"786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
		"d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce";
	size_t len = (3 << 20) + 17;
	uint8_t want[64], got[64], *data = malloc(len);
	unsigned mdlen = 0;
	int fd, rc;

	if (!data)
		return;
	fd = temp_file((const uint8_t *)"xabcx", 5);
	CHECK(fd >= 0, "temp file");
	unhex(abc, want, sizeof(want));
	rc = vouch_blake2b_fd(fd, 1, 3, got);
	CHECK(rc == 0 && !memcmp(got, want, 64), "blake2b(abc): rc %d got %s", rc, hex(got, 64));
	unhex(empty, want, sizeof(want));
	rc = vouch_blake2b_fd(fd, 5, UINT64_MAX, got);
	CHECK(rc == 0 && !memcmp(got, want, 64), "blake2b(\"\"): rc %d got %s", rc, hex(got, 64));
	CHECK(vouch_blake2b_fd(fd, 1, 5, got) == -ERANGE, "blake2b past the end");
	CHECK(vouch_blake2b_fd(fd, 1ull << 63, 1, got) == -EINVAL, "blake2b offset 2^63");
	close(fd);
	rnd_fill(data, len);
	fd = temp_file(data, len);
	CHECK(fd >= 0, "temp file");
	CHECK(EVP_Digest(data + 4097, len - 5000, want, &mdlen, EVP_blake2b512(), NULL) == 1 &&
	      mdlen == 64, "EVP_Digest");
	rc = vouch_blake2b_fd(fd, 4097, len - 5000, got);
	CHECK(rc == 0 && !memcmp(got, want, 64), "blake2b of a range: rc %d", rc);
	CHECK(vouch_blake2b_fd(-1, 0, 1, got) == -EBADF, "blake2b bad fd");
	close(fd);
	free(data);
}

int main(void)
{
	const char *seed = getenv("TEST_BLAKE3_SEED");

	if (seed)
		rng_state = strtoull(seed, NULL, 0) | 1;
	printf("test_blake3: seed 0x%llx (TEST_BLAKE3_SEED)\n", (unsigned long long)rng_state);
	test_vectors();
	test_seek();
	test_kernels();
	test_isas_vs_portable();
	test_fd();
	test_blake2b();
	if (failures) {
		fprintf(stderr, "test_blake3: %d check(s) failed\n", failures);
		return 1;
	}
	printf("test_blake3: all checks passed\n");
	return 0;
}
