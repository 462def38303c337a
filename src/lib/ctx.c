/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctx.c - a verification context's life cycle: made from a config (trust,
 * audit sinks, receipts), reloaded in place (the new trust built completely
 * before the old is replaced, under ctx->rw held for writing), flushed and
 * freed.  It calls the caches' upkeep in verify.c; verify.c never calls it.
 */
#include "verify_i.h"
#include "receipt_i.h"
#include "metrics_i.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* ------------------------------------------------------------------------ */
/* Context                                                                   */

/* The receipt store and the digest of the trust just loaded (receipt.c);
 * made whatever cfg.receipts says, so that a reload may turn them on. */
static int receipts_init(struct vouch_ctx *ctx)
{
	ctx->receipts = vouch_receipts_new();
	if (!ctx->receipts)
		return -ENOMEM;
	vouch_receipt_trust_digest(&ctx->cfg, ctx->trust, ctx->receipt_trust);
	return 0;
}

/* Fewer usable keys than the threshold (revocations): nothing verifies. */
static void too_few_keys(struct vouch_ctx *ctx, size_t nkeys, unsigned threshold)
{
	if (nkeys < threshold)
		vouch_audit_msg(ctx->audit, LOG_ALERT, "fewer usable trusted keys (%zu) than the threshold "
				"(%u): every protected file is denied", nkeys, threshold);
}

int vouch_ctx_new(const struct vouch_config *cfg, struct vouch_ctx **out, char *err, size_t errlen)
{
	struct vouch_ctx *ctx = calloc(1, sizeof(*ctx));
	pthread_rwlockattr_t ra;
	int ret;

	if (!ctx)
		return -ENOMEM;
	if (vouch_caches_init(ctx) || vouch_config_copy(&ctx->cfg, cfg)) {
		vouch_caches_free(ctx);
		free(ctx);
		return -ENOMEM;
	}
	/* Writers (SIGHUP) must not starve behind a steady stream of opens. */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&ctx->rw, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&ctx->mu, NULL);
	pthread_cond_init(&ctx->done, NULL);
	pthread_mutex_init(&ctx->state_mu, NULL);
	ret = vouch_config_validate(&ctx->cfg, err, errlen);
	if (!ret)
		ret = vouch_metrics_new(&ctx->metrics);
	if (!ret)
		ret = vouch_audit_new(cfg->audit_log, cfg->audit_optional, &ctx->audit, err, errlen);
	if (!ret)
		ret = vouch_trust_load(&ctx->cfg, &ctx->trust, err, errlen);
	if (!ret)
		ret = receipts_init(ctx);
	if (ret) {
		vouch_ctx_free(ctx);
		return ret;
	}
	too_few_keys(ctx, ctx->trust->nkeys, ctx->cfg.threshold);
	*out = ctx;
	return 0;
}

void vouch_ctx_free(struct vouch_ctx *ctx)
{
	if (!ctx)
		return;
	vouch_caches_free(ctx);
	vouch_metrics_free(ctx->metrics);
	vouch_trust_free(ctx->trust);
	vouch_receipts_free(ctx->receipts);
	vouch_audit_free(ctx->audit);
	vouch_config_clear(&ctx->cfg);
	pthread_rwlock_destroy(&ctx->rw);
	pthread_mutex_destroy(&ctx->mu);
	pthread_cond_destroy(&ctx->done);
	pthread_mutex_destroy(&ctx->state_mu);
	free(ctx);
}

