/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signer_ext.c - signers whose private key vouch never holds: a key on a
 * PKCS#11 token (through the OpenSSL "pkcs11" engine of libp11), and an
 * external command (how a cloud KMS plugs in).
 *
 * Owns: turning a PKCS#11 URI or a command line into a struct vouch_signer,
 * and checking every signature such a signer returns against its public key
 * before handing it to sign.c.  Must not: print, exit, read a PIN from argv
 * or the environment, or trust bytes that came back from a token or a
 * command without verifying them.
 */
#include "vouch_i.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The ENGINE API is deprecated in OpenSSL 3.0 in favour of providers, but
 * Debian 12 ships the PKCS#11 glue only as an engine (libengine-pkcs11-
 * openssl); its provider (pkcs11-provider) is not in bookworm.  So the
 * deprecation warnings are silenced for this file's engine calls only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <openssl/engine.h>

/* A signature (raw, base64 or DER) is at most a few hundred bytes; a command
 * that writes more than this is broken or hostile. */
#define CMD_OUT_MAX     (64u << 10)
/* A cloud KMS round trip takes about a second; a minute covers a slow
 * network and a cold credential refresh without hanging a CI job forever. */
#define CMD_TIMEOUT_MS  60000

static const EVP_MD *kind_md(enum vouch_key_kind kind)
{
	switch (kind) {
	case VOUCH_KEY_P256: return EVP_sha256();
	case VOUCH_KEY_P384: return EVP_sha384();
	case VOUCH_KEY_P521: return EVP_sha512();
	default:             return NULL;      /* Ed25519: pure, no prehash */
	}
}

/* The first (root-cause) error reason on the OpenSSL queue, e.g. libp11's
 * "PIN incorrect" under ENGINE's generic "failed loading private key"; the
 * queue is then empty.  "" when there is none. */
static void ossl_reason(char *buf, size_t len)
{
	unsigned long e;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		const char *r = ERR_reason_error_string(e);

		if (!buf[0] && r)
			snprintf(buf, len, "%s", r);
	}
}

/* ------------------------------------------------------------------------ */
/* PKCS#11 through the libp11 engine                                         */

struct p11_priv {
	ENGINE   *e;              /* structural reference (ENGINE_by_id) */
	bool      init;           /* and a functional one (ENGINE_init) */
	EVP_PKEY *pkey;           /* a handle: the key itself stays on the token */
};

/* Release what p holds; ENGINE_finish only after a successful ENGINE_init
 * (an unbalanced finish corrupts the engine's reference count). */
static void p11_release(struct p11_priv *p)
{
	if (!p)
		return;
	EVP_PKEY_free(p->pkey);
	if (p->e && p->init)
		ENGINE_finish(p->e);
	if (p->e)
		ENGINE_free(p->e);
	free(p);
}

static int p11_sign(struct vouch_signer *s, const uint8_t *msg, size_t len,
		    uint8_t **sig, size_t *siglen, char *err, size_t errlen)
{
	struct p11_priv *p = s->priv;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char why[160];
	size_t n = 0;
	int ret = -EIO;

	*sig = NULL;
	if (!ctx)
		return -ENOMEM;
	/* EVP_DigestSign hashes here and asks the token for ECDSA over the
	 * digest (CKM_ECDSA); the result is DER, as DSSE/OMS want it. */
	if (EVP_DigestSignInit(ctx, NULL, kind_md(s->pub->kind), NULL, p->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &n, msg, len) != 1 || n == 0 || !(*sig = malloc(n)) ||
	    EVP_DigestSign(ctx, *sig, &n, msg, len) != 1) {
		ossl_reason(why, sizeof(why));
		verr(err, errlen, ret, "pkcs11: the token refused to sign%s%s", why[0] ? ": " : "", why);
		goto out;
	}
	/* A token that answers with anything but a valid signature by the key
	 * we will advertise must not produce a bundle. */
	if (!vouch_key_verify(s->pub, msg, len, *sig, n, NULL)) {
		verr(err, errlen, ret, "pkcs11: the token's signature does not verify with its "
		     "public key %s", s->pub->id);
		goto out;
	}
	*siglen = n;
	ret = 0;
out:
	if (ret) {
		free(*sig);
		*sig = NULL;
	}
	EVP_MD_CTX_free(ctx);
	return ret;
}

