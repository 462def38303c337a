/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vouchd.c - the host-wide verifier: arguments, configuration, which
 * filesystems may be marked, start-up and --disarm.
 *
 * vouchd marks every filesystem that holds a protected root with fanotify
 * permission events, so that an open of any file there, by any process in
 * any mount namespace, waits for one decision (docs/vouchd.md).  The
 * process that owns the fanotify group is the broker (broker.c); the
 * decisions are made in a worker process (worker.c).
 */
#include "vouchd_i.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x1000U
#endif

struct vouchd_opts g_opt = { .config = VOUCH_DEFAULT_CONFIG, .mode = -1,
			     .ctl_path = VOUCHD_CTL_DEFAULT };

/* vouchd exists in the process: the preload shim (a host-wide baseline may
 * load it into every program) stays out of vouchd, which must never wait
 * for itself. */
__attribute__((visibility("default"), used)) const int vouch_preload_exempt = 1;

static bool use_syslog, use_stderr = true;

/*
 * vouchd's own messages to /dev/log, never waiting: the broker logs from
 * the thread that answers opens, and syslog(3) blocks while the receiver
 * is not reading (every open on the marked filesystems would wait with
 * it).  A message that finds the socket full is dropped and counted; the
 * next one that gets through says how many.  (Decision records go through
 * libvouch's queued sender, as in every front end.)
 */
static void log_send(int prio, const char *line)
{
	static const struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static unsigned long dropped;
	static int sock = -1;
	char msg[1400];
	int n;

	pthread_mutex_lock(&mu);
	if (sock < 0)
		sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (dropped) {
		n = snprintf(msg, sizeof(msg), "<%d>vouchd[%d]: vouchd: %lu message(s) dropped while "
			     "syslog was not reading", LOG_DAEMON | LOG_WARNING, (int)getpid(), dropped);
		if (sock >= 0 && sendto(sock, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
					(const struct sockaddr *)&addr, sizeof(addr)) == n)
			dropped = 0;
	}
	n = snprintf(msg, sizeof(msg), "<%d>vouchd[%d]: vouchd: %s", LOG_DAEMON | prio, (int)getpid(),
		     line);
	if (n >= (int)sizeof(msg))
		n = (int)sizeof(msg) - 1;
	if (sock < 0 || sendto(sock, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
			       (const struct sockaddr *)&addr, sizeof(addr)) != n) {
		dropped++;
		if (sock >= 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			close(sock);          /* the receiver restarted: a new socket next time */
			sock = -1;
		}
	}
	pthread_mutex_unlock(&mu);
}

void vouchd_log(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (use_syslog)
		log_send(prio, line);
	/* stderr: the terminal (not under systemd, whose journal has the
	 * syslog line already). */
	if (use_stderr)
		fprintf(stderr, "vouchd: %s\n", line);
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: vouchd [OPTIONS]\n"
"       vouchd --disarm [--control PATH]\n"
"\n"
"Verify every open of a file under the configured protected roots, by any\n"
"process: an open whose signature does not verify fails with EPERM and a\n"
"LOG_ALERT audit record.  The filesystems holding the roots are marked with\n"
"fanotify; the one holding the system or vouchd itself is refused.\n"
"\n"
"  -c, --config FILE     configuration (default: $VOUCH_CONFIG, which must exist,\n"
"                        else " VOUCH_DEFAULT_CONFIG ")\n"
"  -f, --foreground      stay in the foreground (systemd: Type=notify)\n"
"  -m, --mode MODE       enforce or audit (audit: allow, but alert)\n"
"  -a, --audit-log FILE  JSON-lines audit log (overrides audit_log)\n"
"      --control PATH    control socket (default " VOUCHD_CTL_DEFAULT ")\n"
"      --disarm          ask the running vouchd to stop enforcing (root; logged\n"
"                        at LOG_ALERT); the only way to stop it on purpose\n"
"                        besides SIGTERM\n"
"  -h, --help            this text\n"
"  -V, --version         version\n"
"\n"
"Signals: SIGHUP rereads the configuration and trusted keys (new roots are\n"
"marked; cached verdicts are decided again); SIGTERM stops enforcing.\n"
"Exit: 0 clean stop, 2 usage, 3 operational error.\n");
}

static int set_string(char **field, const char *value)
{
	char *dup = strdup(value);

	if (!dup)
		return -ENOMEM;
	free(*field);
	*field = dup;
	return 0;
}

