/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c - parse one HTTP/1.x request (RFC 9112's request line and header
 * section) for `vouch metrics --listen`.  Owns nothing but the parse: no
 * I/O, no allocation; every length is checked against the buffer it reads.
 * Headers are checked for shape and otherwise ignored (the server answers
 * every request the same way and closes).
 */
#include "http.h"

#include <string.h>

/* RFC 9110 tchar: what a method and a header name may be made of. */
static bool tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The end of the line starting at p (the index of its '\n'), or -1. */
static long line_end(const char *buf, size_t len, size_t p)
{
	const char *nl = memchr(buf + p, '\n', len - p);

	return nl ? nl - buf : -1;
}

int http_parse_request(const char *buf, size_t len, struct http_request *out)
{
	size_t p = 0, e, m, t0, t1, tl;
	long nl;

	memset(out, 0, sizeof(*out));
	if (len > HTTP_REQUEST_MAX)
		return 431;
	/* The whole header section must be there before anything is judged
	 * but its size: a request line may arrive in pieces. */
	for (p = 0;;) {
		nl = line_end(buf, len, p);
		if (nl < 0)
			return len >= HTTP_REQUEST_MAX ? 431 : -1;
		e = (size_t)nl;
		if (e == p || (e == p + 1 && buf[p] == '\r'))
			break;                  /* the empty line: the end */
		p = e + 1;
	}
	/* Request line: METHOD SP TARGET SP HTTP/1.x CRLF */
	nl = line_end(buf, len, 0);
	e = (size_t)nl;
	if (e > 0 && buf[e - 1] == '\r')
		e--;
	for (m = 0; m < e && tchar((unsigned char)buf[m]); m++)
		;
	if (m == 0 || m >= e || buf[m] != ' ')
		return 400;
	t0 = m + 1;
	for (t1 = t0; t1 < e && buf[t1] != ' '; t1++)
		if ((unsigned char)buf[t1] <= 0x20 || (unsigned char)buf[t1] >= 0x7f)
			return 400;
	if (t1 == t0 || t1 >= e)
		return 400;
	if (e - (t1 + 1) != 8 || memcmp(buf + t1 + 1, "HTTP/1.", 7) ||
	    (buf[t1 + 8] != '0' && buf[t1 + 8] != '1'))
		return e - (t1 + 1) >= 5 && !memcmp(buf + t1 + 1, "HTTP/", 5) ? 505 : 400;
	if (m == 3 && !memcmp(buf, "GET", 3))
		out->head = false;
	else if (m == 4 && !memcmp(buf, "HEAD", 4))
		out->head = true;
	else
		return 405;
	/* origin-form only ("/path?query"); the query is ignored */
	if (buf[t0] != '/')
		return 400;
	for (tl = 0; t0 + tl < t1 && buf[t0 + tl] != '?'; tl++)
		;
	if (tl >= sizeof(out->path))
		return 414;
	memcpy(out->path, buf + t0, tl);
	out->path[tl] = '\0';
	/* Header lines: NAME ":" value, no control bytes but tab. */
	for (p = (size_t)nl + 1;;) {
		size_t q;

		e = (size_t)line_end(buf, len, p);
		if (e > p && buf[e - 1] == '\r')
			e--;
		if (e == p)
			break;
		for (q = p; q < e && tchar((unsigned char)buf[q]); q++)
			;
		if (q == p || q >= e || buf[q] != ':')
			return 400;
		for (; q < e; q++)
			if (((unsigned char)buf[q] < 0x20 && buf[q] != '\t') || buf[q] == 0x7f)
				return 400;
		p = (size_t)line_end(buf, len, p) + 1;
	}
	return 0;
}
