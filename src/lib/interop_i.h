/* SPDX-License-Identifier: Apache-2.0 */
/*
 * interop_i.h - certificate-based signers of OMS bundles (docs/format.md,
 * "Certificate chain", "Sigstore keyless" and "Timestamps").
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

/* An identity (SAN, CN or subject DN) longer than this is cut there: two
 * that differ only beyond it count as one signer, never as two. */
#define INTEROP_ID_MAX        256

struct vouch_sigstore_root;     /* parsed trusted_root.json (sigstore.c) */

/* One --ca file: its certificates, to tell which file a chain ended at (its
 * window, roles and threshold slot are the caller's, by index). */
struct vouch_ca_file {
	STACK_OF(X509) *certs;
};

struct vouch_anchors {
	X509_STORE *cas;                     /* every --ca certificate, or NULL */
	struct vouch_ca_file *ca_files;      /* the same, per file, in the order added */
	size_t nca_files;
	char **ca_identity;                  /* globs a CA-issued leaf's SAN/CN must match */
	size_t nca_identity;                 /* 0: any leaf the CA issued (counted by subject) */
	struct vouch_sigstore_root *sigstore; /* --sigstore-root, or NULL */
	char *identity;                      /* --identity: required SAN (email or URI) */
	char *issuer;                        /* --issuer: required OIDC issuer URL */
	/* X.509 chains are verified at every time an RFC 3161 timestamp in the
	 * bundle proves (against the Sigstore root's timestamp authorities),
	 * else at the current time.  true: always at the current time, any
	 * timestamp ignored.  (model_signing verifies at the leaf's notBefore,
	 * so an expired or compromised leaf verifies forever; vouch never does.) */
	bool ca_check_now;
};

/* Who a certificate-based signature is from, as the verification path that
 * was actually taken established it: what the caller counts as one signer
 * and checks revocation against. */
