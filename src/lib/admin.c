/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admin.c - what `vouch trust` and `vouch state` change on disk: the trust
 * directory (KEYID.pem files, KEY.ini beside them, the `revoked` list) and
 * the anti-rollback state directory.  Every write is atomic and keeps the
 * modes vouch requires when it loads them (root-owned, not group/world
 * writable), so a half-done change can never weaken or break policy.
 * Also the small pieces of policy and naming `vouch publish` and vouchfs
 * share (the [models] rule alone, the in-place pin's path).
 */
#include "verify_i.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static bool is_keyid(const char *s)
{
	return strlen(s) == VOUCH_KEYID_LEN && strspn(s, "0123456789abcdef") == VOUCH_KEYID_LEN;
}

void vouch_trust_list_free(struct vouch_trust_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].file);
		free(v[i].models);
		free(v[i].roles);
	}
	free(v);
}

/* gcc 12 -fanalyzer false positive: after a store through a symbolic index
 * (v[i].a = ...) it forgets what an earlier store into the same block held,
 * and reports that pointer leaked; every one is freed with the array. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
/* "a, b, c" (malloc'd), or NULL for none. */
static char *join(char *const *v, size_t n)
{
	size_t len = 0;
	char *out;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 2;
	if (!len || !(out = calloc(1, len)))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, ", ");
		strcat(out, v[i]);
	}
	return out;
}

int vouch_trust_list(const char *dir, struct vouch_trust_entry **out, size_t *n,
		     char *err, size_t errlen)
{
	struct vouch_config cfg;
	struct vouch_trust *t = NULL;
	struct vouch_trust_entry *v;
	size_t cnt = 0;
	int ret;

	vouch_config_init(&cfg);
	cfg.trust_dir = (char *)dir;
	cfg.threshold = 0;              /* listing: an empty store is fine */
	ret = vouch_trust_load(&cfg, &t, err, errlen);
	if (ret)
		return ret;
	v = calloc(t->n + t->nrevoked + 1, sizeof(*v));
	if (!v) {
		vouch_trust_free(t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct vouch_trusted *k = &t->v[i];

		snprintf(v[cnt].keyid, sizeof(v[cnt].keyid), "%s", k->key->id);
		snprintf(v[cnt].type, sizeof(v[cnt].type), "%s", vouch_key_type(k->key));
		v[cnt].file = strdup(k->file);
		v[cnt].not_before = k->not_before;
		v[cnt].not_after = k->not_after;
		v[cnt].revoked = k->revoked;
		v[cnt].models = join(k->models, k->nmodels);
		v[cnt].roles = join(k->roles, k->nroles);
		cnt++;
	}
	for (size_t r = 0; r < t->nrevoked; r++) {
		bool have = false;
		for (size_t i = 0; i < t->n; i++)
			have |= !strcmp(t->v[i].key->id, t->revoked[r]);
		if (have)
			continue;
		snprintf(v[cnt].keyid, sizeof(v[cnt].keyid), "%s", t->revoked[r]);
		snprintf(v[cnt].type, sizeof(v[cnt].type), "-");
		v[cnt].revoked = true;
		cnt++;
	}
	vouch_trust_free(t);
	*out = v;
	*n = cnt;
	return 0;
}
#pragma GCC diagnostic pop

static int ensure_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return verr(err, errlen, -errno, "%s: %s", dir, strerror(errno));
	if (lstat(dir, &st) < 0)
		return verr(err, errlen, -errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return verr(err, errlen, -ENOTDIR, "%s: not a directory", dir);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return verr(err, errlen, -EPERM, "%s: group- or world-writable; fix with chmod go-w", dir);
	return 0;
}

int vouch_trust_add(const char *dir, const char *pubkey, const char *roles,
		    char keyid[VOUCH_KEYID_LEN + 1], char *err, size_t errlen)
{
	struct vouch_key *k = NULL;
	char *pem = NULL, *path = NULL, **rev = NULL, *ini = NULL, *text = NULL, **rl = NULL;
	size_t nrev = 0, nrl = 0;
	bool wrote_ini = false;
	int ret, dfd;

	if (roles && (vouch_roles_parse(roles, &rl, &nrl) || !nrl)) {
		ret = verr(err, errlen, -EINVAL, "--roles \"%s\": a comma-separated list of role names "
			   "(letters, digits, '.', '_', '-')", roles);
		goto out;
	}
	ret = vouch_key_load(pubkey, &k, err, errlen);
	if (ret)
		goto out;
	ret = ensure_dir(dir, err, errlen);
	if (ret)
		goto out;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		ret = vouch_revoked_load(dfd, dir, &rev, &nrev, err, errlen);
		close(dfd);
		if (ret)
			goto out;
	}
	for (size_t i = 0; i < nrev; i++) {
		if (!strcmp(rev[i], k->id)) {
			ret = verr(err, errlen, -EPERM, "%s: key %s is revoked in %s/revoked", pubkey, k->id, dir);
			goto out;
		}
	}
	pem = vouch_key_pem(k);
	if (!pem || asprintf(&path, "%s/%s.pem", dir, k->id) < 0) {
		path = NULL;
		ret = -ENOMEM;
		goto out;
	}
	if (nrl) {
		/* KEYID.ini first: the key must never be trusted without the
		 * roles it was added with, even for a moment.  One already
		 * there (its window, its models) is the admin's: not touched. */
		char *joined = join(rl, nrl);

		if (access(path, F_OK) == 0) {
			free(joined);
			ret = verr(err, errlen, -EEXIST, "%s: key %s is already trusted (set its roles in "
				   "%s/%s.ini)", path, k->id, dir, k->id);
			goto out;
		}
		if (!joined || asprintf(&ini, "%s/%s.ini", dir, k->id) < 0 ||
		    asprintf(&text, "# vouch trust add --roles\nroles = %s\n", joined) < 0) {
			free(joined);
			ret = -ENOMEM;
			goto out;
		}
		free(joined);
		ret = vouch_write_file_atomic(ini, text, strlen(text), 0644, true);
		if (ret) {
			verr(err, errlen, ret, "%s: %s", ini, ret == -EEXIST ?
			     "already exists: add `roles = ...` to it by hand, then add the key without "
			     "--roles" : strerror(-ret));
			goto out;
		}
		wrote_ini = true;
	}
	ret = vouch_write_file_atomic(path, pem, strlen(pem), 0644, true);
	if (ret == -EEXIST)
		ret = verr(err, errlen, ret, "%s: key %s is already trusted", path, k->id);
	else if (ret)
		verr(err, errlen, ret, "%s: %s", path, strerror(-ret));
	if (!ret)
		memcpy(keyid, k->id, VOUCH_KEYID_LEN + 1);
	else if (wrote_ini)
		unlink(ini);
out:
	for (size_t i = 0; i < nrev; i++)
		free(rev[i]);
	free(rev);
	vouch_key_free(k);
	free(pem);
	free(path);
	free(ini);
	free(text);
	for (size_t i = 0; i < nrl; i++)
		free(rl[i]);
	free(rl);
	return ret;
}

