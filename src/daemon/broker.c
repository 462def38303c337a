/* SPDX-License-Identifier: Apache-2.0 */
/*
 * broker.c - the process that owns the fanotify group.
 *
 * A permission event can only be answered through the group that read it,
 * and closing the group lets every pending event through.  So the process
 * that holds the group must be the one that never dies: it does nothing a
 * model file, a signature or a config can make go wrong.  On the event path
 * it reads fixed-size records into a static buffer, keeps each event's fd in
 * a static slot table, hands it to the worker (SCM_RIGHTS) and writes the
 * worker's answer back; it parses nothing, hashes nothing and allocates
 * nothing.  It answers on its own in two cases only: "allow" for opens made
 * by itself or by its worker (they would otherwise wait for themselves),
 * and "deny" when no worker has been able to answer for NO_WORKER_DENY_MS.
 *
 * When the worker dies (crash, kill -9, OOM), its unanswered events are
 * still in the slot table: they go to the next worker.  When the broker
 * itself dies, the group survives in systemd's file descriptor store
 * (FDSTORE=1): opens wait instead of passing, and the next broker denies the
 * events the dead one had read but not answered (it cannot know their fd
 * numbers, so it answers every number: the kernel ignores the ones that are
 * not pending).  Without systemd the group closes with the broker and the
 * kernel lets pending opens through (docs/vouchd.md gives the window).
 */
#include "vouchd_i.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#define SLOTS              4096
/* The worker's threads that may open files (they are answered at once). */
#define WORKER_TIDS        256
#define READ_BATCH         256
/* With no worker able to answer for this long, pending opens are denied
 * (fail closed) rather than left waiting while the worker crash-loops. */
#define NO_WORKER_DENY_MS  3000
/* A worker that dies sooner than this after its start is restarted after a
 * growing pause (100 ms doubling to 5 s): a bad config must not fork-bomb. */
#define RESPAWN_FAST_MS    1000
#define RESPAWN_MAX_MS     5000

enum { SLOT_FREE = 0, SLOT_QUEUED, SLOT_SENT };

struct slot {
	int      fd;
	uint32_t gen;
	int32_t  pid;
	uint64_t mask;
	uint8_t  state;
};

static struct slot slots[SLOTS];
static uint32_t free_list[SLOTS];
static uint32_t nfree;
static uint32_t queue[SLOTS];          /* QUEUED slots, FIFO */
static uint32_t qhead, qlen;
static struct fanotify_event_metadata evbuf[READ_BATCH];
static int32_t wtids[WORKER_TIDS];
static uint32_t nwtids;

static struct {
	int      fan;
	int      sig;
	int      ctl;
	int      ask;
	int      wsock;                /* our end of the worker's pair, or -1 */
	pid_t    wpid;                 /* 0: none */
	uint64_t wstarted_ms;
	uint64_t down_since_ms;        /* 0: a worker is up */
	uint64_t respawn_at_ms;
	unsigned respawn_delay_ms;
	bool     ready_sent;
	bool     denying;              /* said once per no-worker episode */
	unsigned long answered, denied_alone, redispatched;
} B = { .fan = -1, .sig = -1, .ctl = -1, .ask = -1, .wsock = -1 };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void respond(int fd, bool allow)
{
	struct fanotify_response r = { .fd = fd, .response = allow ? FAN_ALLOW : FAN_DENY };

	/* ENOENT: already answered (cannot happen) or the group was reset. */
	if (write(B.fan, &r, sizeof(r)) < 0 && errno != ENOENT)
		vouchd_log(LOG_ERR, "answering event fd %d: %s", fd, strerror(errno));
}

static void slot_release(uint32_t i)
{
	close(slots[i].fd);
	slots[i].fd = -1;
	slots[i].state = SLOT_FREE;
	slots[i].gen++;
	free_list[nfree++] = i;
}

static void enqueue(uint32_t i)
{
	slots[i].state = SLOT_QUEUED;
	queue[(qhead + qlen++) % SLOTS] = i;
}

/* ---- the worker ------------------------------------------------------- */

static int send_event(uint32_t i)
{
	struct vd_msg m = { .type = VD_EVENT, .slot = i, .gen = slots[i].gen,
			    .pid = slots[i].pid, .mask = slots[i].mask };

	return vouchd_send(B.wsock, &m, slots[i].fd, MSG_DONTWAIT);
}

