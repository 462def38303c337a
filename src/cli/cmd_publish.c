/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_publish.c - `vouch publish [TRUST] STAGED TARGET`: put a signed model
 * directory in place at TARGET in one atomic step, also where TARGET is
 * served by an in-place vouchfs mount (docs/vouchfs.md, "Publishing").
 *
 * What it does, and why each step:
 *  1. Finds where TARGET's bytes live: TARGET itself; SOURCE/... for a
 *     vouchfs mount of another directory; for an in-place mount the pin
 *     vouchfs keeps (VOUCH_PIN_DIR), which is read-only and private: in a
 *     mount namespace of its own (nothing propagates back to the host),
 *     publish binds the pin over the mount point and makes that bind
 *     writable, so TARGET's own path names the backing store there.
 *  2. Copies STAGED (read once, regular files and directories only: a
 *     symlink, device or FIFO is refused) into a root-only (0700) directory
 *     beside TARGET, then verifies THE COPY under the host's policy (trust,
 *     threshold, expiry, anti-rollback mark) and TARGET's [models] bindings.
 *     The copy is what is served, and nobody but root can change it between
 *     the check and the swap; STAGED may change at will meanwhile.
 *  3. Swaps it in with renameat2(RENAME_EXCHANGE) (RENAME_NOREPLACE for a
 *     new model): a path lookup of TARGET finds the old directory or the new
 *     one, never a half-copied one or none.  Then removes the old version.
 * A publish never makes anything load that the mount or the shim would not
 * verify on its own: they verify every open.  The checks here only keep a
 * bad version from replacing a good one.  Owns: nothing in libvouch; the
 * mount namespace is this process's alone.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Bounds for a staged tree: deeper or larger is not a model. */
#define PUBLISH_MAX_DEPTH  64
#define PUBLISH_MAX_FILES  (1u << 20)
#define PUBLISH_PREFIX     ".vouch-publish."

static void help(void)
{
	printf("Usage: vouch publish [-p PUBKEY | --trust DIR | -c CONFIG] [--threshold K]\n"
	       "                     STAGED TARGET\n\n"
	       "Put the signed model directory STAGED (STAGED/model.sig, and any cosignatures\n"
	       "in STAGED/model.sig.d/) in place at TARGET, atomically.  TARGET is the path\n"
	       "readers use, e.g. /srv/models/resnet; it may be under an in-place vouchfs mount\n"
	       "(its backing store is written through the pin vouchfs keeps; needs root), a\n"
	       "vouchfs mount of another directory, or a plain directory (the preload shim).\n\n"
	       "STAGED is copied into a root-only directory beside TARGET (regular files and\n"
	       "directories only; owner root, group and permissions from STAGED without write\n"
	       "for group and others), the copy is verified under the policy (trust, threshold,\n"
	       "expiry, anti-rollback mark) and TARGET's [models] bindings, and is then swapped\n"
	       "in with one rename (RENAME_EXCHANGE): readers open the old version or the new\n"
	       "one, never a mix within a file, a missing file or an unsigned one.  A version\n"
	       "below the one in place is refused.  The old version is removed.\n\n"
	       "  -p, --pubkey FILE          trust this PEM public key (repeatable)\n"
	       "      --trust DIR            trust the PEM public keys in DIR\n"
	       "  -c, --config FILE          trust and policy (default: $VOUCH_CONFIG, else\n"
	       "                             " DEFAULT_CONFIG ")\n"
	       "      --threshold K          require K distinct trusted signers\n"
	       "  -h, --help                 this text\n\n"
	       "Exit status: 0 published, 1 refused (STAGED does not verify, or would roll\n"
	       "back), 2 usage error, 3 operational error.\n");
}

struct publish {
	const char *staged;         /* as given */
	char *target;               /* absolute, as readers name it */
	char *base;                 /* TARGET's last component */
	char *work_parent;          /* where TARGET's parent is written, in this process */
	char *copy;                 /* work_parent/CONTAINER/base, the copy verified */
	char container[sizeof(PUBLISH_PREFIX) + 16];
	bool root;
	bool refused;               /* STAGED holds what publish never copies */
	char **files;               /* model-relative paths copied, for the bindings */
	size_t nfiles;
};

