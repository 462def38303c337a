/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.c - small helpers every libvouch module uses: error strings, hex and
 * base64, RFC 3339 times, bounded file reads, atomic writes, model-relative
 * path rules and symlink-free resolution beneath a pinned directory.
 */
#include "vouch_i.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const cause_names[VOUCH_CAUSE__COUNT] = {
	[VOUCH_CAUSE_OK]              = "ok",
	[VOUCH_CAUSE_NOT_SIGNED]      = "not-signed",
	[VOUCH_CAUSE_BAD_SIGNATURE]   = "bad-signature",
	[VOUCH_CAUSE_UNTRUSTED_KEY]   = "untrusted-key",
	[VOUCH_CAUSE_THRESHOLD]       = "threshold",
	[VOUCH_CAUSE_REVOKED_KEY]     = "revoked-key",
	[VOUCH_CAUSE_EXPIRED]         = "expired",
	[VOUCH_CAUSE_ROLLBACK]        = "rollback",
	[VOUCH_CAUSE_NAME_MISMATCH]   = "name-mismatch",
	[VOUCH_CAUSE_NOT_IN_MANIFEST] = "not-in-manifest",
	[VOUCH_CAUSE_MISSING]         = "missing",
	[VOUCH_CAUSE_SIZE_MISMATCH]   = "size-mismatch",
	[VOUCH_CAUSE_HASH_MISMATCH]   = "hash-mismatch",
	[VOUCH_CAUSE_MALFORMED]       = "malformed",
	[VOUCH_CAUSE_SYMLINK]         = "symlink",
	[VOUCH_CAUSE_IO_ERROR]        = "io-error",
	[VOUCH_CAUSE_UNSUPPORTED]     = "unsupported",
	[VOUCH_CAUSE_UNLOCATED]       = "unlocated",
};

const char *vouch_cause_name(enum vouch_cause cause)
{
	if ((unsigned)cause >= VOUCH_CAUSE__COUNT)
		return "unknown";
	return cause_names[cause];
}

int vouch_init(void)
{
	/* sodium_init is idempotent and thread-safe; OpenSSL 3 initialises itself. */
	if (sodium_init() < 0)
		return -EIO;
	return 0;
}

