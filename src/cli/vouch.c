/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vouch.c - the `vouch` command: a table of subcommands, each in its own
 * cmd_*.c file.  Only main() exits; exit codes are 0 verified, 1
 * verification failed, 2 usage, 3 operational error (I/O, config).
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static const struct cmd commands[] = {
	{ "keygen",  cmd_keygen,  "make an Ed25519 key pair (PREFIX.pub, PREFIX.key)" },
	{ "sign",    cmd_sign,    "sign a model file or directory (OMS bundle)" },
	{ "verify",  cmd_verify,  "verify a model against its signature" },
	{ "inspect", cmd_inspect, "show what a signature says (unverified unless --verify)" },
	{ "cosign",  cmd_cosign,  "add a signer's sign-off to a signed model (k-of-n)" },
	{ "trust",   cmd_trust,   "list, add, revoke or remove trusted keys" },
	{ "state",   cmd_state,   "show or reset the anti-rollback version marks" },
	{ "publish", cmd_publish, "put a signed model in place atomically (under a vouchfs mount too)" },
	{ "sbom",    cmd_sbom,    "write a CycloneDX SBOM of a model directory (files, Python packages)" },
	{ "query",   cmd_query,   "find signed models by dependency, CVE, builder or source" },
	{ "metrics", cmd_metrics, "show the daemons' metrics (Prometheus text; --textfile, --listen)" },
	{ "status",  cmd_status,  "what protects each root, trust, counters, last denials (--json)" },
	{ "scan",    cmd_scan,    "assess protected roots read-only: findings with severity and controls" },
	{ "attest",  cmd_attest,  "prove which models this host loaded: TPM enroll, quote, verify" },
};

/* One line: prefix, then the formatted text escaped as a whole
 * (vouch_escape).  Messages carry file names and what a signature claims;
 * escaping here, once, means no caller can forget it. */
static void put_line(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	char *raw = NULL, *safe = NULL;
	int n = vasprintf(&raw, fmt, ap);

	if (n >= 0)
		safe = malloc(4 * (size_t)n + 1);
	if (safe)
		vouch_escape(raw, safe, 4 * (size_t)n + 1);
	fprintf(f, "%s%s\n", prefix, safe ? safe : "(out of memory)");
	free(safe);
	if (n >= 0)
		free(raw);
}

void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put_line(stderr, "vouch: ", fmt, ap);
	va_end(ap);
}

