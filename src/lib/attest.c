/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest.c - enrollment, quotes and their verification (`vouch attest`).
 *
 * Enrollment proves that the attestation key (AK) lives in the TPM whose EK
 * certificate chains to a CA the verifier trusts: the credential is made
 * here in software (TPM 2.0 Part 1, "Credential Protection": an OAEP-wrapped
 * seed, KDFa, AES-128-CFB, an outer HMAC over the AK's name) to the EK
 * certificate's public key, and only a TPM holding that EK and the AK can
 * give it back.  A quote is TPM2_NV_Certify of the measurement register
 * signed by the AK, plus the log; verification replays the log to the
 * certified value and runs on any machine (no TPM, no TSS).
 *
 * Owns: the quote document, its bounded parser (fuzzed: tests/fuzz/
 * fuzz_attest.c), the TPMS_ATTEST parser, the credential maths.  Must not:
 * trust anything in a quote before the AK's signature over it verified.
 */
#include "attest_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_tpm2_types.h>

/* Budgets: a quote holds a log of at most this many bytes (a boot loading
 * ten thousand models stays far below), an attestation a few hundred. */
#define QUOTE_MAX   (16u << 20)
#define ATTEST_MAX  2048

static void be16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* ---- names ---- */

void vouch_nv_template(bool platform, TPM2B_NV_PUBLIC *pub);

/* The name of the NV index as the TPM reports it once written:
 * nameAlg || SHA-256(TPMS_NV_PUBLIC) with TPMA_NV_WRITTEN set. */
static void nv_name(bool platform, uint8_t out[34])
{
	TPM2B_NV_PUBLIC pub;
	uint8_t m[4 + 2 + 4 + 2 + 32 + 2];
	size_t n = 0;

	vouch_nv_template(platform, &pub);
	be32(m, pub.nvPublic.nvIndex); n += 4;
	be16(m + n, pub.nvPublic.nameAlg); n += 2;
	be32(m + n, pub.nvPublic.attributes | TPMA_NV_WRITTEN); n += 4;
	be16(m + n, pub.nvPublic.authPolicy.size); n += 2;
	memcpy(m + n, pub.nvPublic.authPolicy.buffer, pub.nvPublic.authPolicy.size);
	n += pub.nvPublic.authPolicy.size;
	be16(m + n, pub.nvPublic.dataSize); n += 2;
	be16(out, TPM2_ALG_SHA256);
	SHA256(m, n, out + 2);
}

/* The AK's name: nameAlg || SHA-256(TPMT_PUBLIC), marshalled as the TPM
 * does for the template in attest_tpm.c with the point (x, y). */
static void ak_name(const uint8_t x[32], const uint8_t y[32], uint8_t out[34])
{
	uint8_t m[128];
	size_t n = 0;

	be16(m + n, TPM2_ALG_ECC); n += 2;
	be16(m + n, TPM2_ALG_SHA256); n += 2;
	be32(m + n, TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
	     TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH);
	n += 4;
	be16(m + n, 0); n += 2;                           /* authPolicy */
	be16(m + n, TPM2_ALG_NULL); n += 2;               /* symmetric */
	be16(m + n, TPM2_ALG_ECDSA); n += 2;              /* scheme */
	be16(m + n, TPM2_ALG_SHA256); n += 2;
	be16(m + n, TPM2_ECC_NIST_P256); n += 2;
	be16(m + n, TPM2_ALG_NULL); n += 2;               /* kdf */
	be16(m + n, 32); n += 2; memcpy(m + n, x, 32); n += 32;
	be16(m + n, 32); n += 2; memcpy(m + n, y, 32); n += 32;
	be16(out, TPM2_ALG_SHA256);
	SHA256(m, n, out + 2);
}

/* ---- credential protection (TPM 2.0 Part 1, 24 and 11.4.10) ---- */

static void kdfa(const uint8_t *key, size_t keylen, const char *label, const uint8_t *u, size_t ul,
		 uint8_t *out, size_t bits)
{
	size_t want = bits / 8, done = 0;

	for (uint32_t i = 1; done < want; i++) {
		uint8_t buf[256], md[32], c[4], b[4];
		unsigned mdlen = 0;
		size_t n = 0;

		be32(c, i);
		be32(b, (uint32_t)bits);
		memcpy(buf + n, c, 4); n += 4;
		memcpy(buf + n, label, strlen(label) + 1); n += strlen(label) + 1;
		if (ul) {
			memcpy(buf + n, u, ul);
			n += ul;
		}
		memcpy(buf + n, b, 4); n += 4;
		HMAC(EVP_sha256(), key, (int)keylen, buf, n, md, &mdlen);
		memcpy(out + done, md, want - done < 32 ? want - done : 32);
		done += 32;
	}
}

/* Make a credential for the AK named akname, to the EK public key ek: the
 * TPM2B_ID_OBJECT body (blob) and the encrypted seed (secret). */
static int make_credential(EVP_PKEY *ek, const uint8_t akname[34], const uint8_t cv[32],
			   uint8_t *blob, size_t *bloblen, uint8_t *secret, size_t *secretlen)
{
	uint8_t seed[32], symkey[16], hmackey[32], iv[16] = { 0 }, plain[34], enc[34], hm[32];
	uint8_t hbuf[34 + 34];
	EVP_PKEY_CTX *pc = NULL;
	EVP_CIPHER_CTX *cc = NULL;
	unsigned hl = 0;
	int ret = -EIO, outl = 0;
	char *label = NULL;

	if (RAND_bytes(seed, sizeof(seed)) != 1)
		return -EIO;
	pc = EVP_PKEY_CTX_new(ek, NULL);
	label = OPENSSL_memdup("IDENTITY", 9);     /* the label includes its NUL */
	if (!pc || !label || EVP_PKEY_encrypt_init(pc) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(pc, label, 9) <= 0)
		goto out;
	label = NULL;                                  /* owned by pc now */
	if (EVP_PKEY_encrypt(pc, secret, secretlen, seed, sizeof(seed)) <= 0)
		goto out;
	kdfa(seed, 32, "STORAGE", akname, 34, symkey, 128);
	kdfa(seed, 32, "INTEGRITY", NULL, 0, hmackey, 256);
	be16(plain, 32);
	memcpy(plain + 2, cv, 32);
	cc = EVP_CIPHER_CTX_new();
	if (!cc || EVP_EncryptInit_ex(cc, EVP_aes_128_cfb(), NULL, symkey, iv) != 1 ||
	    EVP_EncryptUpdate(cc, enc, &outl, plain, sizeof(plain)) != 1 || outl != sizeof(plain))
		goto out;
	memcpy(hbuf, enc, sizeof(enc));
	memcpy(hbuf + sizeof(enc), akname, 34);
	HMAC(EVP_sha256(), hmackey, 32, hbuf, sizeof(hbuf), hm, &hl);
	be16(blob, 32);
	memcpy(blob + 2, hm, 32);
	memcpy(blob + 34, enc, sizeof(enc));
	*bloblen = 34 + sizeof(enc);
	ret = 0;
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_free(label);
	EVP_PKEY_CTX_free(pc);
	EVP_CIPHER_CTX_free(cc);
	return ret;
}

/* ---- enroll ---- */

static char *ak_pem_of(const uint8_t x[32], const uint8_t y[32])
{
	/* SubjectPublicKeyInfo of an uncompressed P-256 point: a fixed prefix
	 * (id-ecPublicKey, prime256v1, BIT STRING of 66 bytes) and 04||x||y. */
	static const uint8_t prefix[] = {
		0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
		0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
	};
	uint8_t der[sizeof(prefix) + 64];
	const uint8_t *p = der;
	EVP_PKEY *pk;
	BIO *bio = BIO_new(BIO_s_mem());
	char *out = NULL, *m;
	long n;

	memcpy(der, prefix, sizeof(prefix));
	memcpy(der + sizeof(prefix), x, 32);
	memcpy(der + sizeof(prefix) + 32, y, 32);
	pk = d2i_PUBKEY(NULL, &p, sizeof(der));
	if (pk && bio && PEM_write_bio_PUBKEY(bio, pk) == 1 && (n = BIO_get_mem_data(bio, &m)) > 0)
		out = strndup(m, (size_t)n);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return out;
}

static int ek_chain_check(X509 *cert, const char *ek_ca, char *err, size_t errlen)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509_INFO) *infos = NULL;
	BIO *bio = BIO_new_file(ek_ca, "r");
	int ret = -EACCES, n = 0;

	if (!st || !ctx || !bio) {
		ret = verr(err, errlen, -ENOENT, "%s: cannot read", ek_ca);
		goto out;
	}
	infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *xi = sk_X509_INFO_value(infos, i);
		if (xi->x509 && X509_STORE_add_cert(st, xi->x509) == 1)
			n++;
	}
	if (!n) {
		ret = verr(err, errlen, -EINVAL, "%s: no PEM certificate in it", ek_ca);
		goto out;
	}
	/* A manufacturer's intermediate alone may be what the verifier trusts. */
	X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_STORE_CTX_init(ctx, st, cert, NULL) != 1)
		goto out;
	if (X509_verify_cert(ctx) == 1)
		ret = 0;
	else
		verr(err, errlen, -EACCES, "the EK certificate does not chain to %s: %s", ek_ca,
		     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	BIO_free(bio);
	return ret;
}

