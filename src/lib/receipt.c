/* SPDX-License-Identifier: Apache-2.0 */
/*
 * receipt.c - the receipt store (`receipts = yes`): one small binary file per
 * verified name in state_dir/receipts/, named by the SHA-256 of the name,
 * saying "the file with this identity matched these digests of this
 * signature under this trust, until this horizon".  verify.c decides when a
 * receipt is looked up (a verdict-cache miss, before hashing) and when one
 * is written (after a fresh hash matched); this file owns the format, the
 * identity fields, the trust digest and the files.  It never decides.
 *
 * Every receipt file is untrusted input: opened O_NOFOLLOW, a regular file
 * owned by root (or by us) and not group/world-writable, in a directory with
 * the same rule, at most VOUCH_RECEIPT_FILE_MAX bytes, parsed with every
 * length checked; anything else is a miss (the file is hashed, as without
 * receipts).  Receipts are 0644 in a 0755 directory, like the anti-rollback
 * marks: the shim, running as a service user, reads them too (it never
 * writes them); what they reveal (a protected path, its inode numbers and
 * that it verified) is no secret from a user who can stat the file.
 */
#include "receipt_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define RECEIPTS_DIR      "receipts"
#define RECEIPT_DIR_MODE  0755
#define RECEIPT_MODE      0644
static const char magic[8] = { 'v', 'o', 'u', 'c', 'h', 'r', 'c', '1' };

struct vouch_receipts {
	pthread_mutex_t mu;       /* one writer at a time: the count and the temp name */
	long count;               /* files in the store (-1: not counted yet) */
	bool full_said;           /* "store full" logged once */
};

/* ------------------------------------------------------------------------ */
/* Format                                                                    */

struct wbuf {
	uint8_t *p;
	size_t cap, len;
	bool over;
};

static void put(struct wbuf *w, const void *v, size_t n)
{
	if (w->over || n > w->cap - w->len) {
		w->over = true;
		return;
	}
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(w, b, 8);
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(w, b, 4);
}

static void put_ts(struct wbuf *w, struct timespec t)
{
	put_u64(w, (uint64_t)(int64_t)t.tv_sec);
	put_u32(w, (uint32_t)t.tv_nsec);
}

struct rbuf {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static void get(struct rbuf *r, void *v, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		memset(v, 0, n);
		return;
	}
	memcpy(v, r->p + r->off, n);
	r->off += n;
}

