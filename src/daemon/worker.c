/* SPDX-License-Identifier: Apache-2.0 */
/*
 * worker.c - the verifier process of vouchd.
 *
 * The broker hands it each permission event's fd; a pool of threads decides
 * it with libvouch (one hash per file however many processes open it
 * together: libvouch's verdict cache and hash jobs are shared by the
 * threads) and sends the verdict back.  The same decision answers the
 * preload shim's questions on vouchd_socket.
 *
 * Names under fanotify.  An event carries the file that was opened, not the
 * name the program used: the kernel has already followed any symlink.  What
 * the event does carry is the dentry that was opened, so a hard link keeps
 * its own name, and where that dentry lies under a protected root is the
 * name decided (vouch_locate with the opener's pid; libvouch then proves the
 * fd is the file at that name).  Symlinks are handled by links.c: a file a
 * disallowed link reaches is denied while the link exists, and a file an
 * allowed link names (the Hugging Face hub cache) is verified under the
 * link's name.  A link created just before an open is seen: the
 * notification group queued its creation before the open could begin, and
 * it is drained before each decision.
 *
 * The worker may crash or be killed at any point: the broker still holds
 * every unanswered event and gives it to the next worker.
 */
#include "vouchd_i.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

/* Threads deciding at once: a first open waits in its thread for the whole
 * hash of its file, and other opens must never queue behind it. */
#define POOL_THREADS 64
/* The shim's connections: one per process that asks, each served by a
 * thread.  One user may hold at most ASKERS_PER_UID of them (root: any),
 * so one user cannot lock every other out (the shim fails closed); an
 * idle connection closes after ASK_IDLE_S (the shim reconnects). */
#define MAX_ASKERS      1024
#define ASKERS_PER_UID  128
#define ASK_IDLE_S      60
#define LINK_NAMES   8

static struct {
	int                   sock;
	int                   ask;
	int                   notif;
	struct vouch_config   cfg;
	struct vouch_ctx     *ctx;
	struct vouch_metrics_server *metrics;   /* metrics_dir/vouchd.sock, or NULL */
	struct vouch_locator *loc;
	struct links         *links;
	pthread_rwlock_t      lock;        /* loc and links, replaced on reload */
	pthread_mutex_t       notif_lock;
	pthread_mutex_t       qlock;
	pthread_cond_t        qcond;
	pthread_cond_t        dcond;       /* an ask job is done */
	struct job           *head, *tail;
	unsigned              idle, askers;
} W = {
	.sock = -1, .ask = -1, .notif = -1,
	.lock = PTHREAD_RWLOCK_INITIALIZER,
	.notif_lock = PTHREAD_MUTEX_INITIALIZER,
	.qlock = PTHREAD_MUTEX_INITIALIZER,
	.qcond = PTHREAD_COND_INITIALIZER,
	.dcond = PTHREAD_COND_INITIALIZER,
};

/* ---- who asked ------------------------------------------------------------ */

static void subject(pid_t pid, struct vouch_subject *who, char *comm, size_t len)
{
	char path[64], line[256];
	FILE *f;

	*who = (struct vouch_subject){ .pid = pid, .uid = (uid_t)-1, .comm = comm };
	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned r, e;

		if (!strncmp(line, "Name:\t", 6)) {
			line[strcspn(line, "\n")] = '\0';
			size_t k = strlen(line + 6);

			if (k >= len)
				k = len - 1;
			memcpy(comm, line + 6, k);
			comm[k] = '\0';
		} else if (sscanf(line, "Uid:\t%u\t%u", &r, &e) == 2) {
			who->uid = (uid_t)e;
			break;
		}
	}
	if (f)
		fclose(f);
}

/* ---- symlink changes ------------------------------------------------------ */

/* Apply what the notification group has queued to the link index: each
 * name created, moved or removed on a marked filesystem, one at a time; a
 * directory moved, an overflow or anything unplaceable walks everything.
 * Returns true if a symlink came or went (or everything was walked). */
