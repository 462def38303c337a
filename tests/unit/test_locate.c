/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_locate.c - vouch_locate: which protected root and name an open fd
 * answers to.  Lexical names under a root (with "." and ".."), names outside
 * every root for files inside one (a symlink above the root, bind mounts of
 * the root and of a directory below it), a hard link outside the root, free
 * files, a root fd a program closed and reused behind the locator's back,
 * and fds opened by another process in its own mount namespace (opener !=
 * 0), including one where model A's directory is bind-mounted over model
 * B's path: the location must be A's, never B's.
 *
 * Bind mounts need root: the whole test runs in a private mount namespace
 * of its own (nothing leaks to the host), and the mount parts are skipped,
 * saying so, where that is refused.
 */
#include "vouch_i.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char T[PATH_MAX];        /* the test's directory (real path) */
static char ROOT[PATH_MAX + 16];  /* T/store: the protected root */

static const char *P(const char *rel)
{
	static char buf[8][PATH_MAX + 64];
	static int k;
	char *b = buf[k++ % 8];

	snprintf(b, PATH_MAX + 64, "%s/%s", T, rel);
	return b;
}

static void put(const char *rel, const char *text)
{
	int fd = open(P(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror(rel);
		exit(1);
	}
	close(fd);
}

static const char *kind_name(enum vouch_where k)
{
	return k == VOUCH_WHERE_FREE ? "FREE" : k == VOUCH_WHERE_PROTECTED ? "PROTECTED" :
	       k == VOUCH_WHERE_UNKNOWN ? "UNKNOWN" : "?";
}

/* Open name (absolute) and locate the fd with the name asked for. */
static void at(struct vouch_locator *loc, const char *name, struct vouch_location *w)
{
	int fd = open(name, O_RDONLY);

	memset(w, 0x5a, sizeof(*w));
	if (fd < 0) {
		CHECK(fd >= 0, "open %s: %s", name, strerror(errno));
		w->kind = (enum vouch_where)99;
		return;
	}
	vouch_locate(loc, AT_FDCWD, name, fd, 0, w);
	close(fd);
}

static void expect(const struct vouch_location *w, const char *what, enum vouch_where kind,
		   const char *rel, int named)
{
	CHECK(w->kind == kind, "%s: kind %s, want %s", what, kind_name(w->kind), kind_name(kind));
	if (kind != VOUCH_WHERE_PROTECTED || w->kind != kind)
		return;
	CHECK(w->root == 0, "%s: root %d", what, w->root);
	CHECK(!strcmp(w->rel, rel), "%s: rel \"%s\", want \"%s\"", what, w->rel, rel);
	if (named >= 0)
		CHECK(w->named == (named != 0), "%s: named %d, want %d", what, w->named, named);
	CHECK(S_ISREG(w->st.st_mode), "%s: st not filled", what);
}

static bool mounts_ok;

static bool bind_mount(const char *from, const char *to)
{
	if (mount(from, to, NULL, MS_BIND, NULL) == 0)
		return true;
	fprintf(stderr, "bind %s -> %s: %s\n", from, to, strerror(errno));
	return false;
}

/* ---- in this process ---- */

static void test_names(struct vouch_locator *loc)
{
	struct vouch_location w;
	char name[PATH_MAX + 64];
	int dfd, fd;

	at(loc, P("store/A/model.bin"), &w);
	expect(&w, "plain name", VOUCH_WHERE_PROTECTED, "A/model.bin", 1);
	CHECK(!strcmp(w.path, P("store/A/model.bin")), "plain name: path %s", w.path);

	snprintf(name, sizeof(name), "%s/store/./A/../B//model.bin", T);
	at(loc, name, &w);
	expect(&w, "dots", VOUCH_WHERE_PROTECTED, "B/model.bin", 1);

	snprintf(name, sizeof(name), "%s/outside/../store/A/sub/x.bin", T);
	at(loc, name, &w);
	expect(&w, ".. into the root", VOUCH_WHERE_PROTECTED, "A/sub/x.bin", 1);

	/* ".." out of the root: lexically outside, and the file is outside. */
	snprintf(name, sizeof(name), "%s/store/../outside/free.bin", T);
	at(loc, name, &w);
	expect(&w, ".. out of the root", VOUCH_WHERE_FREE, NULL, -1);

	/* Relative names, from a directory fd inside the root. */
	dfd = open(P("store/A"), O_RDONLY | O_DIRECTORY);
	fd = openat(dfd, "../B/model.bin", O_RDONLY);
	CHECK(fd >= 0, "openat ../B/model.bin");
	vouch_locate(loc, dfd, "../B/model.bin", fd, 0, &w);
	expect(&w, "relative ..", VOUCH_WHERE_PROTECTED, "B/model.bin", 1);
	close(fd);
	fd = openat(dfd, "sub/x.bin", O_RDONLY);
	vouch_locate(loc, dfd, "sub/x.bin", fd, 0, &w);
	expect(&w, "relative", VOUCH_WHERE_PROTECTED, "A/sub/x.bin", 1);
	close(fd);
	close(dfd);

	/* The name decides: a name under the root whose file is elsewhere (a
	 * link inside the root to a free file) is still that name; libvouch
	 * then refuses it as a link. */
	at(loc, P("store/A/escape.bin"), &w);
	expect(&w, "link inside the root", VOUCH_WHERE_PROTECTED, "A/escape.bin", 1);

	/* A symlink above the root: the name goes through the root itself. */
	at(loc, P("link/A/model.bin"), &w);
	expect(&w, "symlink above the root", VOUCH_WHERE_PROTECTED, "A/model.bin", 1);

	/* No name (open_by_handle_at): where the fd lives. */
	fd = open(P("store/B/model.bin"), O_RDONLY);
	vouch_locate(loc, AT_FDCWD, NULL, fd, 0, &w);
	expect(&w, "no name", VOUCH_WHERE_PROTECTED, "B/model.bin", 0);
	close(fd);

	/* A hard link outside the root: the protected name, not named. */
	at(loc, P("outside/hl.bin"), &w);
	expect(&w, "hard link outside", VOUCH_WHERE_PROTECTED, "A/model.bin", 0);

	/* A hard link made after the index was built is still caught. */
	CHECK(link(P("store/B/model.bin"), P("outside/hl2.bin")) == 0, "link: %s", strerror(errno));
	at(loc, P("outside/hl2.bin"), &w);
	expect(&w, "hard link made later", VOUCH_WHERE_PROTECTED, "B/model.bin", 0);
	unlink(P("outside/hl2.bin"));

	/* Free files, and directories (listing reads no model). */
	at(loc, P("outside/free.bin"), &w);
	expect(&w, "free file", VOUCH_WHERE_FREE, NULL, -1);
	at(loc, "/etc/hostname", &w);
	expect(&w, "elsewhere", VOUCH_WHERE_FREE, NULL, -1);
	fd = open(P("store/A"), O_RDONLY | O_DIRECTORY);
	vouch_locate(loc, AT_FDCWD, P("store/A"), fd, 0, &w);
	expect(&w, "a directory", VOUCH_WHERE_FREE, NULL, -1);
	close(fd);
	/* A name that only looks like the root's: /x/store-other is not under /x/store. */
	at(loc, P("store-other/model.bin"), &w);
	expect(&w, "prefix look-alike", VOUCH_WHERE_FREE, NULL, -1);
}

static void test_binds(struct vouch_locator *loc)
{
	struct vouch_location w;

	if (!mounts_ok)
		return;
	/* The whole root bound elsewhere: the name passes through the root
	 * directory itself, so the rest of it is the name. */
	at(loc, P("bind/A/model.bin"), &w);
	expect(&w, "bind of the root", VOUCH_WHERE_PROTECTED, "A/model.bin", 1);
	/* A directory below the root bound elsewhere: where the file lives. */
	at(loc, P("bindA/model.bin"), &w);
	expect(&w, "bind of a model dir", VOUCH_WHERE_PROTECTED, "A/model.bin", 0);
	at(loc, P("bindA/sub/x.bin"), &w);
	expect(&w, "bind of a model dir, deeper", VOUCH_WHERE_PROTECTED, "A/sub/x.bin", 0);
	/* No name, through the bind. */
	int fd = open(P("bindA/sub/x.bin"), O_RDONLY);
	vouch_locate(loc, AT_FDCWD, NULL, fd, 0, &w);
	expect(&w, "bind, no name", VOUCH_WHERE_PROTECTED, "A/sub/x.bin", 0);
	close(fd);
}

/* A program that closes every fd and reuses the number: the locator must
 * notice, never hand out (or close) the program's fd, and pin again. */
static void test_root_fd(struct vouch_locator *loc)
{
	struct stat a, b;
	int fd, imp;

	CHECK(!strcmp(vouch_locator_root_path(loc, 0), ROOT), "root path %s", vouch_locator_root_path(loc, 0));
	CHECK(vouch_locator_root_path(loc, 1) == NULL, "root 1 exists");
	CHECK(vouch_locator_root_fd(loc, 1) == -1, "root fd 1 exists");
	fd = vouch_locator_root_fd(loc, 0);
	CHECK(fd >= 0 && fstat(fd, &a) == 0 && S_ISDIR(a.st_mode), "root fd");
	close(fd);
	imp = open(P("outside"), O_RDONLY | O_DIRECTORY);   /* likely takes the number */
	if (imp != fd) {
		dup2(imp, fd);
		close(imp);
	}
	int fd2 = vouch_locator_root_fd(loc, 0);
	CHECK(fd2 >= 0 && fd2 != fd, "re-pinned root fd %d (impostor %d)", fd2, fd);
	CHECK(fd2 >= 0 && fstat(fd2, &b) == 0 && b.st_ino == a.st_ino && b.st_dev == a.st_dev,
	      "re-pinned fd is the root");
	CHECK(fcntl(fd, F_GETFD) >= 0, "the impostor was closed by the locator");
	close(fd);
	struct vouch_location w;
	at(loc, P("store/A/model.bin"), &w);
	expect(&w, "after re-pin", VOUCH_WHERE_PROTECTED, "A/model.bin", 1);
}

/* ---- another process, its own mount namespace ---- */

static int send_fd(int sock, int fd)
{
	char c = 'f';
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	if (fd < 0) {                       /* say "could not open" */
		c = 'x';
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
	}
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &mh, 0) != 1 || c != 'f')
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* What the child opens, in its own namespace, and what each must be. */
enum { C_BOVER, C_ELSEWHERE, C_FREE, C_HLINK, C_PLAIN, C_JAILED, C_N };

