/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_http.c - libFuzzer harness for the HTTP request parser of `vouch
 * metrics --listen` (src/cli/http.c, built into this harness as it is: the
 * parser is a file of its own with no I/O).  Checks, per input (cut to
 * HTTP_REQUEST_MAX + 16 bytes): the parser never reads past len (ASan, the
 * input copied to a buffer of exactly len bytes); it answers 0, -1 or one
 * of its statuses; -1 only while no empty line has arrived and len is under
 * HTTP_REQUEST_MAX; a request it accepts has a NUL-terminated path that
 * starts with '/' and holds no '?', and stays accepted, the same, whatever
 * follows its empty line; every prefix of an accepted request but the
 * whole is either -1 or an error, never a different accepted request.
 */
#include "fuzz_common.h"
#include "../../src/cli/http.c"

#include <assert.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parse(const uint8_t *data, size_t len, struct http_request *r)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	memcpy(copy, data, len);
	ret = http_parse_request(copy, len, r);
	free(copy);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request r, r2;
	int ret, ret2;

	if (size > HTTP_REQUEST_MAX + 16)
		size = HTTP_REQUEST_MAX + 16;
	ret = parse(data, size, &r);
	assert(ret == 0 || ret == -1 || ret == 400 || ret == 405 || ret == 414 || ret == 431 ||
	       ret == 505);
	if (ret == -1)
		assert(size < HTTP_REQUEST_MAX);
	if (size > HTTP_REQUEST_MAX)
		assert(ret == 431);
	if (ret == 0) {
		size_t pl = strnlen(r.path, sizeof(r.path));
		uint8_t *more;

		assert(pl < sizeof(r.path));
		assert(r.path[0] == '/');
		assert(!strchr(r.path, '?'));
		/* Bytes after the request change nothing (when they still fit). */
		if (size + 5 <= HTTP_REQUEST_MAX) {
			more = malloc(size + 5);
			memcpy(more, data, size);
			memcpy(more + size, "GET /", 5);
			ret2 = parse(more, size + 5, &r2);
			free(more);
			assert(ret2 == 0 && r2.head == r.head && !strcmp(r2.path, r.path));
		}
		/* One byte less is never another accepted request. */
		if (size) {
			ret2 = parse(data, size - 1, &r2);
			assert(ret2 != 0 || (r2.head == r.head && !strcmp(r2.path, r.path)));
		}
	}
	return 0;
}
