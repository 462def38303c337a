/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan.c - `vouch scan`: a read-only assessment of protected roots.  Finds
 * the models in each root (a directory holding model.sig, a file with a
 * FILE.sig sidecar), verifies each one with vouch_verify_tree (tree.c: the
 * same authentication, policy and comparison as `vouch verify`, never
 * raising an anti-rollback mark), reports every file no signature governs,
 * signatures and signing keys close to their end, and turns each result
 * into a finding with a severity and the NIST SP 800-53 controls it
 * evidences (docs/compliance.md holds the same table for people).
 *
 * Owns: the walk, the cause -> finding table, the key judgement.  Must not:
 * write anything (no mark, no file), decide differently from tree.c (it
 * only classifies what tree.c decided), print (findings go to the caller).
 */
#include "verify_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the control mapping (docs/compliance.md, "Findings and controls") ---- */

static const char *const C_VERIFIED[]  = { "SI-7", "SI-7(1)", "SI-7(6)", "SI-7(15)", "CM-14", "CA-7", NULL };
static const char *const C_INTEGRITY[] = { "SI-7", "SI-7(1)", "SI-7(6)", "CA-7", NULL };
static const char *const C_AUTH[]      = { "SI-7(15)", "SI-7(6)", "CM-14", "CA-7", NULL };
static const char *const C_UNSIGNED[]  = { "CM-14", "SI-7(15)", "CA-7", NULL };
static const char *const C_POLICY[]    = { "CM-14", "SI-7(15)", "CA-7", NULL };
static const char *const C_ROLLBACK[]  = { "SI-7", "CM-14", "CA-7", NULL };
static const char *const C_EXPIRY[]    = { "SI-7(15)", "CM-14", "CA-7", NULL };
static const char *const C_AUDIT[]     = { "AU-2", "AU-12", "CA-7", NULL };
static const char *const C_ERROR[]     = { "CA-7", NULL };

/* What a verification cause means for an assessment.  Content that does not
 * match its signature is critical (tampering at rest); anything that makes
 * a model unloadable or unaccountable is high; what only weakens is lower. */
static const struct {
	const char *check;
	enum vouch_severity sev;
	const char *const *controls;
} by_cause[VOUCH_CAUSE__COUNT] = {
	[VOUCH_CAUSE_OK]              = { "verified",     VOUCH_SEV_INFO,     C_VERIFIED },
	[VOUCH_CAUSE_NOT_SIGNED]      = { "unsigned",     VOUCH_SEV_HIGH,     C_UNSIGNED },
	[VOUCH_CAUSE_BAD_SIGNATURE]   = { "authenticity", VOUCH_SEV_CRITICAL, C_AUTH },
	[VOUCH_CAUSE_UNTRUSTED_KEY]   = { "authenticity", VOUCH_SEV_HIGH,     C_AUTH },
	[VOUCH_CAUSE_THRESHOLD]       = { "policy",       VOUCH_SEV_HIGH,     C_POLICY },
	[VOUCH_CAUSE_REVOKED_KEY]     = { "authenticity", VOUCH_SEV_HIGH,     C_AUTH },
	[VOUCH_CAUSE_EXPIRED]         = { "authenticity", VOUCH_SEV_HIGH,     C_EXPIRY },
	[VOUCH_CAUSE_ROLLBACK]        = { "rollback",     VOUCH_SEV_HIGH,     C_ROLLBACK },
	[VOUCH_CAUSE_NAME_MISMATCH]   = { "policy",       VOUCH_SEV_HIGH,     C_POLICY },
	[VOUCH_CAUSE_NOT_IN_MANIFEST] = { "unbound",      VOUCH_SEV_HIGH,     C_INTEGRITY },
	[VOUCH_CAUSE_MISSING]         = { "integrity",    VOUCH_SEV_HIGH,     C_INTEGRITY },
	[VOUCH_CAUSE_SIZE_MISMATCH]   = { "integrity",    VOUCH_SEV_CRITICAL, C_INTEGRITY },
	[VOUCH_CAUSE_HASH_MISMATCH]   = { "integrity",    VOUCH_SEV_CRITICAL, C_INTEGRITY },
	[VOUCH_CAUSE_MALFORMED]       = { "integrity",    VOUCH_SEV_HIGH,     C_INTEGRITY },
	[VOUCH_CAUSE_SYMLINK]         = { "integrity",    VOUCH_SEV_MEDIUM,   C_INTEGRITY },
	[VOUCH_CAUSE_IO_ERROR]        = { "error",        VOUCH_SEV_HIGH,     C_ERROR },
	[VOUCH_CAUSE_UNSUPPORTED]     = { "authenticity", VOUCH_SEV_MEDIUM,   C_AUTH },
	[VOUCH_CAUSE_UNLOCATED]       = { "error",        VOUCH_SEV_HIGH,     C_ERROR },
};

