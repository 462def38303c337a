/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vouchfs.c - the vouchfs daemon: arguments, configuration, life cycle.
 *
 * vouchfs serves SOURCE read-only at MOUNTPOINT and lets an open of a
 * regular file succeed only if vouch_verify_fd() allows it.  This file owns
 * start-up (config, trust, pinning, mounting, daemonizing), signals (SIGHUP
 * reloads trust without unmounting; SIGTERM/SIGINT unmount cleanly) and the
 * systemd handshake.  The FUSE operations are in fs_ops.c, the mount table
 * work in fs_mount.c.  See vouchfs(1) and docs/vouchfs.md.
 */
#include "vouchfs_i.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define DEFAULT_CONFIG      VOUCH_DEFAULT_CONFIG
/* Workers: a first open blocks its worker for the whole hash of the file.
 * 32 opens waiting on one large file must leave workers for everything
 * else (with libfuse's default of 10, an unrelated open waited 7.7 s behind
 * 32 such opens, measured with libfuse 3.14 on Debian 12). */
#define DEFAULT_MAX_THREADS 128
/* Entry/attribute cache: saves a LOOKUP and GETATTR per open of a hot
 * file.  Opens are never cached: every open reaches vouch_verify_fd(). */
#define DEFAULT_TIMEOUT     1.0
/* After the first open of a file, fill the page cache with up to this much
 * of it (MiB): the reader then finds cached pages instead of waiting for
 * READ round trips.  Cache only: the kernel drops it under pressure. */
#define DEFAULT_PREFETCH_MIB 4096

/* exit codes, as the vouch CLI */
#define EXIT_USAGE 2
#define EXIT_OPER  3

struct vouchfs g_fs = { .rootfd = -1, .devfd = -1, .ready_fd = -1, .mode = -1,
			.hup_pipe = { -1, -1 } };
static bool daemonized;

void vouchfs_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Under systemd stderr goes to the journal; a daemon has no stderr. */
	if (daemonized)
		syslog(LOG_DAEMON | LOG_WARNING, "vouchfs: %s", line);
	else
		fprintf(stderr, "vouchfs: %s\n", line);
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: vouchfs [OPTIONS] SOURCE MOUNTPOINT\n"
"       vouchfs --unmount MOUNTPOINT\n"
"\n"
"Serve SOURCE read-only at MOUNTPOINT; an open of a file succeeds only if its\n"
"signature verifies (EACCES and a LOG_ALERT audit record otherwise).\n"
"SOURCE and MOUNTPOINT may be the same directory (an in-place mount).\n"
"\n"
"  -c, --config FILE     configuration (default: $VOUCH_CONFIG, which must exist,\n"
"                        else " DEFAULT_CONFIG " if it exists)\n"
"      --trust DIR       directory of trusted public keys (overrides 'trust')\n"
"      --mode MODE       enforce (deny) or audit (allow and alert); overrides 'mode'\n"
"      --audit-log FILE  also write JSON-lines audit records to FILE\n"
"  -f, --foreground      do not daemonize (use under systemd, Type=notify)\n"
"  -o OPT[,OPT...]       allow_other         serve other users (the default;\n"
"                                            config 'allow_other = no' serves\n"
"                                            root only); file modes still hold\n"
"                                            (default_permissions)\n"
"                        default_permissions always on\n"
"                        ro                  always on\n"
"                        max_threads=N       FUSE workers (default %d)\n"
"                        timeout=SECS        entry/attribute cache (default %.1f)\n"
"                        prefetch=MIB        after a first open, fill the page\n"
"                                            cache with up to MIB of the file\n"
"                                            (default %d; 0: off)\n"
"                        debug               FUSE request trace (implies -f)\n"
"  -d, --debug           same as -o debug\n"
"      --unmount         remove every vouchfs layer on MOUNTPOINT (a crashed\n"
"                        instance included) and its source pin, then exit\n"
"  -h, --help            this text\n"
"  -V, --version         version\n"
"\n"
"Signals: SIGHUP rereads the configuration and trusted keys without\n"
"unmounting and drops cached verdicts; SIGTERM/SIGINT unmount and exit.\n"
"If vouchfs dies, the mount answers ENOTCONN until it is restarted or\n"
"removed with --unmount.  Exit: 0 clean stop, 2 usage, 3 operational error.\n",
		DEFAULT_MAX_THREADS, DEFAULT_TIMEOUT, DEFAULT_PREFETCH_MIB);
}

