/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stream.c - verified streaming (verify = stream): a file allowed at open
 * on its signature, trust rules, policy and size alone, whose bytes are
 * then checked one signed shard at a time, as they are asked for.
 *
 * A verifier stands for one version of one file (its identity as opened)
 * under one list of signed digests.  Each shard is UNSEEN, HASHING (one
 * thread reads it; others asking for it wait), GOOD or BAD.  A byte may be
 * served only once its shard is GOOD; the front end then copies it with the
 * same version check it makes for every read, so a change after the hash
 * fails that read instead of serving new bytes.  A BAD shard fails every
 * later check of the file (enforce mode): a loader that read past a bad
 * range must not go on to load a model with a hole in it.
 *
 * Layer: below verify.c (which makes verifiers, vouch_stream_new) and the
 * front ends (which check ranges); calls hash.c and audit through
 * vouch_record.  Decides nothing but "these bytes match the signed digest".
 */
#include "verify_i.h"
#include "receipt_i.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SH_UNSEEN, SH_HASHING, SH_GOOD, SH_BAD };

struct vouch_stream {
	atomic_uint refs;
	pthread_mutex_t mu;
	pthread_cond_t cv;               /* a shard left HASHING */
	struct vouch_ctx *ctx;           /* outlives every verifier (the front end's) */
	struct stat st;                  /* the version opened */
	enum vouch_hash alg;
	uint64_t shard;                  /* nominal shard size (lookup hint) */
	size_t n;
	struct { uint64_t start, end; uint8_t digest[64]; size_t len; } *sh;
	uint8_t *state;                  /* per shard, under mu */
	size_t ngood;                    /* under mu */
	bool failed;                     /* a read met a shard that did not match (enforce):
					  * every later check fails */
	bool enforce;
	uint8_t content[32];             /* vouch_receipt_content of the digests */
	/* For the deny record: the path, and who opened it under which verdict. */
	char *path;
	struct vouch_verdict v;
	struct vouch_subject who;
	char comm[64];
};

struct vouch_stream *vouch_stream_new(struct vouch_ctx *ctx, const char *path,
				      const struct vouch_verdict *v,
				      const struct vouch_subject *who,
				      const struct vouch_resource *const *res, size_t nres,
				      uint64_t shard_size, enum vouch_hash alg)
{
	struct vouch_stream *s;
	uint64_t at = 0;

	/* Only an exact tiling of the file by its shards, in order: anything
	 * else is verified in full at open by the caller. */
	if (nres == 0 || !res[0]->sharded)
		return NULL;
	for (size_t i = 0; i < nres; i++) {
		if (!res[i]->sharded || res[i]->start != at || res[i]->end <= at ||
		    res[i]->digest_len != vouch_hash_len(alg))
			return NULL;
		at = res[i]->end;
	}
	if (at != (uint64_t)v->st.st_size)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sh = calloc(nres, sizeof(*s->sh));
	s->state = calloc(nres, 1);
	s->path = strdup(path);
	if (!s->sh || !s->state || !s->path) {
		free(s->sh);
		free(s->state);
		free(s->path);
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < nres; i++) {
		s->sh[i].start = res[i]->start;
		s->sh[i].end = res[i]->end;
		s->sh[i].len = res[i]->digest_len;
		memcpy(s->sh[i].digest, res[i]->digest, res[i]->digest_len);
	}
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->ctx = ctx;
	s->st = v->st;
	s->alg = alg;
	s->shard = shard_size;
	s->n = nres;
	s->enforce = ctx->cfg.mode == VOUCH_MODE_ENFORCE;
	vouch_receipt_content(res, nres, shard_size, s->content);
	s->v = *v;
	if (who) {
		/* Resolved now: the deny record comes later, from whichever
		 * thread reads the bad shard, when the opener may be gone. */
		s->who = *who;
		if (who->comm)
			snprintf(s->comm, sizeof(s->comm), "%s", who->comm);
		else if (vouch_proc_identity(who->pid, &s->who.pid, s->comm, sizeof(s->comm)) < 0)
			snprintf(s->comm, sizeof(s->comm), "?");
		s->who.comm = s->comm;
	}
	return s;
}

struct vouch_stream *vouch_stream_ref(struct vouch_stream *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void vouch_stream_unref(struct vouch_stream *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->sh);
	free(s->state);
	free(s->path);
	free(s);
}

bool vouch_stream_same(const struct vouch_stream *a, const struct vouch_stream *b)
{
	return vouch_same_version(&a->st, &b->st) && a->alg == b->alg && a->n == b->n &&
	       a->enforce == b->enforce &&
	       !memcmp(a->content, b->content, sizeof(a->content));
}

bool vouch_stream_complete(const struct vouch_stream *s)
{
	struct vouch_stream *m = (struct vouch_stream *)s;
	bool done;

	pthread_mutex_lock(&m->mu);
	done = m->ngood == m->n;
	pthread_mutex_unlock(&m->mu);
	return done;
}

bool vouch_stream_bad(struct vouch_stream *s, char *detail, size_t dl)
{
	bool bad = false;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n && !bad; i++) {
		if (s->state[i] != SH_BAD)
			continue;
		bad = true;
		if (detail)
			snprintf(detail, dl, "bytes %" PRIu64 "-%" PRIu64 " differ from the signed "
				 "digest (found by verify = stream)", s->sh[i].start, s->sh[i].end);
	}
	pthread_mutex_unlock(&s->mu);
	return bad;
}