static const char *const sev_names[] = { "info", "low", "medium", "high", "critical" };

const char *vouch_severity_name(enum vouch_severity s)
{
	return (unsigned)s < 5 ? sev_names[s] : "?";
}

bool vouch_severity_parse(const char *s, enum vouch_severity *out)
{
	for (unsigned i = 0; i < 5; i++)
		if (!strcmp(s, sev_names[i])) {
			*out = (enum vouch_severity)i;
			return true;
		}
	return false;
}

/* ---- one scan ---- */

struct keyuse {                 /* a signer key id seen counted (or refused) on a model */
	char id[VOUCH_KEYID_LEN + 1];
	unsigned models;
	char first[256];            /* one model it signed, for the message */
};

struct mark {
	char *name;
	uint64_t version;
};

struct scan {
	struct vouch_ctx *ctx;
	const struct vouch_assess_opts *o;
	vouch_finding_fn fn;
	void *arg;
	const char *root;
	int64_t now;
	int errors;
	struct keyuse *keys;
	size_t nkeys, capkeys;
	struct mark *marks;
	size_t nmarks, capmarks;
	/* the model being verified: its problems, gathered by on_problem */
	const char *mpath;
	const char *mname;
	uint64_t mversion;
	const char *msigners;
	unsigned nproblems;
};

static void emit(struct scan *s, enum vouch_severity sev, const char *check,
		 const char *const *controls, const char *subject, enum vouch_cause cause,
		 const char *model, uint64_t version, const char *signers, const char *detail)
{
	struct vouch_finding f = {
		.severity = sev, .check = check, .subject = subject, .root = s->root,
		.cause = cause, .model = model ? model : "", .version = version,
		.signers = signers ? signers : "", .detail = detail ? detail : "",
		.controls = controls,
	};

	if (!strcmp(check, "error"))
		s->errors++;
	s->fn(s->arg, &f);
}

static void emit_cause(struct scan *s, const char *subject, enum vouch_cause c, const char *detail)
{
	if ((unsigned)c >= VOUCH_CAUSE__COUNT)
		c = VOUCH_CAUSE_IO_ERROR;
	emit(s, by_cause[c].sev, by_cause[c].check, by_cause[c].controls, subject, c,
	     s->mname, s->mversion, s->msigners, detail);
}

/* A name tree.c reports is the model's path, the signature's, or one
 * relative to a directory model: make it one path. */
static void on_problem(void *arg, const char *name, enum vouch_cause cause, const char *detail)
{
	struct scan *s = arg;
	size_t n = strlen(s->mpath);
	char *subject = NULL;

	s->nproblems++;
	if (name[0] == '/' || !strncmp(name, s->mpath, n) || asprintf(&subject, "%s/%s", s->mpath,
								     name) < 0)
		subject = NULL;
	emit_cause(s, subject ? subject : name, cause, detail);
	free(subject);
}

static void mark_add(void *arg, const char *name, uint64_t version, const char *updated)
{
	struct scan *s = arg;

	(void)updated;
	if (s->nmarks == s->capmarks) {
		size_t cap = s->capmarks ? 2 * s->capmarks : 64;
		struct mark *m = realloc(s->marks, cap * sizeof(*m));
		if (!m)
			return;
		s->marks = m;
		s->capmarks = cap;
	}
	s->marks[s->nmarks].name = strdup(name);
	if (s->marks[s->nmarks].name)
		s->marks[s->nmarks++].version = version;
}

static const struct mark *mark_of(const struct scan *s, const char *name)
{
	for (size_t i = 0; i < s->nmarks; i++)
		if (!strcmp(s->marks[i].name, name))
			return &s->marks[i];
	return NULL;
}

