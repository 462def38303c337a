/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_mount.c - pinning the source, mounting, stacking and unmounting.
 *
 * Owns everything vouchfs does to the mount table.  The rule it serves: a
 * reader at the mount point sees verified bytes or ENOTCONN, never the raw
 * source, across crashes and restarts (docs/vouchfs.md, "Restarts").
 *
 *  - An in-place mount (SOURCE = MOUNTPOINT) hides the source under itself.
 *    Before the first mount, the source is bind-mounted to a root-only pin
 *    under /run/vouchfs and the bind is made MS_PRIVATE at once: under
 *    systemd "/" is a shared mount, so a plain bind would be a peer and the
 *    FUSE mount would propagate onto the pin too.
 *  - A restart finds the pin still there and serves from it; it never needs
 *    a path through the dead mount (which answers ENOTCONN).
 *  - The FUSE mount is made with mount(2) directly and libfuse is handed
 *    /dev/fd/N: libfuse's own mount helper stats the mount point, which
 *    fails on a dead instance, while mount(2) stacks on top of it.
 *  - A clean stop removes every fuse.vouchfs layer and the pin; a crash
 *    removes nothing (fail closed).
 *  - Without root there is no mount(2): fusermount3 mounts and unmounts.
 *
 * Layer: the mount table, below vouchfs.c and above fs_ops.c.  Calls
 * fs_ops.c (only its vouchfs_ops table, handed to fuse_session_new() with
 * struct vouchfs as the session's userdata) and fs_log.c, never vouchfs.c.
 */
#include "vouchfs_i.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

char *vouchfs_abspath(const char *path)
{
	char *dup1 = NULL, *dup2 = NULL, *dir = NULL, *out = NULL;
	const char *base;

	out = realpath(path, NULL);
	if (out || (errno != ENOTCONN && errno != EIO))
		return out;
	/* A dead FUSE mount at path: resolve the parent only. */
	dup1 = strdup(path);
	dup2 = strdup(path);
	if (!dup1 || !dup2)
		goto out;
	base = basename(dup1);
	if (!strcmp(base, ".") || !strcmp(base, "..") || !strcmp(base, "/")) {
		errno = EINVAL;
		goto out;
	}
	dir = realpath(dirname(dup2), NULL);
	if (!dir)
		goto out;
	if (asprintf(&out, "%s/%s", strcmp(dir, "/") ? dir : "", base) < 0)
		out = NULL;
out:
	free(dup1);
	free(dup2);
	free(dir);
	return out;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* The topmost mount on path (the last one listed: mounts are listed in the
 * order they were made).  Returns 1 and fills fstype/minor, 0 if path is
 * no mount point, or -errno. */
static int mount_top(const char *path, char *fstype, size_t typelen, unsigned *minor)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	int found = 0;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *fields[10], *save = NULL, *tok, *sep;
		unsigned maj, min;
		int n = 0;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		for (tok = strtok_r(line, " ", &save); tok && n < 10;
		     tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		if (n < 5 || sscanf(fields[2], "%u:%u", &maj, &min) != 2)
			continue;
		unescape_octal(fields[4]);
		if (strcmp(fields[4], path) != 0)
			continue;
		tok = strtok_r(sep + 3, " ", &save);
		snprintf(fstype, typelen, "%s", tok ? tok : "");
		*minor = min;
		found = 1;
	}
	free(line);
	fclose(f);
	return found;
}

char *vouchfs_pin_path(const char *mountpoint)
{
	/* libvouch names it (VOUCH_PIN_DIR is VOUCHFS_PIN_DIR): `vouch publish`
	 * finds the backing store of an in-place mount there. */
	return vouch_pin_path(mountpoint);
}

/* VOUCHFS_PIN_DIR must be a root-owned directory nobody else can write,
 * or another user could swap the pin under us. */
static int pin_dir_ok(char *msg, size_t msglen)
{
	struct stat st;

	if (mkdir(VOUCHFS_PIN_DIR, 0700) != 0 && errno != EEXIST)
		goto fail;
	if (lstat(VOUCHFS_PIN_DIR, &st) != 0)
		goto fail;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
		snprintf(msg, msglen, "%s: not a root-owned directory writable only by root",
			 VOUCHFS_PIN_DIR);
		return -EPERM;
	}
	return 0;
fail:
	snprintf(msg, msglen, "%s: %s", VOUCHFS_PIN_DIR, strerror(errno));
	return -errno;
}

