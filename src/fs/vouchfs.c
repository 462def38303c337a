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
 *
 * Layer: the top.  Calls fs_mount.c, fs_ops.c (the node table's life and
 * its counters) and fs_log.c; nothing calls into this file but through
 * the hook it sets, fs->ready (vouchfs_i.h has the map).  main() owns the
 * one struct vouchfs; this file keeps no state of its own.
 */
#include "vouchfs_i.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
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
/* The nice value of vouchfs's hash threads (vouch_hash_set_nice): a small
 * open+read while 32 first opens waited on a 1 GiB hash took 1.3-8.3 ms at
 * nice 0 and 0.26-1.2 ms at 10 (idle: 0.07 ms), the first opens as long. */
#define VOUCHFS_HASH_NICE   10

/* exit codes, as the vouch CLI */
#define EXIT_USAGE 2
#define EXIT_OPER  3

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
"                        verify=open|stream  open: hash the whole file before\n"
"                                            the open succeeds (the default);\n"
"                                            stream: open on the signature,\n"
"                                            check each signed shard as it is\n"
"                                            read (EIO on a bad one; overrides\n"
"                                            the config's 'verify')\n"
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
static int parse_fuse_opts(struct vouchfs *fs, char *list)
{
	char *save = NULL, *o;

	for (o = strtok_r(list, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *end;

		if (!strcmp(o, "allow_other")) {
			fs->opt_allow_other = true;
		} else if (!strcmp(o, "default_permissions") || !strcmp(o, "ro")) {
			/* always on */
		} else if (!strcmp(o, "debug")) {
			fs->debug = fs->foreground = true;
		} else if (!strncmp(o, "max_threads=", 12)) {
			unsigned long v = strtoul(o + 12, &end, 10);

			if (*end || v < 2 || v > 10000)
				goto bad;
			fs->max_threads = (unsigned)v;
		} else if (!strncmp(o, "prefetch=", 9)) {
			unsigned long v = strtoul(o + 9, &end, 10);

			if (*end || v > (1ul << 30))
				goto bad;
			fs->prefetch_mib = (unsigned)v;
		} else if (!strcmp(o, "verify=open") || !strcmp(o, "verify=stream")) {
			fs->verify_opt = !strcmp(o, "verify=stream");
		} else if (!strncmp(o, "timeout=", 8)) {
			double v = strtod(o + 8, &end);

			if (*end || v < 0 || v > 86400)
				goto bad;
			fs->timeout = v;
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
static int load_config(const struct vouchfs *fs, struct vouch_config *cfg, char *err,
		       size_t errlen)
{
	size_t i;
	int ret;

	vouch_config_init(cfg);
	if (fs->cfg_explicit || access(fs->cfgpath, F_OK) == 0) {
		ret = vouch_config_load(cfg, fs->cfgpath, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (fs->trust_dir && (ret = set_string(&cfg->trust_dir, fs->trust_dir)) < 0)
		return ret;
	if (fs->audit_log && (ret = set_string(&cfg->audit_log, fs->audit_log)) < 0)
		return ret;
	if (fs->mode >= 0)
		cfg->mode = (enum vouch_mode)fs->mode;
	/* A source file open for writing is refused, not verified (a lease
	 * break sends SIGIO, ignored in main). */
	cfg->leases = true;
	for (i = 0; i < cfg->nprotect; i++)
		if (!strcmp(cfg->protect[i], fs->source))
			return 0;
	return vouch_config_add(&cfg->protect, &cfg->nprotect, fs->source);
}

/* ---------------------------------------------------------------------- */
/* Signals and reload.                                                      */

/* Never runs: SIGHUP is blocked in every thread and taken by the reload
 * thread's sigwait(), so no handler needs to find struct vouchfs (no
 * global).  It is installed so that SIGHUP is neither SIG_DFL (libfuse
 * puts its exit handler over SIG_DFL, and a SIGHUP would unmount and
 * expose the source) nor SIG_IGN (inherited from a parent, an ignored
 * SIGHUP may be dropped instead of reaching sigwait). */
static void on_sighup(int sig)
{
}

/* One reload per SIGHUP taken (SIGHUPs that arrive while a reload runs
 * are pending, and coalesce into one more).  run() ends the thread by
 * setting fs->stopping and sending the thread itself a SIGHUP. */
static void *reload_thread(void *arg)
{
	struct vouchfs *fs = arg;
	char err[512];
	sigset_t hup;
	int sig;

	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	while (sigwait(&hup, &sig) == 0 && !atomic_load(&fs->stopping)) {
		struct vouch_config cfg;
		int ret;

		sd_notify(0, "RELOADING=1\nSTATUS=reloading trust");
		err[0] = '\0';
		ret = load_config(fs, &cfg, err, sizeof(err));
		if (ret == 0)
			ret = vouch_ctx_reload(fs->ctx, &cfg, err, sizeof(err));
		else {   /* vouch_ctx_reload logs and counts its own refusals */
			vouch_metrics_reload_refused(fs->ctx);
			vouch_ctx_log(fs->ctx, LOG_ERR, "reload refused, old trust stays in force: %s",
				      err[0] ? err : strerror(-ret));
		}
		if (ret < 0) {
			/* The old trust stays in force: never less protection. */
			vouchfs_log(fs, "reload failed, keeping the previous trust: %s",
				    err[0] ? err : strerror(-ret));
			vouch_config_clear(&cfg);
		} else {
			bool other = cfg.allow_other != fs->cfg.allow_other;

			/* init()'s ready line may be reading the config now. */
			pthread_mutex_lock(&fs->cfg_lock);
			vouch_config_clear(&fs->cfg);
			fs->cfg = cfg;
			pthread_mutex_unlock(&fs->cfg_lock);
			/* Opens from now on; handles keep the way they were opened. */
			atomic_store(&fs->verify_stream, fs->verify_opt >= 0 ? fs->verify_opt == 1 :
					 cfg.verify_stream);
			if (other)
				vouchfs_log(fs, "allow_other changed: takes effect at the next mount");
			vouchfs_log(fs, "reloaded %s: cached verdicts dropped",
				    cfg.path ? cfg.path : "trust");
		}
		sd_notifyf(0, "READY=1\nSTATUS=serving %s", fs->source);
	}
	return NULL;
}

/* fs->ready: called from init() (fs_ops.c) once the mount answers. */
static void notify_ready(struct vouchfs *fs)
{
	int fd = fs->ready_fd;

	vouchfs_set_readahead(fs, VOUCHFS_MAX_READ / 1024);
	sd_notifyf(0, "READY=1\nSTATUS=serving %s at %s", fs->source, fs->mountpoint);
	/* One line on success (stderr: the terminal, or the journal under
	 * systemd), before a daemon lets go of it: what is served where, and
	 * who may read it, since a refusal by file mode or allow_other never
	 * reaches vouchfs and is never logged. */
	pthread_mutex_lock(&fs->cfg_lock);     /* a SIGHUP may be replacing it */
	vouchfs_log(fs, "serving %s at %s%s%s (%s; %s)", fs->source, fs->mountpoint,
		    fs->pin ? ", in place, source pinned at " : "", fs->pin ? fs->pin : "",
		    fs->cfg.path ? fs->cfg.path : "no config file",
		    vouchfs_allow_other(fs) ? "all users, file modes apply" :
		    "root only: allow_other = no, other users get EACCES from the kernel, unlogged");
	pthread_mutex_unlock(&fs->cfg_lock);
	if (fd >= 0) {
		/* Daemonized: the parent exits 0 only now that the mount answers. */
		fs->ready_fd = -1;
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
		atomic_store(&fs->daemonized, true);
	}
}

/* Fork before any thread exists; the parent waits until the mount answers
 * (exit 0) or the child fails (its exit code), so a script that runs
 * `vouchfs SRC MNT && use MNT` never races the mount. */
static int daemonize(struct vouchfs *fs)
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
	fs->ready_fd = p[1];
	setsid();
	return 0;
}

/* This instance's metrics on a socket of its own, metrics_dir/vouchfs@ESCAPED
 * .sock (the unit has no network; `vouch metrics` reads it).  Metrics are not
 * protection: a socket that cannot be made is logged and the mount serves. */
static void metrics_start(struct vouchfs *fs)
{
	char err[512] = "", *name = vouch_metrics_name_for_mount(fs->mountpoint);
	int ret = name ? vouch_metrics_serve(fs->ctx, fs->cfg.metrics_dir, name, &fs->metrics, err,
					     sizeof(err)) : -ENOMEM;

	if (ret < 0)
		vouchfs_log(fs, "metrics not served: %s", err[0] ? err : strerror(-ret));
	free(name);
}

/* ---------------------------------------------------------------------- */

static int cmd_unmount(const struct vouchfs *fs, const char *path)
{
	char msg[512] = "";
	char *mp = vouchfs_abspath(path);
	int n;

	if (!mp) {
		fprintf(stderr, "vouchfs: %s: %s\n", path, strerror(errno));
		return EXIT_OPER;
	}
	n = vouchfs_unmount_all(fs, mp, msg, sizeof(msg));
	if (n < 0) {
		fprintf(stderr, "vouchfs: %s\n", msg);
		free(mp);
		return EXIT_OPER;
	}
	free(mp);
	return 0;
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

static int run(struct vouchfs *fs)
{
	struct fuse_loop_config *loop = NULL;
	struct sigaction sa;
	sigset_t block, old, serve;
	pthread_t reloader;
	bool reloader_up = false, handlers = false;
	char msg[1024] = "";
	int ret;

	fs->root = geteuid() == 0;
	/* SIGINT and SIGTERM are handled by the main thread only: every thread
	 * created from here on (libvouch's, the reloader, FUSE workers) blocks
	 * them, so the signal interrupts the loop's wait.  SIGHUP stays blocked
	 * in every thread, the main one too: the reload thread takes it with
	 * sigwait(). */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);

	/* Hashing yields to the opens and reads being served meanwhile
	 * (bench/stream.sh "small open+read while 32 hash"). */
	vouch_hash_set_nice(VOUCHFS_HASH_NICE);
	ret = load_config(fs, &fs->cfg, msg, sizeof(msg));
	if (ret == 0)
		ret = vouch_ctx_new(&fs->cfg, &fs->ctx, msg, sizeof(msg));
	atomic_store(&fs->verify_stream, fs->verify_opt >= 0 ? fs->verify_opt == 1 :
			 fs->cfg.verify_stream);
	if (ret < 0) {
		vouchfs_log(fs, "%s", msg[0] ? msg : strerror(-ret));
		ret = EXIT_OPER;
		goto out;
	}
	if (fs->inplace && fs->root) {
		fs->rootfd = vouchfs_pin_source(fs, msg, sizeof(msg));
	} else {
		/* Pinned by this fd before the mount hides the directory. */
		fs->rootfd = open(fs->source, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fs->rootfd < 0)
			snprintf(msg, sizeof(msg), "%s: %s", fs->source, strerror(errno));
	}
	if (fs->rootfd < 0) {
		vouchfs_log(fs, "%s", msg);
		ret = EXIT_OPER;
		goto out;
	}
	if (!openat2_works(fs->rootfd)) {
		/* Better no mount than one that denies every open (io-error). */
		vouchfs_log(fs, "openat2() is not available (%s); a seccomp filter such as "
			    "systemd's RestrictSUIDSGID=yes blocks it", strerror(errno));
		ret = EXIT_OPER;
		goto out;
	}
	if (vouchfs_nodes_init(fs) < 0) {
		ret = EXIT_OPER;
		goto out;
	}
	if (vouchfs_session_new(fs) < 0) {
		ret = EXIT_OPER;
		goto out;
	}
	ret = vouchfs_session_mount(fs, msg, sizeof(msg));
	if (ret < 0) {
		vouchfs_log(fs, "%s", msg[0] ? msg : "mount failed");
		ret = EXIT_OPER;
		goto out;
	}

	metrics_start(fs);
	/* Our SIGHUP first: libfuse only installs its handlers over SIG_DFL,
	 * and its SIGHUP handler would unmount and expose the source. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sighup;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	/* libvouch's read leases: a writer's open breaks one with SIGIO. */
	signal(SIGIO, SIG_IGN);
	if (fuse_set_signal_handlers(fs->se) != 0) {
		ret = EXIT_OPER;
		goto out;
	}
	handlers = true;
	if (pthread_create(&reloader, NULL, reload_thread, fs) == 0)
		reloader_up = true;

	loop = fuse_loop_cfg_create();
	if (!loop) {
		ret = EXIT_OPER;
		goto out;
	}
	fuse_loop_cfg_set_max_threads(loop, fs->max_threads);
	fuse_loop_cfg_set_clone_fd(loop, 0);
	serve = old;
	sigaddset(&serve, SIGHUP);
	pthread_sigmask(SIG_SETMASK, &serve, NULL);
	ret = fuse_session_loop_mt(fs->se, loop);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	sd_notify(0, "STOPPING=1");
	if (fs->debug)
		vouchfs_stats_log(fs);

	if (ret > 0) {
		/* Stopped by SIGTERM/SIGINT: a clean stop removes every layer
		 * (a crashed instance's too) and the pin. */
		vouchfs_session_unmount(fs);
		ret = 0;
	} else {
		/* An error or an unmount from outside: leave what is mounted
		 * (a dead mount answers ENOTCONN: fail closed). */
		if (ret < 0)
			vouchfs_log(fs, "session ended: %s", strerror(-ret));
		ret = ret < 0 ? EXIT_OPER : 0;
	}
out:
	if (loop)
		fuse_loop_cfg_destroy(loop);
	vouchfs_jobs_stop(fs);
	if (fs->se) {
		if (handlers)
			fuse_remove_signal_handlers(fs->se);
		fuse_session_destroy(fs->se);   /* closes the /dev/fuse fd */
	}
	if (reloader_up) {
		/* After a reload in progress, if any: its next sigwait() takes
		 * this SIGHUP and sees the flag. */
		atomic_store(&fs->stopping, true);
		pthread_kill(reloader, SIGHUP);
		pthread_join(reloader, NULL);
	}
	vouchfs_nodes_free(fs);
	vouch_metrics_server_stop(fs->metrics);
	if (fs->ctx)
		vouch_ctx_free(fs->ctx);
	vouch_config_clear(&fs->cfg);
	if (fs->rootfd >= 0)
		close(fs->rootfd);
	free(fs->pin);
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
	/* All of vouchfs's state; the session's userdata (vouchfs_i.h). */
	struct vouchfs state = { .rootfd = -1, .devfd = -1, .ready_fd = -1, .mode = -1,
				 .verify_opt = -1, .ready = notify_ready,
				 .cfg_lock = PTHREAD_MUTEX_INITIALIZER };
	struct vouchfs *fs = &state;
	bool unmount = false;
	int c, ret;

	fs->cfgpath = DEFAULT_CONFIG;
	/* The same file the shim and the vouch command read, so that every
	 * front end on a host checks one policy.  Never under AT_SECURE. */
	{
		const char *env = getauxval(AT_SECURE) ? NULL : secure_getenv("VOUCH_CONFIG");

		if (env && *env) {
			fs->cfgpath = env;
			fs->cfg_explicit = true;
		}
	}
	fs->max_threads = DEFAULT_MAX_THREADS;
	fs->timeout = DEFAULT_TIMEOUT;
	fs->prefetch_mib = DEFAULT_PREFETCH_MIB;
	while ((c = getopt_long(argc, argv, "+c:fdo:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			fs->cfgpath = optarg;
			fs->cfg_explicit = true;
			break;
		case OPT_TRUST:
			fs->trust_dir = optarg;
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "enforce")) {
				fs->mode = VOUCH_MODE_ENFORCE;
			} else if (!strcmp(optarg, "audit")) {
				fs->mode = VOUCH_MODE_AUDIT;
			} else {
				fprintf(stderr, "vouchfs: --mode %s: enforce or audit\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_AUDIT:
			fs->audit_log = optarg;
			break;
		case 'f':
			fs->foreground = true;
			break;
		case 'd':
			fs->debug = fs->foreground = true;
			break;
		case 'o':
			if (parse_fuse_opts(fs, optarg) < 0)
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
		return cmd_unmount(fs, argv[optind]);
	}
	if (argc - optind != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	fs->source = vouchfs_abspath(argv[optind]);
	fs->mountpoint = vouchfs_abspath(argv[optind + 1]);
	if (!fs->source || !fs->mountpoint) {
		fprintf(stderr, "vouchfs: %s: %s\n",
			fs->source ? argv[optind + 1] : argv[optind], strerror(errno));
		return EXIT_OPER;
	}
	fs->inplace = strcmp(fs->source, fs->mountpoint) == 0;
	ret = vouch_init();
	if (ret < 0) {
		fprintf(stderr, "vouchfs: cannot initialise libvouch: %s\n", strerror(-ret));
		return EXIT_OPER;
	}
	if (!fs->foreground && daemonize(fs) < 0) {
		fprintf(stderr, "vouchfs: cannot daemonize: %s\n", strerror(errno));
		return EXIT_OPER;
	}
	ret = run(fs);
	free(fs->source);
	free(fs->mountpoint);
	return ret;
}