static bool notif_drain(void)
{
	/* Records with a file handle and a name: never more than this each. */
	char buf[16384] __attribute__((aligned(8)));
	bool changed = false, walk = false;
	ssize_t n;

	if (W.notif < 0)
		return false;
	pthread_mutex_lock(&W.notif_lock);
	pthread_rwlock_rdlock(&W.lock);
	while ((n = read(W.notif, buf, sizeof(buf))) > 0) {
		const struct fanotify_event_metadata *m = (const void *)buf;

		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			const struct fanotify_event_info_fid *fid = (const void *)(m + 1);
			const struct file_handle *fh;
			const char *name, *end = (const char *)m + m->event_len;

			if (m->fd >= 0)
				close(m->fd);
			if (m->mask & FAN_Q_OVERFLOW) {
				walk = true;
				continue;
			}
			if ((const char *)(fid + 1) + sizeof(struct file_handle) > end ||
			    fid->hdr.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME ||
			    (const char *)fid + fid->hdr.len > end) {
				walk = true;
				continue;
			}
			fh = (const struct file_handle *)fid->handle;
			name = (const char *)fh->f_handle + fh->handle_bytes;
			if (name >= (const char *)fid + fid->hdr.len ||
			    !memchr(name, '\0', (size_t)((const char *)fid + fid->hdr.len - name))) {
				walk = true;
				continue;
			}
			if (m->mask & FAN_ONDIR) {
				/* A new directory is empty (its entries bring their own
				 * events); one moved in or out carries its links along. */
				if (m->mask & (FAN_MOVED_TO | FAN_MOVED_FROM))
					walk = true;
				continue;
			}
			switch (links_event(W.links, &fid->fsid, fh, name,
					    (m->mask & (FAN_DELETE | FAN_MOVED_FROM)) != 0)) {
			case 0:
				break;
			case 1:
				changed = true;
				break;
			default:
				walk = true;
				break;
			}
		}
	}
	if (walk) {
		links_rebuild(W.links);
		changed = true;
	}
	pthread_rwlock_unlock(&W.lock);
	pthread_mutex_unlock(&W.notif_lock);
	return changed;
}

static void notif_mark(char *const *roots, size_t n)
{
	for (size_t r = 0; r < n && W.notif >= 0; r++)
		if (fanotify_mark(W.notif, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
				  FAN_CREATE | FAN_MOVED_TO | FAN_MOVED_FROM | FAN_DELETE | FAN_ONDIR,
				  AT_FDCWD, roots[r]) < 0)
			vouch_ctx_log(W.ctx, LOG_ALERT, "vouchd: cannot watch %s for new symlinks (%s): "
				      "links made there after the last reload are not seen",
				      roots[r], strerror(errno));
}

/* ---- the decision ----------------------------------------------------------- */

struct answer {
	bool             allow;
	enum vouch_cause cause;
	char             detail[256];
};

static void refuse(enum vouch_cause cause, const struct vouch_location *w,
		   const struct vouch_subject *who, const char *detail, struct answer *a)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s", w->path[0] ? w->path : "(unknown)");
	a->cause = cause;
	snprintf(a->detail, sizeof(a->detail), "%s", detail);
	a->allow = vouch_ctx_refuse(W.ctx, cause, path, &w->st, who, detail);
}

static void verify_as(size_t r, const char *rel, int fd, unsigned flags,
		      const struct vouch_subject *who, struct answer *a)
{
	struct vouch_root root = { .fd = vouch_locator_root_fd(W.loc, r),
				   .path = vouch_locator_root_path(W.loc, r) };
	struct vouch_verdict v;

	memset(&v, 0, sizeof(v));
	if (root.fd < 0) {
		a->allow = false;
		a->cause = VOUCH_CAUSE_IO_ERROR;
		snprintf(a->detail, sizeof(a->detail), "protected root %s is gone", root.path);
		return;
	}
	vouch_verify_open(W.ctx, &root, rel, fd, flags, who, &v);
	a->allow = v.allow;
	a->cause = v.cause;
	snprintf(a->detail, sizeof(a->detail), "%s", v.detail);
}

/* Who asks: a fanotify event's opening thread (peer NULL), or the shim's
 * peer (its credentials, not anything it says, are the subject).  Read
 * from /proc only when a decision needs it. */
struct asker {
	pid_t               pid;
	const struct ucred *peer;        /* asks */
	struct vouch_subject who;
	char                comm[64];
	bool                known;
};

static const struct vouch_subject *who_of(struct asker *k)
{
	if (!k->known) {
		subject(k->pid, &k->who, k->comm, sizeof(k->comm));
		if (k->peer)
			k->who.uid = k->peer->uid;
		k->known = true;
	}
	return &k->who;
}

/* Decide fd.  name: the absolute name asked for (the shim), or NULL (a
 * fanotify event: where the fd lives decides).  Holds the read lock. */
/* The names a located regular file is decided under: the ones allowed
 * links give it (a hub blob: verified under a link's name, the one its
 * signature speaks of), else its own (the dentry opened: a hard link keeps
 * its name; *own set).  At most LINK_NAMES. */