int vouch_attest_enroll(const char *tcti, const char *ek_ca, char **ak_pem, char *info,
			size_t infolen, char *err, size_t errlen)
{
	uint8_t x[32], y[32], name[34], cv[32], got[64], blob[128], secret[512];
	size_t bloblen = sizeof(blob), secretlen = sizeof(secret), gotlen = sizeof(got), derlen = 0;
	uint8_t *der = NULL;
	const uint8_t *p;
	X509 *cert = NULL;
	EVP_PKEY *ek = NULL;
	int ret;

	*ak_pem = NULL;
	ret = vouch_tpm_ak(tcti, x, y, err, errlen);
	if (!ret)
		ret = vouch_tpm_ek_cert(tcti, &der, &derlen, err, errlen);
	if (ret)
		goto out;
	p = der;
	cert = d2i_X509(NULL, &p, (long)derlen);
	ek = cert ? X509_get_pubkey(cert) : NULL;
	if (!ek || EVP_PKEY_base_id(ek) != EVP_PKEY_RSA) {
		ret = verr(err, errlen, -EINVAL, "the EK certificate is not an X.509 certificate of "
			   "an RSA key");
		goto out;
	}
	X509_NAME_oneline(X509_get_subject_name(cert), info, (int)infolen);
	if (ek_ca && (ret = ek_chain_check(cert, ek_ca, err, errlen)))
		goto out;
	ak_name(x, y, name);
	if (RAND_bytes(cv, sizeof(cv)) != 1 ||
	    make_credential(ek, name, cv, blob, &bloblen, secret, &secretlen)) {
		ret = verr(err, errlen, -EIO, "making the credential failed");
		goto out;
	}
	ret = vouch_tpm_activate(tcti, blob, bloblen, secret, secretlen, got, &gotlen, err, errlen);
	if (ret)
		goto out;
	if (gotlen != sizeof(cv) || CRYPTO_memcmp(got, cv, sizeof(cv))) {
		ret = verr(err, errlen, -EACCES, "credential activation returned another value: the "
			   "AK is not in the TPM of this EK");
		goto out;
	}
	*ak_pem = ak_pem_of(x, y);
	if (!*ak_pem)
		ret = -ENOMEM;
out:
	free(der);
	X509_free(cert);
	EVP_PKEY_free(ek);
	return ret;
}

