/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what the `vouch` subcommands share: exit codes, messages, and the
 * trust options (-p / --trust / -c) that verify and inspect accept.
 */
#ifndef VOUCH_CLI_H
#define VOUCH_CLI_H

#include "vouch.h"

#include <getopt.h>

enum { EXIT_VERIFIED = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_OPERATIONAL = 3 };

#define DEFAULT_CONFIG VOUCH_DEFAULT_CONFIG

/* The configuration read when no -c is given: $VOUCH_CONFIG if set (the
 * preload shim reads it too, so both check one policy on a host), else
 * DEFAULT_CONFIG.  Ignored under AT_SECURE (secure_getenv). */
const char *config_default(void);
/* Whether config_default() came from $VOUCH_CONFIG. */
bool config_from_env(void);

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_cosign(int argc, char **argv);
int cmd_trust(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_sbom(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* One daemon's metrics socket, read by metrics_collect (cmd_metrics.c). */
struct msource {
	char   instance[256];       /* the socket's name without .sock */
	bool   up;                  /* it answered with an exposition */
	pid_t  pid;                 /* who answered (SO_PEERCRED), 0 if nobody */
	char  *text;                /* its exposition (NUL-terminated), or NULL */
	size_t len;
};
/* Every DIR/<name>.sock, sorted by name (a missing DIR: none).  0 or -errno. */
int    metrics_collect(const char *dir, struct msource **out, size_t *n);
void   metrics_free(struct msource *v, size_t n);
/* Sum of the samples of s named `name` whose labels contain `has` (NULL: any). */
double metrics_value(const struct msource *s, const char *name, const char *has);
/* metrics_dir of the config (-c, else the default one if it exists), malloc'd. */
int    metrics_dir_from_config(const char *config, char **dir);
/* DIR for DIR/model.sig, F for F.sig, else NULL (malloc'd). */
char *model_of_sig(const char *sig);

/* "vouch: <msg>" on stderr, one line: the formatted text is escaped
 * (vouch_escape), so a file name or a signature's claim cannot forge a line
 * or drive the terminal.  Format without a newline. */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same on stdout, without the prefix: every line a command prints that
 * holds a file name or anything read from a signature goes through it. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a usage error (escaped, as msg) and return EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Trust options shared by verify and inspect --verify. */
struct trust_opts {
	struct vouch_config cfg;
	const char *config;         /* -c */
	bool have_trust;            /* -p or --trust given */
	long threshold;             /* --threshold, 0 = from config */
	bool record;                /* advance anti-rollback marks (verify --record) */
	bool sign_off;              /* cosign: authenticity and expiry only (threshold 1,
				     * no [models] bindings, no anti-rollback marks) */
	bool no_bindings;           /* publish: [models] left out of the context and moved
				     * to cfg.models, for the caller to check at the target */
};
#define TRUST_LONGOPTS \
	{ "pubkey", required_argument, NULL, 'p' }, \
	{ "trust", required_argument, NULL, 'T' }, \
	{ "config", required_argument, NULL, 'c' }, \
	{ "threshold", required_argument, NULL, 'K' }, \
	{ "ca", required_argument, NULL, 1001 }, \
	{ "sigstore-root", required_argument, NULL, 1002 }, \
	{ "identity", required_argument, NULL, 1003 }, \
	{ "issuer", required_argument, NULL, 1004 }
void trust_opts_init(struct trust_opts *t);
/* Handle one of -p/-T/-c/-K; returns 1 if consumed, 0 if not ours, or
 * -EXIT_USAGE on a bad value. */
int  trust_opts_parse(struct trust_opts *t, const char *cmd, int opt, const char *arg);
/* Load the config if asked (or the default one when no key was given) and
 * build the context.  Returns 0 or an exit code. */
int  trust_opts_ctx(struct trust_opts *t, const char *cmd, struct vouch_ctx **ctx);

#endif