static size_t names_of(const struct vouch_location *w, struct link_name *ln, bool *own)
{
	size_t n = links_names(W.links, w, ln, LINK_NAMES);

	*own = !n;
	if (!n) {
		ln[0].root = w->root;
		snprintf(ln[0].rel, sizeof(ln[0].rel), "%s", w->rel);
		n = 1;
	}
	return n;
}

static void decide_locked(int fd, const char *name, struct asker *k, struct answer *a)
{
	struct link_name ln[LINK_NAMES];
	struct vouch_location w;
	char why[512];
	bool own;
	size_t n;

	a->allow = true;
	a->cause = VOUCH_CAUSE_OK;
	a->detail[0] = '\0';
	/* The opener's pid always: a name the shim sent is used only when the
	 * asker sees names as we do (same mount namespace and root). */
	vouch_locate(W.loc, AT_FDCWD, name, fd, k->pid, &w);
	if (links_tainted(W.links, &w, why, sizeof(why))) {
		refuse(VOUCH_CAUSE_SYMLINK, &w, who_of(k), why, a);
		return;
	}
	/* Every open is decided, write-only ones too: what a thread's
	 * registers say about its open cannot be trusted (an io_uring worker
	 * inherits the registers of the syscall it was created in), and a
	 * write-capable open of a model is refused anyway (libvouch: a file
	 * open for writing cannot be verified). */
	if (w.kind == VOUCH_WHERE_FREE)
		return;
	if (w.kind == VOUCH_WHERE_UNKNOWN) {
		refuse(VOUCH_CAUSE_UNLOCATED, &w, who_of(k),
		       "cannot tell where this file lives (its filesystem holds a protected root)", a);
		return;
	}
	if (!S_ISREG(w.st.st_mode)) {
		refuse(VOUCH_CAUSE_SYMLINK, &w, who_of(k), "not a regular file", a);
		return;
	}
	n = names_of(&w, ln, &own);
	for (size_t i = 0; i < n; i++) {
		/* A name found through the hard-link index of a file opened
		 * outside the roots exempts no signature file. */
		verify_as((size_t)ln[i].root, ln[i].rel, fd,
			  own && !w.named && name ? VOUCH_OPEN_FOUND : 0, who_of(k), a);
		if (a->allow)
			break;
	}
}

static void decide(int fd, const char *name, struct asker *k, struct answer *a)
{
	notif_drain();
	pthread_rwlock_rdlock(&W.lock);
	decide_locked(fd, name, k, a);
	pthread_rwlock_unlock(&W.lock);
	/* A link made while we decided: decide again with it known. */
	if (a->allow && notif_drain()) {
		pthread_rwlock_rdlock(&W.lock);
		decide_locked(fd, name, k, a);
		pthread_rwlock_unlock(&W.lock);
	}
}

/* An answer from the event thread, without a thread hop, for what never
 * waits: a file outside every protected root (an unrelated file, a binary
 * on a marked filesystem), or a protected file libvouch's verdict cache
 * already allows (VOUCH_OPEN_PROBE: no hash, no wait, no record), which no
 * disallowed link reaches.  False: the pool decides in full. */
static bool fast_allow(int fd, pid_t pid)
{
	struct vouch_location w;
	struct vouch_subject who = { .pid = pid, .uid = (uid_t)-1, .comm = "" };
	struct link_name ln[LINK_NAMES];
	struct answer a = { .allow = false };
	char why[512];
	bool own;

	notif_drain();
	pthread_rwlock_rdlock(&W.lock);
	vouch_locate(W.loc, AT_FDCWD, NULL, fd, pid, &w);
	if (links_tainted(W.links, &w, why, sizeof(why)))
		goto out;
	if (w.kind == VOUCH_WHERE_FREE) {
		a.allow = true;
		goto out;
	}
	if (w.kind != VOUCH_WHERE_PROTECTED || !S_ISREG(w.st.st_mode))
		goto out;
	for (size_t i = 0, n = names_of(&w, ln, &own); i < n && !a.allow; i++) {
		verify_as((size_t)ln[i].root, ln[i].rel, fd, VOUCH_OPEN_PROBE, &who, &a);
		a.allow = a.allow && a.cause == VOUCH_CAUSE_OK;
	}
out:
	pthread_rwlock_unlock(&W.lock);
	return a.allow && !notif_drain();
}

/* ---- the pool -------------------------------------------------------------- */