static void report(void *arg, const char *name, enum vouch_cause cause, const char *detail)
{
	const struct publish *p = arg;
	size_t n = strlen(p->copy);

	/* Name the user's staged copy, not the private one. */
	if (!strncmp(name, p->copy, n) && (name[n] == '/' || !name[n]))
		msg("%s%s: %s%s%s%s", p->staged, name + n, vouch_cause_name(cause),
		    *detail ? " (" : "", detail, *detail ? ")" : "");
	else
		msg("%s/%s: %s%s%s%s", p->staged, name, vouch_cause_name(cause),
		    *detail ? " (" : "", detail, *detail ? ")" : "");
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return true;
	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

/* The mount path is on (the last listed of the longest mount points above
 * it: mounts are listed in the order they were made, so the top one).
 * Fills *mnt, *source and *fstype (malloc'd).  0, or a negative errno (-EIO
 * when mountinfo cannot be opened: no caller needs why, and gcc -fanalyzer
 * cannot know a failed fopen's -errno is not 0, so it took that path as a
 * success and the callers' reads of *mnt as NULL arguments). */
static int mount_of(const char *path, char **mnt, char **source, char **fstype)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0, best = 0;

	*mnt = *source = *fstype = NULL;
	if (!f)
		return -EIO;
	while (getline(&line, &cap, f) > 0) {
		char *fields[6], *save = NULL, *tok, *sep, *type, *src;
		int n = 0;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		for (tok = strtok_r(line, " ", &save); tok && n < 6; tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		if (n < 5)
			continue;
		unescape_octal(fields[4]);
		if (!path_under(path, fields[4]) || strlen(fields[4]) < best)
			continue;
		save = NULL;
		type = strtok_r(sep + 3, " ", &save);
		src = strtok_r(NULL, " ", &save);
		if (!type || !src)
			continue;
		unescape_octal(src);
		free(*mnt);
		free(*source);
		free(*fstype);
		*mnt = strdup(fields[4]);
		*source = strdup(src);
		*fstype = strdup(type);
		best = strlen(fields[4]);
	}
	free(line);
	fclose(f);
	return *mnt && *source && *fstype ? 0 : -ENOENT;
}

static bool is_mount_point(const char *path)
{
	char *mnt, *src, *type;
	bool yes = mount_of(path, &mnt, &src, &type) == 0 && !strcmp(mnt, path);

	free(mnt);
	free(src);
	free(type);
	return yes;
}

/* Step 1: where TARGET's parent is written.  Returns 0 or an exit code. */
static int locate(struct publish *p)
{
	char *dup = strdup(p->target), *slash, *parent = NULL, *mnt = NULL, *src = NULL, *type = NULL;
	char *pin = NULL;
	int ret = EXIT_OPERATIONAL;

	if (!dup)
		goto out;
	while (strlen(dup) > 1 && dup[strlen(dup) - 1] == '/')
		dup[strlen(dup) - 1] = '\0';
	slash = strrchr(dup, '/');
	p->base = strdup(slash ? slash + 1 : dup);
	if (slash == dup)
		parent = strdup("/");
	else if (slash)
		parent = strndup(dup, (size_t)(slash - dup));
	else
		parent = strdup(".");
	if (!p->base || !parent)
		goto out;
	if (!*p->base || !strcmp(p->base, ".") || !strcmp(p->base, "..")) {
		ret = usage_error("publish", "TARGET must name a model directory (e.g. /srv/models/resnet)");
		goto out;
	}
	free(p->target);
	p->target = NULL;
	{
		char *rp = realpath(parent, NULL);
		if (!rp) {
			msg("%s: %s", parent, strerror(errno));
			goto out;
		}
		if (asprintf(&p->target, "%s%s%s", rp, strcmp(rp, "/") ? "/" : "", p->base) < 0)
			p->target = NULL;
		free(parent);
		parent = rp;
	}
	if (!p->target || mount_of(parent, &mnt, &src, &type) < 0)
		goto out;
	if (is_mount_point(p->target)) {
		msg("%s is a mount point: publish a model directory inside it (e.g. %s/NAME)",
		    p->target, p->target);
		ret = EXIT_USAGE;
		goto out;
	}
	if (strcmp(type, "fuse.vouchfs")) {
		p->work_parent = parent;        /* a plain directory */
		parent = NULL;
		ret = 0;
		goto out;
	}
	if (strcmp(src, mnt)) {
		/* vouchfs serves another directory: write there (the same tree). */
		if (asprintf(&p->work_parent, "%s%s", src, parent + strlen(mnt)) < 0)
			p->work_parent = NULL;
		ret = p->work_parent ? 0 : EXIT_OPERATIONAL;
		goto out;
	}
	/* In place: the source is hidden under the mount; vouchfs keeps it
	 * bound at the pin, read-only and private. */
	if (!p->root) {
		msg("%s is under an in-place vouchfs mount of %s: publishing there needs root "
		    "(a mount namespace and the pin %s)", p->target, mnt, VOUCH_PIN_DIR);
		goto out;
	}
	pin = vouch_pin_path(mnt);
	if (!pin || !is_mount_point(pin)) {
		msg("%s: no vouchfs pin at %s (is vouchfs running as root?)", mnt, pin ? pin : "?");
		goto out;
	}
	/* A namespace of our own, private from the root down: the writable
	 * view below never reaches another process. */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		msg("cannot make a private mount namespace: %s", strerror(errno));
		goto out;
	}
	if (mount(pin, mnt, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, mnt, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, NULL) < 0) {
		msg("cannot bind %s writable over %s (in this process only): %s", pin, mnt,
		    strerror(errno));
		goto out;
	}
	p->work_parent = parent;
	parent = NULL;
	ret = 0;
out:
	free(dup);
	free(parent);
	free(mnt);
	free(src);
	free(type);
	free(pin);
	return ret;
}