/* Send queued events while the socket takes them. */
static void flush_queue(void)
{
	while (qlen && B.wsock >= 0) {
		uint32_t i = queue[qhead];

		if (slots[i].state != SLOT_QUEUED) {      /* answered meanwhile */
			qhead = (qhead + 1) % SLOTS;
			qlen--;
			continue;
		}
		int e = send_event(i);

		if (e == -EAGAIN || e == -EPIPE || e == -ECONNRESET)
			return;         /* EAGAIN: POLLOUT brings us back; EPIPE: SIGCHLD does */
		if (e < 0) {
			/* This event cannot be handed over (ETOOMANYREFS: too many
			 * fds in flight): it is denied, never left to spin. */
			respond(slots[i].fd, false);
			slot_release(i);
			B.denied_alone++;
			qhead = (qhead + 1) % SLOTS;
			qlen--;
			continue;
		}
		slots[i].state = SLOT_SENT;
		qhead = (qhead + 1) % SLOTS;
		qlen--;
	}
}

static void worker_spawn(void)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		vouchd_log(LOG_CRIT, "socketpair: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		vouchd_log(LOG_CRIT, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		sigset_t all;

		/* The worker must not hold the group: a worker that keeps it
		 * open could never make the broker's death visible, and a
		 * worker must not answer events itself. */
		close(B.fan);
		close(B.sig);
		if (B.ctl >= 0)
			close(B.ctl);
		close(sv[0]);
		for (uint32_t i = 0; i < SLOTS; i++)
			if (slots[i].fd >= 0)
				close(slots[i].fd);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(EXIT_OPER);
		worker_main(sv[1], B.ask);
	}
	close(sv[1]);
	B.wsock = sv[0];
	B.wpid = pid;
	B.wstarted_ms = now_ms();
	/* Everything not answered goes to the new worker. */
	for (uint32_t i = 0; i < SLOTS; i++)
		if (slots[i].state == SLOT_SENT) {
			enqueue(i);
			B.redispatched++;
		}
	flush_queue();
}

static void worker_lost(const char *how)
{
	unsigned pending = 0;
	uint64_t t = now_ms();

	for (uint32_t i = 0; i < SLOTS; i++)
		pending += slots[i].state != SLOT_FREE;
	vouchd_log(LOG_ALERT, "worker %d %s; %u unanswered open(s) go to a new worker",
		   (int)B.wpid, how, pending);
	if (B.wsock >= 0)
		close(B.wsock);
	B.wsock = -1;
	B.wpid = 0;
	nwtids = 0;
	B.down_since_ms = t;
	if (t - B.wstarted_ms < RESPAWN_FAST_MS)
		B.respawn_delay_ms = B.respawn_delay_ms ? B.respawn_delay_ms * 2 : 100;
	else
		B.respawn_delay_ms = 0;
	if (B.respawn_delay_ms > RESPAWN_MAX_MS)
		B.respawn_delay_ms = RESPAWN_MAX_MS;
	B.respawn_at_ms = t + B.respawn_delay_ms;
}

static void reap(void)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		char how[64];

		if (p != B.wpid)
			continue;
		if (WIFSIGNALED(status))
			snprintf(how, sizeof(how), "was killed by signal %d", WTERMSIG(status));
		else
			snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
		worker_lost(how);
	}
}

/* Deny every pending open: no worker has answered for too long. */
static void deny_pending(void)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < SLOTS; i++)
		if (slots[i].state != SLOT_FREE) {
			respond(slots[i].fd, false);
			slot_release(i);
			n++;
		}
	qlen = 0;
	B.denied_alone += n;
	if (!B.denying)
		vouchd_log(LOG_ALERT, "no worker for %d ms: %u pending open(s) denied, and every "
			   "open on a marked filesystem is denied until a worker runs", NO_WORKER_DENY_MS, n);
	B.denying = true;
}

static void mark_fd(int fd)
{
	char why[256];
	dev_t sb;

	if (vouchd_sb_dev(fd, &sb) < 0) {
		vouchd_log(LOG_ERR, "reload: cannot tell the filesystem of a new root; not marked");
		return;
	}
	if (vouchd_sb_forbidden(fd, sb, why, sizeof(why))) {
		vouchd_log(LOG_ERR, "reload: a new protected root %s; not marked", why);
		return;
	}
	if (fanotify_mark(B.fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			  FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM, fd, NULL) < 0)
		vouchd_log(LOG_ERR, "reload: marking a new root's filesystem: %s", strerror(errno));
}

static void worker_read(void)
{
	for (;;) {
		struct vd_msg m;
		int fd, r = vouchd_recv(B.wsock, &m, &fd);

		if (r == -EAGAIN)
			return;
		if (r == -EBADMSG)
			continue;
		if (r < 0) {
			/* EOF: the worker is gone or going; SIGCHLD finishes it. */
			kill(B.wpid, SIGKILL);
			close(B.wsock);
			B.wsock = -1;
			return;
		}
		switch (m.type) {
		case VD_VERDICT:
			if (m.slot < SLOTS && slots[m.slot].state == SLOT_SENT &&
			    slots[m.slot].gen == m.gen) {
				respond(slots[m.slot].fd, m.allow == 1);
				slot_release(m.slot);
				B.answered++;
			}
			break;
		case VD_MARK:
			if (fd >= 0)
				mark_fd(fd);
			break;
		case VD_TID:
			if (nwtids < WORKER_TIDS && m.pid > 0)
				wtids[nwtids++] = m.pid;
			break;
		case VD_READY:
			B.down_since_ms = 0;
			B.denying = false;
			if (!B.ready_sent) {
				B.ready_sent = true;
				sd_notify(0, "READY=1\nSTATUS=enforcing");
				vouchd_log(LOG_NOTICE, "enforcing (worker %d)", (int)B.wpid);
			} else {
				sd_notify(0, "READY=1\nSTATUS=enforcing");
			}
			break;
		default:
			break;
		}
		if (fd >= 0)
			close(fd);
	}
}