static void child(int sock)
{
	int fds[C_N];

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		_exit(2);
	/* Model A's directory over model B's path: B/model.bin is A's file. */
	if (!bind_mount(P("store/A"), P("store/B")) || !bind_mount(P("store/A"), P("elsewhere")) ||
	    !bind_mount(T, P("jail")))
		_exit(3);
	fds[C_BOVER] = open(P("store/B/model.bin"), O_RDONLY);
	fds[C_ELSEWHERE] = open(P("elsewhere/sub/x.bin"), O_RDONLY);
	fds[C_FREE] = open(P("outside/free.bin"), O_RDONLY);
	fds[C_HLINK] = open(P("outside/hl.bin"), O_RDONLY);
	fds[C_PLAIN] = open(P("store/C/model.bin"), O_RDONLY);
	for (int i = 0; i < C_JAILED; i++)
		if (send_fd(sock, fds[i]))
			_exit(4);
	/* Then chrooted (once the parent has located the others) into a bind
	 * of the whole test directory: its mountinfo then shows that mount at
	 * "/", a prefix of every path, and the mount-point arithmetic alone
	 * would put the protected file outside the root (FREE). */
	char c;
	if (read(sock, &c, 1) != 1 || chroot(P("jail")) || chdir("/"))
		_exit(5);
	fds[C_JAILED] = open("/store/C/model.bin", O_RDONLY);
	if (send_fd(sock, fds[C_JAILED]))
		_exit(4);
	/* Hold the fds (and the namespace) until the parent has located them. */
	(void)!read(sock, &c, 1);
	_exit(0);
}

