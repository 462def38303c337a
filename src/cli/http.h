/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - the one HTTP request parser of `vouch metrics --listen` (http.c):
 * a request line and headers, bounded, nothing else.  Separate from the
 * server so that the libFuzzer harness (tests/fuzz/fuzz_http.c) runs it on
 * its own.
 */
#ifndef VOUCH_HTTP_H
#define VOUCH_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* A request is at most this big, headers included: a scraper's is ~300
 * bytes; more is refused (431) rather than buffered. */
#define HTTP_REQUEST_MAX 8192
#define HTTP_TARGET_MAX  256

struct http_request {
	bool head;                       /* HEAD: headers only */
	char path[HTTP_TARGET_MAX];      /* the target without its query string */
};

/* Parse buf[0..len) (len <= HTTP_REQUEST_MAX, not NUL-terminated).
 * Returns 0 with *out filled when a whole request (request line and headers
 * up to the empty line) is there; -1 when more bytes are needed (and len <
 * HTTP_REQUEST_MAX); else the HTTP status to answer with: 400 (malformed),
 * 405 (a method other than GET or HEAD), 414 (target too long), 431
 * (request too big), 505 (not HTTP/1.x). */
int http_parse_request(const char *buf, size_t len, struct http_request *out);

#endif