/* ---- the events ------------------------------------------------------- */

static bool own_thread(int32_t tid)
{
	if (B.wpid && tid == B.wpid)
		return true;
	for (uint32_t i = 0; i < nwtids; i++)
		if (wtids[i] == tid)
			return true;
	return false;
}

static void fan_read(void)
{
	size_t want = nfree < READ_BATCH ? nfree : READ_BATCH;
	ssize_t n;

	if (!want)
		return;
	n = read(B.fan, evbuf, want * sizeof(evbuf[0]));
	if (n <= 0)
		return;
	for (struct fanotify_event_metadata *m = evbuf; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
		uint32_t i;

		if (m->fd < 0)
			continue;                       /* FAN_NOFD: overflow (unlimited queue) */
		if (m->vers != FANOTIFY_METADATA_VERSION ||
		    !(m->mask & (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM))) {
			respond(m->fd, false);
			close(m->fd);
			continue;
		}
		if (m->pid == getpid() || own_thread(m->pid)) {
			/* Our own opens (the worker reading signatures and
			 * keys, proving names): they would wait for us. */
			respond(m->fd, true);
			close(m->fd);
			continue;
		}
		if (B.denying) {
			respond(m->fd, false);
			close(m->fd);
			B.denied_alone++;
			continue;
		}
		i = free_list[--nfree];
		slots[i].fd = m->fd;
		slots[i].pid = m->pid;
		slots[i].mask = m->mask;
		enqueue(i);
		if (B.down_since_ms == 0 && !B.wpid)
			B.down_since_ms = now_ms();
	}
	flush_queue();
}

/* Answer "deny" for every fd number a dead broker may have left pending:
 * the kernel keeps them under the numbers the dead process read them as. */
static void sweep_stale(void)
{
	struct rlimit rl;
	unsigned long max = 65536, hits = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < max)
		max = rl.rlim_max;
	for (unsigned long fd = 0; fd < max; fd++) {
		struct fanotify_response r = { .fd = (int)fd, .response = FAN_DENY };

		if (write(B.fan, &r, sizeof(r)) == sizeof(r))
			hits++;
	}
	vouchd_log(hits ? LOG_ALERT : LOG_NOTICE, "took over the fanotify group from systemd's fd "
		   "store: %lu open(s) left pending by the previous broker denied", hits);
}

/* ---- the control socket (--disarm) ------------------------------------- */

static bool ctl_accept(void)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char buf[16] = "", comm[64] = "?";
	int c = accept4(B.ctl, NULL, NULL, SOCK_CLOEXEC);
	pid_t tgid;
	bool disarm = false;

	if (c < 0)
		return false;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.uid == 0) {
		struct timeval tv = { 2, 0 };

		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (read(c, buf, sizeof(buf) - 1) == 6 && !memcmp(buf, "disarm", 6)) {
			vouch_proc_identity(cr.pid, &tgid, comm, sizeof(comm));
			vouchd_log(LOG_ALERT, "DISARMED by pid %d uid 0 (%s): enforcement stops, "
				   "every open passes unchecked", (int)cr.pid, comm);
			disarm = true;
			if (write(c, "ok\n", 3) < 0) {
				/* the asker left: disarm anyway, it was asked */
			}
		}
	}
	close(c);
	return disarm;
}

/* ---- the loop ----------------------------------------------------------- */