static void p11_destroy(struct vouch_signer *s)
{
	p11_release(s->priv);
}

/* A software copy of the public half of an engine key (DER round trip), so
 * that vouch_key_* never calls into the token. */
static EVP_PKEY *public_copy(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	const unsigned char *q;
	EVP_PKEY *pub = NULL;
	int n = i2d_PUBKEY(k, &der);

	if (n > 0) {
		q = der;
		pub = d2i_PUBKEY(NULL, &q, n);
	}
	OPENSSL_free(der);
	return pub;
}

/* The URI with "type=private" replaced by "type=public" (or, without a type,
 * with ";type=public" added to the path), for ENGINE_load_public_key. */
static char *public_uri(const char *uri)
{
	const char *t = strstr(uri, "type=private");
	const char *q = strchr(uri, '?');
	char *out = NULL;

	if (t && (!q || t < q)) {
		if (asprintf(&out, "%.*stype=public%s", (int)(t - uri), uri,
			     t + strlen("type=private")) < 0)
			return NULL;
	} else if (q) {
		if (asprintf(&out, "%.*s;type=public%s", (int)(q - uri), uri, q) < 0)
			return NULL;
	} else if (asprintf(&out, "%s;type=public", uri) < 0) {
		return NULL;
	}
	return out;
}

int vouch_signer_pkcs11(const char *uri, const char *module, const struct vouch_passphrase *pin,
			struct vouch_signer **out, char *err, size_t errlen)
{
	struct vouch_signer *s = calloc(1, sizeof(*s));
	struct p11_priv *p = calloc(1, sizeof(*p));
	EVP_PKEY *pub = NULL;
	char *pinbuf = NULL, *puri = NULL, why[160], sub[256];
	size_t pinlen = 0;
	int ret = -ENOMEM;

