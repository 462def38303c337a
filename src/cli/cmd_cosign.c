/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_cosign.c - `vouch cosign -k KEY [TRUST] SIG`: a second (third, ...)
 * party signs off the exact payload of an existing signature.
 */
#include "cli.h"
#include "signer_opts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void help(void)
{
	printf("Usage: vouch cosign (-k KEY | --pkcs11 URI | --signer-cmd CMD --signer-pubkey PEM)\n"
	       "                    [-p PUBKEY | --trust DIR | -c CONFIG] SIG\n\n"
	       "Sign off a signed model: check that the model beside SIG (DIR for DIR/model.sig,\n"
	       "F for F.sig) still matches SIG's manifest, then sign SIG's exact payload with KEY\n"
	       "and write the cosigner's own bundle to SIG.d/KEYID.sig.  Each bundle holds one\n"
	       "signature, as every Sigstore client requires; `threshold = k` in the config (or\n"
	       "verify --threshold k) then requires k distinct trusted signers.\n\n"
	       SIGNER_OPTS_HELP
	       "  -p, --pubkey FILE          also check that SIG's primary signature is by one\n"
	       "                             of these keys (and not expired)\n"
	       "      --trust DIR, -c FILE   likewise, with a trust directory or a config\n"
	       "  -h, --help                 this text\n\n"
	       "With trust (or $VOUCH_CONFIG set) the primary signature must be by a trusted key\n"
	       "(not revoked, inside its window, its role allowing the name) and not expired; the\n"
	       "config's threshold, [models] bindings and anti-rollback marks are not applied: a\n"
	       "cosignature is what makes the threshold.  Without trust only the files are\n"
	       "checked against SIG.  What was checked is what is signed: SIG is read once.\n");
}

struct cosign_report {
	const char *tmpsig;         /* the private copy verified */
	const char *sig;            /* the name the user gave */
};

static void report(void *arg, const char *name, enum vouch_cause cause, const char *detail)
{
	const struct cosign_report *r = arg;

	if (r && !strcmp(name, r->tmpsig))
		name = r->sig;
	msg("%s: %s%s%s%s", name, vouch_cause_name(cause), detail && *detail ? " (" : "",
	    detail ? detail : "", detail && *detail ? ")" : "");
}

/* What to tell a cosigner whose check failed: the causes say which part. */
static const char *why_not(enum vouch_cause c)
{
	switch (c) {
	case VOUCH_CAUSE_NOT_IN_MANIFEST:
	case VOUCH_CAUSE_MISSING:
	case VOUCH_CAUSE_SIZE_MISMATCH:
	case VOUCH_CAUSE_HASH_MISMATCH:
	case VOUCH_CAUSE_SYMLINK:
		return "the model's files do not match the signature (changed since it was signed?)";
	case VOUCH_CAUSE_BAD_SIGNATURE:
	case VOUCH_CAUSE_UNTRUSTED_KEY:
	case VOUCH_CAUSE_REVOKED_KEY:
	case VOUCH_CAUSE_THRESHOLD:
		return "its primary signature is not by a key the given trust accepts";
	case VOUCH_CAUSE_EXPIRED:
		return "the signature, or its signer's key, is expired or not yet valid";
	case VOUCH_CAUSE_NOT_SIGNED:
	case VOUCH_CAUSE_MALFORMED:
	case VOUCH_CAUSE_UNSUPPORTED:
		return "it cannot be read as a signature";
	default:
		return "it does not verify";
	}
}

/* SIG's bytes, read once (O_NOFOLLOW, bounded), into DIR/primary.sig: the
 * payload verified below is the payload cosigned, whatever happens to SIG
 * meanwhile. */
static int snapshot_sig(const char *sig, const char *dir, char **out)
{
	char buf[65536], *path = NULL;
	int in, fd = -1, ret = 0;
	size_t total = 0;
	ssize_t n;

	in = open(sig, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0) {
		msg("%s: %s", sig, strerror(errno));
		return errno == ENOENT ? EXIT_FAILED : EXIT_OPERATIONAL;
	}
	if (asprintf(&path, "%s/primary.sig", dir) < 0) {
		path = NULL;
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		msg("%s: %s", path, strerror(errno));
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		if (total > VOUCH_SIG_MAX || write(fd, buf, (size_t)n) != n) {
			msg("%s: %s", sig, total > VOUCH_SIG_MAX ? "larger than a signature may be" :
			    strerror(errno));
			ret = EXIT_OPERATIONAL;
			goto out;
		}
	}
	if (n < 0) {
		msg("%s: %s", sig, strerror(errno));
		ret = EXIT_OPERATIONAL;
	}
out:
	close(in);
	if (fd >= 0)
		close(fd);
	if (ret)
		free(path);
	else
		*out = path;
	return ret;
}

/* rm -r of the private work directory (two levels: primary.sig and
 * primary.sig.d/KEYID.sig). */
static void remove_work(const char *dir)
{
	char *p = NULL;
	DIR *d;
	struct dirent *de;

	if (asprintf(&p, "%s/primary.sig.d", dir) >= 0 && (d = opendir(p))) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
		rmdir(p);
	}
	free(p);
	if (asprintf(&p, "%s/primary.sig", dir) >= 0)
		unlink(p);
	free(p);
	rmdir(dir);
}