static void locate_as(struct vouch_locator *loc, int fd, const char *name, pid_t pid,
		      struct vouch_location *w)
{
	memset(w, 0x5a, sizeof(*w));
	vouch_locate(loc, AT_FDCWD, name, fd, pid, w);
}

static void test_opener(struct vouch_locator *loc)
{
	struct vouch_location w;
	int sv[2], fds[C_N], st;
	pid_t pid;

	if (!mounts_ok)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		CHECK(0, "socketpair: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		child(sv[1]);
	}
	close(sv[1]);
	for (int i = 0; i < C_JAILED; i++) {
		fds[i] = recv_fd(sv[0]);
		CHECK(fds[i] >= 0, "child fd %d", i);
	}
	fds[C_JAILED] = -1;
	if (fds[C_JAILED - 1] < 0) {
		waitpid(pid, &st, 0);
		CHECK(0, "child exited %d", WEXITSTATUS(st));
		return;
	}

	/* A's file at B's path, in the child's namespace: A's name, never B's,
	 * whatever name is claimed for it. */
	locate_as(loc, fds[C_BOVER], NULL, pid, &w);
	expect(&w, "A over B, no name", VOUCH_WHERE_PROTECTED, "A/model.bin", 0);
	locate_as(loc, fds[C_BOVER], P("store/B/model.bin"), pid, &w);
	expect(&w, "A over B, B's name claimed", VOUCH_WHERE_PROTECTED, "A/model.bin", 0);
	CHECK(strcmp(w.rel, "B/model.bin"), "A's file located as B's");
	/* The same fd handed over as if we had opened it (opener 0): the name
	 * decides (named), and libvouch's identity check refuses it later; but
	 * without a name, where it lives is read in our namespace only. */
	locate_as(loc, fds[C_BOVER], NULL, 0, &w);
	CHECK(w.kind != VOUCH_WHERE_PROTECTED || strcmp(w.rel, "B/model.bin"),
	      "opener 0: A's file located as B's");

	locate_as(loc, fds[C_ELSEWHERE], NULL, pid, &w);
	expect(&w, "bind outside the root", VOUCH_WHERE_PROTECTED, "A/sub/x.bin", 0);
	locate_as(loc, fds[C_FREE], NULL, pid, &w);
	expect(&w, "free file, same filesystem", VOUCH_WHERE_FREE, NULL, -1);
	locate_as(loc, fds[C_HLINK], NULL, pid, &w);
	expect(&w, "hard link, other namespace", VOUCH_WHERE_PROTECTED, "A/model.bin", 0);
	locate_as(loc, fds[C_PLAIN], NULL, pid, &w);
	expect(&w, "plain, other namespace", VOUCH_WHERE_PROTECTED, "C/model.bin", 0);
	/* Chrooted: its mount points do not prefix the kernel's path: never
	 * FREE, never a wrong name. */
	(void)!write(sv[0], "c", 1);
	fds[C_JAILED] = recv_fd(sv[0]);
	CHECK(fds[C_JAILED] >= 0, "jailed fd");
	locate_as(loc, fds[C_JAILED], NULL, pid, &w);
	CHECK(w.kind == VOUCH_WHERE_UNKNOWN ||
	      (w.kind == VOUCH_WHERE_PROTECTED && !strcmp(w.rel, "C/model.bin")),
	      "chrooted opener: %s %s", kind_name(w.kind), w.rel);
	/* Our own process as opener: same view, the name decides as for 0. */
	int fd = open(P("store/C/model.bin"), O_RDONLY);
	locate_as(loc, fd, P("store/C/model.bin"), getpid(), &w);
	expect(&w, "opener is us, named", VOUCH_WHERE_PROTECTED, "C/model.bin", 1);
	locate_as(loc, fd, NULL, getpid(), &w);
	expect(&w, "opener is us, no name", VOUCH_WHERE_PROTECTED, "C/model.bin", 0);
	close(fd);

	/* The opener is gone: its mounts cannot be read.  A file on the
	 * protected filesystem is UNKNOWN (fail closed), never B's. */
	(void)!write(sv[0], "q", 1);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	locate_as(loc, fds[C_ELSEWHERE], NULL, pid, &w);
	CHECK(w.kind == VOUCH_WHERE_UNKNOWN, "opener gone, bind: %s %s", kind_name(w.kind), w.rel);
	/* A's file (which has a hard link) is still known by identity: A's name. */
	locate_as(loc, fds[C_BOVER], NULL, pid, &w);
	CHECK(w.kind == VOUCH_WHERE_UNKNOWN || (w.kind == VOUCH_WHERE_PROTECTED &&
	      !strcmp(w.rel, "A/model.bin") && !w.named),
	      "opener gone, A over B: %s %s", kind_name(w.kind), w.rel);
	locate_as(loc, fds[C_FREE], NULL, pid, &w);
	CHECK(w.kind == VOUCH_WHERE_UNKNOWN, "opener gone, same filesystem: %s", kind_name(w.kind));
	locate_as(loc, fds[C_HLINK], NULL, pid, &w);
	expect(&w, "opener gone, hard link by identity", VOUCH_WHERE_PROTECTED, "A/model.bin", 0);
	for (int i = 0; i < C_N; i++)
		close(fds[i]);
	close(sv[0]);
}

