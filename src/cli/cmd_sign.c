/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_sign.c - `vouch sign -k KEY|--pkcs11 URI|--signer-cmd CMD [options] PATH`
 */
#include "cli.h"
#include "signer_opts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void help(void)
{
	printf("Usage: vouch sign -k KEY [OPTIONS] PATH\n"
	       "       vouch sign --pkcs11 URI [OPTIONS] PATH\n"
	       "       vouch sign --signer-cmd CMD --signer-pubkey PEM [OPTIONS] PATH\n\n"
	       "Sign a model: a file gets a sidecar PATH.sig, a directory gets PATH/model.sig\n"
	       "covering every regular file under it (configs and tokenizer included).  The\n"
	       "signature is an OpenSSF Model Signing bundle (Sigstore bundle v0.3, DSSE,\n"
	       "in-toto statement) carrying vouch's signed metadata.\n\n"
	       SIGNER_OPTS_HELP
	       "      --name NAME           model name (default: basename of PATH)\n"
	       "      --version N           model version, an integer below 2^53 (default 1)\n"
	       "      --expires TIME        RFC 3339 time after which the signature is refused\n"
	       "  -o, --output SIG          where to write the signature\n"
	       "      --method M            shards (default; parallel hashing) or files (one\n"
	       "                            digest per file, as model_signing's CLI verifies)\n"
	       "      --shard-size BYTES    shard size (default %llu)\n"
	       "      --hash H              the digest of each file or shard: sha256 (default;\n"
	       "                            FIPS 180-4, keep it where FIPS applies), blake2b\n"
	       "                            (BLAKE2b-512) or blake3 (fastest; signed per file,\n"
	       "                            as model_signing does: no shards)\n"
	       "      --allow-symlinks      sign symlinks as their targets' content; targets must\n"
	       "                            stay inside --symlink-root (default: PATH)\n"
	       "      --symlink-root DIR    the root symlink targets must resolve inside\n"
	       "      --threads N           hashing threads (default: one per core)\n"
	       "      --sbom FILE           attach an SBOM (CycloneDX 1.5/1.6 or SPDX 2.3 JSON):\n"
	       "                            copied to PATH/.vouch/sbom.cdx.json (or\n"
	       "                            sbom.spdx.json; a file F: F.vouch/) and signed\n"
	       "      --provenance FILE     attach provenance (an in-toto statement with SLSA\n"
	       "                            provenance v1, or the bare predicate): .vouch/\n"
	       "                            provenance.json\n"
	       "      --attach TYPE=FILE    attach another JSON document as .vouch/TYPE.json\n"
	       "                            (TYPE: a-z 0-9 -; repeatable; see vouch query)\n"
	       "  -h, --help                this text\n\n"
	       "SOURCE_DATE_EPOCH, if set, fixes the signing time (reproducible signatures).\n"
	       "Cosignatures in SIG.d/ of the signature this replaces are removed (they sign\n"
	       "the old payload): cosigners sign the new version again with vouch cosign.\n",
	       (unsigned long long)VOUCH_DEFAULT_SHARD);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static void pruned(void *arg, const char *file)
{
	(void)arg;
	msg("removed %s: it cosigned the previous signature", file);
}

/* Cosignatures of the payload just replaced count for nothing now; keeping
 * them would leave a k-of-n model denied (`threshold`) with nothing to say
 * why.  Remove them and tell the signer who must sign again. */
static int prune_cosignatures(const char *path, const char *output)
{
	char err[512] = "", *sig = NULL;
	struct stat st;
	int n;

	if (output)
		sig = strdup(output);
	else if (stat(path, &st) == 0 && asprintf(&sig, S_ISDIR(st.st_mode) ? "%s/model.sig" : "%s.sig",
						    path) < 0)
		sig = NULL;
	if (!sig)
		return 0;
	n = vouch_cosign_prune(sig, pruned, NULL, err, sizeof(err));
	if (n < 0) {
		msg("%s", err);
		free(sig);
		return EXIT_OPERATIONAL;
	}
	if (n > 0)
		msg("%d cosignature%s removed: with threshold > 1 this version loads only once the "
		    "cosigners sign it again (vouch cosign -k KEY %s)", n, n == 1 ? "" : "s", sig);
	free(sig);
	return 0;
}

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		SIGNER_LONGOPTS,
		{ "name", required_argument, NULL, 'n' },
		{ "version", required_argument, NULL, 'V' },
		{ "expires", required_argument, NULL, 'E' },
		{ "output", required_argument, NULL, 'o' },
		{ "method", required_argument, NULL, 'M' },
		{ "shard-size", required_argument, NULL, 'S' },
		{ "hash", required_argument, NULL, 'H' },
		{ "allow-symlinks", no_argument, NULL, 'L' },
		{ "symlink-root", required_argument, NULL, 'R' },
		{ "threads", required_argument, NULL, 't' },
		{ "sbom", required_argument, NULL, 1101 },
		{ "provenance", required_argument, NULL, 1102 },
		{ "attach", required_argument, NULL, 1103 },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vouch_sign_opts so = { .version = 1 };
	struct signer_opts sig;
	struct vouch_signer *signer = NULL;
	struct vouch_attach attach[16];
	char *eq;
	const char *sde;
	char err[512] = "", ts[32];
	uint64_t n;
	int c, ret;

	signer_opts_init(&sig, "sign");
	while ((c = getopt_long(argc, argv, SIGNER_SHORTOPTS "o:h", opts, NULL)) != -1) {
		if (signer_opts_parse(&sig, c, optarg))
			continue;
		switch (c) {
		case 'n':
			if (!*optarg || strlen(optarg) > 127)
				return usage_error("sign", "--name must be 1 to 127 bytes");
			so.name = optarg;
			break;
		case 'V':
			if (!parse_u64(optarg, (1ull << 53) - 1, &so.version))
				return usage_error("sign", "--version must be an integer from 0 to 2^53-1");
			break;
		case 'E':
			if (vouch_time_parse(optarg, &so.expires))
				return usage_error("sign", "--expires '%s' is not an RFC 3339 time "
						   "(e.g. 2027-01-31T00:00:00Z)", optarg);
			break;
		case 'o': so.output = optarg; break;
		case 'M':
			if (strcmp(optarg, "shards") && strcmp(optarg, "files"))
				return usage_error("sign", "--method must be shards or files");
			so.method = optarg;
			break;
		case 'S':
			if (!parse_u64(optarg, 1ull << 40, &so.shard_size) || so.shard_size < 4096)
				return usage_error("sign", "--shard-size must be from 4096 to 2^40 bytes");
			break;
		case 'H':
			if (!vouch_hash_parse(optarg, &so.hash))
				return usage_error("sign", "--hash must be sha256, blake2b or blake3");
			break;
		case 'L': so.allow_symlinks = true; break;
		case 'R': so.symlink_root = optarg; break;
		case 't':
			if (!parse_u64(optarg, 64, &n) || n == 0)
				return usage_error("sign", "--threads must be from 1 to 64");
			so.threads = (unsigned)n;
			break;
		case 1101:
		case 1102:
		case 1103:
			if (so.nattach == sizeof(attach) / sizeof(attach[0]))
				return usage_error("sign", "at most 16 documents");
			attach[so.nattach].type = c == 1101 ? "sbom" : c == 1102 ? "provenance" : optarg;
			attach[so.nattach].file = optarg;
			if (c == 1103) {
				eq = strchr(optarg, '=');
				if (!eq || eq == optarg || !eq[1])
					return usage_error("sign", "--attach wants TYPE=FILE, not '%s'", optarg);
				*eq = '\0';
				attach[so.nattach].file = eq + 1;
			}
			so.attach = attach;
			so.nattach++;
			break;
		case 'h': help(); return 0;
		default:  return usage_error("sign", "unknown option");
		}
	}
	ret = signer_opts_check(&sig);
	if (ret)
		return ret;
	if (optind + 1 != argc)
		return usage_error("sign", optind == argc ? "PATH is required" : "one PATH only");
	if (so.symlink_root && !so.allow_symlinks)
		return usage_error("sign", "--symlink-root needs --allow-symlinks");
	sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde) {
		if (!parse_u64(sde, INT64_MAX, &n))
			return usage_error("sign", "SOURCE_DATE_EPOCH must be a number of seconds");
		so.signed_at = (int64_t)n;
	} else {
		so.signed_at = (int64_t)time(NULL);
	}
	if (so.expires && so.expires <= so.signed_at)
		return usage_error("sign", "--expires is not after the signing time");
	if (so.hash == VOUCH_HASH_BLAKE3 && so.method && !strcmp(so.method, "shards"))
		msg("note: --hash blake3 signs one digest per file (model_signing's rule); "
		    "--method shards does not apply");

	ret = signer_opts_load(&sig, &signer);
	if (ret)
		return ret;
	ret = vouch_sign_path(signer, argv[optind], &so, err, sizeof(err));
	if (ret) {
		msg("%s", err);
		vouch_signer_free(signer);
		return EXIT_OPERATIONAL;
	}
	vouch_time_format(so.signed_at, ts);
	say("signed %s (version %" PRIu64 ", %s) with key %s", argv[optind], so.version, ts,
	    vouch_key_id(vouch_signer_key(signer)));
	vouch_signer_free(signer);
	return prune_cosignatures(argv[optind], so.output);
}
