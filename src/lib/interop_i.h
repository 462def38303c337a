/*
 * interop_i.h - certificate-based signers of OMS bundles (oms-spec §5, §6).
 *
 * Owns: trust anchors for X.509 chains (--ca) and for Sigstore keyless
 * signing (--sigstore-root, --identity, --issuer), and turning a bundle's
 * verificationMaterial into an authenticated public key plus a verified
 * signing time.  It does not check the DSSE signature over the payload: the
 * caller does that with the returned key, exactly as for a bare public key,
 * so there is one signature check for every method.
 *
 * Thread-safety: anchors are built once, then only read; any number of
 * threads may call vouch_interop_authenticate() on the same anchors.
 */
#ifndef INTEROP_I_H
#define INTEROP_I_H

#include "vouch_i.h"

#include <openssl/x509.h>

/* Budgets for untrusted bundle fields.  Real values are a few KiB at most
 * (a Fulcio certificate is ~1 KiB, a Rekor dsse body ~2 KiB, a TSA token
 * ~1.5 KiB); the caps only stop a hostile bundle from making us decode,
 * hash or chain-build megabytes. */
#define INTEROP_CERT_MAX      (16u << 10)   /* one DER certificate */
#define INTEROP_CHAIN_MAX     8             /* certificates in a bundle chain */
#define INTEROP_BODY_MAX      (64u << 10)   /* Rekor canonicalizedBody, decoded */
#define INTEROP_PROOF_MAX     64            /* inclusion proof hashes: 2^64 leaves */
#define INTEROP_NOTE_MAX      (8u << 10)    /* checkpoint signed note */
#define INTEROP_TSTAMP_MAX    (32u << 10)   /* one RFC 3161 response */
#define INTEROP_TSTAMPS_MAX   4             /* RFC 3161 responses per bundle */
/* The trusted root is configuration, not attacker input, but it is still
 * bounded: the production one is ~8 KiB. */
#define INTEROP_ROOT_MAX      (4u << 20)
#define INTEROP_CAFILE_MAX    (4u << 20)

struct vouch_sigstore_root;     /* parsed trusted_root.json (interop_sigstore.c) */

struct vouch_anchors {
	X509_STORE *cas;                     /* --ca files, or NULL */
	struct vouch_sigstore_root *sigstore; /* --sigstore-root, or NULL */
	char *identity;                      /* --identity: required SAN (email or URI) */
	char *issuer;                        /* --issuer: required OIDC issuer URL */
	/* X.509 chains: false (default) verifies the chain at the leaf's
	 * notBefore as model_signing does; true verifies it at the current time,
	 * so a signature stops verifying once any certificate has expired. */
	bool ca_check_now;
};

/* Zero the anchors (nothing configured). */
void vouch_anchors_init(struct vouch_anchors *a);
/* Add every certificate of a PEM file as a trust anchor for X.509 chains.
 * Returns 0 or -errno (err names the file). */
int  vouch_anchors_add_ca(struct vouch_anchors *a, const char *pem_path,
			  char *err, size_t errlen);
/* Load a Sigstore trusted_root.json (replaces one loaded before).  The whole
 * file must parse: a trust file we only half understand is refused. */
int  vouch_anchors_load_sigstore(struct vouch_anchors *a, const char *trusted_root_json,
				 char *err, size_t errlen);
/* Set the Sigstore identity policy (both strings copied; either may be NULL
 * to leave that one unchanged). */
int  vouch_anchors_set_policy(struct vouch_anchors *a, const char *identity,
			      const char *issuer, char *err, size_t errlen);
/* Free everything and re-initialise. */
void vouch_anchors_clear(struct vouch_anchors *a);

/* Authenticate the signer of one bundle from its verificationMaterial.
 *
 *  - x509CertificateChain (oms-spec §5): the chain must reach a --ca anchor
 *    (verified at the leaf's notBefore unless a->ca_check_now); the leaf must
 *    have keyUsage digitalSignature or EKU codeSigning and an EC P-256/384/521
 *    key.  *signed_time = leaf notBefore (the bundle carries no trusted time).
 *  - certificate (+ tlogEntries; or a legacy chain with tlogEntries), §6: a
 *    Rekor v1 entry matching this payload and signature with a valid SET
 *    and/or RFC 3161 timestamps, inclusion proof and checkpoint; the Fulcio
 *    chain, SCT and identity/issuer policy at every verified time.
 *    *signed_time = the SET's integratedTime, else the first TSA time.
 *
 * bundle: the whole parsed bundle; payload: the decoded DSSE payload; sig:
 * the decoded DSSE signature (signatures[0]).  On VOUCH_CAUSE_OK *key is the
 * leaf's public key (free with vouch_key_free); the caller must still verify
 * sig over the PAE with it.  Otherwise *key is NULL and err says what failed:
 * BAD_SIGNATURE (log entry, SET, proof, checkpoint, SCT, timestamp do not
 * verify or do not match), UNTRUSTED_KEY (no anchor / chain / identity /
 * issuer), EXPIRED (certificate not valid at the verified time), MALFORMED,
 * UNSUPPORTED (Rekor v2 entries, RSA leaves, ...). */
enum vouch_cause vouch_interop_authenticate(const json_t *bundle,
					    const uint8_t *payload, size_t payload_len,
					    const uint8_t *sig, size_t siglen,
					    const struct vouch_anchors *a,
					    struct vouch_key **key, int64_t *signed_time,
					    char *err, size_t errlen);

/* ---- shared between interop.c and interop_sigstore.c ---- */

/* Decode a JSON base64 string of at most max decoded bytes (NULL if absent,
 * not a string, too long or not base64). */
uint8_t *interop_b64(const json_t *s, size_t max, size_t *len);
/* Parse a DER certificate from a {"rawBytes": b64} object (NULL on error). */
X509 *interop_cert(const json_t *obj);
/* A certificate time as unix seconds (INT64_MIN on error). */
int64_t interop_asn1_time(const ASN1_TIME *t);
/* Map an X509_verify_cert failure to a cause: EXPIRED for validity errors,
 * else UNTRUSTED_KEY. */
enum vouch_cause interop_x509_cause(int x509_err);
/* The leaf's public key as a vouch key; ec_only: EC P-256/384/521 only. */
enum vouch_cause interop_leaf_key(X509 *leaf, bool ec_only, struct vouch_key **key,
				  const char *what, char *err, size_t errlen);
/* Bounded read of a whole configuration file. */
int interop_read(const char *path, size_t max, uint8_t **buf, size_t *len,
		 char *err, size_t errlen);

void vouch_sigstore_root_free(struct vouch_sigstore_root *r);
enum vouch_cause interop_sigstore_authenticate(const json_t *bundle, X509 *leaf,
					       const uint8_t *payload, size_t payload_len,
					       const uint8_t *sig, size_t siglen,
					       const struct vouch_anchors *a,
					       struct vouch_key **key, int64_t *signed_time,
					       char *err, size_t errlen);

#endif /* INTEROP_I_H */