static void setup(void)
{
	static const char *const dirs[] = {
		"store", "store/A", "store/A/sub", "store/B", "store/C", "outside", "bind", "bindA",
		"elsewhere", "jail", "store-other",
	};
	char tmpl[PATH_MAX];
	const char *tmp = getenv("TMPDIR");

	snprintf(tmpl, sizeof(tmpl), "%s/test_locate.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl) || !realpath(tmpl, T)) {
		perror("mkdtemp");
		exit(1);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(P(dirs[i]), 0755)) {
			perror(dirs[i]);
			exit(1);
		}
	put("store/A/model.bin", "A");
	put("store/A/sub/x.bin", "x");
	put("store/B/model.bin", "B");
	put("store/C/model.bin", "C");
	put("outside/free.bin", "free");
	put("store-other/model.bin", "other");
	if (link(P("store/A/model.bin"), P("outside/hl.bin")) ||
	    symlink(P("store"), P("link")) || symlink(P("outside/free.bin"), P("store/A/escape.bin"))) {
		perror("link");
		exit(1);
	}
	snprintf(ROOT, sizeof(ROOT), "%s/store", T);
	/* A private mount namespace for the whole test: nothing leaks out. */
	mounts_ok = geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		    bind_mount(P("store"), P("bind")) && bind_mount(P("store/A"), P("bindA"));
	if (!mounts_ok)
		fprintf(stderr, "SKIP (in part): bind mounts and namespaces need root\n");
}

