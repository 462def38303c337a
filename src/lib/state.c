/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state.c - anti-rollback: for each model name, the highest version vouch
 * has accepted, one small JSON file per name in state_dir, written
 * atomically (temp file, fsync, rename, fsync of the directory).  A version
 * below the mark is refused (`rollback`).  A corrupt state file is an error,
 * never a silent reset; only `vouch state reset` lowers a mark.
 *
 * The marks are public (a name and a number) and must be readable by every
 * user the preload shim runs as (www-data...), or the shim denies every
 * model there: state_dir is 0755 and each mark 0644, at creation, at every
 * rewrite, and an older 0700/0600 tree is widened by the next writer.  Only
 * writing is guarded (root-owned, not group/world-writable).
 */
#include "verify_i.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* A file name for a model name: any byte may occur in a name, so hash it. */
static void state_file(const char *name, char out[VOUCH_KEYID_LEN + 8])
{
	uint8_t md[32];

	SHA256((const uint8_t *)name, strlen(name), md);
	vouch_hex(md, 32, out);
	strcat(out, ".json");
}

/* Modes of what the writer makes: readable by the shim's service users. */
#define STATE_DIR_MODE  0755
#define STATE_MARK_MODE 0644

/* mkdir -p, each missing level root's (the caller's) and STATE_DIR_MODE:
 * an operator who names /var/lib/vouch/marks should not have to know that
 * the parent must exist first. */
static int mkdir_parents(const char *path)
{
	char *p = strdup(path);
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + 1, '/'); ; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (*p && mkdir(p, STATE_DIR_MODE) == 0) {
			chmod(p, STATE_DIR_MODE);      /* the umask (0077 in the unit) */
		} else if (*p && errno != EEXIST) {
			ret = -errno;
			break;
		}
		if (!s)
			break;
		*s = '/';
	}
	free(p);
	return ret;
}

/* An older vouch made state_dir 0700 and its marks 0600: the shim, running
 * as a service user, then denies every model (io-error).  The writer widens
 * them to the public modes; write permissions are never added. */
static void state_modes_widen(const char *dir, const struct stat *st)
{
	struct dirent *de;
	DIR *d;
	int dfd;

	if ((st->st_mode & 0755) != 0755)
		chmod(dir, (st->st_mode & 07777) | STATE_DIR_MODE);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat fst;
		size_t n = strlen(de->d_name);
		int fd;

		if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &fst) == 0 && S_ISREG(fst.st_mode) &&
		    (fst.st_mode & STATE_MARK_MODE) != STATE_MARK_MODE)
			fchmod(fd, (fst.st_mode & 0777) | STATE_MARK_MODE);
		close(fd);
	}
	closedir(d);
}

