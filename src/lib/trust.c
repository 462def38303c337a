/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trust.c - the trusted keys (a trust directory and/or single key files), the
 * trusted CAs (with FILE.ini beside each) and the authentication of a bundle
 * against them: who signed the exact payload, and whether that meets the
 * threshold.  The bundle's key hint is unauthenticated: it only orders the
 * candidates and sharpens the message (bad-signature vs untrusted-key); a key
 * id is never taken from it.
 *
 * What counts as one signer (docs/policy.md): a trusted key; a Sigstore
 * identity; a CA-vouched identity (the SAN/CN ca_identity matched, else the
 * subject DN).  A signature counts only if neither its identity nor the key
 * that made it was counted already, so one key reached two ways (a trusted
 * key and a certificate for it) or one person with two certificates counts
 * once.
 */
#include "verify_i.h"

#include <dirent.h>
#include <ini.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void vouch_trust_free(struct vouch_trust *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		vouch_key_free(t->v[i].key);
		free(t->v[i].file);
		free_strv(t->v[i].models, t->v[i].nmodels);
		free_strv(t->v[i].roles, t->v[i].nroles);
	}
	free(t->v);
	for (size_t i = 0; i < t->nca; i++) {
		free(t->ca[i].file);
		free_strv(t->ca[i].models, t->ca[i].nmodels);
		free_strv(t->ca[i].roles, t->ca[i].nroles);
	}
	free(t->ca);
	free_strv(t->revoked, t->nrevoked);
	free_strv(t->role_names, t->nrole_names);
	vouch_anchors_clear(&t->anchors);
	free(t);
}

static int load_ini(int dfd, const char *dir, const char *name, struct vouch_trusted *k,
		    char *err, size_t errlen);

/* One `ca` file: its certificates, and its window and roles from the
 * optional FILE.ini beside it (FILE minus its extension, as KEY.ini). */
static int load_ca(struct vouch_trust *t, const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path, *dot;
	char dir[PATH_MAX], ini[NAME_MAX + 1];
	struct vouch_trusted *v;
	size_t stem;
	int dfd, ret;

	ret = vouch_anchors_add_ca(&t->anchors, path, err, errlen);
	if (ret)
		return ret;
	v = realloc(t->ca, (t->nca + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->ca = v;
	v = &t->ca[t->nca++];
	memset(v, 0, sizeof(*v));
	if (!(v->file = strdup(path)))
		return -ENOMEM;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	dot = strrchr(base, '.');
	stem = dot && dot > base ? (size_t)(dot - base) : strlen(base);
	if (stem + 5 > sizeof(ini))
		return verr(err, errlen, -ENAMETOOLONG, "%s: name too long", path);
	snprintf(ini, sizeof(ini), "%.*s.ini", (int)stem, base);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return verr(err, errlen, -errno, "%s: %s", dir, strerror(errno));
	ret = load_ini(dfd, dir, ini, v, err, errlen);
	close(dfd);
	return ret;
}

/* CA certificates and the Sigstore trusted root + identity policy. */
static int load_anchors(const struct vouch_config *cfg, struct vouch_trust *t, char *err, size_t errlen)
{
	int ret = 0;

	vouch_anchors_init(&t->anchors);
	for (size_t i = 0; !ret && i < cfg->ncas; i++)
		ret = load_ca(t, cfg->cas[i], err, errlen);
	if (!ret && cfg->nca_identity && !cfg->ncas)
		return verr(err, errlen, -EINVAL, "ca_identity pins what a CA may vouch for: it needs a ca");
	if (!ret)
		ret = vouch_anchors_set_ca_identity(&t->anchors, cfg->ca_identity, cfg->nca_identity,
						    err, errlen);
	if (!ret && cfg->sigstore_root) {
		if (!cfg->sigstore_identity || !cfg->sigstore_issuer)
			return verr(err, errlen, -EINVAL, "a Sigstore trusted root needs an identity and an "
				    "issuer to accept (sigstore_identity, sigstore_issuer)");
		ret = vouch_anchors_load_sigstore(&t->anchors, cfg->sigstore_root, err, errlen);
		if (!ret)
			ret = vouch_anchors_set_policy(&t->anchors, cfg->sigstore_identity,
						       cfg->sigstore_issuer, err, errlen);
	} else if (!ret && (cfg->sigstore_identity || cfg->sigstore_issuer)) {
		return verr(err, errlen, -EINVAL, "a Sigstore identity or issuer needs a trusted root "
			    "(sigstore_root)");
	}
	t->have_anchors = !ret && (cfg->ncas || cfg->sigstore_root);
	return ret;
}

static struct vouch_trusted *trust_add(struct vouch_trust *t, struct vouch_key *k, const char *file)
{
	struct vouch_trusted *v;

	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(t->v[i].key->id, k->id)) {   /* same key twice counts once */
			vouch_key_free(k);
			return &t->v[i];
		}
	}
	v = realloc(t->v, (t->n + 1) * sizeof(*v));
	if (!v) {
		vouch_key_free(k);
		return NULL;
	}
	t->v = v;
	v = &t->v[t->n++];
	memset(v, 0, sizeof(*v));
	v->key = k;
	v->file = strdup(file);
	return v;
}

static bool key_file_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' && l > 4 && (!strcmp(n + l - 4, ".pem") || !strcmp(n + l - 4, ".pub"));
}

/* The optional KEY.ini beside KEY.pem: not_before, not_after, models, roles. */
struct key_ini {
	struct vouch_trusted *k;
	const char *path;
	char *err;
	size_t errlen;
	bool failed;
};