/* First start: bind the source on pin, private at once, then read-only. */
static int make_pin(const struct vouchfs *fs, const char *pin, char *msg, size_t msglen)
{
	const char *source = fs->source;
	char type[64];
	unsigned minor;
	int ret;

	ret = mount_top(source, type, sizeof(type), &minor);
	if (ret == 1 && strcmp(type, VOUCHFS_FSTYPE) == 0) {
		snprintf(msg, msglen, "%s is covered by a vouchfs mount and %s does not "
			 "exist; remove it with 'vouchfs --unmount %s'", source, pin, source);
		return -EBUSY;
	}
	ret = pin_dir_ok(msg, msglen);
	if (ret < 0)
		return ret;
	if (mkdir(pin, 0700) != 0 && errno != EEXIST) {
		ret = -errno;
		snprintf(msg, msglen, "%s: %s", pin, strerror(errno));
		return ret;
	}
	if (mount(source, pin, NULL, MS_BIND, NULL) != 0) {
		ret = -errno;
		snprintf(msg, msglen, "bind %s on %s: %s", source, pin, strerror(errno));
		return ret;
	}
	/* At once, before anything is mounted on the source: a shared bind
	 * would receive the FUSE mount by propagation. */
	if (mount(NULL, pin, NULL, MS_PRIVATE, NULL) != 0) {
		ret = -errno;
		snprintf(msg, msglen, "make %s private: %s", pin, strerror(errno));
		umount2(pin, MNT_DETACH);
		return ret;
	}
	/* vouchfs only reads; device nodes and setuid bits mean nothing here. */
	if (mount(NULL, pin, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV | MS_NOSUID,
		  NULL) != 0)
		vouchfs_log(fs, "%s: cannot make the pin read-only: %s", pin, strerror(errno));
	return 0;
}

int vouchfs_pin_source(struct vouchfs *fs, char *msg, size_t msglen)
{
	char type[64];
	unsigned minor;
	char *pin;
	int ret, fd;

	pin = vouchfs_pin_path(fs->source);
	if (!pin)
		return -ENOMEM;
	ret = mount_top(pin, type, sizeof(type), &minor);
	if (ret < 0) {
		snprintf(msg, msglen, "/proc/self/mountinfo: %s", strerror(-ret));
		goto fail;
	}
	/* A pin left by a previous instance means a restart: serve from it. */
	if (ret == 0 || strncmp(type, "fuse", 4) == 0) {
		ret = make_pin(fs, pin, msg, msglen);
		if (ret < 0)
			goto fail;
	}
	fd = open(pin, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(msg, msglen, "%s: %s", pin, strerror(errno));
		goto fail;
	}
	fs->pin = pin;
	return fd;
fail:
	free(pin);
	return ret;
}

bool vouchfs_allow_other(const struct vouchfs *fs)
{
	return fs->opt_allow_other || fs->cfg.allow_other;
}

/* As root: the session takes its options here, the kernel in mount(2). */
static struct fuse_session *new_session(struct vouchfs *fs)
{
	char maxread[32];
	const char *argv[4];
	struct fuse_session *se;
	struct fuse_args args;
	int argc = 0;

	/* max_read here and conn->max_read in init() must agree. */
	snprintf(maxread, sizeof(maxread), "max_read=%u", VOUCHFS_MAX_READ);
	argv[argc++] = "vouchfs";
	argv[argc++] = "-o";
	argv[argc++] = maxread;
	if (fs->debug)
		argv[argc++] = "-d";
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, (char **)argv);
	se = fuse_session_new(&args, &vouchfs_ops, sizeof(vouchfs_ops), fs);
	fuse_opt_free_args(&args);      /* option parsing may have copied them */
	return se;
}

static bool fuse_conf_user_allow_other(void)
{
	FILE *f = fopen("/etc/fuse.conf", "re");
	char line[256];
	bool yes = false;

	while (f && fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t");
		if (!strncmp(s, "user_allow_other", 16) && strchr(" \t\r\n", s[16]))
			yes = true;
	}
	if (f)
		fclose(f);
	return yes;
}

/* Without root there is no mount(2): fusermount3 mounts (no stacking on a
 * dead instance, so no in-place restart; docs/vouchfs.md). */
static struct fuse_session *new_session_fusermount(struct vouchfs *fs)
{
	char opts[PATH_MAX + 128];
	const char *argv[4] = { "vouchfs", "-o", opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, (char **)argv);
	struct fuse_session *se;

	/* fusermount3 takes allow_other from a user only with user_allow_other
	 * in /etc/fuse.conf: the default (allow_other = yes) yields there, an
	 * explicit -o allow_other does not. */
	if (!fs->opt_allow_other && fs->cfg.allow_other && !fuse_conf_user_allow_other()) {
		vouchfs_log(fs, "not root and no user_allow_other in /etc/fuse.conf: serving uid %u "
			    "only (allow_other needs it without root)", (unsigned)getuid());
		fs->cfg.allow_other = false;
	}
	snprintf(opts, sizeof(opts),
		 "max_read=%u,ro,default_permissions,subtype=vouchfs%s%s",
		 VOUCHFS_MAX_READ, vouchfs_allow_other(fs) ? ",allow_other" : "",
		 fs->debug ? ",debug" : "");
	if (fs->debug) {
		argv[3] = "-d";
		args.argc = 4;
	}
	se = fuse_session_new(&args, &vouchfs_ops, sizeof(vouchfs_ops), fs);
	fuse_opt_free_args(&args);
	return se;
}

int vouchfs_session_new(struct vouchfs *fs)
{
	fs->se = fs->root ? new_session(fs) : new_session_fusermount(fs);
	return fs->se ? 0 : -1;
}

/* Mount fuse.vouchfs on fs->mountpoint with mount(2) and hand the session
 * /dev/fd/N, so that a restart can stack on a dead instance. */
