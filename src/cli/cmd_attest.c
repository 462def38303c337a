/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_attest.c - `vouch attest enroll|quote|verify`: prove to another
 * machine which models this host loaded (docs/attestation.md).  enroll and
 * quote talk to the TPM through libvouch; verify needs no TPM and runs
 * anywhere.  Owns the options, the output and the --trust/--allow policy
 * over a verified quote's list; the checks themselves are libvouch's.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(void)
{
	printf("Usage: vouch attest enroll [-c CONFIG] [--tcti TCTI] [--ek-ca CA.pem] -o AK.pem\n"
	       "       vouch attest quote  [-c CONFIG] [--tcti TCTI] --nonce HEX [-o FILE]\n"
	       "       vouch attest verify --ak AK.pem --nonce HEX [--trust DIR]\n"
	       "                           [--allow NAME[>=VERSION]]... FILE\n\n"
	       "enroll: prove by credential activation that this TPM's attestation key lives\n"
	       "with an endorsement key whose certificate chains to --ek-ca, and write the\n"
	       "AK's public key.  quote: the TPM-certified measurement register over the\n"
	       "verifier's nonce and the measurement log, as one JSON document.  verify (on\n"
	       "any machine): the AK's signature, the nonce, the log replayed to the\n"
	       "certified value; prints the models the host loaded.\n\n"
	       "  -c, --config FILE   tpm_tcti and measurement_log from FILE (default\n"
	       "                      $VOUCH_CONFIG, else " DEFAULT_CONFIG ")\n"
	       "      --tcti TCTI     the TPM (overrides tpm_tcti), e.g.\n"
	       "                      swtpm:host=127.0.0.1,port=2321\n"
	       "      --ek-ca FILE    PEM CA certificate(s) the EK certificate must chain to\n"
	       "  -o, --output FILE   where to write (default: stdout for quote)\n"
	       "      --nonce HEX     the verifier's fresh nonce (2 to 64 hex digits... 64 bytes)\n"
	       "      --ak FILE       the enrolled AK's public key (PEM)\n"
	       "      --trust DIR     every model must be signed by a key in DIR (not revoked)\n"
	       "      --allow SPEC    every model must match a NAME glob, at VERSION or above\n"
	       "                      when given (repeatable)\n"
	       "  -h, --help          this text\n\n"
	       "Exit status: 0 verified (and within --trust/--allow), 1 refused, 2 usage\n"
	       "error, 3 operational error (no TPM, unreadable file).\n");
}

