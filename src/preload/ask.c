/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ask.c - the shim's connections to vouchd (vouchd_socket): which socket a
 * thread asks through, and when a connection is made, kept or dropped.  The
 * message itself is libvouch's (vouch_ask).
 *
 * Rules it keeps, and why:
 *  - Normally one connection per process, kept open: a connect per open
 *    would cost more than vouchd's cached verdict.  A thread takes an idle
 *    connection for its one request; threads asking at the same time (one
 *    waits for a 10 GB hash, another opens a tokenizer) each get their own,
 *    so no thread waits behind another's hash.  At most ASK_CONNS are kept.
 *  - The fd numbers are checked to still be our sockets before every use:
 *    a program that closes every fd (daemons at start-up) may have taken a
 *    number over, and writing to it would write into the program's file.
 *    A number that is no longer ours is forgotten, never closed.
 *  - After fork the parent's connections are not the child's: a reply meant
 *    for the parent could be read by the child.  The child closes its copies
 *    (atfork) and connects anew; a child made without atfork (raw clone) is
 *    recognised by its pid and forgets them.
 *  - Any failed request drops its connection (a late reply would answer the
 *    next request).  A kept connection that fails before a reply (vouchd
 *    restarted: EPIPE, ECONNRESET) is retried once on a new one.
 *  - vouchd must be root or this process's own user (SO_PEERCRED): the
 *    socket's directory is root's, but a verdict from a stranger who got a
 *    socket there would be a bypass.
 * Owns: those connections.  Decides nothing.
 */
#include "preload_i.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Connections kept per process (idle or in use).  More threads asking at
 * once connect for the one request and close after it. */
#define ASK_CONNS        16
/* A listen backlog full (vouchd swamped at start-up) makes a non-blocking
 * connect say EAGAIN: retry for this long, then fail closed. */
#define ASK_CONNECT_MS   10000
#define ASK_CONNECT_STEP_MS 10

struct conn {
	int   fd;                  /* -1: free slot */
	dev_t dev;                 /* the socket's identity when we made it */
	ino_t ino;
	bool  busy;
};

static struct {
	pthread_mutex_t lock;
	pid_t           pid;       /* the process the connections belong to */
	struct conn     c[ASK_CONNS];
} A = { .lock = PTHREAD_MUTEX_INITIALIZER, .c = { [0 ... ASK_CONNS - 1] = { .fd = -1 } } };

static bool conn_ours(const struct conn *c)
{
	struct stat st;

	return c->fd >= 0 && fstat(c->fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	       st.st_dev == c->dev && st.st_ino == c->ino;
}

/* Under A.lock: a process that forked without atfork (raw clone) holds the
 * parent's numbers: forget them (they are copies; closing is not needed for
 * correctness and the numbers may already be the program's). */
static void own_pid(void)
{
	pid_t me = getpid();

	if (A.pid == me)
		return;
	for (size_t i = 0; i < ASK_CONNS; i++)
		A.c[i] = (struct conn){ .fd = -1 };
	A.pid = me;
}

/* An idle kept connection, marked busy; -1 if none. */
static int conn_take(void)
{
	int slot = -1;

	pthread_mutex_lock(&A.lock);
	own_pid();
	for (size_t i = 0; i < ASK_CONNS && slot < 0; i++) {
		struct conn *c = &A.c[i];
		if (c->fd < 0 || c->busy)
			continue;
		if (!conn_ours(c)) {
			c->fd = -1;        /* taken over by the program: not ours to close */
			continue;
		}
		c->busy = true;
		slot = (int)i;
	}
	pthread_mutex_unlock(&A.lock);
	return slot;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect to vouchd and check who it is.  Returns the socket or -errno. */
static int conn_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int64_t deadline = mono_ms() + ASK_CONNECT_MS;
	int s, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	while (connect(s, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || mono_ms() >= deadline) {
			ret = -errno;
			goto fail;
		}
		poll(NULL, 0, ASK_CONNECT_STEP_MS);
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		ret = -errno;
		goto fail;
	}
	if (cred.uid != 0 && cred.uid != geteuid()) {
		ret = -EPERM;
		goto fail;
	}
	return s;
fail:
	close(s);
	return ret;
}

/* Keep a fresh connection if there is room; the slot, or -1 (use it once). */
static int conn_keep(int s)
{
	struct stat st;
	int slot = -1;

	if (fstat(s, &st) < 0)
		return -1;
	pthread_mutex_lock(&A.lock);
	own_pid();
	for (size_t i = 0; i < ASK_CONNS && slot < 0; i++) {
		if (A.c[i].fd >= 0)
			continue;
		A.c[i] = (struct conn){ .fd = s, .dev = st.st_dev, .ino = st.st_ino, .busy = true };
		slot = (int)i;
	}
	pthread_mutex_unlock(&A.lock);
	return slot;
}

/* Done with a connection: back to idle, or dropped (failed, or not kept). */
static void conn_put(int slot, int s, bool ok)
{
	if (slot < 0) {
		close(s);
		return;
	}
	pthread_mutex_lock(&A.lock);
	struct conn *c = &A.c[slot];
	if (c->fd == s && A.pid == getpid()) {
		if (ok) {
			c->busy = false;
		} else {
			/* Still ours (checked): close it; otherwise only forget it. */
			if (conn_ours(c))
				close(s);
			c->fd = -1;
			c->busy = false;
		}
	}
	pthread_mutex_unlock(&A.lock);
}

int shim_ask(const char *sock_path, int fd, const char *name, struct vouch_ask_reply *out)
{
	int ret = -ECONNREFUSED;

	for (int attempt = 0; attempt < 2; attempt++) {
		int slot = attempt == 0 ? conn_take() : -1;
		bool reused = slot >= 0;
		int s;

		if (reused) {
			s = A.c[slot].fd;
		} else {
			s = conn_open(sock_path);
			if (s < 0)
				return s;
			slot = conn_keep(s);
		}
		ret = vouch_ask(s, fd, name, out);
		conn_put(slot, s, ret == 0);
		if (ret == 0)
			return 0;
		/* A kept connection vouchd closed since (a restart): once more on
		 * a new one.  A timeout is not retried: the wait would double. */
		if (!reused || !(ret == -EPIPE || ret == -ECONNRESET || ret == -ENOTCONN))
			break;
	}
	return ret;
}

void shim_ask_atfork_prepare(void)
{
	pthread_mutex_lock(&A.lock);
}

void shim_ask_atfork_parent(void)
{
	pthread_mutex_unlock(&A.lock);
}

void shim_ask_atfork_child(void)
{
	/* Runs before the child's own code: every number recorded is still
	 * the socket we made, unless the program had taken one over in the
	 * parent (checked). */
	for (size_t i = 0; i < ASK_CONNS; i++) {
		if (conn_ours(&A.c[i]))
			close(A.c[i].fd);
		A.c[i] = (struct conn){ .fd = -1 };
	}
	A.pid = getpid();
	pthread_mutex_init(&A.lock, NULL);
}