	if (!s || !p)
		goto out;
	if (strncmp(uri, "pkcs11:", 7) != 0) {
		ret = verr(err, errlen, -EINVAL, "%s: not a PKCS#11 URI (RFC 7512: pkcs11:token=...;object=...)",
			   uri);
		goto out;
	}
	/* The engine loads the module lazily and reports a missing one only
	 * on stderr: check it here for a message that names it. */
	if (module && strchr(module, '/') && access(module, R_OK) < 0) {
		int e = errno;

		ret = verr(err, errlen, -e, "pkcs11: module %s: %s", module, strerror(e));
		goto out;
	}
	/* The PIN is read before anything touches the token, so that a missing
	 * PIN file fails fast.  A PIN inside the URI (pin-value) is the caller's
	 * choice; the engine parses it itself. */
	if (!strstr(uri, "pin-value=")) {
		ret = vouch_passphrase_read(pin, false, &pinbuf, &pinlen, sub, sizeof(sub));
		if (ret) {
			/* vouch_passphrase_read's hint for an empty passphrase
			 * (--no-passphrase) is about key files, not PINs. */
			if (!strncmp(sub, "empty passphrase", 16))
				verr(err, errlen, ret, "pkcs11: empty token PIN%s%s",
				     pin && pin->file ? " in " : "", pin && pin->file ? pin->file : "");
			else
				verr(err, errlen, ret, "pkcs11: cannot read the token PIN: %s", sub);
			goto out;
		}
	}
	ERR_clear_error();
	p->e = ENGINE_by_id("pkcs11");
	if (!p->e) {
		ERR_clear_error();
		ret = verr(err, errlen, -ENOENT, "pkcs11: the OpenSSL pkcs11 engine is not available "
			   "(apt-get install libengine-pkcs11-openssl)");
		goto out;
	}
	/* QUIET: the engine otherwise writes diagnostics to stderr, and the
	 * library never prints; its reasons come back through the error queue.
	 * MODULE_PATH must be set before ENGINE_init; without one the engine
	 * uses its built-in default, p11-kit-proxy.so on Debian. */
	if (!ENGINE_ctrl_cmd_string(p->e, "QUIET", NULL, 0) ||
	    (module && !ENGINE_ctrl_cmd_string(p->e, "MODULE_PATH", module, 0))) {
		ret = verr(err, errlen, -EINVAL, "pkcs11: the engine refused module %s",
			   module ? module : "(default)");
		goto out;
	}
	if (!ENGINE_init(p->e)) {
		ossl_reason(why, sizeof(why));
		ret = verr(err, errlen, -EIO, "pkcs11: cannot load PKCS#11 module %s%s%s",
			   module ? module : "(engine default: p11-kit-proxy)", why[0] ? ": " : "", why);
		goto out;
	}
	p->init = true;
	/* The engine keeps its own copy of the PIN (it may log in again after a
	 * token reset) and wipes it when the engine is freed; ours goes now. */
	if (pinbuf && !ENGINE_ctrl_cmd_string(p->e, "PIN", pinbuf, 0)) {
		ret = verr(err, errlen, -EINVAL, "pkcs11: the engine refused the PIN");
		goto out;
	}
	if (pinbuf) {
		sodium_free(pinbuf);
		pinbuf = NULL;
	}
	p->pkey = ENGINE_load_private_key(p->e, uri, NULL, NULL);
	if (!p->pkey) {
		ossl_reason(why, sizeof(why));
		/* libp11 queues the PKCS#11 return code in words ("PIN
		 * incorrect", "PIN locked"); a missing object is "object not
		 * found", also what an EdDSA key on the token leads to. */
		if (strcasestr(why, "module"))
			ret = verr(err, errlen, -EIO, "pkcs11: cannot load PKCS#11 module %s: %s",
				   module ? module : "(engine default: p11-kit-proxy)", why);
		else if (strcasestr(why, "pin") || strcasestr(why, "login"))
			ret = verr(err, errlen, -EACCES, "pkcs11: %s: the token refused the login: %s",
				   uri, why);
		else
			ret = verr(err, errlen, -ENOENT, "pkcs11: %s: no usable private key on the token "
				   "(wrong token/object, wrong PIN, or a key type the engine cannot use)%s%s",
				   uri, why[0] ? ": " : "", why);
		goto out;
	}
	/* The public half: from the private key object when the engine filled
	 * it in, else from the token's public key object with the same label/id. */
	pub = public_copy(p->pkey);
	if (!pub) {
		EVP_PKEY *tok;

		ERR_clear_error();
		puri = public_uri(uri);
		tok = puri ? ENGINE_load_public_key(p->e, puri, NULL, NULL) : NULL;
		if (tok) {
			pub = public_copy(tok);
			EVP_PKEY_free(tok);
		}
		if (!pub) {
			ERR_clear_error();
			ret = verr(err, errlen, -ENOENT, "pkcs11: %s: the token holds no public key for "
				   "this private key", uri);
			goto out;
		}
	}
	ret = vouch_key_from_evp(pub, &s->pub, sub, sizeof(sub));
	if (ret) {
		verr(err, errlen, ret, "pkcs11: %s: %s", uri, sub);
		goto out;
	}
	pub = NULL;
	s->priv = p;
	s->sign = p11_sign;
	s->destroy = p11_destroy;
	p = NULL;
	*out = s;
	s = NULL;
	ret = 0;
out:
	if (pinbuf)
		sodium_free(pinbuf);
	EVP_PKEY_free(pub);
	free(puri);
	p11_release(p);
	if (s) {
		vouch_key_free(s->pub);
		free(s);
	}
	ERR_clear_error();
	return ret;
}

#pragma GCC diagnostic pop

/* ------------------------------------------------------------------------ */
/* An external signing command                                               */

struct cmd_priv {
	char *cmd;
};

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Run `/bin/sh -c cmd` with msg on its stdin; collect at most CMD_OUT_MAX
 * bytes of its stdout.  Its stderr is the caller's (a KMS client's own
 * error message is the most useful thing the user can see).  Returns 0 with
 * *status the wait status, or -errno; -ETIMEDOUT if it ran too long (it is
 * then killed with its whole process group), -EFBIG if it wrote too much. */
