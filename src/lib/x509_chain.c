/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x509_chain.c - trust anchors, and bundles signed with an X.509 certificate
 * chain (docs/format.md, "Certificate chain").  Sigstore keyless bundles
 * are in sigstore.c; what both use is in x509.c.
 *
 * The chain is built as model_signing builds it (pyOpenSSL X509StoreContext):
 * OpenSSL's own path builder, no partial chains (a path must end at a
 * self-signed --ca certificate), issuers matched by name, AKID and signature
 * (X509_check_issued; the reference test PKI issues a CA:TRUE leaf whose
 * subject equals its issuer's, which a name-only builder gets wrong).  What
 * it must prove is stricter than the reference (docs/interop.md): validity
 * at a trusted time (a verified timestamp, else now, never the leaf's own
 * notBefore), usage extensions that allow code signing, and, when the policy
 * pins them, an identity in ca_identity.  It also says who signed (struct
 * vouch_cert_signer), for the caller to count signers by identity.
 */
#include "bundle_i.h"
#include "interop_i.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

void vouch_anchors_init(struct vouch_anchors *a)
{
	memset(a, 0, sizeof(*a));
}

void vouch_anchors_clear(struct vouch_anchors *a)
{
	X509_STORE_free(a->cas);
	for (size_t i = 0; i < a->nca_files; i++)
		sk_X509_pop_free(a->ca_files[i].certs, X509_free);
	free(a->ca_files);
	for (size_t i = 0; i < a->nca_identity; i++)
		free(a->ca_identity[i]);
	free(a->ca_identity);
	vouch_sigstore_root_free(a->sigstore);
	free(a->identity);
	free(a->issuer);
	vouch_anchors_init(a);
}

int vouch_anchors_add_ca(struct vouch_anchors *a, const char *pem_path,
			 char *err, size_t errlen)
{
	struct vouch_ca_file *files;
	STACK_OF(X509) *certs = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;
	unsigned long e;
	int n = 0, ret;

	ret = interop_read(pem_path, INTEROP_CAFILE_MAX, &buf, &len, err, errlen);
	if (ret)
		return ret;
	ret = -ENOMEM;
	if (!a->cas && !(a->cas = X509_STORE_new()))
		goto out;
	files = realloc(a->ca_files, (a->nca_files + 1) * sizeof(*files));
	if (!files)
		goto out;
	a->ca_files = files;
	bio = BIO_new_mem_buf(buf, (int)len);
	certs = sk_X509_new_null();
	if (!bio || !certs)
		goto out;
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		/* Adding the same anchor twice is harmless (and not an error
		 * in OpenSSL 3), so --ca may repeat a file. */
		if (X509_STORE_add_cert(a->cas, x) != 1) {
			ret = verr(err, errlen, -EINVAL, "%s: cannot add certificate %d", pem_path, n + 1);
			goto out;
		}
		if (!sk_X509_push(certs, x))
			goto out;
		x = NULL;
		n++;
	}
	/* The loop ends on end of input (PEM "no start line") or on a broken
	 * block; only the former is a complete read. */
	e = ERR_peek_last_error();
	if (n == 0 || (e && ERR_GET_REASON(e) != PEM_R_NO_START_LINE)) {
		ret = verr(err, errlen, -EINVAL, "%s: %s", pem_path,
			   n ? "unparsable PEM certificate after the first ones"
			     : "no PEM certificate found");
		goto out;
	}
	a->ca_files[a->nca_files++].certs = certs;
	certs = NULL;
	ret = 0;
out:
	ERR_clear_error();
	X509_free(x);
	sk_X509_pop_free(certs, X509_free);
	BIO_free(bio);
	free(buf);
	return ret;
}

int vouch_anchors_set_ca_identity(struct vouch_anchors *a, char *const *globs, size_t n,
				  char *err, size_t errlen)
{
	char **v = n ? calloc(n, sizeof(*v)) : NULL;
	int ret = 0;

	if (n && !v)
		return verr(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !ret; i++) {
		/* a control byte can never match a name (leaf_names skips
		 * those) and would garble the messages that quote the glob */
		for (const unsigned char *p = (const unsigned char *)globs[i]; *p && !ret; p++)
			if (*p < 0x20 || *p == 0x7f)
				ret = verr(err, errlen, -EINVAL, "ca_identity: a control character in a glob");
		if (!ret && !globs[i][0])
			ret = verr(err, errlen, -EINVAL, "ca_identity: empty glob");
		if (!ret && !(v[i] = strdup(globs[i])))
			ret = verr(err, errlen, -ENOMEM, "out of memory");
	}
	if (ret) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return ret;
	}
	for (size_t i = 0; i < a->nca_identity; i++)
		free(a->ca_identity[i]);
	free(a->ca_identity);
	a->ca_identity = v;
	a->nca_identity = n;
	return 0;
}