static int key_ini_handler(void *user, const char *section, const char *key, const char *value)
{
	struct key_ini *ki = user;
	const char *why;

	if (ki->failed)
		return 0;
	if (section[0] && strcmp(section, "key")) {
		why = "unknown section (use [key] or none)";
		goto bad;
	}
	if (!strcmp(key, "not_before") || !strcmp(key, "not_after")) {
		int64_t *dst = key[4] == 'b' ? &ki->k->not_before : &ki->k->not_after;
		why = "not an RFC 3339 time";
		if (vouch_time_parse(value, dst))
			goto bad;
		return 1;
	}
	if (!strcmp(key, "models")) {
		char *copy = strdup(value), *save = NULL;
		why = "models must be a comma-separated list of model-name globs";
		for (char *p = copy ? strtok_r(copy, ",", &save) : NULL; p; p = strtok_r(NULL, ",", &save)) {
			while (*p == ' ' || *p == '\t')
				p++;
			for (size_t l = strlen(p); l && (p[l - 1] == ' ' || p[l - 1] == '\t'); l--)
				p[l - 1] = '\0';
			if (*p)
				vouch_config_add(&ki->k->models, &ki->k->nmodels, p);
		}
		free(copy);
		if (!ki->k->nmodels)
			goto bad;
		return 1;
	}
	if (!strcmp(key, "roles")) {
		/* A role never met in the policy is kept (listed), not refused:
		 * the policy may ask for it later. */
		why = "roles must be a comma-separated list of role names (letters, digits, '.', '_', '-')";
		if (vouch_roles_parse(value, &ki->k->roles, &ki->k->nroles) || !ki->k->nroles)
			goto bad;
		return 1;
	}
	why = "unknown key (not_before, not_after, models, roles)";
bad:
	ki->failed = true;
	verr(ki->err, ki->errlen, -EINVAL, "%s: %s: %s", ki->path, key, why);
	return 0;
}

/* The optional NAME (KEY.ini, CA.ini) in dir: not_before, not_after, models, roles. */
static int load_ini(int dfd, const char *dir, const char *name, struct vouch_trusted *k,
		    char *err, size_t errlen)
{
	char path[PATH_MAX], why[512] = "";
	/* The handler writes ": KEY: WHY" (no path: .path is "") into why, not
	 * into err: the path can be longer than err, so the cause cannot be
	 * found again behind a copy of the path that was cut short. */
	struct key_ini ki = { .k = k, .path = "", .err = why, .errlen = sizeof(why) };
	FILE *f;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* Through a ConfigMap/Secret symlink farm too (vouch_open_in_dir). */
	fd = vouch_open_in_dir(dfd, name, NULL, why, sizeof(why));
	if (fd == -ENOENT && !*why)     /* no KEY.ini; a dangling link is an error */
		return 0;
	if (fd < 0)
		return verr(err, errlen, fd, "%s: %s", path, *why ? why : strerror(-fd));
	why[0] = '\0';
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	rc = ini_parse_file(f, key_ini_handler, &ki);
	fclose(f);
	if (rc)   /* "DIR/KEY.ini:LINE: KEY: WHY", with the line inih reports */
		return verr(err, errlen, -EINVAL, "%s:%d%s", path, rc, ki.failed ? why : ": syntax error");
	if (k->not_before && k->not_after && k->not_after <= k->not_before)
		return verr(err, errlen, -EINVAL, "%s: not_after is not after not_before", path);
	return 0;
}

int vouch_revoked_load(int dfd, const char *dir, char ***ids, size_t *n, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len, lineno = 0;
	char *line, *save = NULL, why[256];
	int ret;

	*ids = NULL;
	*n = 0;
	ret = vouch_read_file_in(dfd, "revoked", 4 << 20, &buf, &len, NULL, why, sizeof(why));
	if (ret == -ENOENT && !*why)    /* none; a dangling link is an error, not "none" */
		return 0;
	if (ret)
		return verr(err, errlen, ret, "%s/revoked: %s", dir, *why ? why : strerror(-ret));
	/* Read as text below: a NUL would hide every id after it (and `vouch
	 * trust revoke`, rewriting the file, would drop them for good). */
	if (memchr(buf, 0, len)) {
		free(buf);
		return verr(err, errlen, -EINVAL, "%s/revoked: holds a NUL byte (a revocation list is "
			    "text: one key id per line)", dir);
	}
	/* strtok_r would skip empty lines and lose the count: walk by hand. */
	for (line = (char *)buf; line && *line; line = save) {
		char *nl = strchr(line, '\n'), *p = line, *end;
		size_t l;

		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, "#");
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			end--;
		l = (size_t)(end - p);
		if (l == 0)
			continue;
		if (l != VOUCH_KEYID_LEN || strspn(p, "0123456789abcdef") < l) {
			free(buf);
			free_strv(*ids, *n);
			*ids = NULL;
			*n = 0;
			return verr(err, errlen, -EINVAL, "%s/revoked:%zu: not a key id (64 lowercase hex digits)",
				    dir, lineno);
		}
		*end = '\0';
		vouch_config_add(ids, n, p);
	}
	free(buf);
	return 0;
}

