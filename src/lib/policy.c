/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.c - what a host's policy asks of an authenticated bundle (sign-off
 * by role, the [models] name bindings, require_binding, anti-rollback),
 * whether a config
 * can apply at all, and the per-file plan: which manifest entries govern a
 * file and whether the hashes of its bytes match them.  Shared by the fd
 * path (verify.c) and the tree path (tree.c); it calls neither.
 */
#include "verify_i.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Policy                                                                    */

const char *vouch_model_name(const struct vouch_bundle *b)
{
	return b->st.meta.present ? b->st.meta.name : b->st.subject_name;
}

enum vouch_cause vouch_policy_check(struct vouch_ctx *ctx, const struct vouch_auth *auth,
				    const char *fullpath, const char *expect_name,
				    char *detail, size_t dl)
{
	const struct vouch_config *c = &ctx->cfg;
	const struct vouch_bundle *b = auth->b;
	const struct vouch_meta *m = &b->st.meta;
	const char *name = vouch_model_name(b);
	enum vouch_cause rc;
	bool bound = false;

	/* The bundle's times are a trust rule (vouch_rule_bundle_time), decided
	 * with its signers by vouch_authenticate.  Which roles must have signed
	 * depends on where the model is ([require]): decided here, on the
	 * signers vouch_authenticate counted, for every front end alike. */
	rc = vouch_rule_roles(ctx, auth, fullpath, NULL, 0, detail, dl);
	if (rc)
		return rc;
	if (expect_name && strcmp(expect_name, name)) {
		verr(detail, dl, 0, "signed for model %s, expected %s", name, expect_name);
		return VOUCH_CAUSE_NAME_MISMATCH;
	}
	for (size_t i = 0; fullpath && i < c->nmodels; i++) {
		const struct vouch_binding *bind = &c->models[i];

		/* The glob may name the model directory or any file below it. */
		if (fnmatch(bind->glob, fullpath, FNM_PATHNAME) &&
		    fnmatch(bind->glob, fullpath, FNM_PATHNAME | FNM_LEADING_DIR))
			continue;
		bound = true;
		for (size_t k = 0; k < bind->nnames; k++)
			if (!fnmatch(bind->names[k], name, 0))
				goto next;
		verr(detail, dl, 0, "model %s may not be served at %s ([models] %s)", name, fullpath,
		     bind->glob);
		return VOUCH_CAUSE_NAME_MISMATCH;
next:
		;
	}
	if (fullpath && c->require_binding && !bound) {
		verr(detail, dl, 0, "no [models] entry covers %s (require_binding = yes)", fullpath);
		return VOUCH_CAUSE_NAME_MISMATCH;
	}
	/* Checked before hashing: replaying an old version costs nothing to refuse. */
	return vouch_state_check(ctx, name, m->version, detail, dl);
}

enum vouch_cause vouch_accept(struct vouch_ctx *ctx, const struct vouch_bundle *b, bool *raised,
			      char *detail, size_t dl)
{
	int ret;

	*raised = false;
	/* Checked again at acceptance: another open may have raised the mark
	 * while this one hashed (the check before hashing saw the old mark).
	 * A front end that may not write the marks compares only. */
	if (ctx->cfg.state_readonly)
		return vouch_state_check(ctx, vouch_model_name(b), b->st.meta.version, detail, dl);
	ret = vouch_state_raise(ctx, vouch_model_name(b), b->st.meta.version, detail, dl);
	*raised = ret > 0;
	if (ret == -ESTALE)
		return VOUCH_CAUSE_ROLLBACK;
	return ret < 0 ? VOUCH_CAUSE_IO_ERROR : VOUCH_CAUSE_OK;
}