void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put_line(stdout, "", fmt, ap);
	va_end(ap);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vouch %s: ", cmd);
	va_start(ap, fmt);
	put_line(stderr, "", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'vouch %s --help'.\n", cmd);
	return EXIT_USAGE;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: vouch COMMAND [OPTIONS] ...\n\n"
		"Sign machine-learning models and verify them before they load.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'vouch COMMAND --help' describes each command; see vouch(1).\n"
		"Exit status: 0 verified, 1 verification failed, 2 usage error, 3 operational error.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vouch %s\n", VOUCH_VERSION);
		return 0;
	}
	if (vouch_init() < 0) {
		msg("cannot initialise libsodium");
		return EXIT_OPERATIONAL;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	msg("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}

/* ---- the configuration ---- */

const char *config_default(void)
{
	return config_from_env() ? secure_getenv("VOUCH_CONFIG") : DEFAULT_CONFIG;
}

bool config_from_env(void)
{
	/* secure_getenv is already NULL under AT_SECURE; the auxv check
	 * states the intent, as in the shim. */
	const char *p = getauxval(AT_SECURE) ? NULL : secure_getenv("VOUCH_CONFIG");

	return p && *p;
}

/* ---- trust options ---- */

void trust_opts_init(struct trust_opts *t)
{
	memset(t, 0, sizeof(*t));
	vouch_config_init(&t->cfg);
}

int trust_opts_parse(struct trust_opts *t, const char *cmd, int opt, const char *arg)
{
	char *end;

	switch (opt) {
	case 'p':
		t->have_trust = true;
		return vouch_config_add(&t->cfg.pubkeys, &t->cfg.npubkeys, arg) ? -EXIT_OPERATIONAL : 1;
	case 'T':
		t->have_trust = true;
		free(t->cfg.trust_dir);
		t->cfg.trust_dir = strdup(arg);
		return 1;
	case 'c':
		t->config = arg;
		return 1;
	case 1001:
		t->have_trust = true;
		return vouch_config_add(&t->cfg.cas, &t->cfg.ncas, arg) ? -EXIT_OPERATIONAL : 1;
	case 1002:
		t->have_trust = true;
		free(t->cfg.sigstore_root);
		t->cfg.sigstore_root = strdup(arg);
		return 1;
	case 1003:
		t->have_trust = true;
		free(t->cfg.sigstore_identity);
		t->cfg.sigstore_identity = strdup(arg);
		return 1;
	case 1004:
		t->have_trust = true;
		free(t->cfg.sigstore_issuer);
		t->cfg.sigstore_issuer = strdup(arg);
		return 1;
	case 'K':
		t->threshold = strtol(arg, &end, 10);
		if (*end || t->threshold < 1 || t->threshold > VOUCH_SIGNERS_MAX) {
			usage_error(cmd, "--threshold must be an integer from 1 to "
				    VOUCH_STR(VOUCH_SIGNERS_MAX));
			return -EXIT_USAGE;
		}
		return 1;
	}
	return 0;
}

/* The preload shim in a service running as another user reads this same
 * file, and a config that user cannot read protects nothing there (with
 * VOUCH_CONFIG the service is even stopped).  The config holds no secret:
 * say so now, while it is a chmod, not an outage. */
static void config_readable_warn(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && !(st.st_mode & S_IROTH))
		msg("warning: %s is not readable by other users (mode %03o): the preload shim "
		    "cannot read it in a service that runs as another user; it holds no secret, "
		    "make it 0644", path, (unsigned)(st.st_mode & 0777));
}

int trust_opts_ctx(struct trust_opts *t, const char *cmd, struct vouch_ctx **ctx)
{
	struct vouch_config cfg;
	char err[512] = "";
	const char *path = t->config;
	int ret;

	vouch_config_init(&cfg);
	/* Keyless trust is a triple: say which part is missing, as a usage error. */
	if (t->cfg.sigstore_root && (!t->cfg.sigstore_identity || !t->cfg.sigstore_issuer))
		return usage_error(cmd, "--sigstore-root needs --identity and --issuer (whose "
				   "signatures to accept)");
	if (!t->cfg.sigstore_root && !t->config && (t->cfg.sigstore_identity || t->cfg.sigstore_issuer))
		return usage_error(cmd, "--identity and --issuer need --sigstore-root (a Sigstore "
				   "trusted_root.json)");
	if (!path && !t->have_trust)
		path = config_default();
	if (path) {
		ret = vouch_config_load(&cfg, path, err, sizeof(err));
		if (ret) {
			if (ret == -ENOENT && !t->config)
				msg("no trust given (-p KEY, --trust DIR, --ca ROOT or --sigstore-root ...) and %s%s: %s",
				    path, config_from_env() ? " (VOUCH_CONFIG)" : "", strerror(-ret));
			else
				msg("%s", err);
			vouch_config_clear(&cfg);
			return ret == -ENOENT && !t->config ? EXIT_USAGE : EXIT_OPERATIONAL;
		}
		config_readable_warn(path);
	}
	/* Command-line keys replace the config's trust, they do not add to it. */
	if (t->have_trust) {
		free(cfg.trust_dir);
		cfg.trust_dir = t->cfg.trust_dir ? strdup(t->cfg.trust_dir) : NULL;
		for (size_t i = 0; i < t->cfg.npubkeys; i++)
			vouch_config_add(&cfg.pubkeys, &cfg.npubkeys, t->cfg.pubkeys[i]);
		for (size_t i = 0; i < t->cfg.ncas; i++)
			vouch_config_add(&cfg.cas, &cfg.ncas, t->cfg.cas[i]);
		free(cfg.sigstore_root);
		cfg.sigstore_root = t->cfg.sigstore_root ? strdup(t->cfg.sigstore_root) : NULL;
	}
	if (t->cfg.sigstore_identity) {
		free(cfg.sigstore_identity);
		cfg.sigstore_identity = strdup(t->cfg.sigstore_identity);
	}
	if (t->cfg.sigstore_issuer) {
		free(cfg.sigstore_issuer);
		cfg.sigstore_issuer = strdup(t->cfg.sigstore_issuer);
	}
	if (t->threshold)
		cfg.threshold = (unsigned)t->threshold;
	if (t->sign_off) {
		/* A cosigner vouches for the primary's payload: who signed it and
		 * whether it expired.  How many must sign, where it may be served
		 * and which version a host has seen are for verify, publish and
		 * the mount: with threshold = k the primary alone never meets it. */
		cfg.threshold = 1;
		free(cfg.state_dir);
		cfg.state_dir = NULL;
	}
	if (t->no_bindings && !t->sign_off) {
		/* Kept for the caller (t->cfg, freed with it), not the context. */
		t->cfg.models = cfg.models;
		t->cfg.nmodels = cfg.nmodels;
		t->cfg.require_binding = cfg.require_binding;
		cfg.models = NULL;
		cfg.nmodels = 0;
		cfg.require_binding = false;
	}
	if (t->sign_off) {
		/* Which roles must sign is, like how many, for verify, publish
		 * and the mount: a cosignature is what fills them. */
		struct vouch_config drop;

		vouch_config_init(&drop);
		drop.require = cfg.require;
		drop.nrequire = cfg.nrequire;
		cfg.require = NULL;
		cfg.nrequire = 0;
		vouch_config_clear(&drop);
		for (size_t i = 0; i < cfg.nmodels; i++) {
			for (size_t k = 0; k < cfg.models[i].nnames; k++)
				free(cfg.models[i].names[k]);
			free(cfg.models[i].names);
			free(cfg.models[i].glob);
		}
		free(cfg.models);
		cfg.models = NULL;
		cfg.nmodels = 0;
		cfg.require_binding = false;
	}
	/* Every verification is audited; a user who cannot append to the
	 * host's JSON log still gets the syslog record. */
	cfg.audit_optional = true;
	/* Only vouchfs (and verify --record) advance anti-rollback marks. */
	cfg.state_readonly = !t->record;
	ret = vouch_ctx_new(&cfg, ctx, err, sizeof(err));
	vouch_config_clear(&cfg);
	if (ret) {
		msg("%s", err);
		return EXIT_OPERATIONAL;
	}
	return 0;
}

char *model_of_sig(const char *sig)
{
	const char *base = strrchr(sig, '/');
	size_t n = strlen(sig);

	base = base ? base + 1 : sig;
	if (!strcmp(base, "model.sig")) {
		if (base == sig)
			return strdup(".");
		if (base == sig + 1)
			return strdup("/");
		return strndup(sig, (size_t)(base - sig - 1));
	}
	if (n > 4 && !strcmp(sig + n - 4, ".sig"))
		return strndup(sig, n - 4);
	return NULL;
}