static int nonce_arg(const char *s, uint8_t *out, size_t *len)
{
	size_t n = strlen(s);

	if (n < 2 || n > 128 || n % 2)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static int load_config(const char *path, struct vouch_config *cfg)
{
	char err[512];
	int r;

	if (!path && access(config_default(), F_OK) < 0)
		return 0;             /* no config: the defaults (the system's TPM) */
	r = vouch_config_load(cfg, path ? path : config_default(), err, sizeof(err));
	if (r)
		msg("%s", err);
	return r ? EXIT_OPERATIONAL : 0;
}

static int write_out(const char *path, const char *text)
{
	FILE *f = path ? fopen(path, "wx") : stdout;

	if (!f) {
		msg("%s: %s", path, strerror(errno));
		return EXIT_OPERATIONAL;
	}
	fputs(text, f);
	if (path && fclose(f)) {
		msg("%s: %s", path, strerror(errno));
		return EXIT_OPERATIONAL;
	}
	return 0;
}

/* A file into a malloc'd NUL-terminated buffer (at most 16 MiB). */
static int read_whole(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t cap = 1 << 16, n = 0, r;
	char *b = malloc(cap + 1);

	if (!f || !b) {
		msg("%s: %s", path, strerror(errno));
		goto fail;
	}
	while ((r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = cap < (16u << 20) ? realloc(b, 2 * cap + 1) : NULL;
			if (!nb) {
				msg("%s: larger than 16 MiB", path);
				goto fail;
			}
			b = nb;
			cap *= 2;
		}
	}
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
fail:
	if (f)
		fclose(f);
	free(b);
	return -1;
}

struct allow {
	char *name;
	uint64_t min;
};

struct vstate {
	char **keys;                /* --trust: allowed signer key ids */
	size_t nkeys;
	bool trust;
	struct allow *allows;
	size_t nallows;
	unsigned models, outside;
};

static void on_model(void *arg, const struct vouch_attested *m)
{
	struct vstate *s = arg;
	char signers[VOUCH_SIGNERS_MAX * (VOUCH_KEYID_LEN + 1) + 1] = "";
	bool signed_ok = !s->trust, allowed = !s->nallows;

	for (size_t i = 0; m->signers[i]; i++) {
		strcat(signers, i ? "," : "");
		strncat(signers, m->signers[i], VOUCH_KEYID_LEN);
		for (size_t k = 0; k < s->nkeys; k++)
			if (!strcmp(s->keys[k], m->signers[i]))
				signed_ok = true;
	}
	for (size_t i = 0; i < s->nallows; i++)
		if (!fnmatch(s->allows[i].name, m->model, 0) && m->version >= s->allows[i].min)
			allowed = true;
	s->models++;
	say("  %s version %" PRIu64 " %s signers %s at %s (%s)%s%s", m->model, m->version, m->digest,
	    signers[0] ? signers : "-", m->path, m->time, signed_ok ? "" : " NOT SIGNED BY --trust",
	    allowed ? "" : " NOT ALLOWED");
	if (!signed_ok || !allowed)
		s->outside++;
}

static int do_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ak", required_argument, NULL, 'a' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "trust", required_argument, NULL, 'T' },
		{ "allow", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vstate s = { 0 };
	struct vouch_trust_entry *tl = NULL;
	size_t ntl = 0, doclen = 0, aklen = 0, noncelen = 0;
	const char *akpath = NULL, *trust = NULL;
	char *doc = NULL, *ak = NULL, err[512] = "";
	uint8_t nonce[64];
	bool have_nonce = false;
	enum vouch_cause c;
	int opt, ret = EXIT_USAGE;

	s.allows = calloc((size_t)argc + 1, sizeof(*s.allows));
	if (!s.allows)
		return EXIT_OPERATIONAL;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'a': akpath = optarg; break;
		case 'T': trust = optarg; break;
		case 'n':
			if (nonce_arg(optarg, nonce, &noncelen)) {
				ret = usage_error("attest verify", "--nonce must be 2 to 128 hex digits, "
						  "not '%s'", optarg);
				goto out;
			}
			have_nonce = true;
			break;
		case 'A': {
			char *ge = strstr(optarg, ">="), *end;
			struct allow *a = &s.allows[s.nallows++];
			a->name = ge ? strndup(optarg, (size_t)(ge - optarg)) : strdup(optarg);
			if (ge) {
				a->min = strtoull(ge + 2, &end, 10);
				if (*end || end == ge + 2) {
					ret = usage_error("attest verify", "--allow takes NAME or "
							  "NAME>=VERSION, not '%s'", optarg);
					goto out;
				}
			}
			break;
		}
		case 'h': help(); ret = 0; goto out;
		default: ret = usage_error("attest verify", "unknown option"); goto out;
		}
	}
	if (!akpath || !have_nonce || optind + 1 != argc) {
		ret = usage_error("attest verify", "--ak, --nonce and one FILE are required");
		goto out;
	}
	ret = EXIT_OPERATIONAL;
	if (read_whole(akpath, &ak, &aklen) || read_whole(argv[optind], &doc, &doclen))
		goto out;
	if (trust) {
		if (vouch_trust_list(trust, &tl, &ntl, err, sizeof(err))) {
			msg("%s", err);
			goto out;
		}
		s.trust = true;
		s.keys = calloc(ntl + 1, sizeof(*s.keys));
		for (size_t i = 0; s.keys && i < ntl; i++)
			if (!tl[i].revoked && tl[i].file)
				s.keys[s.nkeys++] = tl[i].keyid;
	}
	c = vouch_attest_verify(doc, doclen, ak, aklen, nonce, noncelen, NULL, NULL, err, sizeof(err));
	if (c) {
		msg("%s: refused (%s): %s", argv[optind], vouch_cause_name(c), err);
		ret = EXIT_FAILED;
		goto out;
	}
	say("vouch: %s: verified: signed by the AK, for this nonce, the log replays to the "
	    "certified register", argv[optind]);
	vouch_attest_verify(doc, doclen, ak, aklen, nonce, noncelen, on_model, &s, err, sizeof(err));
	say("vouch: %s: %u model%s loaded%s", argv[optind], s.models, s.models == 1 ? "" : "s",
	    s.outside ? "" : (s.trust || s.nallows ? ", all within --trust/--allow" : ""));
	if (s.outside) {
		msg("%s: %u model%s outside --trust/--allow", argv[optind], s.outside,
		    s.outside == 1 ? "" : "s");
		ret = EXIT_FAILED;
	} else {
		ret = 0;
	}
