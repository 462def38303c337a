/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_receipt.c - the receipt format and its matching rule (receipt.c):
 * a receipt round-trips; every truncation, every single-bit flip and random
 * bytes are refused (never a crash, never a half-parsed receipt); a receipt
 * matches only the exact file identity, signature identity, trust, content
 * digests and name it was made for, before its horizon, and not when it was
 * made within the racy window of the file's last change.  The store's
 * symlink, ownership and size rules run through a live mount
 * (tests/cases/fs-receipts.sh).
 */
#include "receipt_i.h"
#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1800000000ll

static void sample(struct vouch_receipt *r)
{
	memset(r, 0, sizeof(*r));
	r->created = NOW - 100;
	r->until = NOW + 3600;
	r->file.dev = 0xfe00;
	r->file.ino = 123456;
	r->file.size = 1ull << 32;
	r->file.fsid = 0x1122334455667788ull;
	r->file.mtime_s = NOW - 1000;
	r->file.mtime_ns = 5;
	r->file.ctime_s = NOW - 900;
	r->file.ctime_ns = 999999999;
	r->file.btime_s = NOW - 5000;
	r->file.btime_ns = 7;
	r->file.gen = 42;
	r->file.have = VOUCH_FILEID_GEN | VOUCH_FILEID_BTIME;
	r->sig.dev = 0xfe00;
	r->sig.ino = 99;
	r->sig.size = 4321;
	r->sig.mtime.tv_sec = NOW - 800;
	r->sig.ctime.tv_sec = NOW - 800;
	r->sig.dentries = 0x1234;
	memset(r->trust, 0xa5, 32);
	memset(r->content, 0x5a, 32);
	snprintf(r->key, sizeof(r->key), "/srv/models/m/model.bin");
}

static void test_roundtrip(void)
{
	struct vouch_receipt r, d;
	uint8_t buf[VOUCH_RECEIPT_FILE_MAX];
	size_t n;

	sample(&r);
	n = vouch_receipt_encode(&r, buf, sizeof(buf));
	CHECK(n > 0, "encode");
	CHECK(vouch_receipt_decode(buf, n, &d) == 0, "decode");
	CHECK(vouch_receipt_matches(&d, &r, NOW), "a decoded receipt matches what it was made for");
	CHECK(d.created == r.created && d.until == r.until, "times");
	CHECK(!memcmp(&d.file, &r.file, sizeof(d.file)), "file identity");
	CHECK(vouch_receipt_encode(&r, buf, n - 1) == 0, "encode into too small a buffer");
	/* The longest key fits the read bound; a longer one is refused. */
	memset(r.key, 'k', VOUCH_RECEIPT_KEY_MAX);
	r.key[VOUCH_RECEIPT_KEY_MAX] = '\0';
	n = vouch_receipt_encode(&r, buf, sizeof(buf));
	CHECK(n > 0 && n <= VOUCH_RECEIPT_FILE_MAX, "longest key: %zu bytes", n);
	CHECK(vouch_receipt_decode(buf, n, &d) == 0, "longest key decodes");
	r.key[0] = '\0';
	CHECK(vouch_receipt_encode(&r, buf, sizeof(buf)) == 0, "empty key");
}

static void test_bad_input(void)
{
	struct vouch_receipt r, d;
	uint8_t buf[VOUCH_RECEIPT_FILE_MAX], m[VOUCH_RECEIPT_FILE_MAX + 64];
	size_t n, bad = 0;

	sample(&r);
	n = vouch_receipt_encode(&r, buf, sizeof(buf));
	for (size_t len = 0; len < n; len++)
		bad += vouch_receipt_decode(buf, len, &d) == -EBADMSG;
	CHECK(bad == n, "every truncation refused (%zu of %zu)", bad, n);
	memcpy(m, buf, n);
	memset(m + n, 0, 64);
	CHECK(vouch_receipt_decode(m, n + 1, &d) == -EBADMSG, "a trailing byte");
	bad = 0;
	for (size_t i = 0; i < n * 8; i++) {
		memcpy(m, buf, n);
		m[i / 8] ^= (uint8_t)(1u << (i % 8));
		bad += vouch_receipt_decode(m, n, &d) == -EBADMSG;
	}
	CHECK(bad == n * 8, "every bit flip refused (%zu of %zu)", bad, n * 8);
	CHECK(vouch_receipt_decode(m, sizeof(m), &d) == -EBADMSG, "over the size bound");
	srand(18);
	for (int k = 0; k < 20000; k++) {
		size_t len = (size_t)rand() % sizeof(m);
		for (size_t i = 0; i < len; i++)
			m[i] = (uint8_t)rand();
		if (k & 1)
			memcpy(m, "vouchrc1", len < 8 ? len : 8);
		CHECK(vouch_receipt_decode(m, len, &d) == -EBADMSG, "random bytes decoded (%zu)", len);
	}
}