int vouch_ctx_reload(struct vouch_ctx *ctx, const struct vouch_config *cfg, char *err, size_t errlen)
{
	struct vouch_config copy;
	struct vouch_trust *t = NULL;
	uint8_t rtrust[32];
	size_t revoked = 0, nkeys;
	unsigned threshold;
	bool emptied;
	int ret;

	/* Build the new trust completely before touching the old: a bad key
	 * file or config leaves the old policy in force. */
	if (vouch_config_copy(&copy, cfg))
		return -ENOMEM;
	ret = vouch_config_validate(&copy, err, errlen);
	if (!ret)
		ret = vouch_trust_load(&copy, &t, err, errlen);
	emptied = ret == -ENOKEY;
	if (emptied) {
		/* Keys were removed until none are left, or too few for the
		 * threshold: refusing the reload would keep trusting the removed
		 * keys.  Apply it as a trust in which nothing verifies (this alert
		 * says why; too_few_keys below would only repeat it). */
		vouch_audit_msg(ctx->audit, LOG_ALERT, "%s: applied; every protected file is denied",
				err ? err : "");
		t = calloc(1, sizeof(*t));
		ret = t ? 0 : -ENOMEM;
	}
	if (ret) {
		vouch_config_clear(&copy);
		vouch_metrics_reload(ctx, false);
		vouch_audit_msg(ctx->audit, LOG_ERR, "reload refused, old trust stays in force: %s",
				err ? err : "");
		return ret;
	}
	for (size_t i = 0; i < t->n; i++)
		revoked += t->v[i].revoked;
	nkeys = t->nkeys;
	threshold = copy.threshold;
	/* Outside the lock: it may read the Sigstore root. */
	vouch_receipt_trust_digest(&copy, t, rtrust);
	pthread_rwlock_wrlock(&ctx->rw);
	vouch_trust_free(ctx->trust);
	ctx->trust = t;
	memcpy(ctx->receipt_trust, rtrust, sizeof(rtrust));
	free(copy.audit_log);           /* vouch_config_copy's; the sink keeps the old path */
	copy.audit_log = ctx->cfg.audit_log ? strdup(ctx->cfg.audit_log) : NULL; /* sink stays open */
	vouch_config_clear(&ctx->cfg);
	ctx->cfg = copy;
	pthread_mutex_lock(&ctx->mu);
	/* Verdicts stay, marked by the generation as decided under the old
	 * trust: the next open of each file decides again under the new one,
	 * but keeps what its bytes showed (no file is hashed again because of
	 * a reload; a file's or a signature's change still shows in its
	 * identity). */
	vouch_bcache_clear(ctx);
	ctx->generation++;
	pthread_mutex_unlock(&ctx->mu);
	pthread_rwlock_unlock(&ctx->rw);
	vouch_metrics_reload(ctx, true);
	vouch_audit_msg(ctx->audit, LOG_NOTICE, "trust reloaded: %zu usable keys (%zu revoked), threshold %u; "
			"every verdict is decided again at its next open (content results kept)",
			nkeys, revoked, threshold);
	if (!emptied)
		too_few_keys(ctx, nkeys, threshold);
	return 0;
}

void vouch_ctx_log(struct vouch_ctx *ctx, int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vouch_audit_msg(ctx->audit, priority, "%s", msg);
}

void vouch_ctx_drain(struct vouch_ctx *ctx, int timeout_ms)
{
	vouch_audit_drain(ctx->audit, timeout_ms);
}

const struct vouch_config *vouch_ctx_config(const struct vouch_ctx *ctx)
{
	return &ctx->cfg;
}

void vouch_ctx_stats(struct vouch_ctx *ctx, struct vouch_stats *out)
{
	pthread_mutex_lock(&ctx->mu);
	*out = (struct vouch_stats){
		.cache_hits = ctx->hits,
		.generation = ctx->generation,
		.marks_raised = ctx->epoch,
		.verdicts = ctx->nverdicts,
		.bundles = ctx->nbundles,
	};
	pthread_mutex_unlock(&ctx->mu);
}

void vouch_ctx_flush(struct vouch_ctx *ctx)
{
	pthread_rwlock_wrlock(&ctx->rw);
	pthread_mutex_lock(&ctx->mu);
	vouch_caches_clear(ctx);
	ctx->generation++;
	pthread_mutex_unlock(&ctx->mu);
	pthread_rwlock_unlock(&ctx->rw);
}
