/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle_i.h - private view of a parsed bundle: the resource index that
 * vouch_bundle_find() searches, and the helpers sign.c and verify.c share.
 */
#ifndef VOUCH_BUNDLE_I_H
#define VOUCH_BUNDLE_I_H

#include "vouch_i.h"

struct bundle_priv {
	struct vouch_bundle pub;            /* first: a vouch_bundle* is a bundle_priv* */
	struct vouch_resource **idx;        /* resources sorted by (path, start) */
};

/* The resources for path (n of them, shards in order); *first points into
 * the index.  0 when path is not in the manifest. */
size_t vouch_bundle_find(const struct vouch_bundle *b, const char *path,
			 const struct vouch_resource *const **first);
/* The whole index, sorted by (path, start). */
const struct vouch_resource *const *vouch_bundle_index(const struct vouch_bundle *b);
/* The i-th resource in (path, start) order. */
const struct vouch_resource *vouch_bundle_res_at(const struct vouch_bundle *b, size_t i);
const struct vouch_file_meta *vouch_meta_find(const struct vouch_meta *m, const char *path);
int vouch_file_meta_cmp(const void *a, const void *b);

/* Is relpath excluded from the manifest: the git defaults, the signed
 * ignore_paths, or the caller's extra list (component-prefix match)? */
bool vouch_ignored(const struct vouch_statement *st, char *const *extra, size_t nextra,
		   const char *relpath);

/* The signature kinds (one row each): the name records and `inspect` show,
 * and what a verifier must be given to authenticate one. */
struct vouch_sig_kind_info {
	enum vouch_sig_kind kind;
	const char *name;
	const char *needs;                  /* when nothing that could trust it is configured */
};
const struct vouch_sig_kind_info *vouch_sig_kind_info(enum vouch_sig_kind kind);
/* The one rule that tells the kind from a verificationMaterial object:
 * publicKey -> key; an x509CertificateChain without log entries -> x509;
 * a certificate, or a chain with log entries (the v0.1/v0.2 keyless form),
 * -> sigstore.  false if it is none of them. */
bool vouch_sig_kind_of(const json_t *vm, enum vouch_sig_kind *kind);

/* Serialize a bundle exactly as Sigstore clients expect; malloc'd JSON. */
char *vouch_bundle_emit(const uint8_t *payload, size_t plen, const uint8_t *sig, size_t siglen,
			const char *hint);

#endif