/* A job: an event from the broker (answered to the broker), or a question
 * from the shim (answered to the asking thread, which waits). */
struct job {
	struct vd_msg   m;
	int             fd;
	const char     *name;          /* ask: the name asked, or NULL */
	struct ucred    peer;          /* ask: who asked */
	bool            ask;
	bool            done;
	struct answer   a;
	struct job     *next;
};

static void send_verdict(const struct vd_msg *ev, bool allow)
{
	struct vd_msg m = { .type = VD_VERDICT, .slot = ev->slot, .gen = ev->gen, .allow = allow };

	if (send(W.sock, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
		_exit(EXIT_OPER);       /* the broker is gone: nothing to answer to */
}

static void run_job(struct job *j)
{
	struct asker k = { .pid = j->ask ? j->peer.pid : j->m.pid, .peer = j->ask ? &j->peer : NULL };

	decide(j->fd, j->ask ? j->name : NULL, &k, &j->a);
	if (!j->ask)
		send_verdict(&j->m, j->a.allow);
}

static void *pool_thread(void *arg)
{
	pid_t *tid = arg;

	*tid = gettid();
	for (;;) {
		struct job *j;

		pthread_mutex_lock(&W.qlock);
		W.idle++;
		while (!W.head)
			pthread_cond_wait(&W.qcond, &W.qlock);
		W.idle--;
		j = W.head;
		W.head = j->next;
		if (!W.head)
			W.tail = NULL;
		pthread_mutex_unlock(&W.qlock);

		run_job(j);
		if (j->ask) {
			pthread_mutex_lock(&W.qlock);
			j->done = true;
			pthread_cond_broadcast(&W.dcond);
			pthread_mutex_unlock(&W.qlock);
		} else {
			close(j->fd);
			free(j);
		}
	}
	return NULL;
}

static void submit(struct job *j)
{
	pthread_mutex_lock(&W.qlock);
	if (W.tail)
		W.tail->next = j;
	else
		W.head = j;
	W.tail = j;
	pthread_cond_signal(&W.qcond);
	pthread_mutex_unlock(&W.qlock);
}

/* The pool is made once, before the first event: the broker answers the
 * opens of these threads at once (they read signatures and keys, and
 * prove names), so it must know every one of them before they work. */
static int pool_start(void)
{
	static pid_t tids[POOL_THREADS];
	pthread_attr_t at;
	unsigned started = 0;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	for (unsigned i = 0; i < POOL_THREADS; i++)
		if (pthread_create(&(pthread_t){ 0 }, &at, pool_thread, &tids[i]) == 0)
			started++;
	pthread_attr_destroy(&at);
	if (!started)
		return -EAGAIN;
	for (unsigned i = 0; i < started; i++) {
		struct vd_msg m = { .type = VD_TID };

		while (!__atomic_load_n(&tids[i], __ATOMIC_ACQUIRE))
			usleep(100);
		m.pid = tids[i];
		if (send(W.sock, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
			return -EPIPE;
	}
	return 0;
}

/* ---- events from the broker ------------------------------------------------- */

static void broker_read(void)
{
	for (;;) {
		struct vd_msg m;
		struct job *j;
		int fd, r = vouchd_recv(W.sock, &m, &fd);

		if (r == -EAGAIN)
			return;
		if (r == -ECONNRESET || (r < 0 && r != -EBADMSG))
			_exit(0);               /* the broker closed: it stops or died */
		if (r < 0 || m.type != VD_EVENT || fd < 0) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (fast_allow(fd, m.pid)) {
			close(fd);
			send_verdict(&m, true);
			continue;
		}
		j = calloc(1, sizeof(*j));
		if (!j) {
			close(fd);
			send_verdict(&m, false);
			continue;
		}
		j->m = m;
		j->fd = fd;
		submit(j);
	}
}

/* ---- the shim's questions ----------------------------------------------------- */

/* One thread per connection reads questions and waits for the pool's
 * answer; it opens no file itself. */
static struct {
	uid_t    uid;
	unsigned n;
} ask_uids[MAX_ASKERS];
static pthread_mutex_t ask_lock = PTHREAD_MUTEX_INITIALIZER;

/* Count one more connection of uid (or one less); false: over its share. */
static bool ask_account(uid_t uid, int delta)
{
	bool ok = true;
	size_t i, free_slot = MAX_ASKERS;

	pthread_mutex_lock(&ask_lock);
	for (i = 0; i < MAX_ASKERS; i++) {
		if (ask_uids[i].n && ask_uids[i].uid == uid)
			break;
		if (!ask_uids[i].n && free_slot == MAX_ASKERS)
			free_slot = i;
	}
	if (i == MAX_ASKERS)
		i = free_slot;
	if (i == MAX_ASKERS) {
		ok = false;
	} else if (delta > 0) {
		if (uid != 0 && ask_uids[i].n >= ASKERS_PER_UID) {
			ok = false;
		} else {
			ask_uids[i].uid = uid;
			ask_uids[i].n++;
		}
	} else if (ask_uids[i].n) {
		ask_uids[i].n--;
	}
	pthread_mutex_unlock(&ask_lock);
	return ok;
}

static void *ask_thread(void *arg)
{
	int c = (int)(intptr_t)arg;
	struct job j;
	socklen_t len = sizeof(j.peer);
	char *name = malloc(VOUCH_ASK_NAME_MAX);
	struct timeval idle = { ASK_IDLE_S, 0 };

	memset(&j, 0, sizeof(j));
	getsockopt(c, SOL_SOCKET, SO_PEERCRED, &j.peer, &len);
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
	while (name) {
		struct vouch_ask_reply r;
		int fd = -1;

		if (vouch_ask_read(c, &fd, name, VOUCH_ASK_NAME_MAX) < 0)
			break;
		j.fd = fd;
		j.name = name[0] ? name : NULL;
		j.ask = true;
		j.done = false;
		j.next = NULL;
		submit(&j);
		pthread_mutex_lock(&W.qlock);
		while (!j.done)
			pthread_cond_wait(&W.dcond, &W.qlock);
		pthread_mutex_unlock(&W.qlock);
		close(fd);
		memset(&r, 0, sizeof(r));
		r.allow = j.a.allow;
		r.cause = j.a.cause;
		snprintf(r.detail, sizeof(r.detail), "%s", j.a.detail);
		if (vouch_ask_send(c, &r) < 0)
			break;
	}
	free(name);
	close(c);
	ask_account(j.peer.uid, -1);
	__atomic_sub_fetch(&W.askers, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void ask_accept(void)
{
	int c = accept4(W.ask, NULL, NULL, SOCK_CLOEXEC);
	pthread_t t;
	pthread_attr_t at;

	struct ucred cr = { 0 };
	socklen_t len = sizeof(cr);

	if (c < 0)
		return;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || !ask_account(cr.uid, 1)) {
		close(c);               /* over its share: the shim fails closed and says so */
		return;
	}
	if (__atomic_add_fetch(&W.askers, 1, __ATOMIC_RELAXED) > MAX_ASKERS) {
		__atomic_sub_fetch(&W.askers, 1, __ATOMIC_RELAXED);
		ask_account(cr.uid, -1);
		close(c);
		return;
	}
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, ask_thread, (void *)(intptr_t)c) != 0) {
		__atomic_sub_fetch(&W.askers, 1, __ATOMIC_RELAXED);
		ask_account(cr.uid, -1);
		close(c);
	}
	pthread_attr_destroy(&at);
}

/* ---- life cycle ----------------------------------------------------------- */

static int setup(const struct vouch_config *cfg, struct vouch_locator **loc, struct links **links,
		 char *err, size_t errlen)
{
	int ret = vouch_locator_new(cfg->protect, cfg->nprotect, loc);

	if (ret < 0) {
		snprintf(err, errlen, "locating the protected roots: %s", strerror(-ret));
		return ret;
	}
	ret = links_new(W.ctx, *loc, cfg->nprotect, links);
	if (ret < 0) {
		vouch_locator_free(*loc);
		snprintf(err, errlen, "indexing symlinks: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

static void send_marks(const struct vouch_config *cfg)
{
	for (size_t r = 0; r < cfg->nprotect; r++) {
		int d = open(cfg->protect[r], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct vd_msg m = { .type = VD_MARK };

		if (d < 0)
			continue;
		vouchd_send(W.sock, &m, d, 0);
		close(d);
	}
}

static void reload(void)
{
	struct vouch_config cfg;
	struct vouch_locator *loc = NULL, *oldloc;
	struct links *links = NULL, *oldlinks;
	char err[1024] = "";
	int ret = vouchd_load_config(&cfg, err, sizeof(err));

	if (ret < 0)   /* vouch_ctx_reload counts its own */
		vouch_metrics_reload_refused(W.ctx);
	if (ret == 0)
		ret = vouch_ctx_reload(W.ctx, &cfg, err, sizeof(err));
	if (ret == 0)
		ret = setup(&cfg, &loc, &links, err, sizeof(err));
	if (ret < 0) {
		vouch_ctx_log(W.ctx, LOG_ERR, "vouchd: reload refused, the old trust stays in force: %s",
			      err[0] ? err : strerror(-ret));
		vouch_config_clear(&cfg);
		return;
	}
	/* New roots: the broker marks their filesystems (it refuses the
	 * system's), and new links there are watched. */
	send_marks(&cfg);
	notif_mark(cfg.protect, cfg.nprotect);
	pthread_rwlock_wrlock(&W.lock);
	oldloc = W.loc;
	oldlinks = W.links;
	W.loc = loc;
	W.links = links;
	vouch_config_clear(&W.cfg);
	W.cfg = cfg;
	pthread_rwlock_unlock(&W.lock);
	links_free(oldlinks);
	vouch_locator_free(oldloc);
	vouch_ctx_log(W.ctx, LOG_NOTICE, "vouchd: reloaded %s", W.cfg.path ? W.cfg.path : "");
}

int worker_main(int sock, int ask)
{
	char err[1024] = "";
	struct vd_msg ready = { .type = VD_READY };
	sigset_t set;
	int sig, ret;

	W.sock = sock;
	/* libvouch holds a read lease across each decision; a writer's open
	 * breaks it and the kernel sends us SIGIO, whose default would kill. */
	signal(SIGIO, SIG_IGN);
	/* Hashing yields the CPU to the opens answered meanwhile (as vouchfs). */
	vouch_hash_set_nice(10);
	ret = vouchd_load_config(&W.cfg, err, sizeof(err));
	if (ret == 0)
		ret = vouch_ctx_new(&W.cfg, &W.ctx, err, sizeof(err));
	if (ret == 0)
		ret = setup(&W.cfg, &W.loc, &W.links, err, sizeof(err));
	if (ret < 0) {
		vouchd_log(LOG_CRIT, "worker: %s", err[0] ? err : strerror(-ret));
		_exit(EXIT_OPER);
	}
	W.notif = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_NONBLOCK | FAN_CLOEXEC,
				O_RDONLY | O_CLOEXEC);
	if (W.notif < 0)
		vouch_ctx_log(W.ctx, LOG_ALERT, "vouchd: cannot watch for new symlinks (%s): links "
			      "made after the last reload are not seen", strerror(errno));
	notif_mark(W.cfg.protect, W.cfg.nprotect);
	links_rebuild(W.links);
	/* Metrics are not protection: without the socket vouchd still decides. */
	if (vouch_metrics_serve(W.ctx, W.cfg.metrics_dir, "vouchd", &W.metrics, err, sizeof(err)) < 0)
		vouch_ctx_log(W.ctx, LOG_WARNING, "vouchd: metrics not served: %s", err);
	/* The shim's socket: from vouchd.socket, else made here. */
	W.ask = ask;
	if (W.ask < 0 && W.cfg.vouchd_socket) {
		/* Every service user may ask: what it gets is a verdict on an
		 * fd it already holds, nothing more. */
		W.ask = vouchd_listen(W.cfg.vouchd_socket, SOCK_SEQPACKET, 0666, 64);
		if (W.ask < 0)
			vouch_ctx_log(W.ctx, LOG_ALERT, "vouchd: vouchd_socket %s: %s; processes that "
				      "ask vouchd are refused", W.cfg.vouchd_socket, strerror(-W.ask));
	}
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (pool_start() < 0) {
		vouchd_log(LOG_CRIT, "worker: cannot start its threads");
		_exit(EXIT_OPER);
	}
	send(W.sock, &ready, sizeof(ready), MSG_NOSIGNAL);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = W.sock, .events = POLLIN },
			{ .fd = sig, .events = POLLIN },
			{ .fd = W.ask, .events = POLLIN },
		};

		if (poll(p, 3, -1) < 0)
			continue;
		if (p[0].revents)
			broker_read();
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sig, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					reload();
					send(W.sock, &ready, sizeof(ready), MSG_NOSIGNAL);
				} else {
					/* A socket we made (not vouchd.socket's) goes with us. */
					if (ask < 0 && W.ask >= 0 && W.cfg.vouchd_socket)
						unlink(W.cfg.vouchd_socket);
					vouch_metrics_server_stop(W.metrics);
					vouch_ctx_drain(W.ctx, 1000);
					_exit(0);
				}
			}
		}
		if (W.ask >= 0 && (p[2].revents & POLLIN))
			ask_accept();
	}
}
