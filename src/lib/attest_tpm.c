/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest_tpm.c - every TPM operation vouch makes, through the TPM Software
 * Stack (tpm2-tss: ESYS over a TCTI).  The TSS is loaded with dlopen when
 * the first operation needs it, not linked: libvouch also goes into the
 * preload shim, which lives in every shimmed process and never touches a
 * TPM, and a host without libtss2 still verifies (its log is unanchored).
 *
 * Each operation opens its own TCTI connection and closes it before it
 * returns: swtpm's socket serves one client at a time, and tpm2-tools or
 * `vouch attest quote` must get in between two measurements.
 *
 * Owns: the NV index (its template and creation), the AK and EK templates,
 * extend, certify, credential activation.  Must not: decide anything, keep
 * a TPM handle or connection past a call.
 */
#include "attest_i.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

/* ---- the TSS, loaded once ---- */

#define TSS_FUNCS(X) \
	X(esys, Esys_Initialize, TSS2_RC, (ESYS_CONTEXT **, TSS2_TCTI_CONTEXT *, TSS2_ABI_VERSION *)) \
	X(esys, Esys_Finalize, void, (ESYS_CONTEXT **)) \
	X(esys, Esys_Free, void, (void *)) \
	X(esys, Esys_TR_FromTPMPublic, TSS2_RC, (ESYS_CONTEXT *, TPM2_HANDLE, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR *)) \
	X(esys, Esys_TR_SetAuth, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR, TPM2B_AUTH const *)) \
	X(esys, Esys_TR_Close, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR *)) \
	X(esys, Esys_NV_DefineSpace, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_AUTH *, const TPM2B_NV_PUBLIC *, ESYS_TR *)) \
	X(esys, Esys_NV_Extend, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_MAX_NV_BUFFER *)) \
	X(esys, Esys_NV_Read, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, UINT16, UINT16, TPM2B_MAX_NV_BUFFER **)) \
	X(esys, Esys_NV_ReadPublic, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, TPM2B_NV_PUBLIC **, TPM2B_NAME **)) \
	X(esys, Esys_CreatePrimary, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_SENSITIVE_CREATE *, const TPM2B_PUBLIC *, const TPM2B_DATA *, const TPML_PCR_SELECTION *, ESYS_TR *, TPM2B_PUBLIC **, TPM2B_CREATION_DATA **, TPM2B_DIGEST **, TPMT_TK_CREATION **)) \
	X(esys, Esys_FlushContext, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR)) \
	X(esys, Esys_NV_Certify, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_DATA *, const TPMT_SIG_SCHEME *, UINT16, UINT16, TPM2B_ATTEST **, TPMT_SIGNATURE **)) \
	X(esys, Esys_StartAuthSession, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_NONCE *, TPM2_SE, const TPMT_SYM_DEF *, TPMI_ALG_HASH, ESYS_TR *)) \
	X(esys, Esys_PolicySecret, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_NONCE *, const TPM2B_DIGEST *, const TPM2B_NONCE *, INT32, TPM2B_TIMEOUT **, TPMT_TK_AUTH **)) \
	X(esys, Esys_ActivateCredential, TSS2_RC, (ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_ID_OBJECT *, const TPM2B_ENCRYPTED_SECRET *, TPM2B_DIGEST **)) \
	X(ldr, Tss2_TctiLdr_Initialize, TSS2_RC, (const char *, TSS2_TCTI_CONTEXT **)) \
	X(ldr, Tss2_TctiLdr_Finalize, void, (TSS2_TCTI_CONTEXT **))