static uint64_t get_u64(struct rbuf *r)
{
	uint8_t b[8];
	uint64_t v = 0;

	get(r, b, 8);
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static uint32_t get_u32(struct rbuf *r)
{
	uint8_t b[4];
	uint32_t v = 0;

	get(r, b, 4);
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static struct timespec get_ts(struct rbuf *r)
{
	struct timespec t;

	t.tv_sec = (time_t)(int64_t)get_u64(r);
	t.tv_nsec = (long)get_u32(r);
	if (t.tv_nsec >= 1000000000L)
		r->bad = true;
	return t;
}

/* One field list for both directions, so they cannot drift apart. */
#define FILEID_FIELDS(U64, U32) \
	U64(file.dev) U64(file.ino) U64(file.size) U64(file.fsid) \
	U64(file.mtime_s) U32(file.mtime_ns) U64(file.ctime_s) U32(file.ctime_ns) \
	U64(file.btime_s) U32(file.btime_ns) U32(file.gen) U32(file.have)

size_t vouch_receipt_encode(const struct vouch_receipt *r, uint8_t *buf, size_t cap)
{
	struct wbuf w = { buf, cap, 0, false };
	size_t kl = strnlen(r->key, sizeof(r->key));
	uint8_t md[32];

	if (kl == 0 || kl > VOUCH_RECEIPT_KEY_MAX)
		return 0;
	put(&w, magic, sizeof(magic));
	put_u64(&w, (uint64_t)r->created);
	put_u64(&w, (uint64_t)r->until);
#define W64(f) put_u64(&w, (uint64_t)r->f);
#define W32(f) put_u32(&w, (uint32_t)r->f);
	FILEID_FIELDS(W64, W32)
#undef W64
#undef W32
	put_u64(&w, (uint64_t)r->sig.dev);
	put_u64(&w, (uint64_t)r->sig.ino);
	put_u64(&w, (uint64_t)r->sig.size);
	put_ts(&w, r->sig.mtime);
	put_ts(&w, r->sig.ctime);
	put_u64(&w, (uint64_t)r->sig.ddev);
	put_u64(&w, (uint64_t)r->sig.dino);
	put_ts(&w, r->sig.dmtime);
	put_ts(&w, r->sig.dctime);
	put_u64(&w, r->sig.dentries);
	put(&w, r->trust, 32);
	put(&w, r->content, 32);
	put_u32(&w, (uint32_t)kl);
	put(&w, r->key, kl);
	if (w.over)
		return 0;
	SHA256(buf, w.len, md);
	put(&w, md, 32);
	return w.over ? 0 : w.len;
}

int vouch_receipt_decode(const uint8_t *buf, size_t len, struct vouch_receipt *r)
{
	struct rbuf rb = { buf, len, 0, false };
	uint8_t m[sizeof(magic)], md[32];
	uint32_t kl;

	memset(r, 0, sizeof(*r));
	if (len < sizeof(magic) + 32 || len > VOUCH_RECEIPT_FILE_MAX)
		return -EBADMSG;
	get(&rb, m, sizeof(m));
	if (memcmp(m, magic, sizeof(magic)))
		return -EBADMSG;
	r->created = (int64_t)get_u64(&rb);
	r->until = (int64_t)get_u64(&rb);
#define R64(f) r->f = (__typeof__(r->f))get_u64(&rb);
#define R32(f) r->f = (__typeof__(r->f))get_u32(&rb);
	FILEID_FIELDS(R64, R32)
#undef R64
#undef R32
	r->sig.dev = (dev_t)get_u64(&rb);
	r->sig.ino = (ino_t)get_u64(&rb);
	r->sig.size = (off_t)get_u64(&rb);
	r->sig.mtime = get_ts(&rb);
	r->sig.ctime = get_ts(&rb);
	r->sig.ddev = (dev_t)get_u64(&rb);
	r->sig.dino = (ino_t)get_u64(&rb);
	r->sig.dmtime = get_ts(&rb);
	r->sig.dctime = get_ts(&rb);
	r->sig.dentries = get_u64(&rb);
	get(&rb, r->trust, 32);
	get(&rb, r->content, 32);
	kl = get_u32(&rb);
	if (rb.bad || kl == 0 || kl > VOUCH_RECEIPT_KEY_MAX || kl != rb.len - rb.off - 32)
		return -EBADMSG;
	get(&rb, r->key, kl);
	r->key[kl] = '\0';
	if (rb.bad || strlen(r->key) != kl || r->file.mtime_ns >= 1000000000u ||
	    r->file.ctime_ns >= 1000000000u || r->file.btime_ns >= 1000000000u)
		return -EBADMSG;
	SHA256(buf, rb.off, md);
	if (CRYPTO_memcmp(md, buf + rb.off, 32))
		return -EBADMSG;
	return 0;
}

static bool ts_same(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool vouch_receipt_matches(const struct vouch_receipt *r, const struct vouch_receipt *want,
			   int64_t now)
{
	const struct vouch_fileid *a = &r->file, *b = &want->file;
	const struct vouch_ident *s = &r->sig, *t = &want->sig;
	int64_t changed_s = a->mtime_s > a->ctime_s ? a->mtime_s : a->ctime_s;

	if (a->dev != b->dev || a->ino != b->ino || a->size != b->size || a->fsid != b->fsid ||
	    a->mtime_s != b->mtime_s || a->mtime_ns != b->mtime_ns ||
	    a->ctime_s != b->ctime_s || a->ctime_ns != b->ctime_ns ||
	    a->have != b->have || a->gen != b->gen ||
	    a->btime_s != b->btime_s || a->btime_ns != b->btime_ns)
		return false;
	if (s->dev != t->dev || s->ino != t->ino || s->size != t->size ||
	    !ts_same(s->mtime, t->mtime) || !ts_same(s->ctime, t->ctime) ||
	    s->ddev != t->ddev || s->dino != t->dino || !ts_same(s->dmtime, t->dmtime) ||
	    !ts_same(s->dctime, t->dctime) || s->dentries != t->dentries)
		return false;
	if (CRYPTO_memcmp(r->trust, want->trust, 32) || CRYPTO_memcmp(r->content, want->content, 32) ||
	    strcmp(r->key, want->key))
		return false;
	/* The horizon: a key window or the signature's expiry may have passed. */
	if (r->until && now >= r->until)
		return false;
	/* Written too soon after the file's last change (whole seconds here;
	 * the writer checks in ns): see VOUCH_RECEIPT_RACY_NS. */
	if (r->created - changed_s < VOUCH_RECEIPT_RACY_NS / 1000000000ll)
		return false;
	return true;
}

void vouch_receipt_name(const char *key, char out[2 * 32 + 1])
{
	uint8_t md[32];

	SHA256((const uint8_t *)key, strlen(key), md);
	vouch_hex(md, 32, out);
}

void vouch_receipt_content(const struct vouch_resource *const *res, size_t nres,
			   uint64_t shard_size, uint8_t out[32])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	uint8_t b[8 * 3 + 1];
	unsigned ol = 32;

	memset(out, 0, 32);
	if (!m || !EVP_DigestInit_ex(m, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(m);
		return;
	}
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(shard_size >> (8 * i));
		b[8 + i] = (uint8_t)((uint64_t)nres >> (8 * i));
	}
	EVP_DigestUpdate(m, b, 16);
	for (size_t k = 0; k < nres; k++) {
		for (int i = 0; i < 8; i++) {
			b[i] = (uint8_t)(res[k]->start >> (8 * i));
			b[8 + i] = (uint8_t)(res[k]->end >> (8 * i));
			b[16 + i] = (uint8_t)((uint64_t)res[k]->digest_len >> (8 * i));
		}
		b[24] = res[k]->sharded;
		EVP_DigestUpdate(m, b, sizeof(b));
		EVP_DigestUpdate(m, res[k]->digest,
				 res[k]->digest_len <= sizeof(res[k]->digest) ? res[k]->digest_len : 0);
	}
	if (!EVP_DigestFinal_ex(m, out, &ol))
		memset(out, 0, 32);
	EVP_MD_CTX_free(m);
}

/* ------------------------------------------------------------------------ */
/* Identities                                                                */

int vouch_fileid_of(int fd, const struct stat *st, struct vouch_fileid *out)
{
	struct statx sx;
	struct statfs sf;
	long gen = 0;

	memset(out, 0, sizeof(*out));
	out->dev = (uint64_t)st->st_dev;
	out->ino = (uint64_t)st->st_ino;
	out->size = (uint64_t)st->st_size;
	out->mtime_s = (int64_t)st->st_mtim.tv_sec;
	out->mtime_ns = (uint32_t)st->st_mtim.tv_nsec;
	out->ctime_s = (int64_t)st->st_ctim.tv_sec;
	out->ctime_ns = (uint32_t)st->st_ctim.tv_nsec;
	/* The filesystem's id (ext4, xfs, btrfs: from its UUID), so that a
	 * device number reused by another filesystem after a reboot (loop
	 * devices are numbered in attach order) does not match. */
	if (fstatfs(fd, &sf) < 0)
		return -errno;
	{
		uint32_t v[2];
		memcpy(v, &sf.f_fsid, sizeof(v));
		out->fsid = (uint64_t)v[0] | (uint64_t)v[1] << 32;
	}
	/* The inode generation: a new file that reuses a freed inode number
	 * gets a new one (ext4, btrfs, xfs...; tmpfs and others say ENOTTY). */
	if (ioctl(fd, FS_IOC_GETVERSION, &gen) == 0) {
		out->gen = (uint32_t)gen;
		out->have |= VOUCH_FILEID_GEN;
	}
	/* The birth time: not settable from userspace (touch -d cannot restore it). */
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BTIME | STATX_INO, &sx) == 0 &&
	    sx.stx_ino == out->ino && (sx.stx_mask & STATX_BTIME)) {
		out->btime_s = sx.stx_btime.tv_sec;
		out->btime_ns = sx.stx_btime.tv_nsec;
		out->have |= VOUCH_FILEID_BTIME;
	}
	return 0;
}

