/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ask.c - the little protocol between a process that opened a file (the
 * shim) and vouchd, the host's verifier: "here is my fd and the name I asked
 * for" -> "allow or deny, cause, detail".
 *
 * One request, one reply, on a connected AF_UNIX SOCK_SEQPACKET socket
 * (message boundaries kept, peer credentials known to the server).  All
 * integers little-endian, version 1:
 *
 *   request  "VASK" u16 version=1 u16 kind=1 u32 namelen  name[namelen]
 *            + exactly one fd (SCM_RIGHTS): the open file to decide on
 *   reply    "VASK" u16 version=1 u16 kind=2 u8 allow u8 0 u8 0 u8 0
 *            u32 cause u16 detaillen u16 0  detail[detaillen]
 *
 * name: "" (the client did not locate the fd by its name: the server
 * locates it) or an absolute path without NUL, shorter than
 * VOUCH_ASK_NAME_MAX.  detail: at most 255 bytes, no NUL.  Anything else is
 * malformed and refused whole: a message too long (MSG_TRUNC), fds that do
 * not fit or are not exactly one, a wrong magic, version, kind or length.
 * Every fd that arrives with a refused message is closed, so a hostile peer
 * cannot fill the receiver's fd table.
 *
 * The client waits VOUCH_ASK_TIMEOUT_MS for the reply (why that long: see
 * below) and never blocks on a send; the server never blocks on its reply
 * (a client that does not read its replies is dropped).  There is no
 * request id: after any failed vouch_ask the connection must be closed, or
 * a late reply would answer the next request.
 *
 * Owns no state.  Never prints, never decides.
 */
#include "vouch_i.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ASK_MAGIC        "VASK"
#define ASK_VERSION      1
#define ASK_KIND_REQUEST 1
#define ASK_KIND_REPLY   2
#define ASK_REQ_HDR      12
#define ASK_REP_HDR      20
#define ASK_DETAIL_MAX   255
/* How many fds a refused message may carry and still have all of them
 * closed here: past this the kernel discards the rest itself (MSG_CTRUNC). */
#define ASK_MAX_FDS      8
/* The reply can take as long as the first hash of the file: vouchd answers
 * after verifying, and every process opening a model it is hashing waits
 * for that one hash (a 10 GB model: tens of seconds; hundreds of GB, or a
 * host busy hashing several, minutes).  A vouchd that died is seen at once
 * (the connection closes); this bound is for one that hangs, so it must
 * exceed the slowest honest first open rather than be short.  5 minutes.
 * docs/preload.md says so. */
#define VOUCH_ASK_TIMEOUT_MS (300 * 1000)
/* Not part of the API: the unit test shortens it (tests/unit/test_ask.c). */
int vouch_ask_timeout_ms = VOUCH_ASK_TIMEOUT_MS;

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for ev on s until the deadline (monotonic ms).  0, -ETIMEDOUT, -errno. */
static int wait_for(int s, short ev, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = s, .events = ev };
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		int n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		/* POLLHUP/POLLERR: the call that follows says what happened. */
		return 0;
	}
}

/* Collect every fd that came with a message (the caller hands out or
 * closes each).  Returns how many; *bad when the control data was truncated
 * (more fds than fit: the kernel dropped the rest).  Other control messages
 * (SCM_CREDENTIALS, should a server turn SO_PASSCRED on) carry no fd and
 * are ignored. */
static int take_fds(struct msghdr *mh, int *fds, int max, bool *bad)
{
	int n = 0;

	*bad = (mh->msg_flags & MSG_CTRUNC) != 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < max)
				fds[n++] = f;
			else
				close(f);       /* cannot happen with our buffer; never leak */
		}
	}
	return n;
}