static int fan_open(const struct vouch_config *cfg, int fan)
{
	bool inherited = fan >= 0;

	if (!inherited) {
		/* FAN_REPORT_TID: the thread that opens, whose /proc/TID/syscall
		 * says whether the open can read at all. */
		fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE |
				    FAN_REPORT_TID,
				    O_RDONLY | O_LARGEFILE | O_CLOEXEC);
		if (fan < 0) {
			vouchd_log(LOG_CRIT, "fanotify_init: %s (vouchd needs root and a kernel with "
				   "CONFIG_FANOTIFY_ACCESS_PERMISSIONS)", strerror(errno));
			return -1;
		}
	}
	B.fan = fan;
	if (inherited)
		sweep_stale();
	for (size_t r = 0; r < cfg->nprotect; r++) {
		int d = open(cfg->protect[r], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char why[256];
		dev_t sb;

		if (d < 0) {
			vouchd_log(LOG_CRIT, "protected root %s: %s", cfg->protect[r], strerror(errno));
			return -1;
		}
		if (vouchd_sb_dev(d, &sb) < 0) {
			vouchd_log(LOG_CRIT, "protected root %s: cannot find its filesystem in "
				   "/proc/self/mountinfo", cfg->protect[r]);
			close(d);
			return -1;
		}
		if (vouchd_sb_forbidden(d, sb, why, sizeof(why))) {
			vouchd_log(LOG_CRIT, "refusing protected root %s: %s; put models on a "
				   "filesystem of their own (docs/vouchd.md)", cfg->protect[r], why);
			close(d);
			return -1;
		}
		if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				  FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM, d, NULL) < 0) {
			vouchd_log(LOG_CRIT, "marking the filesystem of %s: %s", cfg->protect[r],
				   strerror(errno));
			close(d);
			return -1;
		}
		close(d);
	}
	if (!inherited && sd_notify(0, "") > 0) {
		/* Under systemd: the group outlives us in the fd store. */
		if (sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=fanotify", &fan, 1) <= 0)
			vouchd_log(LOG_WARNING, "systemd did not take the fanotify group into its fd "
				   "store (FileDescriptorStoreMax=): a killed broker lets pending opens through");
	}
	return 0;
}

int broker_run(const struct vouch_config *cfg, int fan, int ask)
{
	sigset_t set;
	int ret;

	for (uint32_t i = 0; i < SLOTS; i++) {
		slots[i].fd = -1;
		free_list[i] = SLOTS - 1 - i;
	}
	nfree = SLOTS;
	B.ask = ask;
	if (fan_open(cfg, fan) < 0)
		return EXIT_OPER;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	B.sig = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (!strcmp(g_opt.ctl_path, VOUCHD_CTL_DEFAULT))
		mkdir(VOUCHD_RUN_DIR, 0755);
	/* root only: --disarm is checked by SO_PEERCRED as well */
	ret = vouchd_listen(g_opt.ctl_path, SOCK_STREAM, 0600, 4);
	if (ret < 0)
		vouchd_log(LOG_WARNING, "control socket %s: %s (vouchd --disarm will not reach this "
			   "daemon)", g_opt.ctl_path, strerror(-ret));
	B.ctl = ret < 0 ? -1 : ret;
	worker_spawn();

	for (;;) {
		struct pollfd p[4];
		int timeout = -1, n = 0;
		uint64_t t = now_ms();

		if (!B.wpid && t >= B.respawn_at_ms) {
			worker_spawn();
			t = now_ms();
		}
		if (!B.wpid) {
			timeout = (int)(B.respawn_at_ms - t);
		}
		if (B.down_since_ms && !B.denying) {
			uint64_t due = B.down_since_ms + NO_WORKER_DENY_MS;
			if (t >= due) {
				deny_pending();
			} else if (timeout < 0 || due - t < (uint64_t)timeout) {
				timeout = (int)(due - t);
			}
		}
		p[n++] = (struct pollfd){ .fd = B.fan, .events = nfree ? POLLIN : 0 };
		p[n++] = (struct pollfd){ .fd = B.sig, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = B.wsock, .events = POLLIN | (qlen ? POLLOUT : 0) };
		p[n++] = (struct pollfd){ .fd = B.ctl, .events = POLLIN };
		if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR)
			vouchd_log(LOG_ERR, "poll: %s", strerror(errno));
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(B.sig, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					reap();
				} else if (si.ssi_signo == SIGHUP) {
					if (B.wpid)
						kill(B.wpid, SIGHUP);
				} else {
					vouchd_log(LOG_ALERT, "stopping on signal %u from pid %u: enforcement "
						   "ends (pending opens pass)", si.ssi_signo, si.ssi_pid);
					goto stop;
				}
			}
		}
		if (B.wsock >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)))
			worker_read();
		if (B.wsock >= 0 && qlen)
			flush_queue();
		if (p[0].revents & POLLIN)
			fan_read();
		if (B.ctl >= 0 && (p[3].revents & POLLIN) && ctl_accept())
			goto stop;
	}
stop:
	/* On purpose: take the group out of the fd store so that it closes
	 * with us, and stop the worker. */
	sd_notify(0, "STOPPING=1\nFDSTOREREMOVE=1\nFDNAME=fanotify");
	if (B.wpid)
		kill(B.wpid, SIGTERM);
	fanotify_mark(B.fan, FAN_MARK_FLUSH | FAN_MARK_FILESYSTEM, 0, AT_FDCWD, NULL);
	if (B.ctl >= 0)
		unlink(g_opt.ctl_path);
	return 0;
}