out:
	for (size_t i = 0; i < s.nallows; i++)
		free(s.allows[i].name);
	free(s.allows);
	free(s.keys);
	if (tl)
		vouch_trust_list_free(tl, ntl);
	free(doc);
	free(ak);
	return ret;
}

int cmd_attest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "tcti", required_argument, NULL, 't' },
		{ "ek-ca", required_argument, NULL, 'E' },
		{ "output", required_argument, NULL, 'o' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vouch_config cfg;
	const char *config = NULL, *tcti = NULL, *ekca = NULL, *output = NULL, *sub;
	char err[512] = "", info[256] = "", *text = NULL;
	uint8_t nonce[64];
	size_t noncelen = 0;
	bool have_nonce = false;
	int opt, r, ret = EXIT_USAGE;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help();
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	if (!strcmp(sub, "verify"))
		return do_verify(argc - 1, argv + 1);
	if (strcmp(sub, "enroll") && strcmp(sub, "quote"))
		return usage_error("attest", "unknown subcommand '%s' (enroll, quote, verify)", sub);
	vouch_config_init(&cfg);
	optind = 1;
	while ((opt = getopt_long(argc - 1, argv + 1, "c:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 't': tcti = optarg; break;
		case 'E': ekca = optarg; break;
		case 'o': output = optarg; break;
		case 'n':
			if (nonce_arg(optarg, nonce, &noncelen)) {
				ret = usage_error("attest", "--nonce must be 2 to 128 hex digits, not '%s'",
						  optarg);
				goto out;
			}
			have_nonce = true;
			break;
		case 'h': help(); ret = 0; goto out;
		default: ret = usage_error("attest", "unknown option"); goto out;
		}
	}
	if (optind != argc - 1) {
		ret = usage_error("attest", "%s takes no operand", sub);
		goto out;
	}
	ret = load_config(config, &cfg);
	if (ret)
		goto out;
	if (tcti) {
		free(cfg.tpm_tcti);
		cfg.tpm_tcti = strdup(tcti);
	}
	ret = EXIT_OPERATIONAL;
	if (!strcmp(sub, "enroll")) {
		if (!output) {
			ret = usage_error("attest enroll", "-o AK.pem is required");
			goto out;
		}
		r = vouch_attest_enroll(cfg.tpm_tcti, ekca, &text, info, sizeof(info), err, sizeof(err));
		if (r) {
			msg("attest enroll: %s", err);
			ret = r == -EACCES ? EXIT_FAILED : EXIT_OPERATIONAL;
			goto out;
		}
		if (!ekca)
			msg("warning: no --ek-ca: the EK certificate (%s) was not checked against a CA",
			    info);
		ret = write_out(output, text);
		if (!ret)
			say("vouch: enrolled: the AK in %s lives in the TPM of EK %s%s", output, info,
			    ekca ? " (certificate chains to the --ek-ca)" : "");
	} else {
		if (!have_nonce) {
			ret = usage_error("attest quote", "--nonce HEX is required");
			goto out;
		}
		r = vouch_attest_quote(&cfg, nonce, noncelen, &text, err, sizeof(err));
		if (r) {
			msg("attest quote: %s", err);
			goto out;
		}
		ret = write_out(output, text);
	}
out:
	free(text);
	vouch_config_clear(&cfg);
	return ret;
}