/* ---- quote ---- */

int vouch_attest_quote(const struct vouch_config *cfg, const uint8_t *nonce, size_t noncelen,
		       char **json, char *err, size_t errlen)
{
	const char *logpath = cfg->measurement_log ? cfg->measurement_log : VOUCH_MEASUREMENT_LOG;
	uint8_t *att = NULL, *logbuf = NULL, r[32], s[32];
	size_t attlen = 0, loglen = 0;
	char hex[2 * 256 + 1], *b64 = NULL;
	json_t *j = NULL, *lines;
	int ret;

	*json = NULL;
	/* Certify first, then read the log: an entry appended in between is
	 * in the log but not in the value, and the verifier then says the
	 * log is ahead (never the other way round, which would hide one). */
	ret = vouch_tpm_certify(cfg->tpm_tcti, nonce, noncelen, &att, &attlen, r, s, err, errlen);
	if (ret)
		goto out;
	ret = vouch_read_file(AT_FDCWD, logpath, QUOTE_MAX, &logbuf, &loglen, NULL);
	if (ret) {
		verr(err, errlen, ret, "%s: %s", logpath, strerror(-ret));
		goto out;
	}
	j = json_object();
	lines = json_array();
	json_object_set_new(j, "vouch_quote", json_integer(1));
	vouch_hex(nonce, noncelen, hex);
	json_object_set_new(j, "nonce", json_string(hex));
	snprintf(hex, sizeof(hex), "0x%08x", VOUCH_NV_INDEX);
	json_object_set_new(j, "nv_index", json_string(hex));
	b64 = malloc(4 * ((attlen + 2) / 3) + 1);
	if (!b64) {
		ret = -ENOMEM;
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)b64, att, (int)attlen);
	json_object_set_new(j, "attest", json_string(b64));
	vouch_hex(r, 32, hex);
	json_object_set_new(j, "sig_r", json_string(hex));
	vouch_hex(s, 32, hex);
	json_object_set_new(j, "sig_s", json_string(hex));
	for (char *l = (char *)logbuf, *e; l < (char *)logbuf + loglen; l = e + 1) {
		e = memchr(l, '\n', (size_t)((char *)logbuf + loglen - l));
		if (!e)
			break;                 /* a line being written: not yet in the value */
		json_array_append_new(lines, json_stringn(l, (size_t)(e - l)));
	}
	json_object_set_new(j, "log", lines);
	*json = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	ret = *json ? 0 : -ENOMEM;