int vouch_trust_revoke(const char *dir, const char *key, char keyid[VOUCH_KEYID_LEN + 1],
		       char *err, size_t errlen)
{
	uint8_t *old = NULL;
	size_t len = 0;
	char *text = NULL, *path = NULL, ts[32];
	int dfd, ret;

	if (is_keyid(key)) {
		memcpy(keyid, key, VOUCH_KEYID_LEN + 1);
	} else {
		struct vouch_key *k;
		ret = vouch_key_load(key, &k, err, errlen);
		if (ret)
			return verr(err, errlen, ret, "%s: neither a key id (64 hex digits) nor a public key", key);
		memcpy(keyid, k->id, VOUCH_KEYID_LEN + 1);
		vouch_key_free(k);
	}
	ret = ensure_dir(dir, err, errlen);
	if (ret)
		return ret;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return verr(err, errlen, -errno, "%s: %s", dir, strerror(errno));
	{
		char **rev = NULL;
		size_t nrev = 0;
		/* Refuse to extend a list that does not parse: fix it first. */
		ret = vouch_revoked_load(dfd, dir, &rev, &nrev, err, errlen);
		for (size_t i = 0; i < nrev; i++)
			free(rev[i]);
		free(rev);
	}
	if (!ret) {
		ret = vouch_read_file(dfd, "revoked", 4 << 20, &old, &len, NULL);
		if (ret == -ENOENT)
			ret = 0;
	}
	close(dfd);
	if (ret)
		return ret;
	vouch_time_format((int64_t)time(NULL), ts);
	if (asprintf(&text, "%.*s%s%s  # revoked %s\n", (int)len, old ? (char *)old : "",
		     len && old[len - 1] != '\n' ? "\n" : "", keyid, ts) < 0 ||
	    asprintf(&path, "%s/revoked", dir) < 0) {
		free(old);
		free(text);
		return -ENOMEM;
	}
	ret = vouch_write_file_atomic(path, text, strlen(text), 0644, false);
	if (ret)
		verr(err, errlen, ret, "%s: %s", path, strerror(-ret));
	free(old);
	free(text);
	free(path);
	return ret;
}