int cmd_cosign(int argc, char **argv)
{
	static const struct option opts[] = {
		TRUST_LONGOPTS,
		SIGNER_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct signer_opts so;
	struct vouch_verify_opts vo = { 0 };
	struct vouch_signer *signer = NULL;
	struct vouch_ctx *ctx = NULL;
	struct vouch_verdict v;
	struct cosign_report rep = { 0 };
	struct trust_opts t;
	struct stat st;
	char err[512] = "", *model = NULL, *out = NULL, *work = NULL, *tmpsig = NULL;
	char *final = NULL, *sigdir = NULL, *ign[2] = { NULL, NULL };
	const char *sig, *base;
	bool made_sigdir = false;
	int c, r, ret = EXIT_USAGE;

	trust_opts_init(&t);
	t.sign_off = true;
	signer_opts_init(&so, "cosign");
	while ((c = getopt_long(argc, argv, SIGNER_SHORTOPTS "p:c:h", opts, NULL)) != -1) {
		if (signer_opts_parse(&so, c, optarg))
			continue;
		r = trust_opts_parse(&t, "cosign", c, optarg);
		if (r < 0) {
			ret = -r;
			goto out;
		}
		if (r)
			continue;
		switch (c) {
		case 'h': help(); ret = 0; goto out;
		default:  ret = usage_error("cosign", "unknown option"); goto out;
		}
	}
	ret = signer_opts_check(&so);
	if (ret)
		goto out;
	ret = EXIT_USAGE;
	if (optind + 1 != argc) {
		ret = usage_error("cosign", "one signature file (DIR/model.sig or F.sig) is required");
		goto out;
	}
	sig = argv[optind];
	model = model_of_sig(sig);
	if (!model) {
		ret = usage_error("cosign", "%s: not DIR/model.sig or F.sig", sig);
		goto out;
	}
	if (t.threshold) {
		ret = usage_error("cosign", "--threshold does not apply: a cosignature is what makes "
				  "the threshold");
		goto out;
	}
	/* The private copy lives in SIG.d/ (created as vouch_cosign would):
	 * same file system, so the cosignature is renamed into place, and a
	 * directory the manifest check already leaves out. */
	if (asprintf(&sigdir, "%s.d", sig) < 0 || asprintf(&work, "%s/.cosign.XXXXXX", sigdir) < 0) {
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	if (mkdir(sigdir, 0755) == 0) {
		made_sigdir = true;
	} else if (errno != EEXIST) {
		msg("%s: %s", sigdir, strerror(errno));
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	if (!mkdtemp(work)) {
		msg("%s: %s", work, strerror(errno));
		free(work);
		work = NULL;
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	ret = snapshot_sig(sig, work, &tmpsig);
	if (ret)
		goto out;
	vo.sigpath = tmpsig;
	rep = (struct cosign_report){ .tmpsig = tmpsig, .sig = sig };
	/* A directory model: its own signature and cosignatures are not files
	 * of the model (the copy checked is elsewhere). */
	base = strrchr(sig, '/');
	base = base ? base + 1 : sig;
	if (stat(model, &st) == 0 && S_ISDIR(st.st_mode)) {
		ign[0] = strdup(base);
		if (asprintf(&ign[1], "%s.d", base) < 0)
			ign[1] = NULL;
		if (!ign[0] || !ign[1]) {
			ret = EXIT_OPERATIONAL;
			goto out;
		}
		vo.ignore_paths = ign;
		vo.nignore = 2;
	}
	if (t.have_trust || t.config || config_from_env()) {
		ret = trust_opts_ctx(&t, "cosign", &ctx);
		if (ret)
			goto out;
	} else {
		vo.content_only = true;
	}
	/* Sign off only what is actually there, and only a primary the given
	 * trust accepts. */
	memset(&v, 0, sizeof(v));
	if (vouch_verify_tree(ctx, model, &vo, report, &rep, &v) != VOUCH_CAUSE_OK) {
		msg("%s: not cosigning: %s", sig, why_not(v.cause));
		ret = v.cause == VOUCH_CAUSE_IO_ERROR ? EXIT_OPERATIONAL : EXIT_FAILED;
		goto out;
	}
	ret = signer_opts_load(&so, &signer);
	if (ret)
		goto out;
	if (vouch_cosign(signer, tmpsig, &out, err, sizeof(err))) {
		msg("%s", err);
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	if (asprintf(&final, "%s/%s", sigdir, strrchr(out, '/') + 1) < 0) {
		final = NULL;
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	if (rename(out, final) < 0) {
		msg("%s: %s", final, strerror(errno));
		ret = EXIT_OPERATIONAL;
		goto out;
	}
	say("cosigned %s with key %s: %s", sig, vouch_key_id(vouch_signer_key(signer)), final);
	ret = 0;
out:
	if (work)
		remove_work(work);
	if (made_sigdir && ret)
		rmdir(sigdir);          /* only if still empty */
	vouch_signer_free(signer);
	vouch_ctx_free(ctx);
	vouch_config_clear(&t.cfg);
	free(ign[0]);
	free(ign[1]);
	free(model);
	free(out);
	free(final);
	free(work);
	free(tmpsig);
	free(sigdir);
	return ret;
}
