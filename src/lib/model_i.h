/* SPDX-License-Identifier: Apache-2.0 */
/*
 * model_i.h - a model on disk as a sorted list of files, and the batched
 * parallel hashing that signing and whole-model verification share.
 */
#ifndef VOUCH_MODEL_I_H
#define VOUCH_MODEL_I_H

#include "vouch_i.h"

struct vouch_item {
	char    *path;          /* model-relative, or "." for a single-file model */
	uint64_t size;
	char    *target;        /* resolved target of an allowed symlink, or NULL */
};

struct vouch_items {
	struct vouch_item *v;
	size_t n, cap;
};

struct vouch_scan_opts {
	char      **ignore;     /* besides the git defaults */
	size_t      nignore;
	bool        allow_symlinks;
	const char *symlink_root;
};

/* List every regular file beneath rootfd (sorted as model_signing does). */
int  vouch_model_scan(int rootfd, const struct vouch_scan_opts *o, struct vouch_items *out,
		      enum vouch_cause *cause, char *err, size_t errlen);
void vouch_items_free(struct vouch_items *it);
/* Open an item for hashing (beneath rootfd, no symlinks, or its allowed target). */
int  vouch_item_open(int rootfd, const struct vouch_item *it);

/* The byte ranges to hash with alg for a file of `size` bytes: one for
 * "files", one per shard for "shards" (none for an empty file).  Returns the
 * count, or (size_t)-1 if more than max would be needed. */
size_t vouch_plan_jobs(int fd, uint64_t size, bool sharded, uint64_t shard_size,
		       enum vouch_hash alg, struct vouch_hash_job *jobs, size_t max);

/* Called per item with its hashed ranges; rc is 0 or -errno from opening. */
typedef int (*vouch_item_fn)(void *arg, const struct vouch_item *it, int rc,
			     const struct stat *st, const struct vouch_hash_job *jobs, size_t njobs);

/* Before hashing an opened item: false = do not hash it (fn then gets it
 * with no jobs), so a file that cannot match costs no reading. */
typedef bool (*vouch_item_want_fn)(void *arg, const struct vouch_item *it, const struct stat *st);

/* Hash items in batches on `threads` workers (files and shards in parallel),
 * calling fn for each in order.  Stops at fn's first non-zero return.
 * want may be NULL (hash everything). */
int vouch_model_hash(int rootfd, const struct vouch_items *items, bool sharded,
		     uint64_t shard_size, enum vouch_hash alg, unsigned threads, vouch_item_want_fn want,
		     vouch_item_fn fn, void *arg);

#endif