static int load_dir(const char *dir, struct vouch_trust *t, char *err, size_t errlen)
{
	struct dirent *de;
	struct statvfs sv;
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
	/* Group/world-writable only on a read-only mount: a Secret volume in a pod
	 * is a 1777 tmpfs mounted read-only (docs/kubernetes.md).  Sticky is not
	 * enough here: adding a key file is the attack. */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY))) {
		close(fd);
		return verr(err, errlen, -EPERM, "%s: trust directory is group- or world-writable", dir);
	}
	ret = vouch_revoked_load(fd, dir, &t->revoked, &t->nrevoked, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct vouch_trusted *tk;
		struct vouch_key *k = NULL;
		uint8_t *buf = NULL;
		size_t len;
		char sub[200], path[PATH_MAX], ini[NAME_MAX + 1], why[256];

		if (!key_file_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ret = vouch_read_file_in(dirfd(d), de->d_name, 64 << 10, &buf, &len, &st, why,
					 sizeof(why));
		if (!ret && (st.st_mode & (S_IWGRP | S_IWOTH)))
			ret = -EPERM;
		if (ret) {
			free(buf);
			verr(err, errlen, ret, "%s: %s", path, *why ? why :
			     ret == -EPERM ? "group- or world-writable key file" :
			     ret == -ELOOP ? "is a symlink" : strerror(-ret));
			break;
		}
		ret = vouch_key_from_pem(buf, len, &k, sub, sizeof(sub));
		free(buf);
		if (ret) {
			verr(err, errlen, ret, "%s: %s", path, sub);
			break;
		}
		tk = trust_add(t, k, path);
		if (!tk) {
			ret = -ENOMEM;
			break;
		}
		snprintf(ini, sizeof(ini), "%.*s.ini", (int)strlen(de->d_name) - 4, de->d_name);
		ret = load_ini(dirfd(d), dir, ini, tk, err, errlen);
		if (ret)
			break;
	}
	closedir(d);
	return ret;
}

/* Which required roles each key and CA holds (role_bits over t->role_names,
 * every role cfg->require names), and whether every role requirement could
 * be met at all: a role n signers must fill, held by fewer than n trusted
 * keys (revoked ones included, as for the threshold) and by no CA, is a
 * configuration error (-ENOKEY, as a threshold past the keys): most likely
 * a misspelt role, which would otherwise deny every model it applies to. */
static int roles_index(const struct vouch_config *cfg, struct vouch_trust *t, bool check,
		       char *err, size_t errlen)
{
	for (size_t e = 0; e < cfg->nrequire; e++) {
		for (size_t i = 0; i < cfg->require[e].nneeds; i++) {
			const char *r = cfg->require[e].needs[i].role;
			bool have = false;

			for (size_t j = 0; j < t->nrole_names && !have; j++)
				have = !strcmp(t->role_names[j], r);
			if (have)
				continue;
			if (t->nrole_names == 64)
				return verr(err, errlen, -EINVAL, "%s%smore than 64 distinct roles required",
					    cfg->path ? cfg->path : "", cfg->path ? ": " : "");
			if (vouch_config_add(&t->role_names, &t->nrole_names, r))
				return -ENOMEM;
		}
	}
	for (size_t pass = 0; pass < 2; pass++) {
		struct vouch_trusted *v = pass ? t->ca : t->v;

		for (size_t i = 0; i < (pass ? t->nca : t->n); i++)
			for (size_t r = 0; r < v[i].nroles; r++)
				for (size_t j = 0; j < t->nrole_names; j++)
					if (!strcmp(v[i].roles[r], t->role_names[j]))
						v[i].role_bits |= UINT64_C(1) << j;
	}
	for (size_t e = 0; check && e < cfg->nrequire; e++) {
		const struct vouch_requirement *q = &cfg->require[e];

		for (size_t i = 0; i < q->nneeds; i++) {
			size_t j = 0, holders = 0;
			bool by_ca = false;

			while (strcmp(t->role_names[j], q->needs[i].role))
				j++;
			for (size_t k = 0; k < t->n; k++)
				holders += (t->v[k].role_bits >> j) & 1;
			for (size_t k = 0; k < t->nca; k++)
				by_ca |= (t->ca[k].role_bits >> j) & 1;
			if (by_ca || holders >= q->needs[i].n)
				continue;
			return verr(err, errlen, -ENOKEY, "%s:%d: %s%s%srole %s needs %u signer%s, but %zu "
				    "trusted key%s hold%s it (KEY.ini roles)",
				    cfg->path ? cfg->path : "config", q->line,
				    q->glob ? "[require] " : "require", q->glob ? q->glob : "", ": ",
				    q->needs[i].role, q->needs[i].n, q->needs[i].n == 1 ? "" : "s", holders,
				    holders == 1 ? "" : "s", holders == 1 ? "s" : "");
		}
	}
	return 0;
}