/* -o: only options vouchfs implements; anything else is an error rather
 * than silently ignored. */
static int parse_fuse_opts(char *list)
{
	char *save = NULL, *o;

	for (o = strtok_r(list, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *end;

		if (!strcmp(o, "allow_other")) {
			g_fs.opt_allow_other = true;
		} else if (!strcmp(o, "default_permissions") || !strcmp(o, "ro")) {
			/* always on */
		} else if (!strcmp(o, "debug")) {
			g_fs.debug = g_fs.foreground = true;
		} else if (!strncmp(o, "max_threads=", 12)) {
			unsigned long v = strtoul(o + 12, &end, 10);

			if (*end || v < 2 || v > 10000)
				goto bad;
			g_fs.max_threads = (unsigned)v;
		} else if (!strncmp(o, "prefetch=", 9)) {
			unsigned long v = strtoul(o + 9, &end, 10);

			if (*end || v > (1ul << 30))
				goto bad;
			g_fs.prefetch_mib = (unsigned)v;
		} else if (!strncmp(o, "timeout=", 8)) {
			double v = strtod(o + 8, &end);

			if (*end || v < 0 || v > 86400)
				goto bad;
			g_fs.timeout = v;
		} else {
			goto bad;
		}
		continue;
bad:
		fprintf(stderr, "vouchfs: -o %s: unknown option or bad value\n", o);
		return -EINVAL;
	}
	return 0;
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

/* Config file, then command-line overrides; the source is always a
 * protected root.  Used at start and on every SIGHUP. */
static int load_config(struct vouch_config *cfg, char *err, size_t errlen)
{
	size_t i;
	int ret;

	vouch_config_init(cfg);
	if (g_fs.cfg_explicit || access(g_fs.cfgpath, F_OK) == 0) {
		ret = vouch_config_load(cfg, g_fs.cfgpath, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (g_fs.trust_dir && (ret = set_string(&cfg->trust_dir, g_fs.trust_dir)) < 0)
		return ret;
	if (g_fs.audit_log && (ret = set_string(&cfg->audit_log, g_fs.audit_log)) < 0)
		return ret;
	if (g_fs.mode >= 0)
		cfg->mode = (enum vouch_mode)g_fs.mode;
	/* A source file open for writing is refused, not verified (a lease
	 * break sends SIGIO, ignored in main). */
	cfg->leases = true;
	for (i = 0; i < cfg->nprotect; i++)
		if (!strcmp(cfg->protect[i], g_fs.source))
			return 0;
	return vouch_config_add(&cfg->protect, &cfg->nprotect, g_fs.source);
}

/* ---------------------------------------------------------------------- */
/* Signals and reload.                                                      */

static void on_sighup(int sig)
{
	int saved = errno;

	/* Only async-signal-safe work here: wake the reload thread. */
	if (write(g_fs.hup_pipe[1], "h", 1) < 0) {
		/* pipe full: a reload is already pending */
	}
	errno = saved;
}

static void *reload_thread(void *arg)
{
	char c, err[512];

	while (read(g_fs.hup_pipe[0], &c, 1) > 0) {
		struct vouch_config cfg;
		int ret;

		sd_notify(0, "RELOADING=1\nSTATUS=reloading trust");
		err[0] = '\0';
		ret = load_config(&cfg, err, sizeof(err));
		if (ret == 0)
			ret = vouch_ctx_reload(g_fs.ctx, &cfg, err, sizeof(err));
		else   /* vouch_ctx_reload logs its own refusals */
			vouch_ctx_log(g_fs.ctx, LOG_ERR, "reload refused, old trust stays in force: %s",
				      err[0] ? err : strerror(-ret));
		if (ret < 0) {
			/* The old trust stays in force: never less protection. */
			vouchfs_log("reload failed, keeping the previous trust: %s",
				    err[0] ? err : strerror(-ret));
			vouch_config_clear(&cfg);
		} else {
			if (cfg.allow_other != g_fs.cfg.allow_other)
				vouchfs_log("allow_other changed: takes effect at the next mount");
			vouch_config_clear(&g_fs.cfg);
			g_fs.cfg = cfg;
			vouchfs_log("reloaded %s: cached verdicts dropped",
				    g_fs.cfg.path ? g_fs.cfg.path : "trust");
		}
		sd_notifyf(0, "READY=1\nSTATUS=serving %s", g_fs.source);
	}
	return NULL;
}

static bool allow_other_on(void)
{
	return g_fs.opt_allow_other || g_fs.cfg.allow_other;
}

void vouchfs_notify_ready(void)
{
	int fd = g_fs.ready_fd;

	vouchfs_set_readahead(g_fs.mountpoint, VOUCHFS_MAX_READ / 1024);
	sd_notifyf(0, "READY=1\nSTATUS=serving %s at %s", g_fs.source, g_fs.mountpoint);
	/* One line on success (stderr: the terminal, or the journal under
	 * systemd), before a daemon lets go of it: what is served where, and
	 * who may read it, since a refusal by file mode or allow_other never
	 * reaches vouchfs and is never logged. */
	vouchfs_log("serving %s at %s%s%s (%s; %s)", g_fs.source, g_fs.mountpoint,
		    g_fs.pin ? ", in place, source pinned at " : "", g_fs.pin ? g_fs.pin : "",
		    g_fs.cfg.path ? g_fs.cfg.path : "no config file",
		    allow_other_on() ? "all users, file modes apply" :
		    "root only: allow_other = no, other users get EACCES from the kernel, unlogged");
	if (fd >= 0) {
		/* Daemonized: the parent exits 0 only now that the mount answers. */
		g_fs.ready_fd = -1;
		if (write(fd, "r", 1) < 0) {
			/* the parent is gone; nothing to tell */
		}
		close(fd);
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		daemonized = true;
	}
}

/* Fork before any thread exists; the parent waits until the mount answers
 * (exit 0) or the child fails (its exit code), so a script that runs
 * `vouchfs SRC MNT && use MNT` never races the mount. */
static int daemonize(void)
{
	int p[2], status;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) == 1)
			_exit(0);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : EXIT_OPER);
		_exit(EXIT_OPER);
	}
	close(p[0]);
	g_fs.ready_fd = p[1];
	setsid();
	return 0;
}

