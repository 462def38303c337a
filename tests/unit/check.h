/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.h - the one set of checks every unit test (tests/unit/test_*.c)
 * uses.  A failed check prints where it is, what it tested and why, counts,
 * and lets the test go on (one run shows every failure); the test ends with
 * CHECK_EXIT(), which prints one summary line and returns the exit status
 * tests/run expects: 0 every check passed, 1 some failed.  A test that
 * cannot run here says why and exits 77 (check_skip); one whose setup failed
 * so that nothing after it means anything stops at a REQUIRE.
 *
 *   CHECK(cond, fmt, ...)          the general check; fmt says what was seen
 *   REQUIRE(cond, fmt, ...)        a setup step the rest needs: stop the test
 *                                  (exit 1) if false; not counted when it holds
 *   CHECK_EQ_INT(got, want)        integers (any integer type), both shown
 *   CHECK_STREQ(got, want)         strings (NULL-safe), both shown escaped
 *   CHECK_CONTAINS(hay, needle)    hay holds needle (NULL-safe)
 *   CHECK_NOT_CONTAINS(hay, needle)
 *   CHECK_CAUSE(got, want)         enum vouch_cause, shown by name
 *   CHECK_MEM(got, gotlen, want, wantlen, what)   bytes
 *   CHECK_BYTES(got, gotlen, "literal", what)     bytes against a literal
 *
 * Strings in messages are shown escaped (check_esc): a failure message about
 * a hostile name must not itself drive the terminal.  Checks may be made
 * from several threads: the counters are atomic and each failure is printed
 * as one block.  check_esc's result is only valid until the next few calls
 * (rotating static buffers), so use it in messages only.
 */
#ifndef VOUCH_TEST_CHECK_H
#define VOUCH_TEST_CHECK_H

#include "vouch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned check_failures __attribute__((unused));
static unsigned check_count __attribute__((unused));

static inline void check_passed(void)
{
	__atomic_add_fetch(&check_count, 1, __ATOMIC_RELAXED);
}

static inline void check_vfail(const char *file, int line, const char *expr, const char *fmt,
			       va_list ap)
{
	__atomic_add_fetch(&check_count, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&check_failures, 1, __ATOMIC_RELAXED);
	flockfile(stderr);
	fprintf(stderr, "FAIL %s:%d: %s: ", file, line, expr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static inline void check_fail(const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline void check_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_vfail(file, line, expr, fmt, ap);
	va_end(ap);
}

/* s (len bytes, or up to its NUL if len is (size_t)-1) fit to print:
 * printable ASCII as it is, '\\' and '"' escaped, every other byte \xHH,
 * cut with "..." past 400 bytes.  "(null)" for NULL. */
static inline const char *check_esc_n(const void *p, size_t len)
{
	static __thread char bufs[4][1700];
	static __thread unsigned next;
	const unsigned char *s = p;
	char *out = bufs[next++ % 4];
	size_t o = 0;

	if (!s)
		return "(null)";
	if (len == (size_t)-1)
		len = strlen((const char *)s);
	for (size_t i = 0; i < len; i++) {
		if (i == 400) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (s[i] == '\\' || s[i] == '"') {
			out[o++] = '\\';
			out[o++] = (char)s[i];
		} else if (s[i] < 0x20 || s[i] >= 0x7f) {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", s[i]);
		} else {
			out[o++] = (char)s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static inline const char *check_esc(const char *s)
{
	return check_esc_n(s, (size_t)-1);
}

#define CHECK(cond, ...) do { \
	if (cond) \
		check_passed(); \
	else \
		check_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
} while (0)

/* A failed setup that the rest depends on: print the summary and stop. */
static inline int check_done(void);
#define REQUIRE(cond, ...) do { \
	if (!(cond)) { \
		check_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
		fprintf(stderr, "(a required check failed: the test stops here)\n"); \
		exit(check_done()); \
	} \
} while (0)

#define CHECK_EQ_INT(got, want) do { \
	long long check_g_ = (long long)(got), check_w_ = (long long)(want); \
	if (check_g_ == check_w_) \
		check_passed(); \
	else \
		check_fail(__FILE__, __LINE__, #got " == " #want, "got %lld, want %lld", \
			   check_g_, check_w_); \
} while (0)

#define CHECK_STREQ(got, want) do { \
	const char *check_g_ = (got), *check_w_ = (want); \
	if (check_g_ && check_w_ && !strcmp(check_g_, check_w_)) \
		check_passed(); \
	else \
		check_fail(__FILE__, __LINE__, #got " eq " #want, "got \"%s\", want \"%s\"", \
			   check_esc(check_g_), check_esc(check_w_)); \
} while (0)

#define CHECK_CONTAINS(hay, needle) do { \
	const char *check_h_ = (hay), *check_n_ = (needle); \
	if (check_h_ && check_n_ && strstr(check_h_, check_n_)) \
		check_passed(); \
	else \
		check_fail(__FILE__, __LINE__, #hay " contains " #needle, \
			   "\"%s\" does not contain \"%s\"", check_esc(check_h_), \
			   check_esc(check_n_)); \
} while (0)