static int run_cmd(const char *cmd, const uint8_t *msg, size_t len,
		   uint8_t **obuf, size_t *olen, int *status)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, ret = 0, sigpipe_pending;
	sigset_t pipeset, oldmask, pending;
	struct timespec deadline;
	uint8_t *buf = malloc(CMD_OUT_MAX + 1);
	size_t off = 0, have = 0;
	pid_t pid = -1;

	if (!buf)
		return -ENOMEM;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	/* Writing to a command that exits without reading its stdin raises
	 * SIGPIPE, which would kill the caller: block it in this thread and
	 * swallow the one we cause (EPIPE is handled as an error below). */
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	sigpending(&pending);
	sigpipe_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &oldmask);

	pid = fork();
	if (pid < 0) {
		ret = -errno;
		pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
		goto out;
	}
	if (pid == 0) {
		sigset_t none;

		/* Own process group, so that a timeout kills the shell and
		 * whatever it started (a KMS client and its helpers). */
		setpgid(0, 0);
		sigemptyset(&none);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(in[0], 0) < 0 || dup2(outp[1], 1) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	if (len == 0) {
		close(in[1]);
		in[1] = -1;
	}

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += CMD_TIMEOUT_MS / 1000;
	while (outp[0] >= 0) {
		struct pollfd pf[2] = { { .fd = outp[0], .events = POLLIN },
					{ .fd = in[1], .events = POLLOUT } };
		long left = ms_left(&deadline);
		int r;

		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		r = poll(pf, in[1] >= 0 ? 2 : 1, (int)(left > 1000 ? 1000 : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (in[1] >= 0 && (pf[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(in[1], msg + off, len - off);

			if (n > 0)
				off += (size_t)n;
			/* EPIPE: the command stopped reading; its exit status
			 * and output decide (it may have read all it needs). */
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || off == len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(outp[0], buf + have, CMD_OUT_MAX + 1 - have);

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0) {
				ret = -errno;
				break;
			}
			if (n == 0) {
				close(outp[0]);
				outp[0] = -1;
				break;
			}
			have += (size_t)n;
			if (have > CMD_OUT_MAX) {
				ret = -EFBIG;
				break;
			}
		}
	}
	if (ret)
		kill(-pid, SIGKILL);
	/* stdout is closed: wait for the exit status, still within the deadline. */
	for (;;) {
		pid_t w = waitpid(pid, status, ret ? 0 : WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			ret = ret ? ret : -errno;
			break;
		}
		if (ms_left(&deadline) <= 0) {
			ret = -ETIMEDOUT;
			kill(-pid, SIGKILL);
			continue;
		}
		usleep(10000);
	}
	if (in[1] >= 0) {
		close(in[1]);
		in[1] = -1;
	}
	/* Swallow a SIGPIPE we raised, unless one was pending before us. */
	if (!sigpipe_pending) {
		struct timespec zero = { 0, 0 };

		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE))
			sigtimedwait(&pipeset, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	if (ret) {
		free(buf);
		return ret;
	}
	buf[have] = '\0';
	*obuf = buf;
	*olen = have;
	return 0;
}

/* If buf is base64 text (whitespace allowed, e.g. `base64` wraps at 76),
 * its decoding, malloc'd; else NULL. */
static uint8_t *try_base64(const uint8_t *buf, size_t len, size_t *outlen)
{
	char *t = malloc(len + 1);
	uint8_t *dec;
	size_t n = 0;

	if (!t)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '-' || c == '_' || c == '=')) {
			free(t);
			return NULL;
		}
		t[n++] = (char)c;
	}
	dec = n ? vouch_b64_decode(t, n, outlen) : NULL;
	free(t);
	return dec;
}

/* ECDSA r||s (IEEE P1363, what Azure Key Vault and PKCS#11 return) to DER. */
static uint8_t *p1363_to_der(const uint8_t *sig, size_t len, size_t *outlen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(len / 2), NULL);
	BIGNUM *s = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	int n;

	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	n = i2d_ECDSA_SIG(es, &der);
	if (n > 0 && (out = malloc((size_t)n))) {
		memcpy(out, der, (size_t)n);
		*outlen = (size_t)n;
	}
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	return out;
}

static size_t p1363_len(enum vouch_key_kind kind)
{
	switch (kind) {
	case VOUCH_KEY_P256: return 64;
	case VOUCH_KEY_P384: return 96;
	case VOUCH_KEY_P521: return 132;
	default:             return 0;
	}
}

