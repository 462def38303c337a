/* SPDX-License-Identifier: Apache-2.0 */
/*
 * receipt_i.h - verdicts that survive a restart (`receipts = yes`): after a
 * file's bytes matched its manifest entry, a receipt in state_dir/receipts
 * says so for that exact file identity, signature identity, planned digests
 * and trust; a later process serves an exact match without hashing.  The
 * format and the store are receipt.c's; the decision stays in verify.c.
 */
#ifndef VOUCH_RECEIPT_I_H
#define VOUCH_RECEIPT_I_H

#include "verify_i.h"

#define VOUCH_RECEIPT_KEY_MAX 4096       /* the verdict cache's name: root/relpath */
#define VOUCH_RECEIPT_FILE_MAX 8192      /* bytes read of a receipt file, at most */
#define VOUCH_RECEIPTS_MAX 65536         /* receipt files one writer keeps in the store */
/* A file changed less than this before it was hashed gets no receipt: its
 * next change could fall within the same timestamp tick (coarse clocks,
 * 1 s or 2 s granularity on some filesystems) and leave every identity field
 * as it was.  The verdict cache still serves it in this process. */
#define VOUCH_RECEIPT_RACY_NS (2 * 1000000000ll)

#define VOUCH_FILEID_GEN   1u            /* FS_IOC_GETVERSION answered */
#define VOUCH_FILEID_BTIME 2u            /* statx gave a birth time */

/* What a receipt knows of a file, across restarts.  No mount id (renumbered
 * at every boot); dev may change too (loop devices, btrfs' anonymous
 * devices): then receipts simply miss. */
struct vouch_fileid {
	uint64_t dev, ino, size, fsid;
	int64_t  mtime_s, ctime_s, btime_s;
	uint32_t mtime_ns, ctime_ns, btime_ns;
	uint32_t gen;                    /* inode generation (0 unless VOUCH_FILEID_GEN) */
	uint32_t have;                   /* VOUCH_FILEID_* */
};

struct vouch_receipt {
	int64_t  created;                /* when the hash began (unix seconds) */
	int64_t  until;                  /* the verdict's horizon (auth->until; 0: none) */
	struct vouch_fileid file;
	struct vouch_ident sig;          /* the verdict cache's signature identity */
	uint8_t  trust[32];              /* vouch_receipt_trust_digest */
	uint8_t  content[32];            /* vouch_receipt_content: the digests matched */
	char     key[VOUCH_RECEIPT_KEY_MAX + 1];
};

/* ---- pure functions (tests/unit/test_receipt.c) ---- */
/* Serialise r; returns the length, or 0 if it does not fit cap (or the key
 * is too long).  Fixed little-endian fields, the key, then SHA-256 of all
 * that (corruption, not forgery: the store's permissions stop forgers). */
size_t vouch_receipt_encode(const struct vouch_receipt *r, uint8_t *buf, size_t cap);
/* Parse exactly len bytes; 0, or -EBADMSG for anything but a receipt this
 * version wrote (wrong length, magic, checksum, key). */
int  vouch_receipt_decode(const uint8_t *buf, size_t len, struct vouch_receipt *r);
/* Does stored r vouch for want?  Every identity field, the key, trust and
 * content digests equal; its horizon not passed; not racy (written less than
 * VOUCH_RECEIPT_RACY_NS after the file's last change). */
bool vouch_receipt_matches(const struct vouch_receipt *r, const struct vouch_receipt *want,
			   int64_t now);
/* Receipt file name for a key: hex SHA-256 (any byte may occur in a path). */
void vouch_receipt_name(const char *key, char out[2 * 32 + 1]);
/* Digest of what the bytes were compared with: shard size and each planned
 * resource's range and digest. */
void vouch_receipt_content(const struct vouch_resource *const *res, size_t nres,
			   uint64_t shard_size, uint8_t out[32]);

/* ---- from the system ---- */
/* The identity of the open file fd (st: its fstat).  0 or -errno. */
int  vouch_fileid_of(int fd, const struct stat *st, struct vouch_fileid *out);
/* Digest of everything trust-related a decision depends on: keys (ids,
 * windows, roles, revocation), the revocation list, CA certificates and
 * their identity globs, the Sigstore root's bytes and required identity,
 * threshold, clock skew, bindings, symlink policy. */
void vouch_receipt_trust_digest(const struct vouch_config *cfg, const struct vouch_trust *t,
				uint8_t out[32]);

/* ---- the store (state_dir/receipts), per context ---- */
struct vouch_receipts;
struct vouch_receipts *vouch_receipts_new(void);
void vouch_receipts_free(struct vouch_receipts *rs);
/* The receipt stored for want->key, if it matches want exactly.  Never
 * fails loudly: an absent, unreadable, foreign-owned, symlinked, oversized
 * or corrupt receipt is a miss. */
bool vouch_receipt_lookup(const struct vouch_config *cfg, const struct vouch_receipt *want);
/* Write r atomically (temp file, fsync, rename), 0644, unless the store is
 * full.  Returns 0 or -errno (callers ignore it: a receipt is an
 * optimisation).  Never called by a state_readonly front end. */
int  vouch_receipt_store(struct vouch_ctx *ctx, const struct vouch_receipt *r);

#endif