struct vouch_cert_signer {
	bool sigstore;                       /* keyless (Fulcio + Rekor), else a --ca chain */
	/* sigstore: the configured identity.  x509: the leaf SAN (or, with no
	 * SAN, CN) that matched a ca_identity glob; with no ca_identity, the
	 * leaf's subject DN (RFC 2253), or its first SAN if the subject is empty. */
	char identity[INTEROP_ID_MAX];
	bool identity_is_dn;                 /* identity is a subject DN */
	size_t ca_file;                      /* x509: index of the --ca file the chain ends at */
	/* Hex SHA-256 of each verified certificate's SubjectPublicKeyInfo (a key
	 * id) and of its DER (a fingerprint), leaf first: a `revoked` entry
	 * matching any of them revokes the signature. */
	char revoke[2 * (INTEROP_CHAIN_MAX + 1)][VOUCH_KEYID_LEN + 1];
	size_t nrevoke;
	/* When the clock alone could change the outcome (0: never): set when
	 * the chain was judged now (no timestamp proves a signing time), at
	 * the end of the shortest certificate window of the chain, or at the
	 * notBefore of a certificate not valid yet. */
	int64_t until;
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
/* Pin the identities CA-issued leaves may have: fnmatch(3) globs (no flags:
 * case-sensitive, '*' also matches '@', '.' and '/') over the leaf's SAN
 * email/URI/DNS values, or its subject CNs when it has none of those.
 * Replaces an earlier list; n == 0 removes the pin. */
int  vouch_anchors_set_ca_identity(struct vouch_anchors *a, char *const *globs, size_t n,
				   char *err, size_t errlen);
/* Set the Sigstore identity policy (both strings copied; either may be NULL
 * to leave that one unchanged). */
int  vouch_anchors_set_policy(struct vouch_anchors *a, const char *identity,
			      const char *issuer, char *err, size_t errlen);
/* Free everything and re-initialise. */
void vouch_anchors_clear(struct vouch_anchors *a);

/* Authenticate the signer of one bundle from its verificationMaterial.
 *
 *  - x509CertificateChain without log entries (docs/format.md,
 *    "Certificate chain"): the chain must reach a --ca anchor, verified at
 *    each time a bundled RFC 3161 timestamp proves (timestamp authorities
 *    of the Sigstore root, if one is loaded), else now; the leaf needs
 *    keyUsage digitalSignature or EKU codeSigning, and every usage
 *    extension it has must allow code signing (keyUsage with
 *    digitalSignature, EKU with codeSigning); its SAN/CN must match
 *    ca_identity when that is set; EC P-256/384/521 key.  *signed_time =
 *    the first time the chain was verified at.
 *  - certificate (+ tlogEntries; or a legacy chain with tlogEntries),
 *    "Sigstore keyless": a Rekor v1 entry matching this payload and
 *    signature, with a valid SET (required in a v0.1 bundle) and an
 *    inclusion proof with its signed checkpoint (required from v0.2 on),
 *    and RFC 3161 timestamps; the Fulcio chain, SCT and identity/issuer
 *    policy at every verified time.
 *    *signed_time = the SET's integratedTime, else the first TSA time.
 *
 * bundle: the whole parsed bundle; payload: the decoded DSSE payload; sig:
 * the decoded DSSE signature (signatures[0]).  On VOUCH_CAUSE_OK *key is the
 * leaf's public key (free with vouch_key_free) and *who (if not NULL) says
 * who signed; the caller must still verify sig over the PAE with the key.
 * Otherwise *key is NULL and err says what failed: BAD_SIGNATURE (log
 * entry, SET, proof, checkpoint, SCT, timestamp do not verify or do not
 * match), UNTRUSTED_KEY (no anchor / chain / usage / identity / issuer),
 * EXPIRED (certificate not valid at the verified time), MALFORMED (also: the
 * log evidence the bundle version requires is missing), UNSUPPORTED (Rekor
 * v2 entries, RSA leaves, ...). */
enum vouch_cause vouch_interop_authenticate_signer(const json_t *bundle,
						   const uint8_t *payload, size_t payload_len,
						   const uint8_t *sig, size_t siglen,
						   const struct vouch_anchors *a,
						   struct vouch_key **key, int64_t *signed_time,
						   struct vouch_cert_signer *who,
						   char *err, size_t errlen);
/* The same without *who. */
enum vouch_cause vouch_interop_authenticate(const json_t *bundle,
					    const uint8_t *payload, size_t payload_len,
					    const uint8_t *sig, size_t siglen,
					    const struct vouch_anchors *a,
					    struct vouch_key **key, int64_t *signed_time,
					    char *err, size_t errlen);

/* ---- x509.c: shared by x509_chain.c and sigstore.c (neither calls the other
 * but for x509_chain.c dispatching keyless bundles to sigstore.c) ---- */

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

/* Record x's key id and fingerprint in who->revoke (while there is room). */
void interop_revoke_ids(X509 *x, struct vouch_cert_signer *who);

void vouch_sigstore_root_free(struct vouch_sigstore_root *r);
/* Verify every RFC 3161 timestamp of verificationMaterial vm (over sig)
 * against the root's timestamp authorities; each adds its time to times[]
 * (room for INTEROP_TSTAMPS_MAX).  Any that does not verify: BAD_SIGNATURE. */
enum vouch_cause interop_timestamps(const json_t *vm, const uint8_t *sig, size_t siglen,
				    const struct vouch_sigstore_root *root,
				    int64_t *times, size_t *ntimes, char *err, size_t errlen);
enum vouch_cause interop_sigstore_authenticate(const json_t *bundle, X509 *leaf,
					       const uint8_t *payload, size_t payload_len,
					       const uint8_t *sig, size_t siglen,
					       const struct vouch_anchors *a,
					       struct vouch_key **key, int64_t *signed_time,
					       struct vouch_cert_signer *who,
					       char *err, size_t errlen);

#endif /* INTEROP_I_H */