out:
	json_decref(j);
	free(b64);
	free(att);
	free(logbuf);
	return ret;
}

/* ---- verify ---- */

struct rd {
	const uint8_t *p;
	size_t n;
	bool bad;
};
static uint32_t rd_u(struct rd *r, size_t k)
{
	uint32_t v = 0;

	if (r->bad || r->n < k) {
		r->bad = true;
		return 0;
	}
	for (size_t i = 0; i < k; i++)
		v = v << 8 | r->p[i];
	r->p += k;
	r->n -= k;
	return v;
}
static const uint8_t *rd_b(struct rd *r, size_t *len)
{
	const uint8_t *p;

	*len = rd_u(r, 2);
	if (r->bad || r->n < *len) {
		r->bad = true;
		return NULL;
	}
	p = r->p;
	r->p += *len;
	r->n -= *len;
	return p;
}

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static bool sig_ok(const char *ak_pem, size_t aklen, const uint8_t *msg, size_t len,
		   const uint8_t r[32], const uint8_t s[32])
{
	BIO *bio = BIO_new_mem_buf(ak_pem, (int)aklen);
	EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *br = BN_bin2bn(r, 32, NULL), *bs = BN_bin2bn(s, 32, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	bool ok = false;
	int dl;

	if (!pk || EVP_PKEY_base_id(pk) != EVP_PKEY_EC || !sig || !br || !bs || !md)
		goto out;
	if (ECDSA_SIG_set0(sig, br, bs) != 1)
		goto out;
	br = bs = NULL;
	dl = i2d_ECDSA_SIG(sig, &der);
	ok = dl > 0 && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	     EVP_DigestVerify(md, der, (size_t)dl, msg, len) == 1;
out:
	OPENSSL_free(der);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return ok;
}

enum vouch_cause vouch_attest_check(const char *doc, size_t len, const char *ak_pem, size_t aklen,
				    const uint8_t *nonce, size_t noncelen, bool check_sig,
				    vouch_attested_fn fn, void *arg, char *err, size_t errlen)
{
	enum vouch_cause c = VOUCH_CAUSE_MALFORMED;
	uint8_t att[ATTEST_MAX], r[32], s[32], reg[32] = { 0 }, plat[34], own[34];
	const uint8_t *extra, *name, *contents;
	size_t attlen, n, extralen, namelen, contlen;
	json_t *j = NULL, *log;
	struct rd rd;
	char *line = NULL;
	int b;

	if (len > QUOTE_MAX) {
		verr(err, errlen, 0, "quote larger than %u bytes", QUOTE_MAX);
		goto out;
	}
	j = json_loadb(doc, len, JSON_REJECT_DUPLICATES, NULL);
	log = json_object_get(j, "log");
	if (!json_is_object(j) || json_integer_value(json_object_get(j, "vouch_quote")) != 1 ||
	    !json_is_string(json_object_get(j, "attest")) || !json_is_string(json_object_get(j, "sig_r")) ||
	    !json_is_string(json_object_get(j, "sig_s")) || !json_is_array(log)) {
		verr(err, errlen, 0, "not a vouch quote (vouch_quote 1 with attest, sig_r, sig_s, log)");
		goto out;
	}
	n = strlen(json_string_value(json_object_get(j, "attest")));
	if (n > 4 * ((ATTEST_MAX + 2) / 3) || n % 4) {
		verr(err, errlen, 0, "attest: not base64 of at most %u bytes", ATTEST_MAX);
		goto out;
	}
	b = EVP_DecodeBlock(att, (const unsigned char *)json_string_value(json_object_get(j, "attest")),
			    (int)n);
	if (b < 0) {
		verr(err, errlen, 0, "attest: not base64");
		goto out;
	}
	attlen = (size_t)b;
	if (n >= 1 && json_string_value(json_object_get(j, "attest"))[n - 1] == '=')
		attlen--;
	if (n >= 2 && json_string_value(json_object_get(j, "attest"))[n - 2] == '=')
		attlen--;
	if (unhex(json_string_value(json_object_get(j, "sig_r")), r, 32, &n) || n != 32 ||
	    unhex(json_string_value(json_object_get(j, "sig_s")), s, 32, &n) || n != 32) {
		verr(err, errlen, 0, "sig_r, sig_s: not 32 bytes of hex each");
		goto out;
	}
	if (check_sig && !sig_ok(ak_pem, aklen, att, attlen, r, s)) {
		c = VOUCH_CAUSE_BAD_SIGNATURE;
		verr(err, errlen, 0, "the attestation is not signed by this AK");
		goto out;
	}
	/* TPMS_ATTEST of TPM2_NV_Certify (Part 2, 10.12.12). */
	rd = (struct rd){ .p = att, .n = attlen };
	if (rd_u(&rd, 4) != TPM2_GENERATED_VALUE || rd_u(&rd, 2) != TPM2_ST_ATTEST_NV) {
		verr(err, errlen, 0, "the attestation is not a TPM-generated NV certification");
		goto out;
	}
	rd_b(&rd, &n);                               /* qualifiedSigner */
	extra = rd_b(&rd, &extralen);
	rd_u(&rd, 4); rd_u(&rd, 4);                  /* clock */
	rd_u(&rd, 4); rd_u(&rd, 4); rd_u(&rd, 1);    /* resetCount, restartCount, safe */
	rd_u(&rd, 4); rd_u(&rd, 4);                  /* firmwareVersion */
	name = rd_b(&rd, &namelen);
	(void)rd_u(&rd, 2);                          /* offset, checked below */
	rd.p -= 2; rd.n += 2;
	if (rd_u(&rd, 2) != 0)
		rd.bad = true;
	contents = rd_b(&rd, &contlen);
	if (rd.bad || rd.n || contlen != 32) {
		verr(err, errlen, 0, "the attestation is truncated or has bad lengths");
		goto out;
	}
	if (extralen != noncelen || (noncelen && memcmp(extra, nonce, noncelen))) {
		c = VOUCH_CAUSE_NAME_MISMATCH;
		verr(err, errlen, 0, "the quote answers another nonce (a replay)");
		goto out;
	}
	nv_name(true, plat);
	nv_name(false, own);
	if (namelen != 34 || (memcmp(name, plat, 34) && memcmp(name, own, 34))) {
		c = VOUCH_CAUSE_NAME_MISMATCH;
		verr(err, errlen, 0, "the certified NV index is not vouch's (another index, or other "
		     "attributes)");
		goto out;
	}
	/* Replay. */
	for (size_t i = 0; i < json_array_size(log); i++) {
		const char *l = json_string_value(json_array_get(log, i));
		struct vouch_mline ml;
		struct vouch_attested m = { 0 };
		json_t *ev, *sg;
		char e2[160];

		if (!l) {
			verr(err, errlen, 0, "log[%zu]: not a string", i);
			goto out;
		}
		if (i == 0) {
			if (strncmp(l, VOUCH_MEASURE_HEADER " ", strlen(VOUCH_MEASURE_HEADER) + 1)) {
				verr(err, errlen, 0, "log: no " VOUCH_MEASURE_HEADER " header");
				goto out;
			}
			continue;
		}
		free(line);
		line = strdup(l);
		if (!line || vouch_mline_parse(line, strlen(line), &ml, e2, sizeof(e2))) {
			verr(err, errlen, 0, "log[%zu]: %s", i, line ? e2 : "out of memory");
			goto out;
		}
		vouch_measure_chain(reg, ml.digest);
		if (memcmp(reg, ml.reg, 32) || strcmp(ml.anchor, "tpm")) {
			c = VOUCH_CAUSE_HASH_MISMATCH;
			verr(err, errlen, 0, "log[%zu]: the register does not replay (%s): an entry "
			     "before it was edited, removed or added", i,
			     strcmp(ml.anchor, "tpm") ? ml.anchor : "value");
			goto out;
		}
		ev = json_loadb(ml.event, ml.event_len, JSON_REJECT_DUPLICATES, NULL);
		sg = json_object_get(ev, "signers");
		m.seq = (uint64_t)json_integer_value(json_object_get(ev, "seq"));
		m.time = json_string_value(json_object_get(ev, "time"));
		m.model = json_string_value(json_object_get(ev, "model"));
		m.version = (uint64_t)json_integer_value(json_object_get(ev, "version"));
		m.digest = json_string_value(json_object_get(ev, "digest"));
		m.path = json_string_value(json_object_get(ev, "path"));
		m.anchor = ml.anchor;
		for (size_t k = 0; k < json_array_size(sg) && k < VOUCH_SIGNERS_MAX; k++)
			m.signers[k] = json_string_value(json_array_get(sg, k));
		if (!m.model || !m.digest || !m.time || !m.path || !json_is_integer(json_object_get(ev, "version"))) {
			json_decref(ev);
			verr(err, errlen, 0, "log[%zu]: an event without model, version, digest, time "
			     "or path", i);
			goto out;
		}
		if (fn)
			fn(arg, &m);
		json_decref(ev);
	}
	if (memcmp(reg, contents, 32)) {
		c = VOUCH_CAUSE_HASH_MISMATCH;
		verr(err, errlen, 0, "the log does not replay to the certified register value: an "
		     "entry was removed or added, or the log is behind the TPM");
		goto out;
	}
	c = VOUCH_CAUSE_OK;
out:
	free(line);
	json_decref(j);
	return c;
}

enum vouch_cause vouch_attest_verify(const char *doc, size_t len, const char *ak_pem, size_t aklen,
				     const uint8_t *nonce, size_t noncelen, vouch_attested_fn fn,
				     void *arg, char *err, size_t errlen)
{
	/* Every entry is checked before any is reported: a caller that acts on
	 * the list must never see part of a log that then fails. */
	enum vouch_cause c = vouch_attest_check(doc, len, ak_pem, aklen, nonce, noncelen, true, NULL,
						NULL, err, errlen);

	if (c == VOUCH_CAUSE_OK && fn)
		c = vouch_attest_check(doc, len, ak_pem, aklen, nonce, noncelen, true, fn, arg, err,
				       errlen);
	return c;
}