struct th {
	EVP_MD_CTX *m;
};

/* Length-prefixed, tagged: no two different trusts hash the same input. */
static void th_bytes(struct th *h, char tag, const void *p, size_t n)
{
	uint8_t b[9];

	b[0] = (uint8_t)tag;
	for (int i = 0; i < 8; i++)
		b[1 + i] = (uint8_t)((uint64_t)n >> (8 * i));
	EVP_DigestUpdate(h->m, b, sizeof(b));
	if (n)
		EVP_DigestUpdate(h->m, p, n);
}

static void th_str(struct th *h, char tag, const char *s)
{
	th_bytes(h, s ? tag : (char)(tag ^ 0x20), s ? s : "", s ? strlen(s) : 0);
}

static void th_u64(struct th *h, char tag, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	th_bytes(h, tag, b, 8);
}

static void th_strv(struct th *h, char tag, char *const *v, size_t n)
{
	th_u64(h, tag, n);
	for (size_t i = 0; i < n; i++)
		th_str(h, tag, v[i]);
}

static void th_trusted(struct th *h, const struct vouch_trusted *k)
{
	th_str(h, 'K', k->key ? k->key->id : NULL);
	th_str(h, 'F', k->file);
	th_u64(h, 'B', (uint64_t)k->not_before);
	th_u64(h, 'A', (uint64_t)k->not_after);
	th_strv(h, 'R', k->models, k->nmodels);
	th_strv(h, 'P', k->roles, k->nroles);
	th_u64(h, 'X', k->revoked);
}