/* The shard holding byte off (off < size). */
static size_t shard_of(const struct vouch_stream *s, uint64_t off)
{
	size_t lo = 0, hi = s->n;

	if (s->shard) {
		uint64_t i = off / s->shard;
		if (i < s->n && s->sh[i].start <= off && off < s->sh[i].end)
			return (size_t)i;
	}
	while (hi - lo > 1) {               /* shards tile the file in order */
		size_t mid = lo + (hi - lo) / 2;
		if (s->sh[mid].start <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Hash shard i (marked HASHING by the caller, mu not held).  Returns its
 * new state, or SH_UNSEEN when it could not be read as this version. */
static int hash_shard(struct vouch_stream *s, int fd, size_t i)
{
	struct vouch_hash_job job = {
		.fd = fd, .off = s->sh[i].start, .len = s->sh[i].end - s->sh[i].start, .alg = s->alg,
	};

	vouch_hash_jobs(&job, 1, 1);
	/* Changed while hashed, or unreadable: no verdict on these bytes. */
	if (job.rc || !vouch_fd_unchanged(fd, &s->st))
		return SH_UNSEEN;
	return memcmp(job.digest, s->sh[i].digest, s->sh[i].len) ? SH_BAD : SH_GOOD;
}

/* who: the reader whose read met the shard, or NULL (a hash-ahead job):
 * then the opener that made the verifier. */
static void record_bad(struct vouch_stream *s, size_t i, const struct vouch_subject *who)
{
	struct vouch_verdict v = s->v;

	v.cause = VOUCH_CAUSE_HASH_MISMATCH;
	v.allow = !s->enforce;
	v.cached = v.reused = false;
	snprintf(v.detail, sizeof(v.detail),
		 "bytes %" PRIu64 "-%" PRIu64 " differ from the signed digest (verify = stream: "
		 "%s)", s->sh[i].start, s->sh[i].end,
		 s->enforce ? "this and every later read of the file fails with EIO" :
			      "audit mode, reads go on");
	vouch_record(s->ctx, s->path, &v, who ? who : s->who.comm ? &s->who : NULL, 0);
}

/* Settle shard i: wait while another thread hashes it, else hash it.
 * mu held on entry and exit.  0, or -EIO. */
static int settle(struct vouch_stream *s, int fd, size_t i, bool *hashed,
		  const struct vouch_subject *who)
{
	int st;

	while (s->state[i] == SH_HASHING)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->state[i] == SH_UNSEEN) {
		s->state[i] = SH_HASHING;
		pthread_mutex_unlock(&s->mu);
		st = hash_shard(s, fd, i);
		pthread_mutex_lock(&s->mu);
		s->state[i] = (uint8_t)st;
		if (st == SH_GOOD)
			s->ngood++;
		pthread_cond_broadcast(&s->cv);
		if (st == SH_BAD) {
			pthread_mutex_unlock(&s->mu);
			record_bad(s, i, who);  /* once: the state never returns to UNSEEN */
			pthread_mutex_lock(&s->mu);
		}
		if (hashed)
			*hashed = st == SH_GOOD;
		if (st == SH_UNSEEN)
			return -EIO;
	}
	return s->state[i] == SH_BAD && s->enforce ? -EIO : 0;
}

int vouch_stream_check(struct vouch_stream *s, int fd, uint64_t off, uint64_t len,
		       const struct vouch_subject *who)
{
	uint64_t size = (uint64_t)s->st.st_size, end;
	size_t first, last;
	int ret = 0;

	pthread_mutex_lock(&s->mu);
	if (s->failed) {
		ret = -EIO;
		goto out;
	}
	if (len == 0 || off >= size)
		goto out;
	end = len > size - off ? size : off + len;
	first = shard_of(s, off);
	last = shard_of(s, end - 1);
	for (size_t i = first; i <= last && !ret; i++)
		ret = settle(s, fd, i, NULL, who);
	/* A read refused for a bad shard: from now on, every read of the file
	 * is (a loader must not go on around a hole).  A bad shard found by
	 * hashing ahead fails only the reads that reach it. */
	if (ret)
		s->failed = true;
out:
	pthread_mutex_unlock(&s->mu);
	return ret;
}

/* The end of [off, off + span) within the file (off < size). */
static uint64_t span_end(const struct vouch_stream *s, uint64_t off, uint64_t span)
{
	uint64_t size = (uint64_t)s->st.st_size;

	return span > size - off ? size : off + span;
}

bool vouch_stream_pending(struct vouch_stream *s, uint64_t off, uint64_t span)
{
	uint64_t size = (uint64_t)s->st.st_size, stop;
	bool pending = false;

	if (off >= size)
		return false;
	stop = span_end(s, off, span);
	pthread_mutex_lock(&s->mu);
	for (size_t i = shard_of(s, off); i < s->n && s->sh[i].start < stop && !pending; i++)
		pending = s->state[i] == SH_UNSEEN && !s->failed;
	pthread_mutex_unlock(&s->mu);
	return pending;
}

int vouch_stream_ahead(struct vouch_stream *s, int fd, uint64_t off, uint64_t span,
		       uint64_t *start, uint64_t *end)
{
	uint64_t stop;
	bool hashed = false;
	int ret = 0;

	if (off >= (uint64_t)s->st.st_size)
		return 0;
	stop = span_end(s, off, span);
	pthread_mutex_lock(&s->mu);
	if (s->failed)
		goto out;
	for (size_t i = shard_of(s, off); i < s->n && s->sh[i].start < stop; i++) {
		if (s->state[i] != SH_UNSEEN)
			continue;
		ret = settle(s, fd, i, &hashed, NULL);
		if (!ret && hashed) {
			*start = s->sh[i].start;
			*end = s->sh[i].end;
			ret = 1;
		}
		break;
	}
out:
	pthread_mutex_unlock(&s->mu);
	return ret;
}