/* Remember each key id the signers line names ("FILE=KEYID(TRUST):STATUS,
 * ..."): a key id is named only for a signature that verified with a
 * trusted key (an unknown signer is "hint:..."), so this is who signed. */
static void keys_note(struct scan *s, const char *signers, const char *model)
{
	for (const char *p = strchr(signers, '='); p; p = strchr(p + 1, '=')) {
		size_t n = strspn(p + 1, "0123456789abcdef"), i;

		if (n != VOUCH_KEYID_LEN)
			continue;
		for (i = 0; i < s->nkeys; i++)
			if (!strncmp(s->keys[i].id, p + 1, n))
				break;
		if (i == s->nkeys) {
			if (s->nkeys == s->capkeys) {
				size_t cap = s->capkeys ? 2 * s->capkeys : 16;
				struct keyuse *k = realloc(s->keys, cap * sizeof(*k));
				if (!k)
					return;
				s->keys = k;
				s->capkeys = cap;
			}
			memset(&s->keys[i], 0, sizeof(s->keys[i]));
			memcpy(s->keys[i].id, p + 1, n);
			snprintf(s->keys[i].first, sizeof(s->keys[i].first), "%s", model);
			s->nkeys++;
		}
		s->keys[i].models++;
	}
}

static void days_text(int64_t secs, char *out, size_t n)
{
	if (secs < 86400)
		snprintf(out, n, "%" PRId64 " hours", secs / 3600);
	else
		snprintf(out, n, "%" PRId64 " days", secs / 86400);
}

/* One model: a directory with model.sig, or a file with FILE.sig (which
 * may be missing: then tree.c reports it missing). */
