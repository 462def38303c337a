/*
 * trust.c - the trusted keys (a trust directory and/or single key files) and
 * the authentication of a bundle against them: which trusted keys signed
 * the exact payload, and whether that meets the threshold.  The bundle's key
 * hint is unauthenticated: it only orders the candidates and sharpens the
 * message (bad-signature vs untrusted-key); a key id is never taken from it.
 */
#include "verify_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void vouch_trust_free(struct vouch_trust *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nkeys; i++)
		vouch_key_free(t->keys[i]);
	free(t->keys);
	free(t);
}

static int trust_add(struct vouch_trust *t, struct vouch_key *k)
{
	struct vouch_key **v;

	for (size_t i = 0; i < t->nkeys; i++) {
		if (!strcmp(t->keys[i]->id, k->id)) {   /* same key twice counts once */
			vouch_key_free(k);
			return 0;
		}
	}
	v = realloc(t->keys, (t->nkeys + 1) * sizeof(*v));
	if (!v) {
		vouch_key_free(k);
		return -ENOMEM;
	}
	t->keys = v;
	t->keys[t->nkeys++] = k;
	return 0;
}

static bool key_file_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && l > 4 && (!strcmp(n + l - 4, ".pem") || !strcmp(n + l - 4, ".pub"));
}

static int load_dir(const char *dir, struct vouch_trust *t, char *err, size_t errlen)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, ret = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return verr(err, errlen, -errno, "%s: %s", dir, strerror(errno));
	if (fstat(fd, &st) < 0) {
		close(fd);
		return verr(err, errlen, -errno, "%s: %s", dir, strerror(errno));
	}
	/* Whoever can add a file here decides which models load. */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		close(fd);
		return verr(err, errlen, -EPERM, "%s: trust directory owned by uid %u, not root", dir,
			    (unsigned)st.st_uid);
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		close(fd);
		return verr(err, errlen, -EPERM, "%s: trust directory is group- or world-writable", dir);
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct vouch_key *k = NULL;
		uint8_t *buf = NULL;
		size_t len;
		char sub[200];

		if (!key_file_name(de->d_name))
			continue;
		ret = vouch_read_file(dirfd(d), de->d_name, 64 << 10, &buf, &len, &st);
		if (!ret && (st.st_mode & (S_IWGRP | S_IWOTH)))
			ret = -EPERM;
		if (ret) {
			free(buf);
			verr(err, errlen, ret, "%s/%s: %s", dir, de->d_name,
			     ret == -EPERM ? "group- or world-writable key file" :
			     ret == -ELOOP ? "is a symlink" : strerror(-ret));
			break;
		}
		ret = vouch_key_from_pem(buf, len, &k, sub, sizeof(sub));
		free(buf);
		if (ret) {
			verr(err, errlen, ret, "%s/%s: %s", dir, de->d_name, sub);
			break;
		}
		ret = trust_add(t, k);
		if (ret)
			break;
	}
	closedir(d);
	return ret;
}

int vouch_trust_load(const struct vouch_config *cfg, struct vouch_trust **out, char *err, size_t errlen)
{
	struct vouch_trust *t = calloc(1, sizeof(*t));
	int ret = 0;

	if (!t)
		return -ENOMEM;
	if (cfg->trust_dir)
		ret = load_dir(cfg->trust_dir, t, err, errlen);
	for (size_t i = 0; !ret && i < cfg->npubkeys; i++) {
		struct vouch_key *k;

		ret = vouch_key_load(cfg->pubkeys[i], &k, err, errlen);
		if (!ret)
			ret = trust_add(t, k);
	}
	if (!ret && t->nkeys == 0)
		ret = verr(err, errlen, -ENOKEY, "no trusted keys (%s%s)",
			   cfg->trust_dir ? "trust directory is empty: " : "give a trust directory or a public key",
			   cfg->trust_dir ? cfg->trust_dir : "");
	if (!ret && cfg->threshold > t->nkeys)
		ret = verr(err, errlen, -EINVAL, "threshold %u is larger than the %zu trusted keys",
			   cfg->threshold, t->nkeys);
	if (ret) {
		vouch_trust_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

void vouch_auth_clear(struct vouch_auth *auth)
{
	vouch_bundle_free(auth->b);
	memset(auth, 0, sizeof(*auth));
}

/* Which trusted key (if any) made sig over pae. *hinted: a trusted key has
 * the bundle's hint, so a failure is a bad signature, not an unknown key. */
static const struct vouch_key *match_key(const struct vouch_trust *t, const struct vouch_signature *s,
					 const uint8_t *pae, size_t paelen,
					 const uint8_t *pae02, size_t pae02len, bool *hinted)
{
	*hinted = false;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->nkeys; i++) {
			const struct vouch_key *k = t->keys[i];
			bool hit = s->hint[0] && !strcmp(k->hint, s->hint);

			if (hit)
				*hinted = true;
			if (hit != (pass == 0))
				continue;        /* hinted keys first, then the rest */
			if (vouch_key_verify(k, pae, paelen, s->sig, s->siglen, NULL))
				return k;
			/* model_signing 0.2 signed another encoding, always with SHA-256. */
			if (pae02 && k->kind != VOUCH_KEY_ED25519 &&
			    vouch_key_verify(k, pae02, pae02len, s->sig, s->siglen, EVP_sha256()))
				return k;
		}
	}
	return NULL;
}