static struct {
	pthread_mutex_t mu;
	int state;                  /* 0 not tried, 1 loaded, -1 unavailable */
	void *esys, *ldr;
#define X(lib, name, ret, args) ret (*name) args;
	TSS_FUNCS(X)
#undef X
} T = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int tss_load(char *err, size_t errlen)
{
	int ret;

	pthread_mutex_lock(&T.mu);
	if (!T.state) {
		T.esys = dlopen("libtss2-esys.so.0", RTLD_NOW | RTLD_LOCAL);
		T.ldr = dlopen("libtss2-tctildr.so.0", RTLD_NOW | RTLD_LOCAL);
		T.state = T.esys && T.ldr ? 1 : -1;
#define X(lib, name, r, args) \
		if (T.state == 1 && !(*(void **)&T.name = dlsym(T.lib, #name))) T.state = -1;
		TSS_FUNCS(X)
#undef X
	}
	ret = T.state == 1 ? 0 : verr(err, errlen, -ENODEV, "the TPM software stack (libtss2-esys0, "
				     "libtss2-tctildr0) is not installed");
	pthread_mutex_unlock(&T.mu);
	return ret;
}

struct tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *e;
};

/* Open the TPM named by tcti (NULL: /dev/tpmrm0).  -ENODEV when there is
 * none: no device at a device: TCTI, or no resource manager. */
static int tpm_open(const char *tcti, struct tpm *t, char *err, size_t errlen)
{
	const char *dev = NULL;
	TSS2_RC rc;
	int ret;

	memset(t, 0, sizeof(*t));
	if (!tcti || !*tcti)
		tcti = "device:/dev/tpmrm0";
	if (!strncmp(tcti, "device:", 7))
		dev = tcti + 7;
	else if (!strcmp(tcti, "device"))
		dev = "/dev/tpmrm0";
	if (dev && access(dev, R_OK | W_OK) < 0)
		return verr(err, errlen, -ENODEV, "%s: %s", dev, strerror(errno));
	ret = tss_load(err, errlen);
	if (ret)
		return ret;
	rc = T.Tss2_TctiLdr_Initialize(tcti, &t->tcti);
	if (rc)
		return verr(err, errlen, -EIO, "TCTI %s: cannot connect (0x%x)", tcti, rc);
	rc = T.Esys_Initialize(&t->e, t->tcti, NULL);
	if (rc) {
		T.Tss2_TctiLdr_Finalize(&t->tcti);
		return verr(err, errlen, -EIO, "TCTI %s: ESYS initialisation failed (0x%x)", tcti, rc);
	}
	return 0;
}

static void tpm_close(struct tpm *t)
{
	if (t->e)
		T.Esys_Finalize(&t->e);
	if (t->tcti)
		T.Tss2_TctiLdr_Finalize(&t->tcti);
}

#define TPMERR(what, rc) verr(err, errlen, -EIO, "%s: TPM error 0x%x", what, (unsigned)(rc))

/* ---- the register: an NV index of the extend type ---- */

/* Its authPolicy, needed to delete it (TPMA_NV_POLICY_DELETE): a digest no
 * policy session can reach (a policy digest is a hash chain from zeros; to
 * reach this one is a SHA-256 preimage).  With platform authorisation, which
 * firmware locks before the OS runs, that makes the index undeletable until
 * the platform is reset. */
static const uint8_t nobody_policy[32] = {
	0x76, 0x6f, 0x75, 0x63, 0x68, 0x3a, 0x20, 0x6e, 0x6f, 0x20, 0x70, 0x6f, 0x6c, 0x69, 0x63, 0x79,
	0x20, 0x72, 0x65, 0x61, 0x63, 0x68, 0x65, 0x73, 0x20, 0x74, 0x68, 0x69, 0x73, 0x2e, 0x2e, 0x2e,
};

void vouch_nv_template(bool platform, TPM2B_NV_PUBLIC *pub);
void vouch_nv_template(bool platform, TPM2B_NV_PUBLIC *pub)
{
	memset(pub, 0, sizeof(*pub));
	pub->nvPublic.nvIndex = VOUCH_NV_INDEX;
	pub->nvPublic.nameAlg = TPM2_ALG_SHA256;
	/* Extended by anyone with its (empty) auth, which a root process has
	 * anyway; read and certified the same way.  Cleared by TPM Reset and
	 * Restart only (CLEAR_STCLEAR): its history is this boot's. */
	pub->nvPublic.attributes = (TPM2_NT_EXTEND << TPMA_NV_TPM2_NT_SHIFT) | TPMA_NV_AUTHWRITE |
		TPMA_NV_AUTHREAD | TPMA_NV_NO_DA | TPMA_NV_CLEAR_STCLEAR |
		(platform ? TPMA_NV_PLATFORMCREATE | TPMA_NV_POLICY_DELETE : TPMA_NV_OWNERREAD);
	pub->nvPublic.authPolicy.size = platform ? 32 : 0;
	memcpy(pub->nvPublic.authPolicy.buffer, nobody_policy, 32);
	pub->nvPublic.dataSize = 32;
}

/* The index, defined if absent: under the platform hierarchy with
 * POLICY_DELETE when platform authorisation is open (swtpm; firmware that
 * leaves it open), else under the owner hierarchy (weaker: whoever holds
 * owner authorisation can delete and redefine it; docs/attestation.md). */
static int nv_handle(struct tpm *t, ESYS_TR *nv, char *err, size_t errlen)
{
	static const TPM2B_AUTH empty = { 0 };
	TPM2B_NV_PUBLIC pub;
	TSS2_RC rc;

	rc = T.Esys_TR_FromTPMPublic(t->e, VOUCH_NV_INDEX, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, nv);
	if (rc) {
		vouch_nv_template(true, &pub);
		rc = T.Esys_NV_DefineSpace(t->e, ESYS_TR_RH_PLATFORM, ESYS_TR_PASSWORD, ESYS_TR_NONE,
					   ESYS_TR_NONE, &empty, &pub, nv);
		if (rc) {
			vouch_nv_template(false, &pub);
			rc = T.Esys_NV_DefineSpace(t->e, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
						   ESYS_TR_NONE, &empty, &pub, nv);
		}
		if (rc)
			return TPMERR("defining the measurement NV index", rc);
	}
	T.Esys_TR_SetAuth(t->e, *nv, &empty);
	return 0;
}

int vouch_tpm_extend(const char *tcti, const uint8_t digest[32], uint8_t value[32],
		     char *err, size_t errlen)
{
	TPM2B_MAX_NV_BUFFER data = { .size = 32 }, *out = NULL;
	struct tpm t;
	ESYS_TR nv;
	TSS2_RC rc;
	int ret = tpm_open(tcti, &t, err, errlen);

	if (ret)
		return ret;
	ret = nv_handle(&t, &nv, err, errlen);
	if (ret)
		goto out;
	memcpy(data.buffer, digest, 32);
	rc = T.Esys_NV_Extend(t.e, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &data);
	if (rc) {
		ret = TPMERR("NV_Extend", rc);
		goto out;
	}
	rc = T.Esys_NV_Read(t.e, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, 32, 0, &out);
	if (rc || !out || out->size != 32) {
		ret = TPMERR("NV_Read", rc);
		goto out;
	}
	memcpy(value, out->buffer, 32);
out:
	if (out)
		T.Esys_Free(out);
	tpm_close(&t);
	return ret;
}

/* ---- keys ---- */

/* The attestation key: a primary ECC P-256 restricted signing key in the
 * endorsement hierarchy.  A primary key is derived from the hierarchy's
 * seed and this template, so every operation re-creates the same key and
 * nothing is stored in the TPM between them. */
static void ak_template(TPM2B_PUBLIC *p)
{
	static const char label[] = "vouch attestation key v1";

	memset(p, 0, sizeof(*p));
	p->publicArea.type = TPM2_ALG_ECC;
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	p->publicArea.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
		TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
		TPMA_OBJECT_USERWITHAUTH;
	p->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p->publicArea.unique.ecc.x.size = sizeof(label) - 1;
	memcpy(p->publicArea.unique.ecc.x.buffer, label, sizeof(label) - 1);
}

/* The endorsement key of the TCG EK Credential Profile, template L-1 (RSA
 * 2048): the key the EK certificate at NV 0x01c00002 certifies. */
static const uint8_t ek_policy[32] = {   /* PolicySecret(TPM_RH_ENDORSEMENT) */
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
	0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};
static void ek_template(TPM2B_PUBLIC *p)
{
	memset(p, 0, sizeof(*p));
	p->publicArea.type = TPM2_ALG_RSA;
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	p->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED |
		TPMA_OBJECT_DECRYPT;
	p->publicArea.authPolicy.size = 32;
	memcpy(p->publicArea.authPolicy.buffer, ek_policy, 32);
	p->publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->publicArea.parameters.rsaDetail.symmetric.keyBits.aes = 128;
	p->publicArea.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	p->publicArea.parameters.rsaDetail.keyBits = 2048;
	p->publicArea.unique.rsa.size = 256;
}

static int primary(struct tpm *t, ESYS_TR hierarchy, const TPM2B_PUBLIC *tmpl, ESYS_TR *h,
		   TPM2B_PUBLIC **pub, char *err, size_t errlen)
{
	static const TPM2B_SENSITIVE_CREATE sens = { 0 };
	static const TPM2B_DATA outside = { 0 };
	static const TPML_PCR_SELECTION pcrs = { 0 };
	TSS2_RC rc = T.Esys_CreatePrimary(t->e, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE,
					  ESYS_TR_NONE, &sens, tmpl, &outside, &pcrs, h, pub, NULL,
					  NULL, NULL);
	return rc ? TPMERR("CreatePrimary", rc) : 0;
}

int vouch_tpm_ak(const char *tcti, uint8_t x[32], uint8_t y[32], char *err, size_t errlen)
{
	TPM2B_PUBLIC tmpl, *pub = NULL;
	ESYS_TR ak = ESYS_TR_NONE;
	struct tpm t;
	int ret = tpm_open(tcti, &t, err, errlen);

	if (ret)
		return ret;
	ak_template(&tmpl);
	ret = primary(&t, ESYS_TR_RH_ENDORSEMENT, &tmpl, &ak, &pub, err, errlen);
	if (!ret && (pub->publicArea.unique.ecc.x.size != 32 || pub->publicArea.unique.ecc.y.size != 32))
		ret = verr(err, errlen, -EIO, "the TPM returned an AK that is not P-256");
	if (!ret) {
		memcpy(x, pub->publicArea.unique.ecc.x.buffer, 32);
		memcpy(y, pub->publicArea.unique.ecc.y.buffer, 32);
	}
	if (ak != ESYS_TR_NONE)
		T.Esys_FlushContext(t.e, ak);
	if (pub)
		T.Esys_Free(pub);
	tpm_close(&t);
	return ret;
}

int vouch_tpm_ek_cert(const char *tcti, uint8_t **der, size_t *len, char *err, size_t errlen)
{
	TPM2B_NV_PUBLIC *np = NULL;
	TPM2B_MAX_NV_BUFFER *chunk = NULL;
	ESYS_TR nv;
	struct tpm t;
	TSS2_RC rc;
	size_t n = 0, size;
	int ret = tpm_open(tcti, &t, err, errlen);

	*der = NULL;
	if (ret)
		return ret;
	rc = T.Esys_TR_FromTPMPublic(t.e, 0x01c00002, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
	if (!rc)
		rc = T.Esys_NV_ReadPublic(t.e, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &np, NULL);
	if (rc) {
		ret = verr(err, errlen, -ENOENT, "no RSA EK certificate at NV 0x01c00002 (0x%x)", rc);
		goto out;
	}
	size = np->nvPublic.dataSize;
	*der = malloc(size ? size : 1);
	if (!*der) {
		ret = -ENOMEM;
		goto out;
	}
	while (n < size) {
		UINT16 want = (UINT16)(size - n > 512 ? 512 : size - n);
		rc = T.Esys_NV_Read(t.e, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				    ESYS_TR_NONE, want, (UINT16)n, &chunk);
		if (rc || !chunk || chunk->size != want) {
			ret = TPMERR("reading the EK certificate", rc);
			goto out;
		}
		memcpy(*der + n, chunk->buffer, want);
		n += want;
		T.Esys_Free(chunk);
		chunk = NULL;
	}
	*len = size;
out:
	if (ret) {
		free(*der);
		*der = NULL;
	}
	if (chunk)
		T.Esys_Free(chunk);
	if (np)
		T.Esys_Free(np);
	tpm_close(&t);
	return ret;
}

int vouch_tpm_activate(const char *tcti, const uint8_t *blob, size_t bloblen,
		       const uint8_t *secret, size_t secretlen, uint8_t *out, size_t *outlen,
		       char *err, size_t errlen)
{
	static const TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TPM2B_PUBLIC akt, ekt, *p1 = NULL, *p2 = NULL;
	TPM2B_ID_OBJECT cred = { 0 };
	TPM2B_ENCRYPTED_SECRET enc = { 0 };
	TPM2B_DIGEST *got = NULL;
	ESYS_TR ak = ESYS_TR_NONE, ek = ESYS_TR_NONE, sess = ESYS_TR_NONE;
	struct tpm t;
	TSS2_RC rc;
	int ret;

	if (bloblen > sizeof(cred.credential) || secretlen > sizeof(enc.secret))
		return verr(err, errlen, -EINVAL, "credential too large");
	ret = tpm_open(tcti, &t, err, errlen);
	if (ret)
		return ret;
	cred.size = (UINT16)bloblen;
	memcpy(cred.credential, blob, bloblen);
	enc.size = (UINT16)secretlen;
	memcpy(enc.secret, secret, secretlen);
	ak_template(&akt);
	ek_template(&ekt);
	ret = primary(&t, ESYS_TR_RH_ENDORSEMENT, &akt, &ak, &p1, err, errlen);
	if (!ret)
		ret = primary(&t, ESYS_TR_RH_ENDORSEMENT, &ekt, &ek, &p2, err, errlen);
	if (ret)
		goto out;
	/* The EK's policy: PolicySecret(endorsement). */
	rc = T.Esys_StartAuthSession(t.e, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				     ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, &sess);
	if (!rc)
		rc = T.Esys_PolicySecret(t.e, ESYS_TR_RH_ENDORSEMENT, sess, ESYS_TR_PASSWORD,
					 ESYS_TR_NONE, ESYS_TR_NONE, NULL, NULL, NULL, 0, NULL, NULL);
	if (rc) {
		ret = TPMERR("EK policy session", rc);
		goto out;
	}
	rc = T.Esys_ActivateCredential(t.e, ak, ek, ESYS_TR_PASSWORD, sess, ESYS_TR_NONE, &cred,
				       &enc, &got);
	if (rc || !got || got->size > *outlen) {
		ret = verr(err, errlen, -EACCES, "ActivateCredential refused (0x%x): the AK is not in "
			   "the TPM of this EK", rc);
		goto out;
	}
	memcpy(out, got->buffer, got->size);
	*outlen = got->size;
out:
	if (sess != ESYS_TR_NONE)
		T.Esys_FlushContext(t.e, sess);
	if (ak != ESYS_TR_NONE)
		T.Esys_FlushContext(t.e, ak);
	if (ek != ESYS_TR_NONE)
		T.Esys_FlushContext(t.e, ek);
	if (p1)
		T.Esys_Free(p1);
	if (p2)
		T.Esys_Free(p2);
	if (got)
		T.Esys_Free(got);
	tpm_close(&t);
	return ret;
}

int vouch_tpm_certify(const char *tcti, const uint8_t *nonce, size_t noncelen, uint8_t **attest,
		      size_t *attestlen, uint8_t r[32], uint8_t s[32], char *err, size_t errlen)
{
	static const TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_DATA qd = { 0 };
	TPM2B_PUBLIC akt, *pub = NULL;
	TPM2B_ATTEST *att = NULL;
	TPMT_SIGNATURE *sig = NULL;
	ESYS_TR ak = ESYS_TR_NONE, nv;
	struct tpm t;
	TSS2_RC rc;
	int ret;

	*attest = NULL;
	if (noncelen > sizeof(qd.buffer))
		return verr(err, errlen, -EINVAL, "nonce longer than %zu bytes", sizeof(qd.buffer));
	ret = tpm_open(tcti, &t, err, errlen);
	if (ret)
		return ret;
	qd.size = (UINT16)noncelen;
	memcpy(qd.buffer, nonce, noncelen);
	ak_template(&akt);
	ret = primary(&t, ESYS_TR_RH_ENDORSEMENT, &akt, &ak, &pub, err, errlen);
	if (!ret)
		ret = nv_handle(&t, &nv, err, errlen);
	if (ret)
		goto out;
	rc = T.Esys_NV_Certify(t.e, ak, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD, ESYS_TR_NONE, &qd,
			       &scheme, 32, 0, &att, &sig);
	if (rc == (TPM2_RC_NV_UNINITIALIZED | 0) || (rc & 0xfff) == TPM2_RC_NV_UNINITIALIZED) {
		ret = verr(err, errlen, -ENODATA, "nothing measured yet in this boot (the NV index "
			   "is unwritten)");
		goto out;
	}
	if (rc || !att || !sig || sig->sigAlg != TPM2_ALG_ECDSA ||
	    sig->signature.ecdsa.signatureR.size > 32 || sig->signature.ecdsa.signatureS.size > 32) {
		ret = TPMERR("NV_Certify", rc);
		goto out;
	}
	*attest = malloc(att->size);
	if (!*attest) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(*attest, att->attestationData, att->size);
	*attestlen = att->size;
	memset(r, 0, 32);
	memset(s, 0, 32);
	memcpy(r + 32 - sig->signature.ecdsa.signatureR.size, sig->signature.ecdsa.signatureR.buffer,
	       sig->signature.ecdsa.signatureR.size);
	memcpy(s + 32 - sig->signature.ecdsa.signatureS.size, sig->signature.ecdsa.signatureS.buffer,
	       sig->signature.ecdsa.signatureS.size);
out:
	if (ak != ESYS_TR_NONE)
		T.Esys_FlushContext(t.e, ak);
	if (pub)
		T.Esys_Free(pub);
	if (att)
		T.Esys_Free(att);
	if (sig)
		T.Esys_Free(sig);
	tpm_close(&t);
	return ret;
}