static void scan_model(struct scan *s, const char *path, bool is_dir)
{
	struct vouch_verify_opts vo = { .threads = s->o->threads, .no_hash = s->o->no_hash };
	struct vouch_auth auth = { 0 };
	struct vouch_verdict v;
	char *sigpath = NULL, detail[512], when[32], left[32];
	int sigfd;

	if (asprintf(&sigpath, is_dir ? "%s/model.sig" : "%s.sig", path) < 0)
		return;
	/* The signature's own times and signers, read once more beside the
	 * verdict (tree.c keeps its bundle to itself): authentication is
	 * cached per signature identity, so this costs a parse. */
	sigfd = open(sigpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (sigfd >= 0) {
		pthread_rwlock_rdlock(&s->ctx->rw);
		vouch_authenticate_fd(s->ctx, AT_FDCWD, sigfd, sigpath, &auth);
		pthread_rwlock_unlock(&s->ctx->rw);
		close(sigfd);
	}
	s->mpath = path;
	s->mname = auth.b ? vouch_model_name(auth.b) : "";
	s->mversion = auth.b ? auth.b->st.meta.version : 0;
	s->msigners = auth.signers;
	s->nproblems = 0;
	vouch_verify_tree(s->ctx, path, &vo, on_problem, s, &v);
	if (v.cause == VOUCH_CAUSE_OK) {
		const struct mark *m = s->ctx->cfg.state_dir ? mark_of(s, v.model) : NULL;
		unsigned k = s->ctx->cfg.threshold ? s->ctx->cfg.threshold : 1;

		snprintf(detail, sizeof(detail), "version %" PRIu64 "%s; %u of %u required signer%s%s",
			 v.version, !m ? (s->ctx->cfg.state_dir ? " (no anti-rollback mark yet)" : "") :
			 m->version == v.version ? " (at its anti-rollback mark)" : " (above its mark)",
			 auth.nsigners, k, k == 1 ? "" : "s", s->o->no_hash ? "; content not hashed" : "");
		emit(s, VOUCH_SEV_INFO, "verified", C_VERIFIED, path, VOUCH_CAUSE_OK, v.model,
		     v.version, v.signers, detail);
		if (m && m->version < v.version) {
			snprintf(detail, sizeof(detail), "version %" PRIu64 " is above the anti-rollback "
				 "mark %" PRIu64 ": the next load raises it", v.version, m->version);
			emit(s, VOUCH_SEV_INFO, "version", C_ROLLBACK, path, VOUCH_CAUSE_OK, v.model,
			     v.version, v.signers, detail);
		}
	} else if (!s->nproblems) {
		emit_cause(s, path, v.cause, v.detail);
	}
	if (auth.b) {
		int64_t exp = auth.b->st.meta.expires;

		if (exp > s->now && exp - s->now <= (int64_t)s->o->warn_days * 86400) {
			vouch_time_format(exp, when);
			days_text(exp - s->now, left, sizeof(left));
			snprintf(detail, sizeof(detail), "the signature expires %s (in %s): the model "
				 "stops loading then", when, left);
			emit(s, VOUCH_SEV_MEDIUM, "signature-expiring", C_EXPIRY, path, VOUCH_CAUSE_OK,
			     s->mname, s->mversion, auth.signers, detail);
		}
		keys_note(s, auth.signers, path);
	}
	s->mname = NULL;
	s->msigners = NULL;
	vouch_auth_clear(&auth);
	free(sigpath);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Depth bounds the recursion: a tree deeper than this is reported, not
 * followed (PATH_MAX allows about 2000 levels of one-letter names). */
#define SCAN_DEPTH_MAX 256

static void scan_dir(struct scan *s, const char *dir, unsigned depth)
{
	struct dirent **ents = NULL;
	char *p = NULL, *sig = NULL;
	struct stat st;
	int n;

	if (asprintf(&p, "%s/model.sig", dir) < 0)
		return;
	if (!lstat(p, &st)) {
		free(p);
		scan_model(s, dir, true);
		return;
	}
	free(p);
	if (depth > SCAN_DEPTH_MAX) {
		emit(s, VOUCH_SEV_HIGH, "error", C_ERROR, dir, VOUCH_CAUSE_IO_ERROR, NULL, 0, NULL,
		     "deeper than " VOUCH_STR(SCAN_DEPTH_MAX) " levels: not scanned");
		return;
	}
	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0) {
		emit(s, VOUCH_SEV_HIGH, "error", C_ERROR, dir, VOUCH_CAUSE_IO_ERROR, NULL, 0, NULL,
		     strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		p = sig = NULL;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			goto next;
		if (asprintf(&p, "%s/%s", dir, name) < 0 || lstat(p, &st) < 0)
			goto next;
		if (ends_with(name, ".sig.d") && S_ISDIR(st.st_mode))
			goto next;          /* cosignatures: read with their signature */
		if (ends_with(name, ".sig") && !S_ISDIR(st.st_mode)) {
			/* A sidecar: its model is scanned under the model's name;
			 * one whose model is gone is reported missing there. */
			struct stat mst;
			p[strlen(p) - 4] = '\0';
			if (lstat(p, &mst) < 0)
				scan_model(s, p, false);
			goto next;
		}
		if (S_ISDIR(st.st_mode)) {
			scan_dir(s, p, depth + 1);
			goto next;
		}
		if (asprintf(&sig, "%s.sig", p) >= 0 && !lstat(sig, &st))
			scan_model(s, p, false);
		else if (!lstat(p, &st) && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
			emit(s, VOUCH_SEV_HIGH, "unsigned", C_UNSIGNED, p, VOUCH_CAUSE_NOT_SIGNED, NULL,
			     0, NULL, S_ISLNK(st.st_mode) ? "a symlink no signature governs: every "
			     "open is refused" : "no signature governs it: every open is refused");
next:
		free(p);
		free(sig);
		free(ents[i]);
	}
	free(ents);
}

/* After every root: the trusted keys that signed what was scanned. */
static void scan_keys(struct scan *s)
{
	const struct vouch_trust *t = s->ctx->trust;
	char subject[VOUCH_KEYID_LEN + 8], detail[512], when[32], left[32];

	s->root = NULL;
	for (size_t i = 0; t && i < t->n; i++) {
		const struct vouch_trusted *k = &t->v[i];
		const struct keyuse *u = NULL;

		if (!k->key)
			continue;
		for (size_t j = 0; j < s->nkeys; j++)
			if (!strcmp(s->keys[j].id, vouch_key_id(k->key)))
				u = &s->keys[j];
		if (!u)
			continue;
		snprintf(subject, sizeof(subject), "key:%s", u->id);
		if (k->revoked) {
			snprintf(detail, sizeof(detail), "%s is revoked and signed %u scanned model%s "
				 "(%s%s)", k->file, u->models, u->models == 1 ? "" : "s", u->first,
				 u->models > 1 ? ", ..." : "");
			emit(s, VOUCH_SEV_HIGH, "key-revoked", C_AUTH, subject, VOUCH_CAUSE_REVOKED_KEY,
			     NULL, 0, NULL, detail);
			continue;
		}
		if (!k->not_after)
			continue;
		vouch_time_format(k->not_after, when);
		if (k->not_after <= s->now) {
			snprintf(detail, sizeof(detail), "%s: not_after %s has passed; it signed %u "
				 "scanned model%s (%s%s)", k->file, when, u->models,
				 u->models == 1 ? "" : "s", u->first, u->models > 1 ? ", ..." : "");
			emit(s, VOUCH_SEV_HIGH, "key-expired", C_EXPIRY, subject, VOUCH_CAUSE_EXPIRED,
			     NULL, 0, NULL, detail);
		} else if (k->not_after - s->now <= (int64_t)s->o->warn_days * 86400) {
			days_text(k->not_after - s->now, left, sizeof(left));
			snprintf(detail, sizeof(detail), "%s: not_after %s (in %s); after it the %u "
				 "model%s it signed (%s%s) stop loading", k->file, when, left, u->models,
				 u->models == 1 ? "" : "s", u->first, u->models > 1 ? ", ..." : "");
			emit(s, VOUCH_SEV_MEDIUM, "key-expiring", C_EXPIRY, subject, VOUCH_CAUSE_OK,
			     NULL, 0, NULL, detail);
		}
	}
}

/* What the configuration itself says about the record and the marks. */
static void scan_config(struct scan *s)
{
	const struct vouch_config *c = &s->ctx->cfg;
	char detail[512];

	s->root = NULL;
	snprintf(detail, sizeof(detail), "verdicts are recorded to syslog%s%s%s",
		 c->audit_log ? " and " : " only (no audit_log)", c->audit_log ? c->audit_log : "",
		 c->audit_failure_deny ? "; audit_failure = deny" : "");
	emit(s, c->audit_log ? VOUCH_SEV_INFO : VOUCH_SEV_LOW, "audit", C_AUDIT,
	     c->path ? c->path : "(command line)", VOUCH_CAUSE_OK, NULL, 0, NULL, detail);
	if (!c->state_dir)
		emit(s, VOUCH_SEV_MEDIUM, "rollback", C_ROLLBACK, c->path ? c->path : "(command line)",
		     VOUCH_CAUSE_OK, NULL, 0, NULL, "no state_dir: anti-rollback marks are not kept, "
		     "an older signed version loads");
}

int vouch_assess(struct vouch_ctx *ctx, char *const *roots, size_t nroots,
	       const struct vouch_assess_opts *opts, vouch_finding_fn fn, void *arg,
	       char *err, size_t errlen)
{
	static const struct vouch_assess_opts none = { .warn_days = 30 };
	struct scan s = { .ctx = ctx, .o = opts ? opts : &none, .fn = fn, .arg = arg };
	int ret;

	if (!ctx || !fn)
		return verr(err, errlen, -EINVAL, "scan: no context");
	s.now = s.o->now ? s.o->now : (int64_t)time(NULL);
	if (ctx->cfg.state_dir) {
		ret = vouch_state_list(ctx->cfg.state_dir, mark_add, &s, err, errlen);
		if (ret && ret != -ENOENT)
			goto out;
	}
	scan_config(&s);
	for (size_t i = 0; i < nroots; i++) {
		struct stat st;

		s.root = roots[i];
		errno = 0;
		if (stat(roots[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			const char *why = errno ? strerror(errno) : "not a directory";
			emit(&s, VOUCH_SEV_HIGH, "error", C_ERROR, roots[i], VOUCH_CAUSE_IO_ERROR, NULL, 0,
			     NULL, why);
			continue;
		}
		scan_dir(&s, roots[i], 0);
	}
	scan_keys(&s);
	ret = s.errors;
out:
	for (size_t i = 0; i < s.nmarks; i++)
		free(s.marks[i].name);
	free(s.marks);
	free(s.keys);
	return ret;
}