/* The bytes of a file named by the config (the Sigstore root), hashed:
 * the same path with new content is new trust. */
static void th_file(struct th *h, char tag, const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	if (path && !vouch_read_file(AT_FDCWD, path, 64u << 20, &buf, &len, NULL))
		th_bytes(h, tag, buf, len);
	else
		th_str(h, (char)(tag ^ 0x20), path);
	free(buf);
}

void vouch_receipt_trust_digest(const struct vouch_config *cfg, const struct vouch_trust *t,
				uint8_t out[32])
{
	struct th h = { EVP_MD_CTX_new() };
	unsigned ol = 32;

	memset(out, 0, 32);
	if (!h.m || !EVP_DigestInit_ex(h.m, EVP_sha256(), NULL))
		goto out;
	th_str(&h, 'v', "vouch receipt trust 1");
	th_u64(&h, 't', cfg->threshold);
	th_u64(&h, 's', (uint64_t)cfg->clock_skew);
	th_u64(&h, 'b', cfg->require_binding);
	for (size_t i = 0; i < cfg->nmodels; i++) {
		th_str(&h, 'g', cfg->models[i].glob);
		th_strv(&h, 'n', cfg->models[i].names, cfg->models[i].nnames);
	}
	/* Sign-off by role: who must have signed is trust as much as how many. */
	th_u64(&h, 'y', cfg->roles_may_overlap);
	for (size_t i = 0; i < cfg->nrequire; i++) {
		th_str(&h, 'q', cfg->require[i].glob);
		th_u64(&h, 'k', cfg->require[i].nneeds);
		for (size_t j = 0; j < cfg->require[i].nneeds; j++) {
			th_str(&h, 'w', cfg->require[i].needs[j].role);
			th_u64(&h, 'k', cfg->require[i].needs[j].n);
		}
	}
	th_u64(&h, 'l', cfg->allow_symlinks);
	th_str(&h, 'r', cfg->symlink_root);
	th_strv(&h, 'c', cfg->ca_identity, cfg->nca_identity);
	th_file(&h, 'S', cfg->sigstore_root);
	th_str(&h, 'i', cfg->sigstore_identity);
	th_str(&h, 'o', cfg->sigstore_issuer);
	if (t) {
		th_u64(&h, 'N', t->n);
		for (size_t i = 0; i < t->n; i++)
			th_trusted(&h, &t->v[i]);
		th_strv(&h, 'V', t->revoked, t->nrevoked);
		th_u64(&h, 'C', t->nca);
		for (size_t i = 0; i < t->nca; i++)
			th_trusted(&h, &t->ca[i]);
		/* The CA certificates themselves, as loaded. */
		for (size_t i = 0; i < t->anchors.nca_files; i++) {
			STACK_OF(X509) *certs = t->anchors.ca_files[i].certs;

			for (int k = 0; certs && k < sk_X509_num(certs); k++) {
				unsigned char *der = NULL;
				int n = i2d_X509(sk_X509_value(certs, k), &der);

				if (n > 0)
					th_bytes(&h, 'D', der, (size_t)n);
				OPENSSL_free(der);
			}
		}
	}
	if (!EVP_DigestFinal_ex(h.m, out, &ol))
		memset(out, 0, 32);
out:
	EVP_MD_CTX_free(h.m);
}

/* ------------------------------------------------------------------------ */
/* The store                                                                 */

struct vouch_receipts *vouch_receipts_new(void)
{
	struct vouch_receipts *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	pthread_mutex_init(&rs->mu, NULL);
	rs->count = -1;
	return rs;
}

void vouch_receipts_free(struct vouch_receipts *rs)
{
	if (!rs)
		return;
	pthread_mutex_destroy(&rs->mu);
	free(rs);
}

/* Owned by root or by us, not writable by anyone else: whoever could write
 * here could vouch for any file. */