int vouch_anchors_set_policy(struct vouch_anchors *a, const char *identity,
			     const char *issuer, char *err, size_t errlen)
{
	char *id = NULL, *is = NULL;

	if ((identity && !*identity) || (issuer && !*issuer))
		return verr(err, errlen, -EINVAL, "empty --identity or --issuer");
	if ((identity && !(id = strdup(identity))) || (issuer && !(is = strdup(issuer)))) {
		free(id);
		return verr(err, errlen, -ENOMEM, "out of memory");
	}
	if (id) {
		free(a->identity);
		a->identity = id;
	}
	if (is) {
		free(a->issuer);
		a->issuer = is;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* X.509 chain method                                                        */

/* What the leaf's key may do.  model_signing wants keyUsage digitalSignature
 * or EKU codeSigning; vouch also refuses a leaf whose usage extensions deny
 * code signing: an EKU without codeSigning (a TLS server certificate from
 * the same CA) or a keyUsage without digitalSignature.  An extension counts
 * only when present: OpenSSL reports an absent one as "everything allowed". */
static const char *leaf_usage_refused(X509 *leaf)
{
	uint32_t flags = X509_get_extension_flags(leaf);
	bool ku = flags & EXFLAG_KUSAGE, xku = flags & EXFLAG_XKUSAGE;

	if (flags & EXFLAG_INVALID)
		return "leaf has an invalid extension";
	if (!ku && !xku)
		return "leaf has neither keyUsage digitalSignature nor EKU codeSigning";
	if (xku && !(X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN))
		return "leaf's extendedKeyUsage does not include codeSigning (not a code-signing certificate)";
	if (ku && !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE))
		return "leaf's keyUsage does not include digitalSignature";
	return NULL;
}

/* A name from a certificate, if it can be matched and logged as it is: no
 * control bytes (a NUL would end the string early in a glob match), not
 * empty, not longer than INTEROP_ID_MAX - 1. */
static bool copy_name(const unsigned char *p, int len, char out[INTEROP_ID_MAX])
{
	if (len <= 0 || len >= INTEROP_ID_MAX)
		return false;
	for (int i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
	memcpy(out, p, (size_t)len);
	out[len] = '\0';
	return true;
}

#define LEAF_NAMES_MAX 16

/* The names a leaf gives its holder: its SAN email, URI and DNS values in
 * certificate order; only if it has none of those, its subject CNs (RFC
 * 6125: with a SAN the CN is not a name).  Returns how many (at most max). */
static size_t leaf_names(X509 *leaf, char (*names)[INTEROP_ID_MAX], size_t max)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	const X509_NAME *subj = X509_get_subject_name(leaf);
	size_t n = 0;
	bool any = false;

	for (int i = 0; i < sk_GENERAL_NAME_num(sans) && n < max; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		const ASN1_IA5STRING *v = g->type == GEN_EMAIL ? g->d.rfc822Name :
					  g->type == GEN_URI ? g->d.uniformResourceIdentifier :
					  g->type == GEN_DNS ? g->d.dNSName : NULL;

		if (!v)
			continue;
		any = true;
		n += copy_name(ASN1_STRING_get0_data(v), ASN1_STRING_length(v), names[n]);
	}
	GENERAL_NAMES_free(sans);
	for (int i = -1; !any && n < max &&
	     (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8,
			X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i)));

		if (len > 0)
			n += copy_name(utf8, len, names[n]);
		OPENSSL_free(utf8);
	}
	ERR_clear_error();
	return n;
}

/* Who the CA vouches for.  With ca_identity: the first leaf name (SAN, else
 * CN) a glob matches, or UNTRUSTED_KEY.  Without: the subject DN (what the
 * CA certified), else the first SAN. */
static enum vouch_cause leaf_identity(X509 *leaf, const struct vouch_anchors *a,
				      struct vouch_cert_signer *who, char *err, size_t errlen)
{
	char names[LEAF_NAMES_MAX][INTEROP_ID_MAX];
	size_t n = leaf_names(leaf, names, LEAF_NAMES_MAX);
	BIO *bio;
	char *dn = NULL;
	long dnlen;