#define CHECK_NOT_CONTAINS(hay, needle) do { \
	const char *check_h_ = (hay), *check_n_ = (needle); \
	if (check_h_ && check_n_ && !strstr(check_h_, check_n_)) \
		check_passed(); \
	else \
		check_fail(__FILE__, __LINE__, "!(" #hay " contains " #needle ")", \
			   "\"%s\" contains \"%s\"", check_esc(check_h_), check_esc(check_n_)); \
} while (0)

#define CHECK_CAUSE(got, want) do { \
	enum vouch_cause check_g_ = (got), check_w_ = (want); \
	if (check_g_ == check_w_) \
		check_passed(); \
	else \
		check_fail(__FILE__, __LINE__, #got " == " #want, "got %s, want %s", \
			   vouch_cause_name(check_g_), vouch_cause_name(check_w_)); \
} while (0)

static inline void check_mem(const char *file, int line, const void *got, size_t gotlen,
			     const void *want, size_t wantlen, const char *what)
{
	if (got && gotlen == wantlen && !memcmp(got, want, wantlen))
		check_passed();
	else
		check_fail(file, line, what, "got %zu bytes \"%s\", want %zu bytes \"%s\"",
			   got ? gotlen : 0, check_esc_n(got ? got : "", got ? gotlen : 0), wantlen,
			   check_esc_n(want, wantlen));
}

#define CHECK_MEM(got, gotlen, want, wantlen, what) \
	check_mem(__FILE__, __LINE__, (got), (gotlen), (want), (wantlen), (what))
#define CHECK_BYTES(got, gotlen, lit, what) \
	check_mem(__FILE__, __LINE__, (got), (gotlen), (lit), sizeof(lit) - 1, (what))

/* The summary line and the exit status: 0 if every check passed, else 1. */
static inline int check_done(void)
{
	unsigned n = __atomic_load_n(&check_count, __ATOMIC_RELAXED);
	unsigned f = __atomic_load_n(&check_failures, __ATOMIC_RELAXED);

	fflush(stdout);
	if (f) {
		fprintf(stderr, "%s: %u of %u checks failed\n", program_invocation_short_name, f, n);
		return 1;
	}
	fprintf(stderr, "%s: all %u checks passed\n", program_invocation_short_name, n);
	return 0;
}

#define CHECK_EXIT() return check_done()

/* dir/fmt... in one of 8 rotating buffers per thread (valid for the next 7
 * calls): a path inside the test's own directory. */
static inline const char *check_path(const char *dir, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline const char *check_path(const char *dir, const char *fmt, ...)
{
	static __thread char buf[8][4096];
	static __thread unsigned k;
	char *b = buf[k++ % 8];
	size_t n = (size_t)snprintf(b, sizeof(buf[0]), "%s/", dir);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b + n, sizeof(buf[0]) - n, fmt, ap);
	va_end(ap);
	return b;
}

/* This test cannot run here: say why (the runner shows the last line) and
 * exit 77.  Only for a reason outside the test's control (no such kernel
 * feature, not root), never to hide a failure. */
static inline void check_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static inline void check_skip(const char *fmt, ...)
{
	va_list ap;

	fflush(stderr);
	printf("SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(77);
}

#endif