void vouch_authenticate(struct vouch_ctx *ctx, struct vouch_auth *auth)
{
	const struct vouch_bundle *b = auth->b;
	const struct vouch_trust *t = ctx->trust;
	const char *signers[64];
	uint8_t *pae, *pae02 = NULL;
	size_t paelen, pae02len = 0;
	enum vouch_cause first = VOUCH_CAUSE_UNTRUSTED_KEY;
	unsigned n = 0;

	pae = vouch_dsse_pae(b->payload_type, b->payload, b->payload_len, &paelen);
	if (!strcmp(b->st.predicate_type, VOUCH_PRED_V01))
		pae02 = vouch_dsse_pae_v02(b->payload_type, b->payload, b->payload_len, &pae02len);
	if (!pae) {
		auth->cause = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	for (size_t i = 0; i < b->nsigs; i++) {
		const struct vouch_signature *s = &b->sigs[i];
		const struct vouch_key *k = NULL;
		bool hinted = false, dup = false;

		if (!strcmp(s->material, "public-key")) {
			k = match_key(t, s, pae, paelen, pae02, pae02len, &hinted);
		} else if (i == 0) {
			snprintf(auth->detail, sizeof(auth->detail),
				 "signed with a %s; vouch trusts only public keys here",
				 s->material);
		}
		if (!k) {
			if (i == 0)
				first = hinted ? VOUCH_CAUSE_BAD_SIGNATURE : VOUCH_CAUSE_UNTRUSTED_KEY;
			continue;
		}
		for (unsigned j = 0; j < n; j++)
			dup |= !strcmp(signers[j], k->id);
		if (!dup && n < ARRAY_SIZE(signers))
			signers[n++] = k->id;
	}
	auth->nsigners = n;
	if (n)
		snprintf(auth->keyid, sizeof(auth->keyid), "%s", signers[0]);
	if (n >= ctx->cfg.threshold && n > 0) {
		auth->cause = VOUCH_CAUSE_OK;
	} else if (n == 0) {
		auth->cause = first;
		if (!auth->detail[0])
			snprintf(auth->detail, sizeof(auth->detail), "%s",
				 first == VOUCH_CAUSE_BAD_SIGNATURE ?
				 "signature does not verify with the trusted key it names" :
				 "not signed by any trusted key");
	} else {
		auth->cause = VOUCH_CAUSE_THRESHOLD;
		snprintf(auth->detail, sizeof(auth->detail), "%u distinct trusted signer%s, %u required",
			 n, n == 1 ? "" : "s", ctx->cfg.threshold);
	}
out:
	free(pae);
	free(pae02);
}

void vouch_authenticate_fd(struct vouch_ctx *ctx, int dirfd, int sigfd, const char *sigpath,
			   struct vouch_auth *auth)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char sub[200];
	int ret;

	(void)dirfd;
	memset(auth, 0, sizeof(*auth));
	ret = vouch_read_fd(sigfd, VOUCH_SIG_MAX, &buf, &len, NULL);
	if (ret) {
		auth->cause = ret == -EFBIG ? VOUCH_CAUSE_MALFORMED :
			      ret == -EINVAL ? VOUCH_CAUSE_SYMLINK : VOUCH_CAUSE_IO_ERROR;
		snprintf(auth->detail, sizeof(auth->detail), "%s: %s", sigpath,
			 ret == -EFBIG ? "signature too large" : strerror(-ret));
		return;
	}
	auth->cause = vouch_bundle_parse(buf, len, sigpath, &auth->b, sub, sizeof(sub));
	free(buf);
	if (auth->cause) {
		snprintf(auth->detail, sizeof(auth->detail), "%s: %s", sigpath, sub);
		return;
	}
	vouch_authenticate(ctx, auth);
}