	if (a->nca_identity) {
		for (size_t i = 0; i < n; i++) {
			for (size_t g = 0; g < a->nca_identity; g++) {
				if (!fnmatch(a->ca_identity[g], names[i], 0)) {
					memcpy(who->identity, names[i], sizeof(who->identity));
					return VOUCH_CAUSE_OK;
				}
			}
		}
		return verr(err, errlen, VOUCH_CAUSE_UNTRUSTED_KEY,
			    "certificate chain: leaf identity %s%s is not one ca_identity allows",
			    n ? names[0] : "(none)", n > 1 ? " (and its other names)" : "");
	}
	who->identity_is_dn = true;
	bio = BIO_new(BIO_s_mem());
	/* RFC 2253 with every non-ASCII byte escaped: printable, and one
	 * spelling for one name whatever string types the CA used. */
	if (!bio || X509_NAME_print_ex(bio, X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253) < 0) {
		BIO_free(bio);
		ERR_clear_error();
		return VOUCH_CAUSE_IO_ERROR;
	}
	dnlen = BIO_get_mem_data(bio, &dn);
	if (dnlen > 0 && copy_name((const unsigned char *)dn, (int)(dnlen < INTEROP_ID_MAX ? dnlen :
					INTEROP_ID_MAX - 1), who->identity)) {
		/* a DN cut at the cap: still one string, two such DNs count once */
	} else if (n) {
		memcpy(who->identity, names[0], sizeof(who->identity));
		who->identity_is_dn = false;
	} else {
		snprintf(who->identity, sizeof(who->identity), "(no name)");
	}
	BIO_free(bio);
	return VOUCH_CAUSE_OK;
}

/* Which --ca file the verified chain ends at. */
static bool find_anchor(const struct vouch_anchors *a, X509 *top, size_t *idx)
{
	for (size_t i = 0; i < a->nca_files; i++) {
		for (int k = 0; k < sk_X509_num(a->ca_files[i].certs); k++) {
			if (!X509_cmp(sk_X509_value(a->ca_files[i].certs, k), top)) {
				*idx = i;
				return true;
			}
		}
	}
	return false;
}

static enum vouch_cause authenticate_chain(const json_t *vm, const json_t *chain,
					   const uint8_t *sig, size_t siglen,
					   const struct vouch_anchors *a,
					   struct vouch_key **key, int64_t *signed_time,
					   struct vouch_cert_signer *who, char *err, size_t errlen)
{
	static const char what[] = "certificate chain";
	const json_t *certs = json_object_get(chain, "certificates");
	int64_t times[INTEROP_TSTAMPS_MAX + 1];
	STACK_OF(X509) *untrusted = NULL, *built;
	X509_STORE_CTX *ctx = NULL;
	enum vouch_cause rc;
	const char *why;
	X509 *leaf = NULL;
	size_t n, ntimes = 0;
	bool now = false;

	n = json_array_size(certs);
	if (!json_is_array(certs) || n == 0) {
		rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED, "%s: no certificates", what);
		goto out;
	}
	if (n > INTEROP_CHAIN_MAX) {
		rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED, "%s: %zu certificates (at most %d)",
			  what, n, INTEROP_CHAIN_MAX);
		goto out;
	}
	if (!a || !a->cas) {
		rc = verr(err, errlen, VOUCH_CAUSE_UNTRUSTED_KEY,
			  "%s: signed with an X.509 certificate, but no CA is configured (give --ca FILE)",
			  what);
		goto out;
	}
	rc = VOUCH_CAUSE_IO_ERROR;              /* allocation failures below */
	if (!(untrusted = sk_X509_new_null()) || !(ctx = X509_STORE_CTX_new()))
		goto out;
	for (size_t i = 0; i < n; i++) {
		X509 *x = interop_cert(json_array_get(certs, i));

		if (!x) {
			rc = verr(err, errlen, VOUCH_CAUSE_MALFORMED,
				  "%s: certificate %zu is not base64 DER X.509", what, i);
			goto out;
		}
		if (i == 0) {
			leaf = x;
		} else if (!sk_X509_push(untrusted, x)) {
			X509_free(x);
			goto out;
		}
	}
	/* When is the chain judged?  The bundle's own claims (the leaf's
	 * notBefore, as model_signing uses) prove nothing about when it was
	 * signed: an expired or compromised leaf would verify forever.  Only a
	 * timestamp a trusted authority signed over this signature proves a
	 * time; without one the chain must be valid now. */
	if (!a->ca_check_now && a->sigstore) {
		rc = interop_timestamps(vm, sig, siglen, a->sigstore, times, &ntimes, err, errlen);
		if (rc)
			goto out;
	}
	if (ntimes == 0) {
		times[ntimes++] = (int64_t)time(NULL);
		now = true;
	}
	for (size_t i = 0; i < ntimes; i++) {
		char when[32];

		X509_STORE_CTX_cleanup(ctx);
		if (X509_STORE_CTX_init(ctx, a->cas, leaf, untrusted) != 1) {
			rc = VOUCH_CAUSE_IO_ERROR;
			goto out;
		}
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)times[i]);
		if (X509_verify_cert(ctx) != 1) {
			int e = X509_STORE_CTX_get_error(ctx);

			/* Without partial chains an intermediate alone never
			 * suffices: say so, as it is the usual mistake. */
			bool noroot = e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
				      e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;

			/* Judged now: a certificate not valid yet may become so. */
			if (now && e == X509_V_ERR_CERT_NOT_YET_VALID && X509_STORE_CTX_get_current_cert(ctx))
				who->until = interop_asn1_time(X509_get0_notBefore(
						X509_STORE_CTX_get_current_cert(ctx)));
			vouch_time_format(times[i], when);
			rc = verr(err, errlen, interop_x509_cause(e), "%s: %s (depth %d) at %s%s%s", what,
				  X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(ctx), when,
				  now && interop_x509_cause(e) == VOUCH_CAUSE_EXPIRED ?
				  ", now: no timestamp in the bundle proves an earlier signing time" : "",
				  noroot ? "; --ca must hold the self-signed root the chain ends at" : "");
			goto out;
		}
	}
	if ((why = leaf_usage_refused(leaf))) {
		rc = verr(err, errlen, VOUCH_CAUSE_UNTRUSTED_KEY, "%s: %s", what, why);
		goto out;
	}
	built = X509_STORE_CTX_get0_chain(ctx);
	if (!built || sk_X509_num(built) < 1 ||
	    !find_anchor(a, sk_X509_value(built, sk_X509_num(built) - 1), &who->ca_file)) {
		rc = verr(err, errlen, VOUCH_CAUSE_UNTRUSTED_KEY, "%s: the chain ends at no --ca file", what);
		goto out;
	}
	for (int i = 0; i < sk_X509_num(built); i++) {
		int64_t end = interop_asn1_time(X509_get0_notAfter(sk_X509_value(built, i)));

		interop_revoke_ids(sk_X509_value(built, i), who);
		/* Judged now: it stops verifying when the first certificate of
		 * the chain expires. */
		if (now && end != INT64_MIN && (!who->until || end + 1 < who->until))
			who->until = end + 1;
	}
	rc = leaf_identity(leaf, a, who, err, errlen);
	if (rc)
		goto out;
	rc = interop_leaf_key(leaf, true, key, what, err, errlen);
	if (rc == VOUCH_CAUSE_OK)
		*signed_time = times[0];
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(leaf);
	return rc;
}