int vouchd_load_config(struct vouch_config *cfg, char *err, size_t errlen)
{
	int ret;

	vouch_config_init(cfg);
	ret = vouch_config_load(cfg, g_opt.config, err, errlen);
	if (ret < 0)
		return ret;
	if (g_opt.audit_log && (ret = set_string(&cfg->audit_log, g_opt.audit_log)) < 0)
		return ret;
	if (g_opt.mode >= 0)
		cfg->mode = (enum vouch_mode)g_opt.mode;
	/* A file open for writing anywhere is refused (the worker ignores
	 * SIGIO, which a lease break would send). */
	cfg->leases = true;
	if (!cfg->nprotect) {
		snprintf(err, errlen, "%s: no protected root (protect = in [vouch])", g_opt.config);
		return -EINVAL;
	}
	return 0;
}

/* ---- filesystems -------------------------------------------------------- */

/* The superblock of the mount with this id, from our own mountinfo. */
static int mount_sb(unsigned long id, dev_t *out)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long mid, parent;
		unsigned maj, min;

		if (sscanf(line, "%lu %lu %u:%u", &mid, &parent, &maj, &min) == 4 && mid == id) {
			*out = makedev(maj, min);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

int vouchd_sb_dev(int fd, dev_t *out)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0)
		return -errno;
	if (!(sx.stx_mask & STATX_MNT_ID))
		return -ENOSYS;
	return mount_sb((unsigned long)sx.stx_mnt_id, out);
}

/* The filesystems vouchd must never mark: what the system and vouchd run
 * from (an open there would wait for vouchd, exec included). */
#define SYS_DEVS_MAX 64
static struct {
	dev_t dev;
	char  what[128];
} sys_devs[SYS_DEVS_MAX];
static size_t nsys_devs;

static void add_sys(const char *path, const char *what)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	dev_t d;

	if (fd < 0)
		return;
	if (vouchd_sb_dev(fd, &d) == 0 && nsys_devs < SYS_DEVS_MAX) {
		for (size_t i = 0; i < nsys_devs; i++)
			if (sys_devs[i].dev == d) {
				close(fd);
				return;
			}
		sys_devs[nsys_devs].dev = d;
		snprintf(sys_devs[nsys_devs].what, sizeof(sys_devs[0].what), "%s", what);
		nsys_devs++;
	}
	close(fd);
}

void vouchd_system_devs(void)
{
	static const char *const dirs[] = { "/", "/usr", "/etc", "/var", "/bin", "/sbin", "/lib",
					    "/lib64", "/usr/lib", "/run" };
	char line[PATH_MAX + 256], what[PATH_MAX + 64];
	FILE *f;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(what, sizeof(what), "it holds %s", dirs[i]);
		add_sys(dirs[i], what);
	}
	add_sys("/proc/self/exe", "it holds vouchd's own binary");
	add_sys(g_opt.config, "it holds vouchd's configuration");
	/* Every library mapped into us. */
	f = fopen("/proc/self/maps", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		snprintf(what, sizeof(what), "it holds %s, which vouchd runs from", p);
		add_sys(p, what);
	}
	if (f)
		fclose(f);
}

bool vouchd_sb_forbidden(int fd, dev_t sb, char *why, size_t len)
{
	struct statfs fs;

	/* An open through an overlayfs opens its layers' files: on a marked
	 * filesystem that is a second permission event for the broker that
	 * is still reading the first (a deadlock of every open on both). */
	if (fstatfs(fd, &fs) == 0 && fs.f_type == OVERLAYFS_SUPER_MAGIC) {
		snprintf(why, len, "it is an overlayfs, whose opens open its layers' files beneath "
			 "vouchd's own event (protect the directories the layers are on, or use vouchfs)");
		return true;
	}
	for (size_t i = 0; i < nsys_devs; i++)
		if (sys_devs[i].dev == sb) {
			snprintf(why, len, "its filesystem (%u:%u) %s", major(sb), minor(sb),
				 sys_devs[i].what);
			return true;
		}
	return false;
}

/* ---- broker <-> worker messages -------------------------------------------- */

int vouchd_send(int sock, const struct vd_msg *m, int fd, int flags)
{
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } c;
	struct iovec iov = { (void *)m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(c.buf, 0, sizeof(c.buf));
		mh.msg_control = c.buf;
		mh.msg_controllen = sizeof(c.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, flags | MSG_NOSIGNAL) == (ssize_t)sizeof(*m) ? 0 : -errno;
}