static bool owner_ok(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* The receipts directory, O_NOFOLLOW, checked; create: make it (writer). */
static int receipts_dir(const struct vouch_config *cfg, bool create)
{
	struct stat st;
	int sfd, dfd;

	if (!cfg->state_dir)
		return -ENOENT;
	sfd = open(cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return -errno;
	if (fstat(sfd, &st) < 0 || !owner_ok(&st)) {
		close(sfd);
		return -EPERM;
	}
	/* The umask (0077 in the unit) would hide receipts from the shim. */
	if (create && mkdirat(sfd, RECEIPTS_DIR, RECEIPT_DIR_MODE) == 0 &&
	    fchmodat(sfd, RECEIPTS_DIR, RECEIPT_DIR_MODE, 0) < 0) {
		close(sfd);
		return -errno;
	}
	dfd = openat(sfd, RECEIPTS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(sfd);
	if (dfd < 0)
		return -errno;
	if (fstat(dfd, &st) < 0 || !owner_ok(&st)) {
		close(dfd);
		return -EPERM;
	}
	return dfd;
}

bool vouch_receipt_lookup(const struct vouch_config *cfg, const struct vouch_receipt *want)
{
	char name[2 * 32 + 1];
	uint8_t buf[VOUCH_RECEIPT_FILE_MAX + 1];
	struct vouch_receipt *have;
	struct stat st;
	bool ok = false;
	ssize_t n;
	size_t len = 0;
	int dfd, fd;

	dfd = receipts_dir(cfg, false);
	if (dfd < 0)
		return false;
	vouch_receipt_name(want->key, name);
	/* O_NONBLOCK: a FIFO planted here must not hang the open path. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !owner_ok(&st) ||
	    st.st_size > VOUCH_RECEIPT_FILE_MAX) {
		close(fd);
		return false;
	}
	while (len < sizeof(buf) && (n = pread(fd, buf + len, sizeof(buf) - len, (off_t)len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	have = malloc(sizeof(*have));
	if (have && len <= VOUCH_RECEIPT_FILE_MAX && !vouch_receipt_decode(buf, len, have))
		ok = vouch_receipt_matches(have, want, (int64_t)time(NULL));
	free(have);
	return ok;
}

/* Count the store once per writer (and sweep temp files a crash left). */
static long receipts_count(int dfd)
{
	struct dirent *de;
	long n = 0;
	DIR *d;
	int fd = dup(dfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return VOUCH_RECEIPTS_MAX;      /* cannot tell: write nothing */
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp.")) {
			unlinkat(dfd, de->d_name, 0);
			continue;
		}
		n++;
	}
	closedir(d);
	return n;
}

int vouch_receipt_store(struct vouch_ctx *ctx, const struct vouch_receipt *r)
{
	struct vouch_receipts *rs = ctx->receipts;
	char name[2 * 32 + 1];
	uint8_t buf[VOUCH_RECEIPT_FILE_MAX];
	struct stat st;
	size_t len;
	bool exists;
	int dfd, ret = 0;

	if (!rs || ctx->cfg.state_readonly)
		return -EROFS;
	len = vouch_receipt_encode(r, buf, sizeof(buf));
	if (!len)
		return -E2BIG;
	vouch_receipt_name(r->key, name);
	pthread_mutex_lock(&rs->mu);
	dfd = receipts_dir(&ctx->cfg, true);
	if (dfd < 0) {
		ret = dfd;
		dfd = -1;
		goto out;
	}
	if (rs->count < 0)
		rs->count = receipts_count(dfd);
	exists = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!exists && rs->count >= VOUCH_RECEIPTS_MAX) {
		if (!rs->full_said)
			vouch_audit_msg(ctx->audit, LOG_WARNING, "receipts: %ld files in %s/" RECEIPTS_DIR
					", no new receipt is written (removing the directory is safe: "
					"files are then hashed again)", rs->count, ctx->cfg.state_dir);
		rs->full_said = true;
		ret = -ENOSPC;
		goto out;
	}
	/* A crash leaves the name holding a whole receipt or the old one,
	 * never a torn one (which would only be a miss, but a miss costs a
	 * hash).  The directory is not fsynced: a receipt lost in a crash
	 * costs one hash, not safety. */
	ret = vouch_write_at_atomic(dfd, name, buf, len, RECEIPT_MODE, false);
	if (!ret && !exists)
		rs->count++;
out:
	if (dfd >= 0)
		close(dfd);
	pthread_mutex_unlock(&rs->mu);
	return ret;
}
