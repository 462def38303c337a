/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ask.c - libFuzzer harness for the shim <-> vouchd wire messages
 * (ask.c), both directions, over a real AF_UNIX SOCK_SEQPACKET pair made
 * per input:
 *  - the server's parser, vouch_ask_read: the input as a request, sent with
 *    0..10 descriptors attached (SCM_RIGHTS; past ASK_MAX_FDS the kernel
 *    truncates), into a name buffer of 1..VOUCH_ASK_NAME_MAX bytes;
 *  - the client's parser of the reply inside vouch_ask: the input queued as
 *    the reply (with 0..10 descriptors, which a reply must never carry)
 *    before the client sends its request and reads it.
 * The first input byte chooses: bit 0 the direction, bits 1-4 how many
 * descriptors; for the server, two more bytes give the name buffer size.
 *
 * Checks: the server hands out exactly one descriptor and a NUL-terminated
 * name that is "" or absolute, and no descriptor of a refused message stays
 * open; the client's accepted reply has a known cause and a detail without
 * NUL, and no descriptor pushed at it stays open.  Nothing here blocks: the
 * reply is queued before vouch_ask reads.
 */
#include "vouch.h"
#include "fuzz_common.h"

#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int devnull = -1;

/* Send msg on s with nfds copies of /dev/null attached; false if the
 * kernel refused the message (too large for the socket). */
static bool send_with_fds(int s, const uint8_t *msg, size_t len, int nfds)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int) * 16)]; } ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[16];

	memset(&ctl, 0, sizeof(ctl));
	if (nfds) {
		struct cmsghdr *c;

		for (int i = 0; i < nfds; i++)
			fds[i] = devnull;
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(s, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len;
}

static void server(const uint8_t *msg, size_t len, int nfds, size_t namelen)
{
	static char name[VOUCH_ASK_NAME_MAX];
	int sv[2], fd = -1, ret;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		abort();
	if (send_with_fds(sv[0], msg, len, nfds)) {
		memset(name, 'X', sizeof(name));
		ret = vouch_ask_read(sv[1], &fd, name, namelen);
		if (ret == 0) {
			size_t l = strnlen(name, namelen);

			if (fd < 0 || l >= namelen || (l && name[0] != '/'))
				abort();
			close(fd);
		} else if (fd != -1 || ret > 0) {
			abort();        /* a refusal hands out nothing */
		}
	}
	close(sv[0]);
	close(sv[1]);
}

static void client(const uint8_t *msg, size_t len, int nfds)
{
	struct vouch_ask_reply r;
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		abort();
	/* The reply is waiting before the question: vouch_ask never blocks. */
	if (send_with_fds(sv[1], msg, len, nfds)) {
		ret = vouch_ask(sv[0], devnull, "/srv/models/m/model.bin", &r);
		if (ret == 0) {
			if ((unsigned)r.cause >= VOUCH_CAUSE__COUNT ||
			    strnlen(r.detail, sizeof(r.detail)) >= sizeof(r.detail))
				abort();
		} else if (ret > 0 || (ret == -EBADMSG && r.allow)) {
			abort();
		}
	}
	close(sv[0]);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int lowest, nfds;

	if (devnull < 0) {
		vouch_init();
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0)
			abort();
	}
	if (size < 1 || size > (64u << 10))
		return 0;
	lowest = fz_lowest_fd();
	nfds = (data[0] >> 1) % 11;
	if (data[0] & 1) {
		client(data + 1, size - 1, nfds);
	} else {
		size_t namelen = VOUCH_ASK_NAME_MAX;

		if (size >= 3) {
			namelen = 1 + (((size_t)data[1] << 8 | data[2]) % VOUCH_ASK_NAME_MAX);
			server(data + 3, size - 3, nfds, namelen);
		} else {
			server(data + 1, size - 1, nfds, namelen);
		}
	}
	if (fz_lowest_fd() != lowest)
		abort();                /* a descriptor stayed open */
	return 0;
}
