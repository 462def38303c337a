/* SPDX-License-Identifier: Apache-2.0 */
/*
 * measure.c - the measurement log: the first verification in a boot of each
 * (model name, version, signed-statement digest) by vouchfs or vouchd becomes
 * one line of measurement_log, extended into the TPM first (attest_tpm.c).
 *
 * Ordering, under one flock(LOCK_EX) on the log that every measuring
 * process takes: read what others appended since we last looked; if the
 * triple is there, stop; else extend the TPM, then append.  A crash or an
 * error between the two leaves the TPM one extend ahead of the log, which
 * replay against a quote detects: never a silent gap.  The log is only
 * appended to (O_APPEND, one write per line); a log from an earlier boot
 * (another boot_id in its header) is renamed aside, never rewritten.
 *
 * Owns: the log format and the per-process memory of what was measured.
 * Must not: change a verdict, block a verdict on a TPM that is absent
 * (errors are logged and the line says so), hold the TPM connection.
 *
 * The memory of measured triples is per process, not per context: the log
 * it mirrors is per boot, and a reload (a new context) must not measure
 * again what the process measured before.
 */
#include "attest_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

void vouch_measure_chain(uint8_t value[32], const uint8_t digest[32])
{
	uint8_t buf[64];

	memcpy(buf, value, 32);
	memcpy(buf + 32, digest, 32);
	SHA256(buf, sizeof(buf), value);
}