static int ext_cmd_sign(struct vouch_signer *s, const uint8_t *msg, size_t len,
		    uint8_t **sig, size_t *siglen, char *err, size_t errlen)
{
	struct cmd_priv *p = s->priv;
	uint8_t *out = NULL, *cand[3] = { NULL, NULL, NULL };
	size_t olen = 0, clen[3] = { 0, 0, 0 }, nc = 0;
	int status = 0, ret;

	ret = run_cmd(p->cmd, msg, len, &out, &olen, &status);
	if (ret == -ETIMEDOUT)
		return verr(err, errlen, ret, "signer command '%s' did not finish within %d s (killed)",
			    p->cmd, CMD_TIMEOUT_MS / 1000);
	if (ret == -EFBIG)
		return verr(err, errlen, ret, "signer command '%s' wrote more than %u bytes; "
			    "a signature is a few hundred", p->cmd, CMD_OUT_MAX);
	if (ret)
		return verr(err, errlen, ret, "signer command '%s': %s", p->cmd, strerror(-ret));
	if (WIFSIGNALED(status)) {
		ret = verr(err, errlen, -EIO, "signer command '%s' was killed by signal %d",
			   p->cmd, WTERMSIG(status));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		ret = verr(err, errlen, -EIO, "signer command '%s' failed (exit status %d)%s",
			   p->cmd, WEXITSTATUS(status),
			   WEXITSTATUS(status) == 127 ? ": command not found?" : "");
		goto out;
	}
	if (olen == 0) {
		ret = verr(err, errlen, -EIO, "signer command '%s' wrote no signature", p->cmd);
		goto out;
	}
	/* Candidates, most specific first: base64 text decoded, the raw bytes;
	 * for ECDSA each also as r||s.  Only one that verifies is accepted, so
	 * guessing the encoding can never let a bad signature through. */
	cand[nc] = try_base64(out, olen, &clen[nc]);
	if (cand[nc])
		nc++;
	cand[nc] = malloc(olen);
	if (!cand[nc]) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(cand[nc], out, olen);
	clen[nc++] = olen;
	ret = -EBADMSG;
	for (size_t i = 0; i < nc && ret; i++) {
		uint8_t *der = NULL;
		size_t dlen = 0;

		if (vouch_key_verify(s->pub, msg, len, cand[i], clen[i], NULL)) {
			*sig = cand[i];
			*siglen = clen[i];
			cand[i] = NULL;
			ret = 0;
		} else if (clen[i] == p1363_len(s->pub->kind) &&
			   (der = p1363_to_der(cand[i], clen[i], &dlen)) &&
			   vouch_key_verify(s->pub, msg, len, der, dlen, NULL)) {
			*sig = der;
			*siglen = dlen;
			der = NULL;
			ret = 0;
		}
		free(der);
	}
	if (ret)
		verr(err, errlen, ret, "signer command '%s' returned %zu bytes that are not a valid "
		     "%s signature by key %s (raw, base64, or ECDSA DER/r||s); refusing it",
		     p->cmd, olen, vouch_key_type(s->pub), s->pub->id);
out:
	for (size_t i = 0; i < 3; i++)
		free(cand[i]);
	free(out);
	return ret;
}

static void ext_cmd_destroy(struct vouch_signer *s)
{
	struct cmd_priv *p = s->priv;

	if (p) {
		free(p->cmd);
		free(p);
	}
}

int vouch_signer_cmd(const char *cmd, const char *pubkey_pem_path, struct vouch_signer **out,
		     char *err, size_t errlen)
{
	struct vouch_signer *s;
	struct cmd_priv *p;
	int ret;

	if (!cmd || !*cmd)
		return verr(err, errlen, -EINVAL, "empty signer command");
	if (!pubkey_pem_path)
		return verr(err, errlen, -EINVAL, "a signer command needs the public key it signs for");
	s = calloc(1, sizeof(*s));
	p = calloc(1, sizeof(*p));
	if (!s || !p || !(p->cmd = strdup(cmd))) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = vouch_key_load(pubkey_pem_path, &s->pub, err, errlen);
	if (ret)
		goto fail;
	s->priv = p;
	s->sign = ext_cmd_sign;
	s->destroy = ext_cmd_destroy;
	*out = s;
	return 0;
fail:
	if (p)
		free(p->cmd);
	free(p);
	free(s);
	return ret;
}
