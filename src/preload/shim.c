/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shim.c - the shim's life inside someone else's process: which config,
 * which verification context, what happens across fork and setuid, and the
 * verdict for one freshly opened fd.
 *
 * Rules it keeps, and why:
 *  - The config path is taken from VOUCH_CONFIG with secure_getenv(), at load
 *    time, and copied: the host-wide baseline loads the shim into setuid
 *    programs (AT_SECURE), whose caller must not choose the policy, and
 *    servers like nginx rewrite their environment later.
 *  - The config itself is read once (pthread_once) by libvouch's reader:
 *    a VOUCH_CONFIG one when the library loads, before main() (a program
 *    that cannot read it is stopped there: shim_stop says why), the default
 *    at the first open.  No config file: inert and silent.  The default
 *    unreadable by this process: inert, one alert.  A config that names
 *    protected roots but cannot be fully loaded: fail closed on those
 *    roots, one alert.
 *  - A verification context belongs to one (process, effective uid): a
 *    forked child or a server that dropped to www-data builds its own, so it
 *    never writes through an audit-log fd that root opened, and never uses
 *    locks a vanished parent thread may hold.
 *  - Nothing here writes a file: syslog, and the audit log only where this
 *    process may append to it (libvouch's audit_optional).
 *  - With vouchd_socket set, the shim does not hash: it hands the fd and the
 *    name to vouchd (ask.c) and takes its verdict, so every process of the
 *    host shares one cache; a vouchd that cannot be asked fails the
 *    protected open closed (one alert per process).
 * Owns: the config, the locator (roots), the context.  Does not own: the
 * decision on the model (libvouch or vouchd), where a file lives (libvouch's
 * vouch_locate).
 */
#include "preload_i.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#define DEFAULT_CONFIG VOUCH_DEFAULT_CONFIG

/* What a service user must be able to read, said once per process when a
 * verdict (or the context) failed on EACCES: the deny record alone says
 * "io-error ... Permission denied", which reads like a tampered model, and
 * the operator's fix is a chmod, not a re-sign.  (docs/preload.md.) */
#define SHIM_READABLE_HINT \
	"the service's user must be able to read the config (0644), the trust directory " \
	"and its keys (0755/0644), state_dir (0755) and its marks (0644): vouchfs and " \
	"`vouch verify --record` keep them so; an older or hand-made one: chmod 0755 DIR, " \
	"chmod 0644 DIR/*"

__thread int shim_busy __attribute__((tls_model("initial-exec")));

int shim_sys_openat(int dirfd, const char *path, int flags)
{
	/* The raw syscall: the shim's own reads must not re-enter its wrappers
	 * (they would anyway pass through under shim_busy, but this keeps them
	 * usable from any context). */
	return (int)syscall(SYS_openat, dirfd, path, flags | O_CLOEXEC, 0);
}

enum shim_state { SHIM_INERT = 0, SHIM_ACTIVE, SHIM_FAILCLOSED };

static struct {
	char              conf[PATH_MAX];
	bool              conf_taken;
	enum shim_state   state;
	enum vouch_mode   mode;
	struct vouch_config cfg;
	struct vouch_locator *loc;
	pthread_mutex_t   ctx_lock;
	struct vouch_ctx *ctx;
	pid_t             ctx_pid;
	uid_t             ctx_euid;
	bool              ctx_failed_logged;
	bool              blind_logged;
	bool              perm_logged;  /* the how-to-fix alert for EACCES, once */
	bool              ask_logged;   /* vouchd could not be asked: said once */
	int               inflight;     /* atomic: vouch_verify_fd calls running */
} S = { .ctx_lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/* ---- records --------------------------------------------------------- */

/* One syslog record (ident vouch, facility authpriv), spoken to /dev/log
 * directly: openlog()/syslog() would change the host program's own ident.
 * A socket per record: these are rare (denials and start-up problems), and
 * a long-lived fd could be closed or reused behind our back by programs that
 * close every fd.  Decisions libvouch makes go through its queued sink
 * (audit.c); these few go out directly, never blocking. */
static void shim_syslog(int prio, const char *msg)
{
	static const struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	char line[4096];
	int n, s;

	n = snprintf(line, sizeof(line), "<%d>vouch[%d]: %s", LOG_AUTHPRIV | prio, (int)getpid(), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	/* Never wait: a syslog daemon that stops reading must not freeze the
	 * program's opens (these records are rare; a full queue drops one). */
	if (connect(s, (const struct sockaddr *)&addr, sizeof(addr)) == 0)
		(void)!send(s, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(s);
}

static void shim_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void shim_msg(int prio, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	shim_syslog(prio, msg);
}

/* A refusal the shim makes itself (a file planted where a model should be,
 * or one that cannot be located): through libvouch, so the record is the
 * standard one and reaches the JSON log too.  Without a context (the
 * configuration could not be loaded: that was alerted already) a short
 * alert names the file.  Returns 0 to let the open go on (audit mode). */
static struct vouch_ctx *ctx_get(pid_t pid, uid_t euid);
static void ctx_put(void);

static int shim_refuse(enum vouch_cause cause, const struct vouch_location *w, const char *detail)
{
	struct vouch_subject who;
	struct vouch_ctx *ctx;
	char comm[17] = "", path[PATH_MAX * 4 + 1];
	bool allow;

	if (S.state != SHIM_ACTIVE)
		return -EACCES;     /* failing closed: said once, at load */
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	who = (struct vouch_subject){ .pid = getpid(), .uid = geteuid(), .comm = comm };
	ctx = ctx_get(who.pid, who.uid);
	if (!ctx) {
		vouch_escape(w->path, path, sizeof(path));
		shim_msg(LOG_ALERT, "preload: refused %s: %s (%s)", path, vouch_cause_name(cause), detail);
		return -EACCES;
	}
	allow = vouch_ctx_refuse(ctx, cause, w->path, &w->st, &who, detail);
	ctx_put();
	return allow ? 0 : -EACCES;
}

/* ---- loading --------------------------------------------------------- */

static bool conf_explicit;      /* S.conf came from VOUCH_CONFIG */

/* Runs when the library is loaded, while the environment is still the one
 * the program was started with. */
static void take_config_path(void)
{
	const char *p;

	if (S.conf_taken)
		return;
	S.conf_taken = true;
	/* secure_getenv already returns NULL under AT_SECURE; checking the
	 * auxiliary vector as well costs nothing and states the intent. */
	p = getauxval(AT_SECURE) ? NULL : secure_getenv("VOUCH_CONFIG");
	conf_explicit = p && *p && strlen(p) < sizeof(S.conf);
	if (!conf_explicit)
		p = DEFAULT_CONFIG;
	memcpy(S.conf, p, strlen(p) + 1);
}

/* A config named explicitly (VOUCH_CONFIG, as the service drop-in sets it)
 * that this process cannot read: the service would run with its model files
 * unchecked, so the program is stopped before it runs.  Why then, and not
 * by failing opens later:
 *  - without the config the shim cannot know which files are models, so
 *    "deny the protected opens" could only mean denying every open;
 *  - this runs before main() (the library's constructor reads an explicit
 *    config at once, see shim_ctor): one thread, no socket bound, no file
 *    written, nothing left half done, and the service manager reports a
 *    failed start carrying this message, instead of a server that runs
 *    unprotected or fails at random later;
 *  - exiting at a later open would kill a server mid-request, from any
 *    thread, with locks held; and a server that drops privileges after
 *    start could then no longer read a config its service reads fine.
 * Exit status 126, as a shell reports a program it found but cannot run. */
/* The config VOUCH_CONFIG names cannot be read (why NULL: errno e), or
 * read but not used (why: the parser's message, escaped here). */
static void shim_stop(int e, const char *why) __attribute__((noreturn));
static void shim_stop(int e, const char *why)
{
	char comm[17] = "", line[1536], shown[512];
	int n;

	prctl(PR_GET_NAME, comm, 0, 0, 0);
	if (why)
		n = snprintf(line, sizeof(line), "preload: %s (VOUCH_CONFIG): %s; stopping %s (pid %d) "
			     "before it starts: it names no protected root to fail closed on, and its "
			     "model files would be opened unchecked", S.conf,
			     vouch_escape(why, shown, sizeof(shown)), comm, (int)getpid());
	else
		n = snprintf(line, sizeof(line), "preload: %s (VOUCH_CONFIG): cannot read it as uid %u: "
			     "%s; stopping %s (pid %d) before it starts, or its model files would be "
			     "opened unchecked (the config holds no secret: make it readable, 0644)",
			     S.conf, (unsigned)geteuid(), strerror(e), comm, (int)getpid());
	if (n > 0) {
		(void)!write(STDERR_FILENO, "vouch: ", 7);
		(void)!write(STDERR_FILENO, line, strnlen(line, sizeof(line)));
		(void)!write(STDERR_FILENO, "\n", 1);
		shim_syslog(LOG_ALERT, line);
	}
	_exit(126);
}

static void shim_load(void);

__attribute__((constructor)) static void shim_ctor(void)
{
	take_config_path();
	/* A service's own config is read now, with the privileges the program
	 * was started with, so an unreadable one stops it before main() (see
	 * shim_stop).  The host-wide default is read at the first open, as
	 * before: the baseline costs a program nothing until it opens a file. */
	if (conf_explicit) {
		shim_busy = 1;
		pthread_once(&load_once, shim_load);
		shim_busy = 0;
	}
}

/* Can this process read the config at all?  0 if it can or if the answer is
 * vouch_config_load's (not a regular file: refused there, with a reason),
 * ENOENT if there is none, else the errno that keeps it from reading. */
static int conf_readable(void)
{
	struct stat st;
	int fd;

	if (stat(S.conf, &st) < 0)
		return errno == ENOTDIR ? ENOENT : errno;
	if (!S_ISREG(st.st_mode))
		return 0;               /* never open a FIFO or a device to find out */
	fd = shim_sys_openat(AT_FDCWD, S.conf, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static void shim_load(void)
{
	char err[512] = "", comm[17] = "";
	int ret;

	/* vouchd itself (it exports this symbol): it must never wait for a
	 * verdict, least of all its own, and decides every open anyway. */
	if (dlsym(RTLD_DEFAULT, "vouch_preload_exempt"))
		return;
	take_config_path();
	ret = conf_readable();
	/* Missing config: the shim is installed but not configured; stay out
	 * of the way without a word (the baseline must not spam every program). */
	if (ret == ENOENT)
		return;
	if (ret && conf_explicit)
		shim_stop(ret, NULL);
	if (ret) {
		/* The host-wide default, unreadable here (0600 root, a program
		 * running as another user): it names no root this process can
		 * know of, and an unrelated program must never break.  One alert
		 * for this process, and nothing is enforced in it. */
		prctl(PR_GET_NAME, comm, 0, 0, 0);
		shim_msg(LOG_ALERT, "preload: %s: cannot read it as uid %u: %s; nothing is enforced in "
			 "%s (pid %d) (the config holds no secret: make it readable, 0644)", S.conf,
			 (unsigned)geteuid(), strerror(ret), comm, (int)getpid());
		return;
	}
	vouch_config_init(&S.cfg);
	ret = vouch_init();
	if (!ret)
		ret = vouch_config_load(&S.cfg, S.conf, err, sizeof(err));
	if (ret) {
		/* What did it name?  Fail closed on exactly that. */
		vouch_config_clear(&S.cfg);
		vouch_config_init(&S.cfg);
		vouch_config_scrape_protect(S.conf, &S.cfg);
		S.state = SHIM_FAILCLOSED;
	} else {
		S.state = SHIM_ACTIVE;
	}
	S.mode = S.cfg.mode;
	if (!S.cfg.nprotect) {
		/* A config the service was pointed at that does not parse and
		 * names no root: nothing to fail closed on, so stop rather than
		 * run unchecked (as for one it cannot read). */
		if (ret && conf_explicit)
			shim_stop(-ret, err[0] ? err : strerror(-ret));
		if (ret)
			shim_msg(LOG_ALERT, "preload: %s: %s; it names no protected root this process "
				 "can read, so nothing is enforced here", S.conf, err[0] ? err : strerror(-ret));
		S.state = SHIM_INERT;
		return;
	}
	if (vouch_locator_new(S.cfg.protect, S.cfg.nprotect, &S.loc)) {
		/* No memory for the roots: nothing can be located, so nothing
		 * could be let through either (decide() refuses without it). */
		S.loc = NULL;
		S.state = SHIM_FAILCLOSED;
		shim_msg(LOG_ALERT, "preload: %s: out of memory; failing closed", S.conf);
		return;
	}
	if (S.state == SHIM_FAILCLOSED) {
		char list[1024] = "";
		for (size_t i = 0; i < S.cfg.nprotect; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ":" : "", vouch_locator_root_path(S.loc, i));
		shim_msg(LOG_ALERT, "preload: %s: %s; failing closed: every read under %s is denied",
			 S.conf, err[0] ? err : strerror(-ret), list);
		return;
	}
	/* The shim may run as www-data: an audit log it cannot append to is
	 * reported once to syslog instead of stopping the server.  And it reads
	 * the anti-rollback marks but never writes them: they are root's files,
	 * advanced by vouchfs and `vouch verify --record`, not by whatever
	 * program happens to carry the shim. */
	S.cfg.audit_optional = true;
	S.cfg.state_readonly = true;
}

/* ---- the verification context ------------------------------------------ */

static struct vouch_ctx *ctx_get(pid_t pid, uid_t euid)
{
	struct vouch_ctx *ctx;
	char err[512] = "";

	pthread_mutex_lock(&S.ctx_lock);
	if (!S.ctx || S.ctx_pid != pid || S.ctx_euid != euid) {
		/* A context made before a setuid: free it only when nothing can
		 * be inside it.  One made by our parent is left alone (leaked):
		 * a thread of the parent's (a verification, its audit sender)
		 * may have held one of its locks when the process forked. */
		if (S.ctx && S.ctx_pid == pid && __atomic_load_n(&S.inflight, __ATOMIC_ACQUIRE) == 0)
			vouch_ctx_free(S.ctx);
		S.ctx = NULL;
		int ret = vouch_ctx_new(&S.cfg, &S.ctx, err, sizeof(err));
		if (ret) {
			S.ctx = NULL;
			/* Keys unreadable, trust dir missing...: fail closed, and say
			 * so once per process and identity. */
			if (!S.ctx_failed_logged || S.ctx_pid != pid || S.ctx_euid != euid)
				shim_msg(LOG_ALERT, "preload: %s: %s; failing closed: every read under "
					 "the protected roots is denied%s", S.conf, err[0] ? err : strerror(-ret),
					 ret == -EACCES ? " (" SHIM_READABLE_HINT ")" : "");
			S.ctx_failed_logged = true;
		}
		S.ctx_pid = pid;
		S.ctx_euid = euid;
	}
	ctx = S.ctx;
	if (ctx)
		__atomic_add_fetch(&S.inflight, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&S.ctx_lock);
	return ctx;
}

static void ctx_put(void)
{
	__atomic_sub_fetch(&S.inflight, 1, __ATOMIC_ACQ_REL);
}

static void shim_atfork_prepare(void)
{
	pthread_mutex_lock(&S.ctx_lock);
	vouch_locator_atfork_prepare(S.loc);
	shim_ask_atfork_prepare();
}

static void shim_atfork_parent(void)
{
	shim_ask_atfork_parent();
	vouch_locator_atfork_parent(S.loc);
	pthread_mutex_unlock(&S.ctx_lock);
}

static void shim_atfork_child(void)
{
	vouch_locator_atfork_child(S.loc);
	shim_ask_atfork_child();
	S.ask_logged = false;       /* one alert per process */
	/* A verification was running in a thread that does not exist here:
	 * its locks may be held forever; abandon (leak) that context. */
	if (__atomic_load_n(&S.inflight, __ATOMIC_ACQUIRE))
		S.ctx = NULL;
	S.inflight = 0;
	pthread_mutex_init(&S.ctx_lock, NULL);
}

/* The program is exiting: hand the records it made to the sinks (they are
 * sent by a thread of ours that exit would cut short), waiting at most a
 * second, so a short-lived program's denials are not lost. */
__attribute__((destructor)) static void shim_dtor(void)
{
	struct vouch_ctx *ctx;

	/* trylock: exit() may run while another thread holds the lock. */
	if (pthread_mutex_trylock(&S.ctx_lock))
		return;
	ctx = S.ctx && S.ctx_pid == getpid() ? S.ctx : NULL;
	pthread_mutex_unlock(&S.ctx_lock);
	if (ctx)
		vouch_ctx_drain(ctx, 1000);
}

__attribute__((constructor)) static void shim_ctor_fork(void)
{
	pthread_atfork(shim_atfork_prepare, shim_atfork_parent, shim_atfork_child);
}

/* ---- the verdict --------------------------------------------------------- */

static void shim_perm_alert(const char *what)
{
	char comm[17] = "";

	if (__atomic_exchange_n(&S.perm_logged, true, __ATOMIC_RELAXED))
		return;
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	shim_msg(LOG_ALERT, "preload: %s (pid %d) runs as uid %u, which cannot read what vouch "
		 "needs (%s), so every protected open there is denied; " SHIM_READABLE_HINT,
		 comm, (int)getpid(), (unsigned)geteuid(), what);
}

static int verify(int fd, int flags, struct vouch_location *w)
{
	struct vouch_subject who;
	struct vouch_verdict v;
	struct vouch_root root;
	struct vouch_ctx *ctx;
	char comm[17] = "";
	int fl = -1;

	if (S.state == SHIM_FAILCLOSED || w->root < 0)
		return -EACCES;
	root = (struct vouch_root){ .fd = vouch_locator_root_fd(S.loc, (size_t)w->root),
				    .path = vouch_locator_root_path(S.loc, (size_t)w->root) };
	if (root.fd < 0)
		return -EACCES;
	who = (struct vouch_subject){ .pid = getpid(), .uid = geteuid(), .comm = comm };
	ctx = ctx_get(who.pid, who.uid);
	if (!ctx)
		return -EACCES;
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	/* libvouch hashes with pread into ordinary buffers, which O_DIRECT
	 * refuses; the fd is ours alone until we return, so lift the flag for
	 * the hash and put it back. */
	if (flags & O_DIRECT) {
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_DIRECT);
	}
	memset(&v, 0, sizeof(v));
	/* The name asked for decides; a name found from where the fd lives
	 * (asked outside every root, or no name) exempts no signature file. */
	vouch_verify_open(ctx, &root, w->rel, fd, w->named ? 0 : VOUCH_OPEN_FOUND, &who, &v);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl);
	ctx_put();
	if (v.cause == VOUCH_CAUSE_IO_ERROR && strstr(v.detail, strerror(EACCES)))
		shim_perm_alert(v.detail);
	return v.allow ? 0 : -EACCES;
}

/* vouchd decides (vouchd_socket): it receives this very open file (its
 * offset untouched: it reads with pread) and the name asked for, or "" when
 * the fd was located by where it lives (vouchd then locates it itself). */
static int ask_vouchd(int fd, int flags, const struct vouch_location *w)
{
	struct vouch_ask_reply r;
	char comm[17] = "", sock[PATH_MAX * 4 + 1];
	int fl = -1, ret;

	/* vouchd hashes with pread into ordinary buffers, which O_DIRECT on
	 * this shared open file description would refuse: lifted for the
	 * question, as verify() does. */
	if (flags & O_DIRECT) {
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_DIRECT);
	}
	ret = shim_ask(S.cfg.vouchd_socket, fd, w->named ? w->path : "", &r);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl);
	if (ret == 0)
		return r.allow ? 0 : -EACCES;
	/* Configured but not answering: fail closed (audit mode lets it be),
	 * said once per process.  vouchd records its own verdicts; this one
	 * it never saw. */
	if (!__atomic_exchange_n(&S.ask_logged, true, __ATOMIC_RELAXED)) {
		prctl(PR_GET_NAME, comm, 0, 0, 0);
		vouch_escape(S.cfg.vouchd_socket, sock, sizeof(sock));
		shim_msg(LOG_ALERT, "preload: vouchd_socket %s cannot be asked: %s; %s in %s (pid %d)",
			 sock, strerror(-ret), S.mode == VOUCH_MODE_AUDIT
			 ? "audit mode: protected reads are let through unchecked"
			 : "failing closed: every read under the protected roots is denied",
			 comm, (int)getpid());
	}
	return S.mode == VOUCH_MODE_AUDIT ? 0 : -EACCES;
}

static int decide(int dirfd, const char *path, int flags, int fd)
{
	struct vouch_location w;

	if (!S.loc)
		return -EACCES;     /* failing closed: said once, at load */
	vouch_locate(S.loc, dirfd, path, fd, 0, &w);
	if (w.blind && !__atomic_exchange_n(&S.blind_logged, true, __ATOMIC_RELAXED))
		shim_msg(LOG_WARNING, "preload: /proc is not available in this process; files are "
			 "recognised only by the name asked for and by hard-link identity");
	switch (w.kind) {
	case VOUCH_WHERE_FREE:
		return 0;
	case VOUCH_WHERE_PROTECTED:
		if (!S_ISREG(w.st.st_mode) && !w.named)
			/* A fifo or device planted in the model tree. */
			return shim_refuse(VOUCH_CAUSE_SYMLINK, &w, "not a regular file");
		if (S.cfg.vouchd_socket && S.state == SHIM_ACTIVE)
			return ask_vouchd(fd, flags, &w);
		return verify(fd, flags, &w);
	case VOUCH_WHERE_UNKNOWN:
	default:
		if (S.cfg.vouchd_socket && S.state == SHIM_ACTIVE)
			return ask_vouchd(fd, flags, &w);
		return shim_refuse(VOUCH_CAUSE_UNLOCATED, &w,
				   "cannot tell where this file lives (its filesystem holds a protected root)");
	}
}

int shim_decide(int dirfd, const char *path, int flags, int fd)
{
	int saved = errno, ret = 0;

	if (shim_busy)
		return 0;
	shim_busy = 1;
	pthread_once(&load_once, shim_load);
	if (S.state != SHIM_INERT)
		ret = decide(dirfd, path, flags, fd);
	shim_busy = 0;
	errno = saved;
	return ret;
}