/* ---------------------------------------------------------------------- */

static int cmd_unmount(const char *path)
{
	char msg[512] = "";
	char *mp = vouchfs_abspath(path);
	int n;

	if (!mp) {
		fprintf(stderr, "vouchfs: %s: %s\n", path, strerror(errno));
		return EXIT_OPER;
	}
	n = vouchfs_unmount_all(mp, msg, sizeof(msg));
	if (n < 0) {
		fprintf(stderr, "vouchfs: %s\n", msg);
		free(mp);
		return EXIT_OPER;
	}
	free(mp);
	return 0;
}

static struct fuse_session *new_session(void)
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
	if (g_fs.debug)
		argv[argc++] = "-d";
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, (char **)argv);
	se = fuse_session_new(&args, &vouchfs_ops, sizeof(vouchfs_ops), NULL);
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
static struct fuse_session *new_session_fusermount(void)
{
	char opts[PATH_MAX + 128];
	const char *argv[4] = { "vouchfs", "-o", opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, (char **)argv);
	struct fuse_session *se;

	/* fusermount3 takes allow_other from a user only with user_allow_other
	 * in /etc/fuse.conf: the default (allow_other = yes) yields there, an
	 * explicit -o allow_other does not. */
	if (!g_fs.opt_allow_other && g_fs.cfg.allow_other && !fuse_conf_user_allow_other()) {
		vouchfs_log("not root and no user_allow_other in /etc/fuse.conf: serving uid %u only "
			    "(allow_other needs it without root)", (unsigned)getuid());
		g_fs.cfg.allow_other = false;
	}
	snprintf(opts, sizeof(opts),
		 "max_read=%u,ro,default_permissions,subtype=vouchfs%s%s",
		 VOUCHFS_MAX_READ, allow_other_on() ? ",allow_other" : "", g_fs.debug ? ",debug" : "");
	if (g_fs.debug) {
		argv[3] = "-d";
		args.argc = 4;
	}
	se = fuse_session_new(&args, &vouchfs_ops, sizeof(vouchfs_ops), NULL);
	fuse_opt_free_args(&args);
	return se;
}