static void test_match(void)
{
	struct vouch_receipt r, w;

	sample(&r);
#define DIFFERS(stmt, why) do { w = r; stmt; \
	CHECK(!vouch_receipt_matches(&r, &w, NOW), "matched although %s", why); } while (0)
	DIFFERS(w.file.dev++, "dev differs");
	DIFFERS(w.file.ino++, "inode differs");
	DIFFERS(w.file.size--, "size differs");
	DIFFERS(w.file.fsid ^= 1, "filesystem differs");
	DIFFERS(w.file.mtime_ns++, "mtime differs (ns)");
	DIFFERS(w.file.ctime_s++, "ctime differs");
	DIFFERS(w.file.btime_ns++, "birth time differs");
	DIFFERS(w.file.gen++, "generation differs");
	DIFFERS(w.file.have &= ~VOUCH_FILEID_BTIME, "birth time no longer known");
	DIFFERS(w.sig.ino++, "signature inode differs");
	DIFFERS(w.sig.ctime.tv_nsec++, "signature ctime differs");
	DIFFERS(w.sig.dentries++, "a cosignature differs");
	DIFFERS(w.trust[31] ^= 1, "trust differs");
	DIFFERS(w.content[0] ^= 1, "planned digests differ");
	DIFFERS(strcat(w.key, "x"), "name differs");
#undef DIFFERS
	w = r;
	w.created = NOW;              /* the wanted receipt's own time is no part of it */
	w.until = 0;
	CHECK(vouch_receipt_matches(&r, &w, NOW), "created/until of the query ignored");
	CHECK(!vouch_receipt_matches(&r, &r, r.until), "matched at its horizon");
	CHECK(!vouch_receipt_matches(&r, &r, r.until + 1), "matched past its horizon");
	r.until = 0;
	CHECK(vouch_receipt_matches(&r, &r, NOW + 100000000), "no horizon: matches later");
	/* Racy: made within the window after the file's last change. */
	sample(&r);
	r.created = r.file.ctime_s + 1;
	CHECK(!vouch_receipt_matches(&r, &r, NOW), "racy receipt (ctime) matched");
	sample(&r);
	r.file.mtime_s = r.created;   /* a future mtime set by touch -d */
	CHECK(!vouch_receipt_matches(&r, &r, NOW), "racy receipt (mtime) matched");
}

static void test_content(void)
{
	struct vouch_resource a = { .start = 0, .end = 10, .sharded = true, .digest_len = 32 };
	struct vouch_resource b = a;
	const struct vouch_resource *pa[] = { &a }, *pb[] = { &b };
	uint8_t da[32], db[32];
	char n1[65], n2[65];

	memset(a.digest, 1, 32);
	memset(b.digest, 1, 32);
	vouch_receipt_content(pa, 1, 1 << 20, da);
	vouch_receipt_content(pb, 1, 1 << 20, db);
	CHECK(!memcmp(da, db, 32), "same plan, same digest");
	b.digest[31] ^= 1;
	vouch_receipt_content(pb, 1, 1 << 20, db);
	CHECK(memcmp(da, db, 32), "digest byte");
	b = a;
	b.end = 11;
	vouch_receipt_content(pb, 1, 1 << 20, db);
	CHECK(memcmp(da, db, 32), "range");
	vouch_receipt_content(pa, 1, 1 << 21, db);
	CHECK(memcmp(da, db, 32), "shard size");
	vouch_receipt_name("/a", n1);
	vouch_receipt_name("/b", n2);
	CHECK(strlen(n1) == 64 && strcmp(n1, n2), "names: %s %s", n1, n2);
	/* sha256("/a"), from sha256sum */
	CHECK(!strcmp(n1, "6a50dc8584134c7de537c0052ff6d236bf874355e050c90523e0c5ff2a543a28"), "name of /a: %s", n1);
}

int main(void)
{
	test_roundtrip();
	test_bad_input();
	test_match();
	test_content();
	CHECK_EXIT();
}