/* ---- copying ---------------------------------------------------------- */

static int copy_bytes(int in, int out, const char *name)
{
	char buf[1 << 16];
	ssize_t n;

	for (;;) {
		n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n > 0)
			continue;
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			break;
		/* Not between these file systems: copy by hand. */
		while ((n = read(in, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
			for (ssize_t off = 0; n > 0 && off < n; ) {
				ssize_t w = write(out, buf + off, (size_t)(n - off));
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					goto fail;
				off += w;
			}
		}
		if (n == 0)
			return 0;
		break;
	}
fail:
	msg("%s: copy: %s", name, strerror(errno));
	return -1;
}

/* Owner root (the caller), group and mode from the staged file, never
 * writable by group or others, no set-id or sticky bits. */
static int set_owner_mode(int fd, const struct stat *st, const char *name, bool root)
{
	if (root && fchown(fd, 0, st->st_gid) < 0) {
		msg("%s: chown: %s", name, strerror(errno));
		return -1;
	}
	if (fchmod(fd, st->st_mode & 0755) < 0) {
		msg("%s: chmod: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

static int add_file(struct publish *p, const char *rel)
{
	if (p->nfiles >= PUBLISH_MAX_FILES) {
		msg("%s: more than %u files: not a model", p->staged, PUBLISH_MAX_FILES);
		return -1;
	}
	return vouch_config_add(&p->files, &p->nfiles, rel) ? -1 : 0;
}

/* Copy the directory open at sfd into the new, empty directory at dfd.
 * rel: its model-relative path ("" at the top). */
static int copy_dir(struct publish *p, int sfd, int dfd, const char *rel, unsigned depth)
{
	struct dirent *de;
	DIR *d;
	int dup_fd, ret = 0;

	if (depth > PUBLISH_MAX_DEPTH) {
		msg("%s/%s: deeper than %d directories: not a model", p->staged, rel, PUBLISH_MAX_DEPTH);
		return -1;
	}
	dup_fd = dup(sfd);
	if (dup_fd < 0 || !(d = fdopendir(dup_fd))) {
		if (dup_fd >= 0)
			close(dup_fd);
		msg("%s/%s: %s", p->staged, rel, strerror(errno));
		return -1;
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		char *sub = NULL;
		struct stat st, lst;
		int in = -1, out = -1;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0) {
			ret = -1;
			break;
		}
		/* Only a directory or a regular file is opened at all (opening a
		 * device runs its driver); opened without following anything,
		 * and what is copied is what the fd is (fstat, same inode),
		 * whatever the name held a moment earlier. */
		if (fstatat(sfd, de->d_name, &lst, AT_SYMLINK_NOFOLLOW) < 0) {
			msg("%s/%s: %s", p->staged, sub, strerror(errno));
			ret = -1;
		} else if (!S_ISDIR(lst.st_mode) && !S_ISREG(lst.st_mode)) {
			msg("%s/%s: %s: publish copies regular files and directories only", p->staged, sub,
			    S_ISLNK(lst.st_mode) ? "a symlink" : "not a regular file or directory");
			p->refused = true;
			ret = -1;
		} else if ((in = openat(sfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
					O_CLOEXEC)) < 0 || fstat(in, &st) < 0) {
			p->refused = errno == ELOOP;
			msg("%s/%s: %s%s", p->staged, sub, strerror(errno),
			    errno == ELOOP ? " (a symlink: publish copies regular files and directories only)" : "");
			ret = -1;
		} else if (st.st_dev != lst.st_dev || st.st_ino != lst.st_ino) {
			msg("%s/%s: replaced while being copied", p->staged, sub);
			p->refused = true;
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dfd, de->d_name, 0700) < 0 ||
			    (out = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
				msg("%s: %s", de->d_name, strerror(errno));
				ret = -1;
			} else {
				ret = copy_dir(p, in, out, sub, depth + 1);
				if (!ret)
					ret = set_owner_mode(out, &st, sub, p->root);
				if (!ret && fsync(out) < 0)
					ret = -1;
			}
		} else if (S_ISREG(st.st_mode)) {
			out = openat(dfd, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (out < 0) {
				msg("%s: %s", sub, strerror(errno));
				ret = -1;
			} else {
				ret = add_file(p, sub);
				if (!ret)
					ret = copy_bytes(in, out, sub);
				if (!ret)
					ret = set_owner_mode(out, &st, sub, p->root);
				if (!ret && fsync(out) < 0) {
					msg("%s: fsync: %s", sub, strerror(errno));
					ret = -1;
				}
			}
		} else {
			msg("%s/%s: not a regular file or directory: publish copies nothing else", p->staged, sub);
			p->refused = true;
			ret = -1;
		}
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
		free(sub);
	}
	if (!ret && errno) {
		msg("%s/%s: %s", p->staged, rel, strerror(errno));
		ret = -1;
	}
	closedir(d);
	return ret;
}

/* rm -r name beneath dirfd, never following a link. */
static void remove_tree(int at, const char *name, unsigned depth)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (unlinkat(at, name, 0) == 0 || (errno != EISDIR && errno != EPERM) || depth > 256)
		return;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			remove_tree(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	unlinkat(at, name, AT_REMOVEDIR);
}

/* A publish killed midway leaves its staging directory; under the lock no
 * other publish is using one in this directory, so any there is stale. */
static void remove_stale(const struct publish *p, int pfd)
{
	struct dirent *de;
	DIR *d;
	int fd = dup(pfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, PUBLISH_PREFIX, sizeof(PUBLISH_PREFIX) - 1))
			continue;
		msg("removing %s/%s, left by an interrupted publish", p->work_parent, de->d_name);
		remove_tree(pfd, de->d_name, 0);
	}
	closedir(d);
}

/* ---- the command ------------------------------------------------------- */

int cmd_publish(int argc, char **argv)
{
	static const struct option opts[] = {
		TRUST_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct publish p = { .root = geteuid() == 0 };
	struct vouch_verify_opts vo = { 0 };
	struct vouch_ctx *ctx = NULL;
	struct vouch_verdict v;
	struct vouch_bundle *cur = NULL;
	struct trust_opts t;
	struct stat st, tst;
	const struct vouch_config *cfg;
	char detail[512] = "", *curpath = NULL;
	uint8_t rnd[6];
	bool exists = false, made = false;
	int c, r, ret = EXIT_USAGE, sfd = -1, pfd = -1, cfd = -1, nfd = -1;

	trust_opts_init(&t);
	t.no_bindings = true;           /* checked below, at TARGET, not at the copy */
	while ((c = getopt_long(argc, argv, "p:c:h", opts, NULL)) != -1) {
		r = trust_opts_parse(&t, "publish", c, optarg);
		if (r < 0) {
			ret = -r;
			goto out;
		}
		if (r)
			continue;
		switch (c) {
		case 'h': help(); ret = 0; goto out;
		default:  ret = usage_error("publish", "unknown option"); goto out;
		}
	}
	if (optind + 2 != argc) {
		ret = usage_error("publish", "STAGED and TARGET are required");
		goto out;
	}
	p.staged = argv[optind];
	p.target = strdup(argv[optind + 1]);
	if (!p.target) {
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	/* The staged copy is opened as the caller names it, before any mount
	 * below changes what a path means in this process. */
	sfd = open(p.staged, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0) {
		msg("%s: %s%s", p.staged, strerror(errno), errno == ENOTDIR || errno == ELOOP ?
		    " (publish takes a signed model directory, DIR/model.sig, not a link or a file)" : "");
		ret = errno == ENOENT ? EXIT_USAGE : EXIT_OPERATIONAL;
		goto out;
	}
	if (fstatat(sfd, "model.sig", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
		msg("%s/model.sig: %s: sign the staged copy first (vouch sign, then vouch cosign)",
		    p.staged, errno == ENOENT ? "not signed" : "not a regular file");
		ret = EXIT_FAILED;
		goto out;
	}
	ret = trust_opts_ctx(&t, "publish", &ctx);
	if (ret)
		goto out;
	cfg = vouch_ctx_config(ctx);
	ret = locate(&p);
	if (ret)
		goto out;
	ret = EXIT_OPERATIONAL;
	/* A target no protected root covers would be served unchecked. */
	if (cfg->nprotect) {
		bool covered = false;
		for (size_t i = 0; i < cfg->nprotect && !covered; i++)
			covered = path_under(p.target, cfg->protect[i]) ||
				  path_under(p.work_parent, cfg->protect[i]);
		if (!covered) {
			msg("%s is under no protected root of %s (protect = %s...): refusing to publish "
			    "where nothing checks it", p.target, cfg->path ? cfg->path : "the config",
			    cfg->protect[0]);
			goto out;
		}
	}

	/* realpath() resolved it: a symlink on the way now means someone
	 * swapped a directory since, to make root write elsewhere. */
	{
		struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
					.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
		pfd = (int)syscall(SYS_openat2, AT_FDCWD, p.work_parent, &how, sizeof(how));
		if (pfd < 0 && errno == ENOSYS)    /* a seccomp filter: no such check there */
			pfd = open(p.work_parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (pfd < 0) {
		msg("%s: %s%s", p.work_parent, strerror(errno),
		    errno == ELOOP ? " (a symlink appeared on the path: refusing)" : "");
		goto out;
	}
	/* One publish at a time per directory: two could each swap, and the
	 * older could land last. */
	if (flock(pfd, LOCK_EX) < 0) {
		msg("%s: lock: %s", p.work_parent, strerror(errno));
		goto out;
	}
	remove_stale(&p, pfd);
	if (fstatat(pfd, p.base, &tst, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISDIR(tst.st_mode)) {
			msg("%s exists and is not a directory: publish replaces model directories only",
			    p.target);
			goto out;
		}
		exists = true;
	} else if (errno != ENOENT) {
		msg("%s: %s", p.target, strerror(errno));
		goto out;
	}

	/* Step 2: the private copy. */
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		msg("getrandom: %s", strerror(errno));
		goto out;
	}
	snprintf(p.container, sizeof(p.container), PUBLISH_PREFIX "%02x%02x%02x%02x%02x%02x",
		 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	if (mkdirat(pfd, p.container, 0700) < 0) {
		msg("%s/%s: %s", p.work_parent, p.container, strerror(errno));
		goto out;
	}
	made = true;
	cfd = openat(pfd, p.container, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0 || mkdirat(cfd, p.base, 0700) < 0 ||
	    (nfd = openat(cfd, p.base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		msg("%s/%s: %s", p.work_parent, p.container, strerror(errno));
		goto out;
	}
	if (fstat(sfd, &st) < 0 || copy_dir(&p, sfd, nfd, "", 0) < 0 ||
	    set_owner_mode(nfd, &st, p.staged, p.root) < 0 || fsync(nfd) < 0 || fsync(cfd) < 0) {
		if (p.refused) {
			msg("%s: not published", p.staged);
			ret = EXIT_FAILED;
		}
		goto out;
	}
	if (asprintf(&p.copy, "%s%s%s/%s", p.work_parent, strcmp(p.work_parent, "/") ? "/" : "",
		     p.container, p.base) < 0) {
		p.copy = NULL;
		goto out;
	}

	/* The copy, under the policy: what will be served. */
	memset(&v, 0, sizeof(v));
	if (vouch_verify_tree(ctx, p.copy, &vo, report, &p, &v) != VOUCH_CAUSE_OK) {
		msg("%s: not published: it does not verify (%s)", p.staged, vouch_cause_name(v.cause));
		ret = v.cause == VOUCH_CAUSE_IO_ERROR ? EXIT_OPERATIONAL : EXIT_FAILED;
		goto out;
	}
	/* [models]: as vouchfs and the shim will judge each file at TARGET. */
	{
		char *full = NULL;
		enum vouch_cause b = VOUCH_CAUSE_OK;

		if (asprintf(&full, "%s%s%s", p.work_parent, strcmp(p.work_parent, "/") ? "/" : "",
			     p.base) >= 0)
			b = vouch_binding_check(&t.cfg, full, v.model, detail, sizeof(detail));
		for (size_t i = 0; full && !b && i < p.nfiles; i++) {
			char *f = NULL;
			if (asprintf(&f, "%s/%s", full, p.files[i]) >= 0)
				b = vouch_binding_check(&t.cfg, f, v.model, detail, sizeof(detail));
			free(f);
		}
		free(full);
		if (b) {
			msg("%s: not published: name-mismatch (%s)", p.staged, detail);
			ret = EXIT_FAILED;
			goto out;
		}
	}
	/* Never replace a version with an older one of the same model. */
	if (exists && asprintf(&curpath, "%s/model.sig", p.base) >= 0 &&
	    vouch_bundle_load(pfd, curpath, &cur, detail, sizeof(detail)) == VOUCH_CAUSE_OK &&
	    cur->st.meta.present && !strcmp(cur->st.meta.name, v.model) && v.version < cur->st.meta.version) {
		msg("%s: not published: version %" PRIu64 " of %s would replace version %" PRIu64
		    " at %s (rollback)", p.staged, v.version, v.model, cur->st.meta.version, p.target);
		ret = EXIT_FAILED;
		goto out;
	}

	/* Step 3: one rename. */
	if (renameat2(cfd, p.base, pfd, p.base, exists ? RENAME_EXCHANGE : RENAME_NOREPLACE) < 0) {
		msg("%s: rename: %s", p.target, strerror(errno));
		goto out;
	}
	fsync(pfd);
	fsync(cfd);
	if (exists && cur && cur->st.meta.present)
		say("published %s version %" PRIu64 " at %s (was %s version %" PRIu64 ")", v.model,
		    v.version, p.target, cur->st.meta.name, cur->st.meta.version);
	else
		say("published %s version %" PRIu64 " at %s%s", v.model, v.version, p.target,
		    exists ? "" : " (new)");
	ret = 0;
out:
	if (made)
		remove_tree(pfd, p.container, 0);   /* the old version, or the refused copy */
	if (nfd >= 0)
		close(nfd);
	if (cfd >= 0)
		close(cfd);
	if (pfd >= 0)
		close(pfd);
	if (sfd >= 0)
		close(sfd);
	vouch_bundle_free(cur);
	vouch_ctx_free(ctx);
	vouch_config_clear(&t.cfg);
	for (size_t i = 0; i < p.nfiles; i++)
		free(p.files[i]);
	free(p.files);
	free(curpath);
	free(p.target);
	free(p.base);
	free(p.work_parent);
	free(p.copy);
	return ret;
}