/* Every name is resolved with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS). */
static bool openat2_works(int dirfd)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
	int fd = (int)syscall(SYS_openat2, dirfd, ".", &how, sizeof(how));

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int run(void)
{
	struct fuse_loop_config *loop = NULL;
	struct sigaction sa;
	sigset_t block, old;
	pthread_t reloader;
	bool reloader_up = false, handlers = false;
	char msg[1024] = "";
	bool root = geteuid() == 0;
	int ret;

	/* Signals are handled by the main thread only: every thread created
	 * from here on (libvouch's, the reloader, FUSE workers) blocks them,
	 * so the signal interrupts the loop's wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);

	ret = load_config(&g_fs.cfg, msg, sizeof(msg));
	if (ret == 0)
		ret = vouch_ctx_new(&g_fs.cfg, &g_fs.ctx, msg, sizeof(msg));
	if (ret < 0) {
		vouchfs_log("%s", msg[0] ? msg : strerror(-ret));
		ret = EXIT_OPER;
		goto out;
	}
	if (g_fs.inplace && root) {
		g_fs.rootfd = vouchfs_pin_source(&g_fs, msg, sizeof(msg));
	} else {
		/* Pinned by this fd before the mount hides the directory. */
		g_fs.rootfd = open(g_fs.source, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (g_fs.rootfd < 0)
			snprintf(msg, sizeof(msg), "%s: %s", g_fs.source, strerror(errno));
	}
	if (g_fs.rootfd < 0) {
		vouchfs_log("%s", msg);
		ret = EXIT_OPER;
		goto out;
	}
	if (!openat2_works(g_fs.rootfd)) {
		/* Better no mount than one that denies every open (io-error). */
		vouchfs_log("openat2() is not available (%s); a seccomp filter such as "
			    "systemd's RestrictSUIDSGID=yes blocks it", strerror(errno));
		ret = EXIT_OPER;
		goto out;
	}
	if (vouchfs_nodes_init() < 0) {
		ret = EXIT_OPER;
		goto out;
	}
	g_fs.se = root ? new_session() : new_session_fusermount();
	if (!g_fs.se) {
		ret = EXIT_OPER;
		goto out;
	}
	if (root)
		ret = vouchfs_mount_raw(&g_fs, msg, sizeof(msg));
	else
		ret = fuse_session_mount(g_fs.se, g_fs.mountpoint) ? -EIO : 0;
	if (ret < 0) {
		vouchfs_log("%s", msg[0] ? msg : "mount failed");
		ret = EXIT_OPER;
		goto out;
	}

	/* Our SIGHUP first: libfuse only installs its handlers over SIG_DFL,
	 * and its SIGHUP handler would unmount and expose the source. */
	if (pipe2(g_fs.hup_pipe, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    fcntl(g_fs.hup_pipe[0], F_SETFL, 0) != 0) {
		ret = EXIT_OPER;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sighup;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	/* libvouch's read leases: a writer's open breaks one with SIGIO. */
	signal(SIGIO, SIG_IGN);
	if (fuse_set_signal_handlers(g_fs.se) != 0) {
		ret = EXIT_OPER;
		goto out;
	}
	handlers = true;
	if (pthread_create(&reloader, NULL, reload_thread, NULL) == 0)
		reloader_up = true;

	loop = fuse_loop_cfg_create();
	if (!loop) {
		ret = EXIT_OPER;
		goto out;
	}
	fuse_loop_cfg_set_max_threads(loop, g_fs.max_threads);
	fuse_loop_cfg_set_clone_fd(loop, 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ret = fuse_session_loop_mt(g_fs.se, loop);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	sd_notify(0, "STOPPING=1");
	if (g_fs.debug)
		vouchfs_stats_log();

	if (ret > 0) {
		/* Stopped by SIGTERM/SIGINT: a clean stop removes every layer
		 * (a crashed instance's too) and the pin. */
		if (g_fs.raw_mount) {
			if (vouchfs_unmount_all(g_fs.mountpoint, msg, sizeof(msg)) < 0)
				vouchfs_log("%s", msg);
		} else {
			fuse_session_unmount(g_fs.se);
		}
		ret = 0;
	} else {
		/* An error or an unmount from outside: leave what is mounted
		 * (a dead mount answers ENOTCONN: fail closed). */
		if (ret < 0)
			vouchfs_log("session ended: %s", strerror(-ret));
		ret = ret < 0 ? EXIT_OPER : 0;
	}
out:
	if (loop)
		fuse_loop_cfg_destroy(loop);
	if (g_fs.se) {
		if (handlers)
			fuse_remove_signal_handlers(g_fs.se);
		fuse_session_destroy(g_fs.se);   /* closes the /dev/fuse fd */
	}
	if (reloader_up) {
		close(g_fs.hup_pipe[1]);
		pthread_join(reloader, NULL);
		close(g_fs.hup_pipe[0]);
	}
	vouchfs_nodes_free();
	if (g_fs.ctx)
		vouch_ctx_free(g_fs.ctx);
	vouch_config_clear(&g_fs.cfg);
	if (g_fs.rootfd >= 0)
		close(g_fs.rootfd);
	free(g_fs.pin);
	return ret;
}

int main(int argc, char **argv)
{
	enum { OPT_TRUST = 256, OPT_MODE, OPT_AUDIT, OPT_UNMOUNT };
	static const struct option longopts[] = {
		{ "config",     required_argument, NULL, 'c' },
		{ "trust",      required_argument, NULL, OPT_TRUST },
		{ "mode",       required_argument, NULL, OPT_MODE },
		{ "audit-log",  required_argument, NULL, OPT_AUDIT },
		{ "foreground", no_argument,       NULL, 'f' },
		{ "debug",      no_argument,       NULL, 'd' },
		{ "unmount",    no_argument,       NULL, OPT_UNMOUNT },
		{ "help",       no_argument,       NULL, 'h' },
		{ "version",    no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool unmount = false;
	int c, ret;

	g_fs.cfgpath = DEFAULT_CONFIG;
	/* The same file the shim and the vouch command read, so that every
	 * front end on a host checks one policy.  Never under AT_SECURE. */
	{
		const char *env = getauxval(AT_SECURE) ? NULL : secure_getenv("VOUCH_CONFIG");

		if (env && *env) {
			g_fs.cfgpath = env;
			g_fs.cfg_explicit = true;
		}
	}
	g_fs.max_threads = DEFAULT_MAX_THREADS;
	g_fs.timeout = DEFAULT_TIMEOUT;
	g_fs.prefetch_mib = DEFAULT_PREFETCH_MIB;
	while ((c = getopt_long(argc, argv, "+c:fdo:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			g_fs.cfgpath = optarg;
			g_fs.cfg_explicit = true;
			break;
		case OPT_TRUST:
			g_fs.trust_dir = optarg;
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "enforce")) {
				g_fs.mode = VOUCH_MODE_ENFORCE;
			} else if (!strcmp(optarg, "audit")) {
				g_fs.mode = VOUCH_MODE_AUDIT;
			} else {
				fprintf(stderr, "vouchfs: --mode %s: enforce or audit\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_AUDIT:
			g_fs.audit_log = optarg;
			break;
		case 'f':
			g_fs.foreground = true;
			break;
		case 'd':
			g_fs.debug = g_fs.foreground = true;
			break;
		case 'o':
			if (parse_fuse_opts(optarg) < 0)
				return EXIT_USAGE;
			break;
		case OPT_UNMOUNT:
			unmount = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vouchfs (vouch %s) with libfuse %d\n", VOUCH_VERSION, fuse_version());
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (unmount) {
		if (argc - optind != 1) {
			fprintf(stderr, "vouchfs: --unmount takes one MOUNTPOINT\n");
			return EXIT_USAGE;
		}
		return cmd_unmount(argv[optind]);
	}
	if (argc - optind != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	g_fs.source = vouchfs_abspath(argv[optind]);
	g_fs.mountpoint = vouchfs_abspath(argv[optind + 1]);
	if (!g_fs.source || !g_fs.mountpoint) {
		fprintf(stderr, "vouchfs: %s: %s\n",
			g_fs.source ? argv[optind + 1] : argv[optind], strerror(errno));
		return EXIT_OPER;
	}
	g_fs.inplace = strcmp(g_fs.source, g_fs.mountpoint) == 0;
	ret = vouch_init();
	if (ret < 0) {
		fprintf(stderr, "vouchfs: cannot initialise libvouch: %s\n", strerror(-ret));
		return EXIT_OPER;
	}
	if (!g_fs.foreground && daemonize() < 0) {
		fprintf(stderr, "vouchfs: cannot daemonize: %s\n", strerror(errno));
		return EXIT_OPER;
	}
	ret = run();
	free(g_fs.source);
	free(g_fs.mountpoint);
	return ret;
}
