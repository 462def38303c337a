/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics_i.h - the counters a verification context keeps (metrics.c), and
 * the hooks the two choke points call: the verdict record (verify.c's
 * record_verdict), the cache-hit path of vouch_verify_open, the hash of a
 * cache miss, and a reload (ctx.c).  Every hook is a handful of relaxed
 * atomic adds: no lock, no allocation, no system call but clock_gettime,
 * so a cache hit stays as quiet as it was.  Reading them (the text
 * exposition, the metrics socket) is in metrics.c too; vouch.h has the
 * public half.
 */
#ifndef VOUCH_METRICS_I_H
#define VOUCH_METRICS_I_H

#include "vouch_i.h"

struct vouch_ctx;
struct vouch_verdict;
struct vouch_metrics;

/* Made with the context (vouch_ctx_new), freed with it.  0 or -ENOMEM. */
int  vouch_metrics_new(struct vouch_metrics **out);
void vouch_metrics_free(struct vouch_metrics *m);

/* A verdict written to the audit sink (every record: refusals a front end
 * made itself, cache hits that deny): one decision of its cause in the
 * context's mode, and its time in the open latency histogram. */
void vouch_metrics_verdict(struct vouch_ctx *ctx, const struct vouch_verdict *v, double elapsed_ms);
/* An open answered from the verdict cache (a probe's too).  An allow hit is
 * never recorded, so it is counted as a decision here; any other cause goes
 * on to the record and is counted there.  elapsed_ms: since the open began. */
void vouch_metrics_hit(struct vouch_ctx *ctx, const struct vouch_verdict *v, double elapsed_ms);
/* Around the hash of a cache miss: begin returns its start (monotonic
 * seconds) and counts one job in flight; end takes it off, adds the bytes
 * the jobs covered and the seconds taken. */
double vouch_metrics_hash_begin(struct vouch_ctx *ctx);
void vouch_metrics_hash_end(struct vouch_ctx *ctx, double t0, const struct vouch_hash_job *jobs,
			    size_t njobs);
/* vouch_ctx_reload's outcome (ok: the new trust is in force). */
void vouch_metrics_reload(struct vouch_ctx *ctx, bool ok);

#endif