static void cleanup(void)
{
	char cmd[PATH_MAX + 32];

	if (mounts_ok) {
		umount2(P("bindA"), MNT_DETACH);
		umount2(P("bind"), MNT_DETACH);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
	(void)!system(cmd);
}

int main(void)
{
	struct vouch_locator *loc = NULL;
	char *roots[1];
	char messy[PATH_MAX + 32];

	setup();
	/* Roots are normalised by the locator. */
	snprintf(messy, sizeof(messy), "%s/./outside/../store/", T);
	roots[0] = messy;
	CHECK(vouch_locator_new(roots, 1, &loc) == 0 && loc, "vouch_locator_new");
	if (!loc)
		return 1;
	test_names(loc);
	test_binds(loc);
	test_opener(loc);
	test_root_fd(loc);
	vouch_locator_free(loc);

	/* A root that does not exist yet is pinned once it does. */
	char later[PATH_MAX + 32];
	snprintf(later, sizeof(later), "%s/later", T);
	roots[0] = later;
	CHECK(vouch_locator_new(roots, 1, &loc) == 0, "locator for a missing root");
	CHECK(vouch_locator_root_fd(loc, 0) < 0, "missing root pinned");
	mkdir(later, 0755);
	put("later/m.bin", "m");
	usleep(1200 * 1000);        /* missing roots are retried at the next refresh (1 s) */
	struct vouch_location w;
	int fd = open(P("later/m.bin"), O_RDONLY);
	vouch_locate(loc, AT_FDCWD, NULL, fd, 0, &w);
	CHECK(w.kind == VOUCH_WHERE_PROTECTED && !strcmp(w.rel, "m.bin"),
	      "root made later: %s %s", kind_name(w.kind), w.rel);
	CHECK(vouch_locator_root_fd(loc, 0) >= 0, "root made later not pinned");
	close(fd);
	vouch_locator_free(loc);
	vouch_locator_free(NULL);

	cleanup();
	CHECK_EXIT();
}
