/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ask.c - the shim <-> vouchd message (ask.c): a round trip over a
 * SOCK_SEQPACKET socketpair with the fd really passed (same open file:
 * same inode, shared offset), and everything a hostile or broken peer can
 * send instead: oversize, truncated, wrong magic/version/kind, lengths that
 * lie, NUL or relative names, no fd, several fds, more fds than fit, an fd
 * pushed back with a reply, a reply that never comes (timeout), a peer that
 * closed.  Every fd that arrives with a refused message must be closed: the
 * fd table is counted before and after.
 *
 * The test is its own peer: a reply is queued before vouch_ask is called,
 * so nothing needs a thread.
 */
#include "vouch_i.h"
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern int vouch_ask_timeout_ms;        /* ask.c: not API, shortened here */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		perror("socketpair");
		exit(1);
	}
}

/* Send raw bytes with nfds copies of fd attached. */
static int raw_send(int s, const void *buf, size_t len, int fd, int nfds)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int) * 300)]; } ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[300];

	if (nfds > 0) {
		for (int i = 0; i < nfds; i++)
			fds[i] = fd;
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

/* A request as ask.c's header comment documents it. */
static size_t request(unsigned char *b, const char *magic, unsigned ver, unsigned kind,
		      uint32_t claimed, const char *name, size_t namelen)
{
	memcpy(b, magic, 4);
	b[4] = (unsigned char)ver; b[5] = (unsigned char)(ver >> 8);
	b[6] = (unsigned char)kind; b[7] = (unsigned char)(kind >> 8);
	for (int i = 0; i < 4; i++)
		b[8 + i] = (unsigned char)(claimed >> (8 * i));
	memcpy(b + 12, name, namelen);
	return 12 + namelen;
}

static size_t reply(unsigned char *b, unsigned kind, unsigned allow, uint32_t cause,
		    uint16_t claimed, const char *detail, size_t dlen)
{
	memset(b, 0, 20);
	memcpy(b, "VASK", 4);
	b[4] = 1;
	b[6] = (unsigned char)kind;
	b[8] = (unsigned char)allow;
	for (int i = 0; i < 4; i++)
		b[12 + i] = (unsigned char)(cause >> (8 * i));
	b[16] = (unsigned char)claimed;
	b[17] = (unsigned char)(claimed >> 8);
	memcpy(b + 20, detail, dlen);
	return 20 + dlen;
}

static int probe_file(void)
{
	char tmpl[] = "/tmp/test_ask.XXXXXX";
	int fd = mkstemp(tmpl);

	if (fd < 0 || write(fd, "0123456789", 10) != 10) {
		perror("mkstemp");
		exit(1);
	}
	unlink(tmpl);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void test_round_trip(int file)
{
	struct vouch_ask_reply out, r = { .allow = false, .cause = VOUCH_CAUSE_HASH_MISMATCH };
	char name[VOUCH_ASK_NAME_MAX];
	struct stat a, b;
	int sv[2], fd = -1;

	pair(sv);
	snprintf(r.detail, sizeof(r.detail), "model.bin: digest differs");
	CHECK(vouch_ask_send(sv[1], &r) == 0, "send reply");
	CHECK(vouch_ask(sv[0], file, "/srv/models/m/model.bin", &out) == 0, "ask");
	CHECK(!out.allow && out.cause == VOUCH_CAUSE_HASH_MISMATCH, "reply: %d %d", out.allow, out.cause);
	CHECK(!strcmp(out.detail, "model.bin: digest differs"), "detail: %s", out.detail);
	CHECK(vouch_ask_read(sv[1], &fd, name, sizeof(name)) == 0, "read request");
	CHECK(!strcmp(name, "/srv/models/m/model.bin"), "name: %s", name);
	CHECK(fd >= 0 && fd != file, "fd %d", fd);
	CHECK(fd >= 0 && fstat(fd, &a) == 0 && fstat(file, &b) == 0 && a.st_ino == b.st_ino &&
	      a.st_dev == b.st_dev, "the same file");
	/* The same open file description: the offset is shared. */
	lseek(file, 3, SEEK_SET);
	CHECK(fd >= 0 && lseek(fd, 0, SEEK_CUR) == 3, "offset shared");
	lseek(file, 0, SEEK_SET);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "received fd is close-on-exec");
	if (fd >= 0)
		close(fd);

	/* An allow, no name, the longest detail (cut at 255). */
	memset(&r, 0, sizeof(r));
	r.allow = true;
	memset(r.detail, 'd', sizeof(r.detail) - 1);
	CHECK(vouch_ask_send(sv[1], &r) == 0, "send long detail");
	CHECK(vouch_ask(sv[0], file, "", &out) == 0 && out.allow && out.cause == VOUCH_CAUSE_OK,
	      "allow reply");
	CHECK(strlen(out.detail) == 255, "detail cut to 255: %zu", strlen(out.detail));
	CHECK(vouch_ask_read(sv[1], &fd, name, sizeof(name)) == 0 && name[0] == '\0', "empty name");
	close(fd);
	/* NULL name is "" too. */
	CHECK(vouch_ask_send(sv[1], &r) == 0, "send");
	CHECK(vouch_ask(sv[0], file, NULL, &out) == 0, "NULL name");
	CHECK(vouch_ask_read(sv[1], &fd, name, sizeof(name)) == 0 && name[0] == '\0', "NULL name read");
	close(fd);
	/* The longest name that fits. */
	char longname[VOUCH_ASK_NAME_MAX];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	CHECK(vouch_ask_send(sv[1], &r) == 0, "send");
	CHECK(vouch_ask(sv[0], file, longname, &out) == 0, "longest name");
	CHECK(vouch_ask_read(sv[1], &fd, name, sizeof(name)) == 0 && !strcmp(name, longname),
	      "longest name read");
	close(fd);
	/* The server's end, closed: the reader sees the end. */
	close(sv[0]);
	CHECK(vouch_ask_read(sv[1], &fd, name, sizeof(name)) == -ECONNRESET && fd == -1, "end");
	close(sv[1]);
}

static void test_client_refuses(int file)
{
	struct vouch_ask_reply out, r = { .allow = true };
	unsigned char b[1024];
	char name[VOUCH_ASK_NAME_MAX + 8];
	int sv[2], before;

	pair(sv);
	/* Arguments. */
	memset(name, 'x', sizeof(name));
	name[0] = '/';
	name[VOUCH_ASK_NAME_MAX] = '\0';
	CHECK(vouch_ask(sv[0], file, name, &out) == -ENAMETOOLONG, "too long a name");
	CHECK(vouch_ask(sv[0], file, "relative/name", &out) == -EINVAL, "relative name");
	CHECK(vouch_ask(sv[0], -1, "/a", &out) == -EBADF, "no fd");
	CHECK(!out.allow, "a failed ask must not read as allow");

	/* Replies that are not replies. */
	struct { const char *what; size_t len; } bad[8];
	int nb = 0;
	unsigned char rb[8][300];
	bad[nb].what = "request kind"; bad[nb].len = reply(rb[nb], 1, 1, 0, 0, "", 0); nb++;
	bad[nb].what = "allow = 2"; bad[nb].len = reply(rb[nb], 2, 2, 0, 0, "", 0); nb++;
	bad[nb].what = "cause out of range"; bad[nb].len = reply(rb[nb], 2, 0, VOUCH_CAUSE__COUNT, 0, "", 0); nb++;
	bad[nb].what = "detail longer than said"; bad[nb].len = reply(rb[nb], 2, 0, 1, 2, "abcd", 4); nb++;
	bad[nb].what = "detail shorter than said"; bad[nb].len = reply(rb[nb], 2, 0, 1, 9, "abcd", 4); nb++;
	bad[nb].what = "NUL in detail"; bad[nb].len = reply(rb[nb], 2, 0, 1, 3, "a\0b", 3); nb++;
	bad[nb].what = "truncated header"; bad[nb].len = 11; reply(rb[nb], 2, 1, 0, 0, "", 0); nb++;
	bad[nb].what = "wrong magic"; bad[nb].len = reply(rb[nb], 2, 1, 0, 0, "", 0); rb[nb][0] = 'X'; nb++;
	for (int i = 0; i < nb; i++) {
		int fd;
		CHECK(raw_send(sv[1], rb[i], bad[i].len, -1, 0) == 0, "queue %s", bad[i].what);
		memset(&out, 0x5a, sizeof(out));
		CHECK(vouch_ask(sv[0], file, "/a", &out) == -EBADMSG, "reply: %s", bad[i].what);
		CHECK(!out.allow, "%s read as allow", bad[i].what);
		CHECK(vouch_ask_read(sv[1], &fd, name, VOUCH_ASK_NAME_MAX) == 0, "request %s", bad[i].what);
		close(fd);
	}
	/* A reply far too long (oversize: MSG_TRUNC). */
	unsigned char big[2048];
	size_t bl = reply(big, 2, 1, 0, 255, "", 0);
	memset(big + bl, 'z', sizeof(big) - bl);
	CHECK(raw_send(sv[1], big, sizeof(big), -1, 0) == 0, "queue oversize");
	CHECK(vouch_ask(sv[0], file, "/a", &out) == -EBADMSG, "oversize reply");
	{ int fd; vouch_ask_read(sv[1], &fd, name, VOUCH_ASK_NAME_MAX); close(fd); }

	/* A good reply with an fd pushed at the client: refused, fd closed. */
	before = count_fds();
	size_t l = reply(b, 2, 1, 0, 0, "", 0);
	CHECK(raw_send(sv[1], b, l, file, 3) == 0, "queue reply with fds");
	CHECK(vouch_ask(sv[0], file, "/a", &out) == -EBADMSG && !out.allow, "reply with fds");
	{ int fd; vouch_ask_read(sv[1], &fd, name, VOUCH_ASK_NAME_MAX); close(fd); }
	CHECK(count_fds() == before, "fds pushed with a reply leaked: %d -> %d", before, count_fds());

	/* No reply at all: the client gives up at its timeout. */
	int saved = vouch_ask_timeout_ms;
	struct timespec t0, t1;
	vouch_ask_timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(vouch_ask(sv[0], file, "/a", &out) == -ETIMEDOUT && !out.allow, "timeout");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 250 && ms < 5000, "timeout after %ld ms", ms);
	vouch_ask_timeout_ms = saved;
	{ int fd; vouch_ask_read(sv[1], &fd, name, VOUCH_ASK_NAME_MAX); close(fd); }

	/* vouchd gone: before the question, and between question and reply. */
	close(sv[1]);
	int ret = vouch_ask(sv[0], file, "/a", &out);
	CHECK((ret == -EPIPE || ret == -ECONNRESET) && !out.allow, "peer closed: %d", ret);
	close(sv[0]);
	(void)r;
}