enum vouch_cause vouch_interop_authenticate_signer(const json_t *bundle,
						   const uint8_t *payload, size_t payload_len,
						   const uint8_t *sig, size_t siglen,
						   const struct vouch_anchors *a,
						   struct vouch_key **key, int64_t *signed_time,
						   struct vouch_cert_signer *who,
						   char *err, size_t errlen)
{
	const json_t *vm = json_object_get(bundle, "verificationMaterial");
	const json_t *cert = json_object_get(vm, "certificate");
	const json_t *chain = json_object_get(vm, "x509CertificateChain");
	enum vouch_sig_kind kind;
	struct vouch_cert_signer scratch;
	enum vouch_cause rc;
	X509 *leaf = NULL;

	*key = NULL;
	*signed_time = 0;
	if (!who)
		who = &scratch;
	memset(who, 0, sizeof(*who));
	if (!json_is_object(vm))
		return verr(err, errlen, VOUCH_CAUSE_MALFORMED, "bundle has no verificationMaterial");
	if (cert && chain)
		return verr(err, errlen, VOUCH_CAUSE_MALFORMED,
			    "verificationMaterial has both certificate and x509CertificateChain");
	/* The kind by bundle.c's one rule: a chain with log entries is a
	 * Sigstore bundle of media type 0.1/0.2, whose leaf lives in the
	 * chain rather than in "certificate". */
	if (!vouch_sig_kind_of(vm, &kind) || kind == VOUCH_SIG_KEY)
		return verr(err, errlen, VOUCH_CAUSE_MALFORMED,
			    "verificationMaterial holds no certificate");
	if (kind == VOUCH_SIG_X509)
		return authenticate_chain(vm, chain, sig, siglen, a, key, signed_time, who, err, errlen);
	leaf = interop_cert(cert ? cert : json_array_get(json_object_get(chain, "certificates"), 0));
	if (!leaf)
		return verr(err, errlen, VOUCH_CAUSE_MALFORMED,
			    "sigstore: certificate is not base64 DER X.509");
	rc = interop_sigstore_authenticate(bundle, leaf, payload, payload_len, sig, siglen, a,
					   key, signed_time, who, err, errlen);
	X509_free(leaf);
	return rc;
}

enum vouch_cause vouch_interop_authenticate(const json_t *bundle,
					    const uint8_t *payload, size_t payload_len,
					    const uint8_t *sig, size_t siglen,
					    const struct vouch_anchors *a,
					    struct vouch_key **key, int64_t *signed_time,
					    char *err, size_t errlen)
{
	return vouch_interop_authenticate_signer(bundle, payload, payload_len, sig, siglen, a, key,
						 signed_time, NULL, err, errlen);
}