int vouch_state_dir_check(const struct vouch_config *cfg, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	if (!cfg->state_dir)
		return 0;
	if (!cfg->state_readonly && (ret = mkdir_parents(cfg->state_dir)) < 0)
		return verr(err, errlen, ret, "%s: cannot create state_dir: %s", cfg->state_dir,
			    strerror(-ret));
	if (lstat(cfg->state_dir, &st) < 0) {
		if (errno == ENOENT && cfg->state_readonly)
			return 0;            /* nothing recorded yet */
		return verr(err, errlen, -errno, "%s: %s", cfg->state_dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return verr(err, errlen, -ENOTDIR, "%s: state_dir is not a directory", cfg->state_dir);
	/* Whoever can write here can erase the marks and replay old versions. */
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return verr(err, errlen, -EPERM, "%s: state_dir must be owned by root and not group- or "
			    "world-writable", cfg->state_dir);
	if (!cfg->state_readonly && access(cfg->state_dir, W_OK) < 0)
		return verr(err, errlen, -errno, "%s: state_dir is not writable: %s", cfg->state_dir,
			    strerror(errno));
	if (!cfg->state_readonly)
		state_modes_widen(cfg->state_dir, &st);
	return 0;
}

/* 0 with *version (0 if no record), or -EBADMSG for a corrupt file. */
static int state_read(const char *dir, const char *name, uint64_t *version, char *detail, size_t dl)
{
	char file[VOUCH_KEYID_LEN + 8];
	uint8_t *buf = NULL;
	json_t *j, *v;
	size_t len;
	int dfd, ret;

	*version = 0;
	state_file(name, file);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : verr(detail, dl, -errno, "state_dir %s: %s", dir, strerror(errno));
	ret = vouch_read_file(dfd, file, 64 << 10, &buf, &len, NULL);
	close(dfd);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return verr(detail, dl, ret, "state %s/%s: %s", dir, file, strerror(-ret));
	j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	v = json_object_get(j, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    !json_is_string(json_object_get(j, "name")) ||
	    strcmp(json_string_value(json_object_get(j, "name")), name)) {
		json_decref(j);
		return verr(detail, dl, -EBADMSG, "state file %s/%s is corrupt (refusing to guess)", dir, file);
	}
	*version = (uint64_t)json_integer_value(v);
	json_decref(j);
	return 0;
}

enum vouch_cause vouch_state_check(struct vouch_ctx *ctx, const char *name, uint64_t version,
				   char *detail, size_t dl)
{
	uint64_t mark;
	int ret;

	if (!ctx->cfg.state_dir)
		return VOUCH_CAUSE_OK;
	ret = state_read(ctx->cfg.state_dir, name, &mark, detail, dl);
	if (ret)
		return ret == -EBADMSG ? VOUCH_CAUSE_MALFORMED : VOUCH_CAUSE_IO_ERROR;
	if (version < mark) {
		verr(detail, dl, 0, "version %" PRIu64 " is below version %" PRIu64 " already accepted for %s",
		     version, mark, name);
		return VOUCH_CAUSE_ROLLBACK;
	}
	return VOUCH_CAUSE_OK;
}

/* Write one mark atomically with exactly STATE_MARK_MODE: the temp file is
 * fchmod'ed before the rename (vouchfs runs with UMask=0077, and a mark
 * that is 0600 for even a moment denies the shim's next open). */
static int mark_write(const char *dir, const char *file, const char *text)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), ret;

	if (dfd < 0)
		return -errno;
	ret = vouch_write_at_atomic(dfd, file, text, strlen(text), STATE_MARK_MODE, true);
	close(dfd);
	return ret;
}

int vouch_state_raise(struct vouch_ctx *ctx, const char *name, uint64_t version, char *detail, size_t dl)
{
	char file[VOUCH_KEYID_LEN + 8], *text = NULL, ts[32];
	uint64_t mark;
	bool first;
	int ret;

	if (!ctx->cfg.state_dir || ctx->cfg.state_readonly)
		return 0;
	pthread_mutex_lock(&ctx->state_mu);      /* read-compare-write as one step */
	ret = state_read(ctx->cfg.state_dir, name, &mark, detail, dl);
	first = !ret && mark == 0;
	if (!ret && version < mark) {
		/* Raised past us while we were hashing: this is a rollback now. */
		verr(detail, dl, 0, "version %" PRIu64 " is below version %" PRIu64 " already accepted for %s",
		     version, mark, name);
		ret = -ESTALE;
		goto out;
	}
	if (ret || version <= mark) {
		/* A first model at version 0 still gets a record, so the next one
		 * is compared against it. */
		if (ret || !(first && version == 0))
			goto out;
	}
	state_file(name, file);
	vouch_time_format((int64_t)time(NULL), ts);
	{
		json_t *j = json_pack("{s:s, s:I, s:s}", "name", name, "version", (json_int_t)version,
				      "updated", ts);
		text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(j);
	}
	if (!text) {
		ret = -ENOMEM;
		goto out;
	}
	ret = mark_write(ctx->cfg.state_dir, file, text);
	if (ret) {
		verr(detail, dl, ret, "cannot record version of %s in %s: %s", name, ctx->cfg.state_dir,
		     strerror(-ret));
		goto out;
	}
	if (first)
		vouch_audit_msg(ctx->audit, LOG_NOTICE, "model %s seen for the first time at version %"
				PRIu64 "; recorded", name, version);
	else
		vouch_audit_msg(ctx->audit, LOG_NOTICE, "model %s: high-water mark raised from version %"
				PRIu64 " to %" PRIu64, name, mark, version);
	ret = 1;
out:
	pthread_mutex_unlock(&ctx->state_mu);
	free(text);
	return ret;
}