int vouch_config_validate(const struct vouch_config *cfg, char *err, size_t errlen)
{
	/* A binding outside every protected root could never apply: a typo. */
	for (size_t i = 0; cfg->nprotect && i < cfg->nmodels; i++) {
		bool inside = false;

		for (size_t r = 0; r < cfg->nprotect && !inside; r++) {
			size_t n = strlen(cfg->protect[r]);
			while (n > 1 && cfg->protect[r][n - 1] == '/')
				n--;
			inside = !strncmp(cfg->models[i].glob, cfg->protect[r], n) &&
				 (cfg->models[i].glob[n] == '/' || cfg->models[i].glob[n] == '\0');
		}
		if (!inside)
			return verr(err, errlen, -EINVAL, "%s:%d: [models] %s is outside every protected root",
				    cfg->path ? cfg->path : "config", cfg->models[i].line, cfg->models[i].glob);
	}
	/* So is a [require] entry: a role requirement that silently applies
	 * nowhere is a weakened policy. */
	for (size_t i = 0; cfg->nprotect && i < cfg->nrequire; i++) {
		const char *g = cfg->require[i].glob;
		bool inside = !g;

		for (size_t r = 0; r < cfg->nprotect && !inside; r++) {
			size_t n = strlen(cfg->protect[r]);
			while (n > 1 && cfg->protect[r][n - 1] == '/')
				n--;
			inside = !strncmp(g, cfg->protect[r], n) && (g[n] == '/' || g[n] == '\0');
		}
		if (!inside)
			return verr(err, errlen, -EINVAL, "%s:%d: [require] %s is outside every protected root",
				    cfg->path ? cfg->path : "config", cfg->require[i].line, g);
	}
	return vouch_state_dir_check(cfg, err, errlen);
}

/* ------------------------------------------------------------------------ */
/* Per-file plan and comparison (shared by the fd and tree paths)           */

enum vouch_cause vouch_file_plan(const struct vouch_bundle *b, const char *name, uint64_t size,
				 const struct vouch_resource *const **res, size_t *nres,
				 char *detail, size_t dl)
{
	const struct vouch_statement *st = &b->st;
	const struct vouch_file_meta *fm = vouch_meta_find(&st->meta, name);
	bool sharded = !strcmp(st->method, "shards");
	size_t n = vouch_bundle_find(b, name, res);

	*nres = n;
	if (st->meta.present && st->meta.files) {
		if (!fm) {
			verr(detail, dl, 0, "not in the signed file list");
			return VOUCH_CAUSE_NOT_IN_MANIFEST;
		}
		/* Sizes are known before hashing: a truncated or extended file
		 * costs nothing to reject. */
		if (fm->size != size) {
			verr(detail, dl, 0, "size %" PRIu64 ", signed %" PRIu64, size, fm->size);
			return VOUCH_CAUSE_SIZE_MISMATCH;
		}
	}
	if (n == 0) {
		/* shards list no empty file: allowed if the metadata records it (or
		 * the signer was the reference tool, whose verifier allows it). */
		if (sharded && size == 0)
			return VOUCH_CAUSE_OK;
		verr(detail, dl, 0, "not in the signed manifest");
		return VOUCH_CAUSE_NOT_IN_MANIFEST;
	}
	if (sharded && (*res)[n - 1]->end != size) {
		verr(detail, dl, 0, "size %" PRIu64 ", signed %" PRIu64, size, (*res)[n - 1]->end);
		return VOUCH_CAUSE_SIZE_MISMATCH;
	}
	return VOUCH_CAUSE_OK;
}

enum vouch_cause vouch_file_compare(const struct vouch_resource *const *res, size_t nres,
				    const struct vouch_hash_job *jobs, size_t njobs,
				    char *detail, size_t dl)
{
	if (njobs != nres) {
		verr(detail, dl, 0, "size differs from the signed shards");
		return VOUCH_CAUSE_SIZE_MISMATCH;
	}
	for (size_t i = 0; i < njobs; i++) {
		if (jobs[i].rc == -ERANGE) {
			verr(detail, dl, 0, "file shrank while being verified");
			return VOUCH_CAUSE_SIZE_MISMATCH;
		}
		if (jobs[i].rc) {
			verr(detail, dl, 0, "read error: %s", strerror(-jobs[i].rc));
			return VOUCH_CAUSE_IO_ERROR;
		}
		if (res[i]->digest_len != vouch_hash_len(jobs[i].alg) ||
		    memcmp(jobs[i].digest, res[i]->digest, res[i]->digest_len)) {
			if (res[i]->sharded)
				verr(detail, dl, 0, "bytes %" PRIu64 "-%" PRIu64 " differ from the signed digest",
				     res[i]->start, res[i]->end);
			else
				verr(detail, dl, 0, "content differs from the signed digest");
			return VOUCH_CAUSE_HASH_MISMATCH;
		}
	}
	return VOUCH_CAUSE_OK;
}