int vouch_trust_load(const struct vouch_config *cfg, struct vouch_trust **out, char *err, size_t errlen)
{
	struct vouch_trust *t = calloc(1, sizeof(*t));
	size_t configured, anchors;
	int ret = 0;

	if (!t)
		return -ENOMEM;
	if (cfg->trust_dir)
		ret = load_dir(cfg->trust_dir, t, err, errlen);
	for (size_t i = 0; !ret && i < cfg->npubkeys; i++) {
		struct vouch_key *k;

		ret = vouch_key_load(cfg->pubkeys[i], &k, err, errlen);
		if (!ret && !trust_add(t, k, cfg->pubkeys[i]))
			ret = -ENOMEM;
	}
	if (!ret)
		ret = load_anchors(cfg, t, err, errlen);
	for (size_t i = 0; !ret && i < t->n; i++) {
		for (size_t r = 0; r < t->nrevoked; r++)
			if (!strcmp(t->revoked[r], t->v[i].key->id))
				t->v[i].revoked = true;
		if (!t->v[i].revoked)
			t->nkeys++;
	}
	/* CAs and a Sigstore root admit signers.  A Sigstore root admits one
	 * (its one identity); the CAs are counted as one, or as one per
	 * ca_identity glob (a glob may match several people: this is only the
	 * check that the threshold can be reached at all). */
	anchors = t->have_anchors ? (cfg->ncas ? (cfg->nca_identity ? cfg->nca_identity : 1) : 0) +
				    (cfg->sigstore_root ? 1 : 0) : 0;
	t->nkeys += anchors;
	/* The checks count the keys configured, revoked ones included: a
	 * revocation must never make a configuration fail to load (vouchfs
	 * would then keep the old trust, revoked key and all).  With fewer usable
	 * keys than the threshold everything is denied, which is the point.
	 * threshold 0: listing the store (vouch trust list), not enforcing. */
	configured = t->n + anchors;
	if (!ret && cfg->threshold && configured == 0)
		ret = verr(err, errlen, -ENOKEY, "%s%sno trusted keys%s%s", cfg->path ? cfg->path : "",
			   cfg->path ? ": " : "",
			   cfg->trust_dir ? " in " : " (give a trust directory or a public key)",
			   cfg->trust_dir ? cfg->trust_dir : "");
	if (!ret && cfg->threshold && cfg->threshold > configured)
		ret = verr(err, errlen, -ENOKEY, "%s%sthreshold %u is larger than the %zu trusted keys",
			   cfg->path ? cfg->path : "", cfg->path ? ": " : "", cfg->threshold, configured);
	if (!ret)
		ret = roles_index(cfg, t, cfg->threshold, err, errlen);
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

/* Which trusted key (if any) made sig over pae (revoked ones included, so
 * the caller can say "revoked-key").  *hinted: a trusted key has the
 * bundle's hint, so a failure is a bad signature, not an unknown key. */
static const struct vouch_trusted *match_key(const struct vouch_trust *t, const struct vouch_signature *s,
					     const uint8_t *pae, size_t paelen,
					     const uint8_t *pae02, size_t pae02len, bool *hinted)
{
	*hinted = false;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->n; i++) {
			const struct vouch_key *k = t->v[i].key;
			bool hit = s->hint[0] && !strcmp(k->hint, s->hint);

			if (hit)
				*hinted = true;
			if (hit != (pass == 0))
				continue;        /* hinted keys first, then the rest */
			if (vouch_key_verify(k, pae, paelen, s->sig, s->siglen, NULL))
				return &t->v[i];
			/* model_signing 0.2 signed another encoding, always with SHA-256. */
			if (pae02 && k->kind != VOUCH_KEY_ED25519 &&
			    vouch_key_verify(k, pae02, pae02len, s->sig, s->siglen, EVP_sha256()))
				return &t->v[i];
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Trust rules                                                               */
/*
 * Each rule decides one thing at `now` and lowers *until to the next moment
 * the clock alone could change what it decided (horizon_at), whatever the
 * outcome: a verdict is cached until the earliest horizon of the rules that
 * made it, so the horizon cannot fall out of step with the rules.  A rule
 * with no time in it leaves *until alone.
 */

/* Lower *until to edge if edge is a future time before it (0: none yet). */
static void horizon_at(int64_t *until, int64_t edge, int64_t now)
{
	if (edge > now && (!*until || edge < *until))
		*until = edge;
}

/* A signer (a trusted key, or a CA for what it issued) named in `revoked`
 * or marked revoked by the trust directory counts for nothing. */
static enum vouch_cause rule_not_revoked(const struct vouch_trusted *k, const char *what,
					 char *detail, size_t dl)
{
	if (!k->revoked)
		return VOUCH_CAUSE_OK;
	verr(detail, dl, 0, "%s is revoked", what);
	return VOUCH_CAUSE_REVOKED_KEY;
}

/* The window (KEY.ini / CA.ini not_before, not_after, widened by the clock
 * skew) bounds both when the signer is trusted and what it may have signed:
 * past not_after nothing it signed loads.  signed_at is fixed; only `now`
 * moves, at not_before - skew and just after not_after + skew. */
static enum vouch_cause rule_window(const struct vouch_ctx *ctx, const struct vouch_trusted *k,
				    const char *what, const struct vouch_bundle *b, int64_t now,
				    int64_t *until, char *detail, size_t dl)
{
	int64_t skew = ctx->cfg.clock_skew;
	int64_t signed_at = b->st.meta.present ? b->st.meta.signed_at : now;

	if (k->not_before)
		horizon_at(until, k->not_before - skew, now);
	if (k->not_after)
		horizon_at(until, k->not_after + skew + 1, now);
	if ((k->not_before && (now + skew < k->not_before || signed_at + skew < k->not_before)) ||
	    (k->not_after && (now - skew > k->not_after || signed_at - skew > k->not_after))) {
		verr(detail, dl, 0, "%s is outside its validity window", what);
		return VOUCH_CAUSE_EXPIRED;
	}
	return VOUCH_CAUSE_OK;
}

/* A signer with model globs (KEY.ini `models = GLOB...`) may sign only the
 * models they match. */
static enum vouch_cause rule_models(const struct vouch_trusted *k, const char *what,
				    const struct vouch_bundle *b, char *detail, size_t dl)
{
	const char *name = vouch_model_name(b);

	for (size_t i = 0; i < k->nmodels; i++)
		if (!fnmatch(k->models[i], name, 0))
			return VOUCH_CAUSE_OK;
	if (k->nmodels == 0)
		return VOUCH_CAUSE_OK;
	verr(detail, dl, 0, "%s may not sign model %s", what, name);
	return VOUCH_CAUSE_UNTRUSTED_KEY;
}

enum vouch_cause vouch_rule_bundle_time(const struct vouch_ctx *ctx, const struct vouch_bundle *b,
					int64_t now, int64_t *until, char *detail, size_t dl)
{
	const struct vouch_meta *m = &b->st.meta;
	int64_t skew = ctx->cfg.clock_skew;
	char ts[32];

	if (!m->present)
		return VOUCH_CAUSE_OK;
	if (m->expires)
		horizon_at(until, m->expires + skew + 1, now);
	horizon_at(until, m->signed_at - skew, now);
	if (m->expires && now > m->expires + skew) {
		vouch_time_format(m->expires, ts);
		verr(detail, dl, 0, "signature expired at %s", ts);
		return VOUCH_CAUSE_EXPIRED;
	}
	if (m->signed_at > now + skew) {
		vouch_time_format(m->signed_at, ts);
		verr(detail, dl, 0, "signed_at %s is in the future", ts);
		return VOUCH_CAUSE_EXPIRED;
	}
	return VOUCH_CAUSE_OK;
}

/* Sign-off by role.  A requirement is a set of roles, each to be filled by
 * n distinct signers; the requirements that apply are joined (a role asked
 * by two takes the larger n) and must all hold at once.  Unless
 * roles_may_overlap, one signer fills one unit of one role: "a data
 * scientist and a compliance officer" are two people, so someone holding
 * both roles does not meet both.  Which signer fills which role is a
 * bipartite matching (signers to role units); a greedy choice can leave a
 * role empty that another choice fills (signer A holds x and y, B only x:
 * A must take y), so it is found with augmenting paths. */

/* Does a requirement apply at fullpath?  [vouch] require (no glob) always;
 * a [require] glob, as a [models] one, when it names the model directory or
 * any file below it.  Where the path is unknown, every glob applies: a
 * requirement is never dropped for want of a name (fail closed). */
static bool require_applies(const struct vouch_requirement *q, const char *fullpath)
{
	if (!q->glob || !fullpath)
		return true;
	return !fnmatch(q->glob, fullpath, FNM_PATHNAME) ||
	       !fnmatch(q->glob, fullpath, FNM_PATHNAME | FNM_LEADING_DIR);
}

struct role_match {
	uint64_t has[VOUCH_SIGNERS_MAX];   /* per signer: the required roles it holds */
	int      fills[VOUCH_SIGNERS_MAX]; /* the role it fills, or -1 */
	unsigned n;                        /* signers */
	unsigned need[64], filled[64];     /* per role (vouch_trust.role_names) */
	uint64_t seen;                     /* roles visited by the current search */
};

/* Find a role for signer u (Kuhn's augmenting path, a role taking up to
 * need[r] signers): a role with room, or one whose holder can move on to
 * another role it holds.  Each role is visited once per search, so one
 * search costs at most roles x signers steps and recurses at most 64 deep. */
static bool role_augment(struct role_match *m, unsigned u)
{
	for (unsigned r = 0; r < 64; r++) {
		if (!((m->has[u] >> r) & 1) || ((m->seen >> r) & 1))
			continue;
		m->seen |= UINT64_C(1) << r;
		if (m->filled[r] < m->need[r]) {
			m->fills[u] = (int)r;
			m->filled[r]++;
			return true;
		}
		for (unsigned w = 0; w < m->n; w++) {
			if (m->fills[w] == (int)r && role_augment(m, w)) {
				m->fills[u] = (int)r;   /* w moved on: u takes its place */
				return true;
			}
		}
	}
	return false;
}

/* Append to a bounded buffer; "..." once it is full. */
static void put(char *buf, size_t cap, size_t *used, const char *s, size_t len)
{
	if (!buf || *used + 4 >= cap)
		return;
	if (*used + len + 4 >= cap) {
		memcpy(buf + *used, "...", 4);
		*used = cap;            /* full: nothing more goes in */
		return;
	}
	memcpy(buf + *used, s, len);
	*used += len;
	buf[*used] = '\0';
}

/* auth->signers with ":role=R" (R1+R2 when roles overlap) after each
 * counted signer that fills a role. */
static void roles_note(const struct vouch_trust *t, const struct vouch_auth *auth,
		       const struct role_match *m, bool overlap, char *note, size_t cap)
{
	size_t used = 0, from = 0;

	note[0] = '\0';
	for (unsigned u = 0; u < m->n; u++) {
		size_t at = auth->signer_note[u];
		bool first = true;

		if (!at || at < from || (overlap ? !m->has[u] : m->fills[u] < 0))
			continue;
		put(note, cap, &used, auth->signers + from, at - from);
		from = at;
		put(note, cap, &used, ":role=", 6);
		for (unsigned r = 0; r < 64; r++) {
			if (overlap ? !((m->has[u] >> r) & 1) : (int)r != m->fills[u])
				continue;
			if (!first)
				put(note, cap, &used, "+", 1);
			put(note, cap, &used, t->role_names[r], strlen(t->role_names[r]));
			first = false;
		}
	}
	put(note, cap, &used, auth->signers + from, strlen(auth->signers + from));
}

enum vouch_cause vouch_rule_roles(const struct vouch_ctx *ctx, const struct vouch_auth *auth,
				  const char *fullpath, char *note, size_t notelen,
				  char *detail, size_t dl)
{
	const struct vouch_config *cfg = &ctx->cfg;
	const struct vouch_trust *t = ctx->trust;
	bool overlap = cfg->roles_may_overlap;
	enum vouch_cause c = VOUCH_CAUSE_OK;
	struct role_match match, *m = &match;   /* about 1.3 KiB: no allocation to fail */
	uint64_t needed = 0;
	size_t used = 0;
	char part[160];

	if (note && notelen)
		snprintf(note, notelen, "%s", auth->signers);
	if (detail && dl)
		detail[0] = '\0';
	if (!cfg->nrequire)
		return VOUCH_CAUSE_OK;
	memset(m, 0, sizeof(*m));
	for (size_t e = 0; e < cfg->nrequire; e++) {
		const struct vouch_requirement *q = &cfg->require[e];

		if (!require_applies(q, fullpath))
			continue;
		for (size_t i = 0; i < q->nneeds; i++) {
			size_t j = 0;

			while (t && j < t->nrole_names && strcmp(t->role_names[j], q->needs[i].role))
				j++;
			if (!t || j == t->nrole_names) {
				/* Not indexed with this trust (a trust applied empty after
				 * a reload): nobody holds it. */
				snprintf(part, sizeof(part), "%srole %s: 0 of %u", used ? "; " : "",
					 q->needs[i].role, q->needs[i].n);
				put(detail, dl, &used, part, strlen(part));
				c = VOUCH_CAUSE_THRESHOLD;
				continue;
			}
			needed |= UINT64_C(1) << j;
			if (m->need[j] < q->needs[i].n)
				m->need[j] = q->needs[i].n;
		}
	}
	m->n = auth->nsigners < VOUCH_SIGNERS_MAX ? auth->nsigners : VOUCH_SIGNERS_MAX;
	for (unsigned u = 0; u < m->n; u++) {
		m->has[u] = auth->signer_roles[u] & needed;
		m->fills[u] = -1;
	}
	for (unsigned u = 0; u < m->n; u++) {
		if (overlap) {
			for (unsigned r = 0; r < 64; r++)
				m->filled[r] += (m->has[u] >> r) & 1;
		} else {
			m->seen = 0;
			role_augment(m, u);
		}
	}
	for (unsigned r = 0; r < 64; r++) {
		unsigned elsewhere = 0;

		if (!((needed >> r) & 1) || m->filled[r] >= m->need[r])
			continue;
		for (unsigned u = 0; u < m->n && !overlap; u++)
			elsewhere += ((m->has[u] >> r) & 1) && m->fills[u] != (int)r;
		snprintf(part, sizeof(part), "%srole %s: %u of %u", used ? "; " : "", t->role_names[r],
			 m->filled[r], m->need[r]);
		put(detail, dl, &used, part, strlen(part));
		if (elsewhere) {
			snprintf(part, sizeof(part), " (%u signer%s holding it fill%s another role: one "
				 "signer fills one role)", elsewhere, elsewhere == 1 ? "" : "s",
				 elsewhere == 1 ? "s" : "");
			put(detail, dl, &used, part, strlen(part));
		}
		c = VOUCH_CAUSE_THRESHOLD;
	}
	if (note && notelen)
		roles_note(t, auth, m, overlap, note, notelen);
	return c;
}

/* May a signature admitted by k (a trusted key, or a trusted CA for every
 * certificate it issued) count for this bundle, now?  what names k in the
 * message ("key 3f1c…", "CA root.pem").  Every rule runs (and gives its
 * horizon) even after one refused: the horizon covers them all. */
static enum vouch_cause signer_usable(const struct vouch_ctx *ctx, const struct vouch_trusted *k,
				      const char *what, const struct vouch_bundle *b, int64_t now,
				      int64_t *until, char *detail, size_t dl)
{
	enum vouch_cause c = rule_not_revoked(k, what, detail, dl);

	if (!c)
		c = rule_window(ctx, k, what, b, now, until, detail, dl);
	else
		rule_window(ctx, k, what, b, now, until, NULL, 0);
	if (!c)
		c = rule_models(k, what, b, detail, dl);
	return c;
}

static enum vouch_cause key_usable(const struct vouch_ctx *ctx, const struct vouch_trusted *k,
				   const struct vouch_bundle *b, int64_t now, int64_t *until,
				   char *detail, size_t dl)
{
	char what[32];

	snprintf(what, sizeof(what), "key %.16s…", k->key->id);
	return signer_usable(ctx, k, what, b, now, until, detail, dl);
}

bool vouch_auth_stale(int64_t until)
{
	return until && (int64_t)time(NULL) >= until;
}

/* One signature that counted, as the threshold sees it. */
struct signer {
	char shown[VOUCH_KEYID_LEN + 1];     /* auth->keyid: key id, sigstore:ID, x509:ID */
	char from[80];                       /* the trust file that admits it (basename) */
	char who[8 + INTEROP_ID_MAX];        /* "id:" identity / "dn:" subject, lower case; "" for keys */
	char key[VOUCH_KEYID_LEN + 1];       /* id of the key that made the signature */
	uint64_t roles;                      /* vouch_trust.role_names bits of what admits it */
};

/* Identities compare without ASCII case: two spellings of one mailbox or
 * host (the CA's choice, not the signer's) must not count twice. */
static void lower_copy(char *dst, size_t dl, const char *prefix, const char *src)
{
	size_t n = (size_t)snprintf(dst, dl, "%s%s", prefix, src);

	for (size_t i = 0; i < n && i < dl; i++)
		if (dst[i] >= 'A' && dst[i] <= 'Z')
			dst[i] = (char)(dst[i] - 'A' + 'a');
}

/* A certificate-chain or Sigstore signer (x509_chain.c or sigstore.c authenticates the
 * certificate and says who it is; the DSSE check is the same as for keys).
 * Fills *out with what counts as one signer for the threshold: the identity
 * the path actually taken established (a Sigstore identity, or the identity
 * a CA vouched for), and the key.  A CA-issued signer is subject to its CA's
 * window and roles (CA.ini) like a key to KEY.ini; either kind is revoked
 * by a `revoked` entry naming the key or the fingerprint of any certificate
 * of its chain. */
static enum vouch_cause cert_signer(const struct vouch_ctx *ctx, const struct vouch_signature *s,
				    const struct vouch_bundle *b, const uint8_t *pae, size_t paelen,
				    const uint8_t *pae02, size_t pae02len, int64_t now,
				    int64_t *until, struct signer *out, char *detail, size_t dl)
{
	const struct vouch_trust *t = ctx->trust;
	struct vouch_cert_signer who;
	struct vouch_key *key = NULL;
	enum vouch_cause c;
	int64_t when = 0;

	c = vouch_interop_authenticate_signer(s->json, b->payload, b->payload_len, s->sig, s->siglen,
					      &t->anchors, &key, &when, &who, detail, dl);
	horizon_at(until, who.until, now);
	if (c)
		return c;
	if (!vouch_key_verify(key, pae, paelen, s->sig, s->siglen, NULL) &&
	    !(pae02 && vouch_key_verify(key, pae02, pae02len, s->sig, s->siglen, EVP_sha256()))) {
		verr(detail, dl, 0, "DSSE signature does not verify with the certificate's key");
		c = VOUCH_CAUSE_BAD_SIGNATURE;
		goto out;
	}
	for (size_t r = 0; r < t->nrevoked; r++) {
		bool hit = !strcmp(t->revoked[r], key->id);

		for (size_t i = 0; i < who.nrevoke && !hit; i++)
			hit = !strcmp(t->revoked[r], who.revoke[i]);
		if (hit) {
			verr(detail, dl, 0, "certificate %.16s… of this signature is revoked", t->revoked[r]);
			c = VOUCH_CAUSE_REVOKED_KEY;
			goto out;
		}
	}
	if (!who.sigstore) {
		const char *base;
		char what[64];

		if (who.ca_file >= t->nca) {      /* anchors and CA entries are built together */
			verr(detail, dl, 0, "certificate chain ends at an unknown CA");
			c = VOUCH_CAUSE_UNTRUSTED_KEY;
			goto out;
		}
		base = strrchr(t->ca[who.ca_file].file, '/');
		snprintf(what, sizeof(what), "CA %s", base ? base + 1 : t->ca[who.ca_file].file);
		snprintf(out->from, sizeof(out->from), "%.79s", base ? base + 1 : t->ca[who.ca_file].file);
		c = signer_usable(ctx, &t->ca[who.ca_file], what, b, now, until, detail, dl);
		if (c)
			goto out;
		out->roles = t->ca[who.ca_file].role_bits;
	}
	/* shown only (messages, audit records): cut to fit */
	snprintf(out->shown, sizeof(out->shown), "%s:%.55s", who.sigstore ? "sigstore" : "x509",
		 who.identity);
	lower_copy(out->who, sizeof(out->who), who.identity_is_dn ? "dn:" : "id:", who.identity);
	snprintf(out->key, sizeof(out->key), "%s", key->id);
	if (who.sigstore)
		snprintf(out->from, sizeof(out->from), "sigstore_root");
out:
	vouch_key_free(key);
	return c;
}

/* One signature's line in auth->signers: the file it came from (relative
 * to the signature's directory), who made it (a key id when the key is
 * trusted or the certificate verified, else the key hint the bundle
 * carries: an untrusted public key is not in the bundle), the trust file
 * that admits it, and whether it counted.  Cut with "..." when full.
 * Returns where the line ends in auth->signers, 0 if it did not fit. */
static uint16_t signer_note(struct vouch_auth *auth, const struct vouch_signature *s,
			    const struct signer *me, const char *status)
{
	char *out = auth->signers;
	size_t used = strlen(out), cap = sizeof(auth->signers);
	const char *src = s->source ? s->source : "", *slash = strrchr(src, '/');
	char line[320], file[96];

	if (used + 4 >= cap)
		return 0;
	/* model.sig, or model.sig.d/KEYID.sig for a cosignature */
	if (slash && slash > src && slash - src >= 6 && !strncmp(slash - 6, ".sig.d", 6)) {
		const char *d = slash - 6;
		while (d > src && d[-1] != '/')
			d--;
		snprintf(file, sizeof(file), "%.*s", (int)(strlen(d) > 95 ? 95 : strlen(d)), d);
	} else {
		snprintf(file, sizeof(file), "%.95s", slash ? slash + 1 : src);
	}
	if (me->shown[0])
		snprintf(line, sizeof(line), "%s%s=%s%s%s%s:%s", used ? ", " : "", file, me->shown,
			 me->from[0] ? "(" : "", me->from, me->from[0] ? ")" : "", status);
	else
		snprintf(line, sizeof(line), "%s%s=%s%.64s:%s", used ? ", " : "", file,
			 s->hint[0] ? "hint:" : "", s->hint[0] ? s->hint : s->material, status);
	if (used + strlen(line) + 1 > cap) {
		snprintf(out + used, cap - used, "%s...", used ? ", " : "");
		return 0;
	}
	memcpy(out + used, line, strlen(line) + 1);
	return (uint16_t)(used + strlen(line));
}

/* The signer counted already with this identity or key, or NULL. */
static struct signer *counted(struct signer *v, unsigned n, const struct signer *s)
{
	for (unsigned j = 0; j < n; j++)
		if ((s->who[0] && !strcmp(v[j].who, s->who)) || !strcmp(v[j].key, s->key))
			return &v[j];
	return NULL;
}

void vouch_authenticate(struct vouch_ctx *ctx, struct vouch_auth *auth)
{
	const struct vouch_bundle *b = auth->b;
	const struct vouch_trust *t = ctx->trust;
	struct signer *signers = NULL;
	uint8_t *pae, *pae02 = NULL;
	size_t paelen, pae02len = 0;
	enum vouch_cause first = VOUCH_CAUSE_UNTRUSTED_KEY, bundle_time;
	char first_detail[200] = "", time_detail[200] = "";
	int64_t now = (int64_t)time(NULL);   /* one reading for every rule and its horizon */
	unsigned n = 0;

	pae = vouch_dsse_pae(b->payload_type, b->payload, b->payload_len, &paelen);
	if (!strcmp(b->st.predicate_type, VOUCH_PRED_V01))
		pae02 = vouch_dsse_pae_v02(b->payload_type, b->payload, b->payload_len, &pae02len);
	/* A bundle holds at most VOUCH_SIGNERS_MAX signatures (vouch_cosignatures_load). */
	signers = calloc(b->nsigs ? b->nsigs : 1, sizeof(*signers));
	if (!pae || !signers) {
		auth->cause = VOUCH_CAUSE_IO_ERROR;
		goto out;
	}
	for (size_t i = 0; i < b->nsigs; i++) {
		const struct vouch_signature *s = &b->sigs[i];
		const struct vouch_trusted *k = NULL;
		enum vouch_cause c = VOUCH_CAUSE_UNTRUSTED_KEY;
		struct signer *me = &signers[n], *seen;
		char d[200] = "";
		bool hinted = false;

		memset(me, 0, sizeof(*me));
		if (s->kind == VOUCH_SIG_KEY) {
			k = match_key(t, s, pae, paelen, pae02, pae02len, &hinted);
			if (k) {
				const char *base = k->file ? strrchr(k->file, '/') : NULL;

				c = key_usable(ctx, k, b, now, &auth->until, d, sizeof(d));
				snprintf(me->shown, sizeof(me->shown), "%s", k->key->id);
				snprintf(me->key, sizeof(me->key), "%s", k->key->id);
				snprintf(me->from, sizeof(me->from), "%.79s",
					 base ? base + 1 : k->file ? k->file : "");
				me->roles = k->role_bits;
			} else if (hinted) {
				c = VOUCH_CAUSE_BAD_SIGNATURE;
			}
		} else if (t->have_anchors) {
			c = cert_signer(ctx, s, b, pae, paelen, pae02, pae02len, now, &auth->until, me,
					d, sizeof(d));
		} else {
			snprintf(d, sizeof(d), "%s", vouch_sig_kind_info(s->kind)->needs);
		}
		if (c) {
			signer_note(auth, s, me, vouch_cause_name(c));
			/* The primary's problem, or the most serious one seen. */
			if (i == 0 || (first == VOUCH_CAUSE_UNTRUSTED_KEY && c != VOUCH_CAUSE_UNTRUSTED_KEY)) {
				first = c;
				snprintf(first_detail, sizeof(first_detail), "%s", d);
			}
			continue;
		}
		seen = counted(signers, n, me);
		if (!seen) {
			/* Its roles are those of whatever admits it: one key trusted
			 * directly and through a CA holds the roles of both. */
			auth->signer_note[n] = signer_note(auth, s, me, "counted");
			n++;
		} else {
			seen->roles |= me->roles;
			signer_note(auth, s, me, "same-signer");
		}
	}
	for (unsigned j = 0; j < n && j < VOUCH_SIGNERS_MAX; j++)
		auth->signer_roles[j] = signers[j].roles;
	auth->nsigners = n;
	if (n)
		snprintf(auth->keyid, sizeof(auth->keyid), "%s", signers[0].shown);
	/* The bundle's own times, checked once it is authenticated (but always
	 * giving their horizon). */
	bundle_time = vouch_rule_bundle_time(ctx, b, now, &auth->until, time_detail,
					     sizeof(time_detail));
	if (n >= ctx->cfg.threshold && n > 0) {
		auth->cause = bundle_time;
		snprintf(auth->detail, sizeof(auth->detail), "%s", bundle_time ? time_detail : "");
	} else if (n == 0) {
		auth->cause = first;
		snprintf(auth->detail, sizeof(auth->detail), "%s", first_detail[0] ? first_detail :
			 first == VOUCH_CAUSE_BAD_SIGNATURE ?
			 "signature does not verify with the trusted key it names" :
			 "not signed by any trusted key");
	} else {
		auth->cause = VOUCH_CAUSE_THRESHOLD;
		snprintf(auth->detail, sizeof(auth->detail), "%u distinct trusted signer%s, %u required",
			 n, n == 1 ? "" : "s", ctx->cfg.threshold);
	}
out:
	free(signers);
	free(pae);
	free(pae02);
}

static void cosig_warn(void *arg, const char *msg)
{
	struct vouch_ctx *ctx = arg;

	vouch_audit_msg(ctx->audit, LOG_WARNING, "%s", msg);
}

void vouch_authenticate_fd(struct vouch_ctx *ctx, int dirfd, int sigfd, const char *sigpath,
			   struct vouch_auth *auth)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char sub[200];
	int ret;

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
	vouch_cosignatures_load(dirfd, sigpath, auth->b, cosig_warn, ctx);
	vouch_authenticate(ctx, auth);
}