static int unhex32(const char *s, size_t n, uint8_t out[32])
{
	if (n != 64)
		return -1;
	for (size_t i = 0; i < 32; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + (size_t)k];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

int vouch_mline_parse(char *line, size_t len, struct vouch_mline *out, char *err, size_t errlen)
{
	char *t1, *t2;

	memset(out, 0, sizeof(*out));
	if (len > VOUCH_MEASURE_LINE_MAX)
		return verr(err, errlen, -EBADMSG, "line longer than %u bytes", VOUCH_MEASURE_LINE_MAX);
	if (memchr(line, '\0', len))
		return verr(err, errlen, -EBADMSG, "NUL byte in a line");
	t1 = memchr(line, '\t', len);
	t2 = t1 ? memchr(t1 + 1, '\t', len - (size_t)(t1 + 1 - line)) : NULL;
	if (!t1 || !t2)
		return verr(err, errlen, -EBADMSG, "not EVENT<TAB>REGISTER<TAB>ANCHOR");
	if (t1 == line || line[0] != '{' || t1[-1] != '}')
		return verr(err, errlen, -EBADMSG, "the event is not a JSON object");
	if (unhex32(t1 + 1, (size_t)(t2 - t1 - 1), out->reg))
		return verr(err, errlen, -EBADMSG, "the register is not 64 lowercase hex digits");
	line[len] = '\0';
	*t1 = '\0';
	if (strcmp(t2 + 1, "tpm") && strcmp(t2 + 1, "unanchored") && strcmp(t2 + 1, "tpm-error"))
		return verr(err, errlen, -EBADMSG, "unknown anchor (not tpm, unanchored, tpm-error)");
	out->event = line;
	out->event_len = (size_t)(t1 - line);
	out->anchor = t2 + 1;
	SHA256((const uint8_t *)line, out->event_len, out->digest);
	return 0;
}

/* ---- the per-process memory ---- */

struct seen {
	char *key;                  /* model \n version \n digest-hex */
	struct seen *next;
};

static struct {
	pthread_mutex_t mu;
	struct seen *set;
	dev_t dev;                  /* the log file the set mirrors */
	ino_t ino;
	off_t off;                  /* read up to here */
	uint64_t seq;               /* last sequence number seen */
	uint8_t reg[32];            /* the running value after the last line */
	bool warned;                /* the "unanchored" warning, once per process */
} M = { .mu = PTHREAD_MUTEX_INITIALIZER };

static bool seen_has(const char *key)
{
	for (struct seen *s = M.set; s; s = s->next)
		if (!strcmp(s->key, key))
			return true;
	return false;
}

static void seen_add(const char *key)
{
	struct seen *s = malloc(sizeof(*s));

	if (!s || !(s->key = strdup(key))) {
		free(s);
		return;
	}
	s->next = M.set;
	M.set = s;
}

static void seen_reset(void)
{
	while (M.set) {
		struct seen *n = M.set->next;
		free(M.set->key);
		free(M.set);
		M.set = n;
	}
	M.off = 0;
	M.seq = 0;
	memset(M.reg, 0, sizeof(M.reg));
}

static void key_of(char *out, size_t n, const char *model, uint64_t version, const char *digest)
{
	snprintf(out, n, "%s\n%" PRIu64 "\n%s", model, version, digest);
}

/* Learn one line someone appended (ours or another process's). */
static void learn(char *line, size_t len)
{
	struct vouch_mline ml;
	json_t *j;
	char key[512];

	if (!len || line[0] == '#' || vouch_mline_parse(line, len, &ml, NULL, 0))
		return;
	j = json_loadb(ml.event, ml.event_len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_string(json_object_get(j, "model")) && json_is_string(json_object_get(j, "digest"))) {
		key_of(key, sizeof(key), json_string_value(json_object_get(j, "model")),
		       (uint64_t)json_integer_value(json_object_get(j, "version")),
		       json_string_value(json_object_get(j, "digest")));
		seen_add(key);
		if (json_is_integer(json_object_get(j, "seq")))
			M.seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
	}
	json_decref(j);
	memcpy(M.reg, ml.reg, 32);
}

/* Read fd from M.off to its end, learning every complete line. */
static int catch_up(int fd)
{
	char buf[VOUCH_MEASURE_LINE_MAX + 2];
	size_t have = 0;

	for (;;) {
		ssize_t r = pread(fd, buf + have, sizeof(buf) - 1 - have, M.off + (off_t)have);
		char *nl;

		if (r < 0)
			return -errno;
		have += (size_t)r;
		while ((nl = memchr(buf, '\n', have))) {
			size_t l = (size_t)(nl - buf);
			learn(buf, l);
			M.off += (off_t)l + 1;
			memmove(buf, nl + 1, have - l - 1);
			have -= l + 1;
		}
		if (r == 0)
			return 0;           /* a partial last line: a crash mid-write; left alone */
		if (have == sizeof(buf) - 1) {
			M.off += (off_t)have;   /* an overlong line: skipped, never a set member */
			have = 0;
		}
	}
}

static void boot_id(char out[40])
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t r = fd >= 0 ? read(fd, out, 36) : -1;

	out[r == 36 ? 36 : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

static int mkdir_parent(const char *path)
{
	char *d = strdup(path), *slash;

	if (!d)
		return -ENOMEM;
	slash = strrchr(d, '/');
	if (slash && slash != d) {
		*slash = '\0';
		if (mkdir(d, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			free(d);
			return -e;
		}
	}
	free(d);
	return 0;
}

/* Open the log for this boot, locked: created with its header when absent;
 * one from another boot is renamed to PATH.BOOTID first. */
static int log_open_locked(struct vouch_ctx *ctx, const char *path, const char *boot)
{
	char head[160], line[160];
	int fd, tries = 0;
	ssize_t r;

again:
	if (tries++ > 3)
		return -EAGAIN;
	if (mkdir_parent(path))
		return -errno;
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	snprintf(head, sizeof(head), VOUCH_MEASURE_HEADER " boot_id=%s nv_index=0x%08x alg=sha256\n",
		 boot, VOUCH_NV_INDEX);
	r = pread(fd, line, sizeof(line) - 1, 0);
	if (r == 0) {
		if (write(fd, head, strlen(head)) != (ssize_t)strlen(head)) {
			close(fd);
			return -EIO;
		}
		return fd;
	}
	line[r > 0 ? r : 0] = '\0';
	if (strncmp(line, head, strlen(head))) {
		/* Another boot's log (or not ours): keep it, start anew. */
		char *aside = NULL;
		if (asprintf(&aside, "%s.%ld", path, (long)time(NULL)) >= 0 && rename(path, aside) == 0)
			vouch_ctx_log(ctx, LOG_WARNING, "attest: %s is from another boot or not a "
				      "measurement log: kept as %s, a new log begins", path, aside);
		free(aside);
		close(fd);
		goto again;
	}
	return fd;
}

/* Counted key ids from a signers line ("FILE=KEYID(TRUST):counted, ..."). */
static void signers_json(json_t *arr, const char *signers)
{
	for (const char *p = strchr(signers, '='); p; p = strchr(p + 1, '=')) {
		size_t n = strspn(p + 1, "0123456789abcdef");
		const char *st = p + 1 + n, *comma = strchr(st, ',');
		const char *counted = strstr(st, ":counted");
		char id[VOUCH_KEYID_LEN + 1];

		if (n != VOUCH_KEYID_LEN || !counted || (comma && counted > comma))
			continue;
		memcpy(id, p + 1, n);
		id[n] = '\0';
		json_array_append_new(arr, json_string(id));
	}
}

void vouch_measure(struct vouch_ctx *ctx, const char *path, const struct vouch_verdict *v,
		   const struct vouch_auth *auth, bool content_verified)
{
	const struct vouch_config *cfg = &ctx->cfg;
	const char *logpath = cfg->measurement_log ? cfg->measurement_log : VOUCH_MEASUREMENT_LOG;
	char digest_hex[72] = "sha256:", key[512], boot[40], when[32], err[256] = "", reghex[65];
	char *ev = NULL, *line = NULL;
	uint8_t ed[32], tpmval[32], reg[32];
	const char *anchor;
	json_t *j = NULL;
	struct stat st;
	int fd = -1, r;

	/* Measured: allows with the content verified, by a front end that
	 * serves other processes (vouchfs, vouchd: cfg.leases), with attest. */
	if (!cfg->attest || !cfg->leases || !content_verified || !v || v->cause != VOUCH_CAUSE_OK ||
	    !auth || !auth->b || !auth->b->st.has_root)
		return;
	vouch_hex(auth->b->st.root, 32, digest_hex + 7);
	key_of(key, sizeof(key), v->model, v->version, digest_hex);
	pthread_mutex_lock(&M.mu);
	if (seen_has(key))
		goto out;               /* the hot path: measured already by this process */
	boot_id(boot);
	fd = log_open_locked(ctx, logpath, boot);
	if (fd < 0) {
		vouch_ctx_log(ctx, LOG_ERR, "attest: %s: %s: %s not measured", logpath, strerror(-fd),
			      v->model);
		goto out;
	}
	if (fstat(fd, &st) == 0 && (st.st_dev != M.dev || st.st_ino != M.ino || st.st_size < M.off)) {
		seen_reset();           /* a new log (a new boot, or it was moved aside) */
		M.dev = st.st_dev;
		M.ino = st.st_ino;
	}
	catch_up(fd);
	if (seen_has(key))
		goto out;               /* another process (or our earlier self) measured it */

	j = json_object();
	vouch_time_format((int64_t)time(NULL), when);
	json_object_set_new(j, "seq", json_integer((json_int_t)(M.seq + 1)));
	json_object_set_new(j, "time", json_string(when));
	json_object_set_new(j, "boot_id", json_string(boot));
	json_object_set_new(j, "model", json_string(v->model));
	json_object_set_new(j, "version", json_integer((json_int_t)v->version));
	json_object_set_new(j, "digest", json_string(digest_hex));
	json_object_set_new(j, "signers", json_array());
	signers_json(json_object_get(j, "signers"), auth->signers);
	json_object_set_new(j, "path", json_string(path));
	ev = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	if (!ev || strlen(ev) > VOUCH_MEASURE_LINE_MAX - 100) {
		vouch_ctx_log(ctx, LOG_ERR, "attest: %s: entry for %s too long, not measured", logpath,
			      v->model);
		goto out;
	}
	SHA256((const uint8_t *)ev, strlen(ev), ed);
	memcpy(reg, M.reg, 32);
	vouch_measure_chain(reg, ed);
	/* Extend first: if the append below fails, the TPM is ahead of the
	 * log and a quote says so; the other order could hide an entry. */
	r = vouch_tpm_extend(cfg->tpm_tcti, ed, tpmval, err, sizeof(err));
	if (r == 0) {
		anchor = "tpm";
		if (memcmp(tpmval, reg, 32)) {
			/* The TPM holds another history (reset, or extended by
			 * someone else): write what it says; replay will fail. */
			vouch_ctx_log(ctx, LOG_ALERT, "attest: the TPM register disagrees with %s "
				      "(reset, or extended outside vouch): quotes will not verify", logpath);
			memcpy(reg, tpmval, 32);
		}
	} else if (r == -ENODEV) {
		anchor = "unanchored";
		if (!M.warned)
			vouch_ctx_log(ctx, LOG_WARNING, "attest: no TPM (%s): %s is kept unanchored; "
				      "a root attacker can rewrite it undetected", err[0] ? err : "none found",
				      logpath);
		M.warned = true;
	} else {
		anchor = "tpm-error";
		vouch_ctx_log(ctx, LOG_ERR, "attest: TPM extend for %s failed: %s (the verdict stands; "
			      "the log says tpm-error and quotes will not verify)", v->model, err);
	}
	vouch_hex(reg, 32, reghex);
	if (asprintf(&line, "%s\t%s\t%s\n", ev, reghex, anchor) < 0) {
		line = NULL;
		goto out;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		vouch_ctx_log(ctx, LOG_ERR, "attest: %s: append failed: %s (the TPM is one extend "
			      "ahead: quotes will not verify)", logpath, strerror(errno));
		goto out;
	}
	fdatasync(fd);
	M.off += (off_t)strlen(line);
	M.seq++;
	memcpy(M.reg, reg, 32);
	seen_add(key);
out:
	if (fd >= 0)
		close(fd);              /* releases the flock */
	pthread_mutex_unlock(&M.mu);
	json_decref(j);
	free(ev);
	free(line);
}