static void test_server_refuses(int file)
{
	unsigned char b[VOUCH_ASK_NAME_MAX + 64];
	char name[VOUCH_ASK_NAME_MAX];
	int sv[2], fd, before;
	size_t l;

	pair(sv);
	before = count_fds();
	struct { const char *what; size_t len; int nfds; int want; } c[16];
	unsigned char mb[16][VOUCH_ASK_NAME_MAX + 64];
	int n = 0;
	c[n] = (typeof(c[0])){ "no fd", request(mb[n], "VASK", 1, 1, 2, "/a", 2), 0, -EBADMSG }; n++;
	c[n] = (typeof(c[0])){ "two fds", request(mb[n], "VASK", 1, 1, 2, "/a", 2), 2, -EBADMSG }; n++;
	c[n] = (typeof(c[0])){ "300 fds", request(mb[n], "VASK", 1, 1, 2, "/a", 2), 200, -EBADMSG }; n++;
	c[n] = (typeof(c[0])){ "wrong magic", request(mb[n], "VASX", 1, 1, 2, "/a", 2), 1, -EBADMSG }; n++;
	c[n] = (typeof(c[0])){ "version 2", request(mb[n], "VASK", 2, 1, 2, "/a", 2), 1, -EBADMSG }; n++;
	c[n] = (typeof(c[0])){ "reply kind", request(mb[n], "VASK", 1, 2, 2, "/a", 2), 1, -EBADMSG }; n++;
	c[n] = (typeof(c[0])){ "length says more", request(mb[n], "VASK", 1, 1, 10, "/a", 2), 1, -EBADMSG }; n++;
	c[n] = (typeof(c[0])){ "length says less", request(mb[n], "VASK", 1, 1, 1, "/a", 2), 1, -EBADMSG }; n++;
	c[n] = (typeof(c[0])){ "huge length", request(mb[n], "VASK", 1, 1, 0xffffffffu, "/a", 2), 1, -EBADMSG }; n++;
	c[n] = (typeof(c[0])){ "NUL in name", request(mb[n], "VASK", 1, 1, 4, "/a\0b", 4), 1, -EBADMSG }; n++;
	c[n] = (typeof(c[0])){ "relative name", request(mb[n], "VASK", 1, 1, 3, "a/b", 3), 1, -EBADMSG }; n++;
	c[n] = (typeof(c[0])){ "short header", 8, 1, -EBADMSG }; request(mb[n], "VASK", 1, 1, 0, "", 0); n++;
	/* A name of VOUCH_ASK_NAME_MAX bytes (no room for the NUL) and more. */
	memset(name, 'q', sizeof(name));
	name[0] = '/';
	c[n] = (typeof(c[0])){ "name at the max", request(mb[n], "VASK", 1, 1, VOUCH_ASK_NAME_MAX, name,
							    VOUCH_ASK_NAME_MAX), 1, -EBADMSG }; n++;
	for (int i = 0; i < n; i++) {
		CHECK(raw_send(sv[0], mb[i], c[i].len, file, c[i].nfds) == 0, "send %s", c[i].what);
		fd = 12345;
		int ret = vouch_ask_read(sv[1], &fd, name, sizeof(name));
		CHECK(ret == c[i].want, "%s: %d, want %d", c[i].what, ret, c[i].want);
		CHECK(fd == -1, "%s: fd handed out", c[i].what);
	}
	/* Oversize: far past the largest request. */
	l = request(b, "VASK", 1, 1, 2, "/a", 2);
	memset(b + l, 'o', sizeof(b) - l);
	CHECK(raw_send(sv[0], b, sizeof(b), file, 1) == 0, "send oversize");
	CHECK(vouch_ask_read(sv[1], &fd, name, sizeof(name)) == -EMSGSIZE && fd == -1, "oversize");
	/* A name longer than the caller's buffer. */
	l = request(b, "VASK", 1, 1, 9, "/abcdefgh", 9);
	CHECK(raw_send(sv[0], b, l, file, 1) == 0, "send");
	CHECK(vouch_ask_read(sv[1], &fd, name, 5) == -EBADMSG && fd == -1, "name past the buffer");
	CHECK(count_fds() == before, "fds of refused requests leaked: %d -> %d", before, count_fds());
	/* After all that, a good request still reads (a server may drop the
	 * connection instead; the reader itself keeps no state). */
	l = request(b, "VASK", 1, 1, 2, "/a", 2);
	CHECK(raw_send(sv[0], b, l, file, 1) == 0, "send good");
	CHECK(vouch_ask_read(sv[1], &fd, name, sizeof(name)) == 0 && fd >= 0 && !strcmp(name, "/a"),
	      "good after bad");
	close(fd);
	/* A reply the client cannot take (not reading, buffer full) never
	 * blocks the server. */
	struct vouch_ask_reply r = { .allow = true };
	int ret = 0, k;
	for (k = 0; k < 100000 && ret == 0; k++)
		ret = vouch_ask_send(sv[1], &r);
	CHECK(ret == -EAGAIN, "send to a client that never reads: %d after %d", ret, k);
	r.cause = VOUCH_CAUSE__COUNT;
	CHECK(vouch_ask_send(sv[1], &r) == -EINVAL, "cause out of range sent");
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	int file = probe_file();

	test_round_trip(file);
	test_client_refuses(file);
	test_server_refuses(file);
	close(file);
	CHECK_EXIT();
}