int vouchd_recv(int sock, struct vd_msg *m, int *fd)
{
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } c;
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	*fd = -1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	if (n == 0)
		return -ECONNRESET;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	if (n != (ssize_t)sizeof(*m) || (mh.msg_flags & MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EBADMSG;
	}
	return 0;
}

int vouchd_listen(const char *path, int type, mode_t mode, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, ret = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	/* Never wider than mode, not even between bind and chmod. */
	old = umask(~mode & 0777);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, mode) < 0 ||
	    listen(fd, backlog) < 0)
		ret = -errno;
	umask(old);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* ---- --disarm ------------------------------------------------------------ */

static int disarm(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[8] = "";
	int fd;

	if (strlen(g_opt.ctl_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vouchd: --control %s: path too long\n", g_opt.ctl_path);
		return EXIT_USAGE;
	}
	memcpy(sa.sun_path, g_opt.ctl_path, strlen(g_opt.ctl_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vouchd: %s: %s (is vouchd running?)\n", g_opt.ctl_path, strerror(errno));
		return EXIT_OPER;
	}
	if (write(fd, "disarm", 6) != 6 || read(fd, buf, sizeof(buf) - 1) <= 0 ||
	    strncmp(buf, "ok", 2)) {
		fprintf(stderr, "vouchd: %s: refused (only root may disarm vouchd)\n", g_opt.ctl_path);
		close(fd);
		return EXIT_OPER;
	}
	close(fd);
	fprintf(stderr, "vouchd: disarmed: enforcement has stopped\n");
	return 0;
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "mode", required_argument, NULL, 'm' },
		{ "audit-log", required_argument, NULL, 'a' },
		{ "control", required_argument, NULL, 'C' },
		{ "disarm", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct vouch_config cfg;
	char err[1024] = "";
	bool do_disarm = false;
	int c, ret, fan = -1, ask = -1, n;
	char **names = NULL;
	const char *env = getenv("VOUCH_CONFIG");

	if (env && *env) {
		g_opt.config = env;
		g_opt.cfg_explicit = true;
	}
	while ((c = getopt_long(argc, argv, "c:fm:a:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			g_opt.config = optarg;
			g_opt.cfg_explicit = true;
			break;
		case 'f':
			g_opt.foreground = true;
			break;
		case 'm':
			if (!strcmp(optarg, "enforce"))
				g_opt.mode = VOUCH_MODE_ENFORCE;
			else if (!strcmp(optarg, "audit"))
				g_opt.mode = VOUCH_MODE_AUDIT;
			else {
				fprintf(stderr, "vouchd: --mode must be enforce or audit\n");
				return EXIT_USAGE;
			}
			break;
		case 'a':
			if (optarg[0] != '/') {
				fprintf(stderr, "vouchd: --audit-log must be an absolute path\n");
				return EXIT_USAGE;
			}
			g_opt.audit_log = optarg;
			break;
		case 'C':
			g_opt.ctl_path = optarg;
			break;
		case 'D':
			do_disarm = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vouchd %s\n", VOUCH_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (do_disarm)
		return disarm();
	if (geteuid() != 0) {
		fprintf(stderr, "vouchd: must run as root (fanotify permission events)\n");
		return EXIT_OPER;
	}
	ret = vouch_init();
	if (!ret)
		ret = vouchd_load_config(&cfg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "vouchd: %s\n", err[0] ? err : strerror(-ret));
		return EXIT_OPER;
	}
	vouchd_system_devs();
	/* Under systemd: the group kept in the fd store by a previous broker,
	 * and the shim's socket from vouchd.socket. */
	n = sd_listen_fds_with_names(1, &names);
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		if (names && names[i] && !strcmp(names[i], "fanotify"))
			fan = fd;
		else if (sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) > 0)
			ask = fd;
		else
			close(fd);
	}
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	if (!g_opt.foreground) {
		/* No systemd: detach (the group then dies with the broker). */
		if (daemon(0, 0) < 0) {
			fprintf(stderr, "vouchd: daemon: %s\n", strerror(errno));
			return EXIT_OPER;
		}
	}
	use_syslog = true;
	use_stderr = g_opt.foreground && !getenv("JOURNAL_STREAM");
	ret = broker_run(&cfg, fan, ask);
	vouch_config_clear(&cfg);
	return ret;
}