static void close_all(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

int vouch_ask(int sock, int fd, const char *abs_name, struct vouch_ask_reply *out)
{
	unsigned char req[ASK_REQ_HDR + VOUCH_ASK_NAME_MAX];
	unsigned char rep[ASK_REP_HDR + ASK_DETAIL_MAX + 1];
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int) * ASK_MAX_FDS)]; } ctl;
	struct iovec iov;
	struct msghdr mh;
	int64_t deadline = mono_ms() + vouch_ask_timeout_ms;
	size_t namelen;
	ssize_t n;
	int ret, fds[ASK_MAX_FDS], nfds;
	bool ctrunc;

	memset(out, 0, sizeof(*out));
	out->cause = VOUCH_CAUSE_IO_ERROR;
	if (fd < 0 || sock < 0)
		return -EBADF;
	if (!abs_name)
		abs_name = "";
	namelen = strnlen(abs_name, VOUCH_ASK_NAME_MAX);
	if (namelen >= VOUCH_ASK_NAME_MAX)
		return -ENAMETOOLONG;
	if (namelen && abs_name[0] != '/')
		return -EINVAL;
	memcpy(req, ASK_MAGIC, 4);
	put16(req + 4, ASK_VERSION);
	put16(req + 6, ASK_KIND_REQUEST);
	put32(req + 8, (uint32_t)namelen);
	memcpy(req + ASK_REQ_HDR, abs_name, namelen);

	memset(&ctl, 0, sizeof(ctl));
	iov = (struct iovec){ .iov_base = req, .iov_len = ASK_REQ_HDR + namelen };
	mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			      .msg_controllen = CMSG_SPACE(sizeof(int)) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	/* Never block on the send: a vouchd that stopped reading is a hung one. */
	for (;;) {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if ((ret = wait_for(sock, POLLOUT, deadline)))
			return ret;
	}
	if ((size_t)n != iov.iov_len)
		return -EPROTO;

	for (;;) {
		iov = (struct iovec){ .iov_base = rep, .iov_len = sizeof(rep) };
		mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
				      .msg_controllen = sizeof(ctl.b) };
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if ((ret = wait_for(sock, POLLIN, deadline)))
			return ret;
	}
	if (n == 0)
		return -ECONNRESET;
	/* A reply carries no fd: one pushed at us is closed, and the reply is void. */
	nfds = take_fds(&mh, fds, ASK_MAX_FDS, &ctrunc);
	close_all(fds, nfds);
	if (nfds || ctrunc || (mh.msg_flags & MSG_TRUNC) || n < ASK_REP_HDR ||
	    memcmp(rep, ASK_MAGIC, 4) || get16(rep + 4) != ASK_VERSION ||
	    get16(rep + 6) != ASK_KIND_REPLY || rep[8] > 1 || rep[9] || rep[10] || rep[11] ||
	    get32(rep + 12) >= VOUCH_CAUSE__COUNT || get16(rep + 16) > ASK_DETAIL_MAX ||
	    get16(rep + 18) || (size_t)n != ASK_REP_HDR + (size_t)get16(rep + 16) ||
	    memchr(rep + ASK_REP_HDR, '\0', get16(rep + 16)))
		return -EBADMSG;
	out->allow = rep[8] == 1;
	out->cause = (enum vouch_cause)get32(rep + 12);
	memcpy(out->detail, rep + ASK_REP_HDR, get16(rep + 16));
	out->detail[get16(rep + 16)] = '\0';
	return 0;
}

int vouch_ask_read(int conn, int *fd, char *name, size_t namelen)
{
	unsigned char req[ASK_REQ_HDR + VOUCH_ASK_NAME_MAX + 1];
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int) * ASK_MAX_FDS)]; } ctl;
	struct iovec iov = { .iov_base = req, .iov_len = sizeof(req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	int fds[ASK_MAX_FDS], nfds;
	bool ctrunc;
	uint32_t len;
	ssize_t n;

	*fd = -1;
	if (namelen)
		name[0] = '\0';
	do
		n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET ? -ECONNRESET : -errno;
	nfds = take_fds(&mh, fds, ASK_MAX_FDS, &ctrunc);
	if (n == 0 && nfds == 0 && !ctrunc)
		return -ECONNRESET;
	if (nfds != 1 || ctrunc || (mh.msg_flags & MSG_TRUNC) || n < ASK_REQ_HDR ||
	    memcmp(req, ASK_MAGIC, 4) || get16(req + 4) != ASK_VERSION ||
	    get16(req + 6) != ASK_KIND_REQUEST)
		goto bad;
	len = get32(req + 8);
	if (len >= VOUCH_ASK_NAME_MAX || (size_t)n != ASK_REQ_HDR + len || len >= namelen ||
	    memchr(req + ASK_REQ_HDR, '\0', len) || (len && req[ASK_REQ_HDR] != '/'))
		goto bad;
	memcpy(name, req + ASK_REQ_HDR, len);
	name[len] = '\0';
	*fd = fds[0];
	return 0;
bad:
	close_all(fds, nfds);
	return (mh.msg_flags & MSG_TRUNC) ? -EMSGSIZE : -EBADMSG;
}

int vouch_ask_send(int conn, const struct vouch_ask_reply *r)
{
	unsigned char rep[ASK_REP_HDR + ASK_DETAIL_MAX];
	size_t dlen = strnlen(r->detail, sizeof(r->detail));
	ssize_t n;

	if (dlen > ASK_DETAIL_MAX)
		dlen = ASK_DETAIL_MAX;          /* a detail is a hint: cut, never refuse */
	if ((unsigned)r->cause >= VOUCH_CAUSE__COUNT)
		return -EINVAL;
	memset(rep, 0, ASK_REP_HDR);
	memcpy(rep, ASK_MAGIC, 4);
	put16(rep + 4, ASK_VERSION);
	put16(rep + 6, ASK_KIND_REPLY);
	rep[8] = r->allow ? 1 : 0;
	put32(rep + 12, (uint32_t)r->cause);
	put16(rep + 16, (uint16_t)dlen);
	memcpy(rep + ASK_REP_HDR, r->detail, dlen);
	/* Never block the server on a client that does not read its replies:
	 * EAGAIN here means drop that connection. */
	do
		n = send(conn, rep, ASK_REP_HDR + dlen, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == ASK_REP_HDR + dlen ? 0 : -EPROTO;
}
