/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attest_i.h - the measurement log (measure.c), its TPM anchor
 * (attest_tpm.c) and the quote document both sides read (attest.c).
 * docs/attestation.md is the format and threat-model reference.
 */
#ifndef VOUCH_ATTEST_I_H
#define VOUCH_ATTEST_I_H

#include "verify_i.h"

/* The NV index vouch extends: in the range the TCG handle registry leaves to
 * the owner (0x01000000-0x013fffff; 0x01c0xxxx holds the EK certificates).
 * docs/attestation.md, "The register". */
#define VOUCH_NV_INDEX 0x0100a723u

/* One log line: EVENT-JSON TAB REGISTER-HEX TAB ANCHOR NL.  The extended
 * digest is SHA-256 of the EVENT-JSON bytes exactly as written, so a
 * verifier needs no JSON canonicalisation. */
#define VOUCH_MEASURE_LINE_MAX 8192
#define VOUCH_MEASURE_HEADER "#vouch-measurements v1"

/* After an allow whose content was verified (verify.c): the first one per
 * boot of each (model, version, statement digest) is extended into the TPM
 * and appended to the log, when cfg.attest and the front end serves other
 * processes (cfg.leases: vouchfs, vouchd).  Never changes the verdict;
 * problems go to the context's log.  Caller holds ctx->rw for reading. */
void vouch_measure(struct vouch_ctx *ctx, const char *path, const struct vouch_verdict *v,
		   const struct vouch_auth *auth, bool content_verified);

/* The running register: value = SHA-256(value || digest), from 32 zero
 * bytes, as TPM2_NV_Extend computes on an extend index of SHA-256. */
void vouch_measure_chain(uint8_t value[32], const uint8_t digest[32]);

/* One parsed log line (pointers into the caller's buffer, NUL-split). */
struct vouch_mline {
	const char *event;          /* the EVENT-JSON */
	size_t      event_len;
	uint8_t     digest[32];     /* SHA-256 of event */
	uint8_t     reg[32];        /* the register value written beside it */
	const char *anchor;         /* "tpm", "unanchored", "tpm-error" */
};
/* Split line (no newline; modified in place) into its parts.  0, or
 * -EBADMSG with err filled (what is wrong, never the whole line). */
int vouch_mline_parse(char *line, size_t len, struct vouch_mline *out, char *err, size_t errlen);

/* ---- the TPM (attest_tpm.c); every call opens and closes its own TCTI
 * connection: swtpm's socket and tpm2-tools serve one client at a time ---- */

/* Extend VOUCH_NV_INDEX with digest (defining the index first if it is not
 * there), then read it back into value.  0; -ENODEV when there is no TPM
 * (none configured and no /dev/tpmrm0); -EIO with err filled on a TPM
 * error. */
int vouch_tpm_extend(const char *tcti, const uint8_t digest[32], uint8_t value[32],
		     char *err, size_t errlen);

/* The AK (re-created from its template: a primary key) as a P-256 point. */
int vouch_tpm_ak(const char *tcti, uint8_t x[32], uint8_t y[32], char *err, size_t errlen);
/* The RSA EK certificate (DER, malloc'd) from NV 0x01c00002. */
int vouch_tpm_ek_cert(const char *tcti, uint8_t **der, size_t *len, char *err, size_t errlen);
/* TPM2_ActivateCredential with the AK and the EK: the credential's value
 * into out (*outlen: its size in, the value's out); -EACCES when refused. */
int vouch_tpm_activate(const char *tcti, const uint8_t *blob, size_t bloblen,
		       const uint8_t *secret, size_t secretlen, uint8_t *out, size_t *outlen,
		       char *err, size_t errlen);
/* TPM2_NV_Certify of the index by the AK over nonce: the TPMS_ATTEST bytes
 * (malloc'd) and the ECDSA signature (r, s). -ENODATA: nothing measured. */
int vouch_tpm_certify(const char *tcti, const uint8_t *nonce, size_t noncelen, uint8_t **attest,
		      size_t *attestlen, uint8_t r[32], uint8_t s[32], char *err, size_t errlen);

/* ---- the quote document (attest.c) ---- */

/* Check a quote document: the AK's signature over the attestation (unless
 * check_sig is false: the fuzzer), the nonce, the certified index name, and
 * the log replayed to the certified value; each entry to fn.  Returns
 * VOUCH_CAUSE_OK, VOUCH_CAUSE_MALFORMED (unparsable), BAD_SIGNATURE,
 * HASH_MISMATCH (log and register disagree), NAME_MISMATCH (nonce or
 * index), with err filled. */
enum vouch_cause vouch_attest_check(const char *doc, size_t len, const char *ak_pem, size_t aklen,
				    const uint8_t *nonce, size_t noncelen, bool check_sig,
				    vouch_attested_fn fn, void *arg, char *err, size_t errlen);

#endif