int vouch_trust_remove(const char *dir, const char *keyid, char *err, size_t errlen)
{
	struct vouch_trust_entry *v = NULL;
	size_t n = 0, removed = 0;
	int ret;

	if (!is_keyid(keyid))
		return verr(err, errlen, -EINVAL, "%s: not a key id (64 lowercase hex digits)", keyid);
	ret = vouch_trust_list(dir, &v, &n, err, errlen);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].keyid, keyid) || !v[i].file)
			continue;
		if (unlink(v[i].file) < 0) {
			ret = verr(err, errlen, -errno, "%s: %s", v[i].file, strerror(errno));
			break;
		}
		removed++;
	}
	vouch_trust_list_free(v, n);
	if (!ret && !removed)
		ret = verr(err, errlen, -ENOENT, "%s: no key %s", dir, keyid);
	return ret;
}

int vouch_state_list(const char *state_dir, vouch_state_fn fn, void *arg, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d = opendir(state_dir);

	if (!d)
		return errno == ENOENT ? 0 : verr(err, errlen, -errno, "%s: %s", state_dir, strerror(errno));
	while ((de = readdir(d))) {
		uint8_t *buf = NULL;
		size_t len;
		json_t *j;

		if (de->d_name[0] == '.' || !strstr(de->d_name, ".json"))
			continue;
		if (vouch_read_file(dirfd(d), de->d_name, 64 << 10, &buf, &len, NULL))
			continue;
		j = json_loadb((char *)buf, len, 0, NULL);
		free(buf);
		if (json_is_string(json_object_get(j, "name")) &&
		    json_is_integer(json_object_get(j, "version")))
			fn(arg, json_string_value(json_object_get(j, "name")),
			   (uint64_t)json_integer_value(json_object_get(j, "version")),
			   json_string_value(json_object_get(j, "updated")));
		else
			fn(arg, de->d_name, 0, "CORRUPT");
		json_decref(j);
	}
	closedir(d);
	return 0;
}

int vouch_state_reset(const char *state_dir, const char *name, char *err, size_t errlen)
{
	struct vouch_audit *a;
	uint8_t md[32];
	char file[VOUCH_KEYID_LEN + 1], *path = NULL;
	int ret;

	SHA256((const uint8_t *)name, strlen(name), md);
	vouch_hex(md, 32, file);
	if (asprintf(&path, "%s/%s.json", state_dir, file) < 0)
		return -ENOMEM;
	if (unlink(path) < 0) {
		ret = verr(err, errlen, -errno, "%s: no recorded version for %s (%s)", state_dir, name,
			   strerror(errno));
		free(path);
		return ret;
	}
	free(path);
	/* Lowering a mark re-opens the door to old versions: always an alert. */
	if (!vouch_audit_new(NULL, true, &a, NULL, 0)) {
		vouch_audit_msg(a, LOG_ALERT, "anti-rollback mark for model %s reset by uid %u "
				"(state_dir %s)", name, (unsigned)getuid(), state_dir);
		vouch_audit_free(a);
	}
	return 0;
}

char *vouch_pin_path(const char *mountpoint)
{
	static const char hex[] = "0123456789abcdef";
	const char *s = mountpoint;
	char *out, *d;

	/* systemd-escape style: one flat, unambiguous name per path. */
	out = malloc(sizeof(VOUCH_PIN_DIR) + 1 + 4 * strlen(s) + 2);
	if (!out)
		return NULL;
	d = out + sprintf(out, "%s/", VOUCH_PIN_DIR);
	while (*s == '/')
		s++;
	if (!*s)
		*d++ = '-';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '/') {
			*d++ = '-';
		} else if (isalnum(c) || c == '_' || (c == '.' && d[-1] != '/')) {
			*d++ = (char)c;
		} else {
			*d++ = '\\';
			*d++ = 'x';
			*d++ = hex[c >> 4];
			*d++ = hex[c & 15];
		}
	}
	*d = '\0';
	return out;
}

enum vouch_cause vouch_binding_check(const struct vouch_config *cfg, const char *fullpath,
				     const char *name, char *detail, size_t dl)
{
	bool bound = false;

	for (size_t i = 0; i < cfg->nmodels; i++) {
		const struct vouch_binding *bind = &cfg->models[i];
		bool allowed = false;

		/* The glob may name the model directory or any file below it. */
		if (fnmatch(bind->glob, fullpath, FNM_PATHNAME) &&
		    fnmatch(bind->glob, fullpath, FNM_PATHNAME | FNM_LEADING_DIR))
			continue;
		bound = true;
		for (size_t k = 0; k < bind->nnames && !allowed; k++)
			allowed = !fnmatch(bind->names[k], name, 0);
		if (!allowed) {
			verr(detail, dl, 0, "model %s may not be served at %s ([models] %s)", name,
			     fullpath, bind->glob);
			return VOUCH_CAUSE_NAME_MISMATCH;
		}
	}
	if (cfg->require_binding && !bound) {
		verr(detail, dl, 0, "no [models] entry covers %s (require_binding = yes)", fullpath);
		return VOUCH_CAUSE_NAME_MISMATCH;
	}
	return VOUCH_CAUSE_OK;
}