int verr(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

void vouch_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

char *vouch_b64_encode(const uint8_t *in, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *out = malloc(n);

	if (out)
		sodium_bin2base64(out, n, in, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

uint8_t *vouch_b64_decode(const char *in, size_t inlen, size_t *outlen)
{
	/* protobuf-JSON allows standard or URL-safe, padded or not: try each. */
	static const int variants[] = {
		sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
		sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING,
	};
	uint8_t *out = malloc(inlen / 4 * 3 + 3);
	const char *end;

	if (!out)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
		if (sodium_base642bin(out, inlen / 4 * 3 + 3, in, inlen, NULL, outlen,
				      &end, variants[i]) == 0 && end == in + inlen)
			return out;
	}
	free(out);
	return NULL;
}

void vouch_time_format(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "@%lld", (long long)t);
}

int vouch_time_parse(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	const char *p;
	long off = 0;
	time_t t;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {                /* fractional seconds: ignored */
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
		   isdigit((unsigned char)p[2]) && p[3] == ':' &&
		   isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
		long hh = (p[1] - '0') * 10 + (p[2] - '0'), mm = (p[4] - '0') * 10 + (p[5] - '0');

		if (hh > 23 || mm > 59)
			return -EINVAL;
		off = hh * 3600 + mm * 60;
		if (*p == '+')
			off = -off;
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	{
		/* strptime accepts 2026-02-30; timegm would roll it into March.
		 * A date that does not round-trip does not exist. */
		struct tm want = tm, back;

		t = timegm(&tm);
		if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != want.tm_mday ||
		    back.tm_mon != want.tm_mon || back.tm_year != want.tm_year ||
		    back.tm_hour != want.tm_hour || back.tm_min != want.tm_min)
			return -EINVAL;
	}
	*out = (int64_t)t + off;
	return 0;
}

int vouch_read_fd(int fd, size_t max, uint8_t **buf, size_t *len, struct stat *st)
{
	struct stat sb;
	uint8_t *b = NULL;
	size_t have = 0;

	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;         /* a FIFO or device would block or never end */
	if ((uint64_t)sb.st_size > max)
		return -EFBIG;
	b = malloc((size_t)sb.st_size + 1);
	if (!b)
		return -ENOMEM;
	/* pread to EOF, never past the size seen, even if the file grows meanwhile;
	 * pread leaves a caller's offset alone. */
	for (;;) {
		ssize_t n = pread(fd, b + have, (size_t)sb.st_size + 1 - have, (off_t)have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(b);
			return -e;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > (size_t)sb.st_size) {
			free(b);
			return -EFBIG;
		}
	}
	b[have] = '\0';
	*buf = b;
	*len = have;
	if (st)
		*st = sb;
	return 0;
}

int vouch_read_file(int dirfd, const char *path, size_t max, uint8_t **buf, size_t *len,
		    struct stat *st)
{
	int fd, ret;

	fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ret = vouch_read_fd(fd, max, buf, len, st);
	close(fd);
	return ret;
}

/* Symlink farms (Kubernetes ConfigMap and Secret volumes, kubelet's
 * AtomicWriter): `k.pub -> ..data/k.pub`, `..data -> ..2026_12_02_15_04_05.123`.
 * A link is followed only if root (or the caller) owns it and its target is
 * relative with no ".." component, so the chain never leaves the directory;
 * each directory passed is root's (or the caller's) and writable by no one
 * else (unless on a read-only mount, as those volumes are in a pod); the file
 * reached is a regular file of root's (or the caller's).  Every component is
 * opened O_PATH|O_NOFOLLOW relative to the pinned directory before it, so a
 * rename behind us (kubelet swapping ..data) changes nothing we hold. */
#define IN_DIR_MAX_LINKS 8

static bool in_dir_owner_ok(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

int vouch_open_in_dir(int dirfd, const char *name, struct stat *st, char *why, size_t whylen)
{
	char rest[PATH_MAX], link[PATH_MAX], elem[NAME_MAX + 1];
	int cur, nfd = -1, links = 0, ret;
	struct stat ls, fs;
	struct statvfs sv;
	ssize_t len;

	if (why && whylen)
		why[0] = '\0';
	if ((size_t)snprintf(rest, sizeof(rest), "%s", name) >= sizeof(rest))
		return -ENAMETOOLONG;
	cur = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	for (;;) {
		char *p = rest;
		size_t n = strcspn(p, "/");
		bool last;

		if (!n || n > NAME_MAX) {
			ret = n ? -ENAMETOOLONG : -ENOENT;
			goto out;
		}
		memcpy(elem, p, n);
		elem[n] = '\0';
		p += n;
		while (*p == '/')
			p++;
		last = !*p;
		memmove(rest, p, strlen(p) + 1);
		if (!strcmp(elem, "..")) {
			ret = -ELOOP;
			if (why && whylen)
				snprintf(why, whylen, "a symlink leads out of the directory (\"..\")");
			goto out;
		}
		if (!strcmp(elem, ".") && !last)
			continue;
		nfd = openat(cur, elem, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 || fstat(nfd, &ls) < 0) {
			ret = -errno;
			if (links && why && whylen)
				snprintf(why, whylen, "symlink target %s: %s", elem, strerror(-ret));
			goto out;
		}
		if (S_ISLNK(ls.st_mode)) {
			if (++links > IN_DIR_MAX_LINKS) {
				ret = -ELOOP;
				if (why && whylen)
					snprintf(why, whylen, "more than %d symbolic links", IN_DIR_MAX_LINKS);
				goto out;
			}
			if (!in_dir_owner_ok(&ls)) {
				ret = -EPERM;
				if (why && whylen)
					snprintf(why, whylen, "symlink %s is owned by uid %u, not root", elem,
						 (unsigned)ls.st_uid);
				goto out;
			}
			len = readlinkat(nfd, "", link, sizeof(link));
			if (len <= 0 || (size_t)len >= sizeof(link)) {
				ret = len < 0 ? -errno : len ? -ENAMETOOLONG : -ENOENT;
				goto out;
			}
			link[len] = '\0';
			if (link[0] == '/') {
				ret = -ELOOP;
				if (why && whylen)
					snprintf(why, whylen, "symlink %s leads out of the directory (absolute "
						 "target)", elem);
				goto out;
			}
			/* rest = target "/" rest; relative to the link's own directory (cur) */
			if ((size_t)len + 1 + strlen(rest) + 1 > sizeof(rest)) {
				ret = -ENAMETOOLONG;
				goto out;
			}
			memmove(rest + len + 1, rest, strlen(rest) + 1);
			memcpy(rest, link, (size_t)len);
			rest[len] = rest[len + 1] ? '/' : '\0';
			close(nfd);
			nfd = -1;
			continue;
		}
		if (!last) {
			if (!S_ISDIR(ls.st_mode)) {
				ret = -ENOTDIR;
				goto out;
			}
			if (!in_dir_owner_ok(&ls) || ((ls.st_mode & (S_IWGRP | S_IWOTH)) &&
			    !(fstatvfs(nfd, &sv) == 0 && (sv.f_flag & ST_RDONLY)))) {
				ret = -EPERM;
				if (why && whylen)
					snprintf(why, whylen, "directory %s is owned by uid %u or writable by "
						 "others (mode %03o)", elem, (unsigned)ls.st_uid,
						 (unsigned)(ls.st_mode & 0777));
				goto out;
			}
			close(cur);
			cur = nfd;
			nfd = -1;
			continue;
		}
		/* The file itself: never open anything but a regular file (a FIFO
		 * would block, a device could act on open). */
		if (!S_ISREG(ls.st_mode)) {
			ret = -EINVAL;
			goto out;
		}
		if (links && !in_dir_owner_ok(&ls)) {
			ret = -EPERM;
			if (why && whylen)
				snprintf(why, whylen, "%s (reached through a symlink) is owned by uid %u, "
					 "not root", elem, (unsigned)ls.st_uid);
			goto out;
		}
		close(nfd);
		nfd = openat(cur, elem, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (nfd < 0) {
			ret = -errno;
			goto out;
		}
		if (fstat(nfd, &fs) < 0 || fs.st_dev != ls.st_dev || fs.st_ino != ls.st_ino) {
			ret = -EAGAIN;
			goto out;
		}
		if (st)
			*st = fs;
		ret = nfd;
		nfd = -1;
		goto out;
	}
out:
	if (nfd >= 0)
		close(nfd);
	close(cur);
	return ret;
}

int vouch_read_file_in(int dirfd, const char *name, size_t max, uint8_t **buf, size_t *len,
		       struct stat *st, char *why, size_t whylen)
{
	int fd = vouch_open_in_dir(dirfd, name, NULL, why, whylen), ret;

	if (fd < 0)
		return fd;
	ret = vouch_read_fd(fd, max, buf, len, st);
	close(fd);
	return ret;
}

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vouch_write_at_atomic(int dfd, const char *name, const void *data, size_t len, mode_t mode,
			  bool sync_dir)
{
	char *tmp = NULL;
	int fd, ret;

	if (asprintf(&tmp, ".%s.tmp.%ld", name, (long)getpid()) < 0)
		return -ENOMEM;
	unlinkat(dfd, tmp, 0);          /* left by a crash of this pid number */
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	ret = fchmod(fd, mode) < 0 ? -errno : 0;
	if (!ret)
		ret = write_all(fd, data, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	/* rename replaces a symlink or anything else at the name; it never
	 * follows it. */
	if (!ret && renameat(dfd, tmp, dfd, name) < 0)
		ret = -errno;
	if (ret)
		unlinkat(dfd, tmp, 0);
	else if (sync_dir && fsync(dfd) < 0)
		ret = -errno;
	free(tmp);
	return ret;
}

int vouch_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			    bool excl)
{
	char *tmp = NULL, *dir = NULL, *slash;
	int fd = -1, dfd = -1, ret;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return -ENOMEM;
	dir = strdup(path);
	if (!dir) {
		ret = -ENOMEM;
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = write_all(fd, data, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	fd = -1;
	if (ret)
		goto out;
	if (excl) {
		/* link() fails if path exists: no window where an existing file is replaced. */
		if (link(tmp, path) < 0) {
			ret = -errno;
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		ret = -errno;
		goto out;
	}
	free(tmp);
	tmp = NULL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return ret;
}

/* Compare one path component at a time, as Python's PurePosixPath does. */
int vouch_path_cmp(const char *a, const char *b)
{
	for (;;) {
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
		size_t n = la < lb ? la : lb;
		int c = memcmp(a, b, n);

		if (c)
			return c;
		if (la != lb)
			return la < lb ? -1 : 1;
		a += la;
		b += lb;
		if (!*a || !*b)
			return (*a != 0) - (*b != 0);
		a++;
		b++;
	}
}

static bool utf8_ok(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, n, cp;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

bool vouch_path_ok(const char *p)
{
	const char *c = p;

	if (!*p || *p == '/')
		return false;
	for (const unsigned char *q = (const unsigned char *)p; *q; q++)
		if (*q < 0x20 || *q == 0x7f)
			return false;
	if (!utf8_ok((const unsigned char *)p))
		return false;
	for (;;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (!*c)
			return true;
		c++;
	}
}

/* The same resolution without openat2, one component at a time: some
 * sandboxes answer openat2 with ENOSYS (systemd's RestrictSUIDSGID= seccomp
 * filter cannot inspect its flags, so it refuses the call that way).
 * An absolute path or a ".." component would leave dirfd: EXDEV, as with
 * RESOLVE_BENEATH (so is a "." or empty one, which callers never pass).
 * Every directory on the way is opened O_NOFOLLOW: no symlink is followed
 * at any level (ELOOP, as RESOLVE_NO_SYMLINKS). */
int vouch_openat_beneath_walk(int dirfd, const char *relpath, int flags)
{
	char comp[NAME_MAX + 1];
	const char *p = relpath, *slash;
	int cur = dirfd, fd, err;
	struct stat st;

	if (*p == '/' || *p == '\0')
		return *p ? -EXDEV : -ENOENT;
	for (;;) {
		size_t n;

		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n > NAME_MAX) {
			err = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (!strcmp(comp, "..") || !strcmp(comp, ".") || n == 0) {
			err = -EXDEV;
			break;
		}
		if (!slash) {
			/* The last component: O_NOFOLLOW behaves as openat2 does. */
			fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC);
			err = fd < 0 ? -errno : fd;
			break;
		}
		fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			if (err == -ENOTDIR && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				err = -ELOOP;
			break;
		}
		if (cur != dirfd)
			close(cur);
		cur = fd;
		p = slash + 1;
	}
	if (cur != dirfd)
		close(cur);
	return err;
}

int vouch_openat_beneath(int dirfd, const char *relpath, int flags)
{
	static int no_openat2;
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (__atomic_load_n(&no_openat2, __ATOMIC_RELAXED))
		return vouch_openat_beneath_walk(dirfd, relpath, flags);
	/* glibc 2.36 has no openat2() wrapper.  O_NOFOLLOW alone only covers the
	 * last component; RESOLVE_NO_SYMLINKS covers every one. */
	/* EAGAIN: a concurrent rename raced RESOLVE_BENEATH's check; a few
	 * tries, never a spin (O_NONBLOCK on a leased file also says EAGAIN). */
	for (int tries = 0;; tries++) {
		fd = syscall(SYS_openat2, dirfd, relpath, &how, sizeof(how));
		if (fd >= 0 || !(errno == EINTR || (errno == EAGAIN && tries < 8)))
			break;
	}
	if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
		__atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
		return vouch_openat_beneath_walk(dirfd, relpath, flags);
	}
	return fd < 0 ? -errno : (int)fd;
}

unsigned vouch_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > 64 ? 64 : (unsigned)n;
}

bool vouch_same_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

bool vouch_fd_unchanged(int fd, const struct stat *was)
{
	struct stat now;

	return fstat(fd, &now) == 0 && vouch_same_version(&now, was);
}

int vouch_proc_identity(pid_t tid, pid_t *tgid, char *comm, size_t commlen)
{
	char path[64], buf[512];
	FILE *f;
	int ret = -ENOENT;

	*tgid = tid;
	if (comm && commlen)
		comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "Name:\t", 6) && comm && commlen) {
			buf[strcspn(buf, "\n")] = '\0';
			snprintf(comm, commlen, "%s", buf + 6);
		} else if (!strncmp(buf, "Tgid:\t", 6)) {
			*tgid = (pid_t)atoi(buf + 6);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

char *vouch_escape(const char *s, char *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = 0;

	if (!cap)
		return out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool plain = *p >= 0x20 && *p < 0x7f && *p != '\\';
		size_t need = plain ? 1 : *p == '\\' ? 2 : 4;

		if (n + need >= cap)
			break;                  /* cut before an escape, never inside one */
		if (plain) {
			out[n++] = (char)*p;
		} else if (*p == '\\') {
			out[n++] = '\\';
			out[n++] = '\\';
		} else {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = digits[*p >> 4];
			out[n++] = digits[*p & 15];
		}
	}
	out[n] = '\0';
	return out;
}