static int mount_raw(struct vouchfs *fs, char *msg, size_t msglen)
{
	char opts[256], devpath[32];
	struct stat st;
	int ret;

	if (fstat(fs->rootfd, &st) != 0) {
		snprintf(msg, msglen, "%s: %s", fs->source, strerror(errno));
		return -errno;
	}
	fs->devfd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fs->devfd < 0) {
		snprintf(msg, msglen, "/dev/fuse: %s", strerror(errno));
		return -errno;
	}
	/* default_permissions always: with allow_other, file modes must still
	 * hold (without it any user reads a 0600 file through the mount). */
	ret = snprintf(opts, sizeof(opts),
		       "fd=%d,rootmode=%o,user_id=%u,group_id=%u,max_read=%u,"
		       "default_permissions%s",
		       fs->devfd, (unsigned)(st.st_mode & S_IFMT), (unsigned)geteuid(),
		       (unsigned)getegid(), VOUCHFS_MAX_READ,
		       vouchfs_allow_other(fs) ? ",allow_other" : "");
	if (ret < 0 || (size_t)ret >= sizeof(opts))
		return -EINVAL;
	/* MS_RDONLY: the VFS refuses writes before they reach us. */
	if (mount(fs->source, fs->mountpoint, VOUCHFS_FSTYPE,
		  MS_NOSUID | MS_NODEV | MS_RDONLY, opts) != 0) {
		ret = -errno;
		snprintf(msg, msglen, "mount %s: %s", fs->mountpoint, strerror(errno));
		close(fs->devfd);
		fs->devfd = -1;
		return ret;
	}
	fs->raw_mount = true;
	snprintf(devpath, sizeof(devpath), "/dev/fd/%d", fs->devfd);
	if (fuse_session_mount(fs->se, devpath) != 0) {
		snprintf(msg, msglen, "fuse_session_mount %s failed", devpath);
		return -EIO;
	}
	return 0;
}

int vouchfs_session_mount(struct vouchfs *fs, char *msg, size_t msglen)
{
	if (fs->root)
		return mount_raw(fs, msg, msglen);
	return fuse_session_mount(fs->se, fs->mountpoint) ? -EIO : 0;
}

void vouchfs_session_unmount(struct vouchfs *fs)
{
	char msg[1024] = "";

	if (fs->raw_mount) {
		if (vouchfs_unmount_all(fs, fs->mountpoint, msg, sizeof(msg)) < 0)
			vouchfs_log(fs, "%s", msg);
	} else {
		fuse_session_unmount(fs->se);
	}
}

void vouchfs_set_readahead(const struct vouchfs *fs, unsigned kb)
{
	char type[64], path[96];
	unsigned minor;
	FILE *f;
	int ret;

	if (mount_top(fs->mountpoint, type, sizeof(type), &minor) != 1 ||
	    strcmp(type, VOUCHFS_FSTYPE) != 0)
		return;
	/* The kernel's INIT only lowers readahead; without this the kernel
	 * sends 128 KiB reads whatever max_read says. */
	snprintf(path, sizeof(path), "/sys/class/bdi/0:%u/read_ahead_kb", minor);
	f = fopen(path, "we");
	if (!f) {
		ret = -errno;
	} else {
		/* Closed whether or not the write failed. */
		ret = fprintf(f, "%u\n", kb) < 0 ? -errno : 0;
		if (fclose(f) != 0 && ret == 0)
			ret = -errno;
	}
	if (ret < 0)
		vouchfs_log(fs, "%s: cannot set readahead (%s); reads stay small", path,
			    strerror(-ret));
}

int vouchfs_unmount_all(const struct vouchfs *fs, const char *mountpoint, char *msg,
			size_t msglen)
{
	char type[64], *pin;
	unsigned minor;
	int layers = 0, ret = 0;

	/* Top first; each umount uncovers the next layer (a dead instance
	 * under a restarted one). */
	while (layers < 256) {
		ret = mount_top(mountpoint, type, sizeof(type), &minor);
		if (ret <= 0 || strcmp(type, VOUCHFS_FSTYPE) != 0)
			break;
		if (umount2(mountpoint, UMOUNT_NOFOLLOW) != 0 &&
		    umount2(mountpoint, MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
			ret = -errno;
			snprintf(msg, msglen, "umount %s: %s", mountpoint, strerror(errno));
			return ret;
		}
		layers++;
	}
	if (ret < 0) {
		snprintf(msg, msglen, "/proc/self/mountinfo: %s", strerror(-ret));
		return ret;
	}
	pin = vouchfs_pin_path(mountpoint);
	if (!pin)
		return -ENOMEM;
	if (mount_top(pin, type, sizeof(type), &minor) == 1) {
		if (umount2(pin, MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
			ret = -errno;
			snprintf(msg, msglen, "umount %s: %s", pin, strerror(errno));
			free(pin);
			return ret;
		}
	}
	if (rmdir(pin) != 0 && errno != ENOENT)
		vouchfs_log(fs, "rmdir %s: %s", pin, strerror(errno));
	free(pin);
	return layers;
}
