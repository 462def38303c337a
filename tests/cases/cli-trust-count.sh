#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cli-trust-count (issue 25): every signature counts once, and only for what
# it proves.  Through `vouch verify`, with the vectors' test PKI and
# re-signed or relabelled bundles (tests/trust-lib.sh says how each piece is
# made).  Every check runs; each failure is one FAIL line naming its defect:
#  [1] a keyless bundle must carry the log evidence its version requires: a
#      v0.1 relabel without SET (and without proof) is refused, whatever
#      RFC 3161 time it has; unknown versions are refused; a v0.3 bundle
#      with proof + checkpoint + timestamp but no SET still verifies.
#  [2] CA signers count by identity: two certificates of one subject (or of
#      one subject in another case) under one CA count once, two subjects
#      twice; one key as a trusted key and as a certificate counts once; the
#      CA's window and roles (CA.ini beside it) and revocation by leaf
#      fingerprint or intermediate key id apply.
#  [3] the older Sigstore form (x509CertificateChain + tlogEntries) is
#      signer sigstore:IDENTITY and counts once with the v0.3 form.
#  [4] an EC key with explicit curve parameters is refused (so a copy of a
#      trusted key cannot count twice or escape its revocation); a
#      compressed-point copy has the same key id.
#  [5] a certificate proves: validity now (no timestamp) -> an expired leaf
#      is refused; EKU codeSigning when it has an EKU -> a serverAuth leaf is
#      refused; ca_identity pins SAN (else CN) by glob.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/trust-lib.sh"
pki_make

FAILS=0
# want RC REGEX LABEL CMD...: exit RC and output matching REGEX, else a FAIL
# line (the case goes on, and fails at the end).
want() {
	rc=$1 re=$2 label=$3; shift 3
	OUT=$("$@" 2>&1); got=$?
	if [ "$got" -eq "$rc" ] && printf '%s\n' "$OUT" | grep -Eq -- "$re"; then
		ok "$label"
	else
		printf 'FAIL: %s: exit %s (wanted %s and /%s/):\n%s\n' "$label" "$got" "$rc" "$re" "$OUT" >&2
		FAILS=$((FAILS + 1))
	fi
}
SS="--sigstore-root $SS_ROOT --identity $SS_ID --issuer $SS_ISS"

# ---- [1] the transparency log cannot be removed ----
model un v1.1.0-sigstore "$PKI/unlogged.sig"
want 1 "un/model.sig: malformed .*signed entry timestamp" \
	"[1] v0.1 relabel without SET or proof (RFC 3161 time only) refused" "$VOUCH" verify $SS un
model un1 v1.1.0-sigstore "$PKI/v01-noset.sig"
want 1 "un1/model.sig: malformed .*signed entry timestamp" \
	"[1] v0.1 relabel without SET (proof kept) refused" "$VOUCH" verify $SS un1
model un2 v1.1.0-sigstore "$PKI/v02-noproof.sig"
want 1 "un2/model.sig: malformed .*inclusion proof" "[1] v0.2 without inclusion proof refused" \
	"$VOUCH" verify $SS un2
model un9 v1.1.0-sigstore "$PKI/v09.sig"
want 1 "un9/model.sig: malformed .*mediaType" "[1] unknown bundle version 0.9 refused" \
	"$VOUCH" verify $SS un9
model ns v1.1.0-sigstore "$PKI/noset.sig"
want 0 "ns: verified" "[1] v0.3 with proof, checkpoint and timestamp but no SET verifies" \
	"$VOUCH" verify $SS ns

# ---- [3] the older Sigstore form is the same signer ----
model lg v1.0.0-sigstore "$PKI/legacy.sig"
want 0 "lg: verified .*signed by sigstore:$SS_ID" "[3] legacy-form Sigstore bundle: signer sigstore:IDENTITY" \
	"$VOUCH" verify $SS lg
model lg2 v1.0.0-sigstore "$VEC/v1.0.0-sigstore/model.sig" "$PKI/legacy.sig"
want 1 "lg2/model.sig: threshold \(1 distinct" "[3] v0.3 and legacy form of one identity count once" \
	"$VOUCH" verify $SS -p "$PKI/ec.pub" --threshold 2 lg2

# ---- [2] CA signers count by identity ----
V=v1.1.0-certificate
model aa $V "$PKI/alice1.sig" "$PKI/alice2.sig"
want 1 "aa/model.sig: threshold \(1 distinct" "[2] two certificates of CN=alice (two keys) count once" \
	"$VOUCH" verify --ca "$CA" -p "$PKI/ec.pub" --threshold 2 aa
model aA $V "$PKI/alice1.sig" "$PKI/ALICE.sig"
want 1 "aA/model.sig: threshold \(1 distinct" "[2] CN=alice and CN=ALICE count once" \
	"$VOUCH" verify --ca "$CA" -p "$PKI/ec.pub" --threshold 2 aA
model ab $V "$PKI/alice1.sig" "$PKI/bob.sig"
want 0 "ab: verified .*signed by x509:CN=alice" "[2] CN=alice and CN=bob count twice" \
	"$VOUCH" verify --ca "$CA" -p "$PKI/ec.pub" --threshold 2 ab
model ak $V "$PKI/alice1.sig" "$PKI/alice1-key.sig"
want 1 "ak/model.sig: threshold \(1 distinct" "[2] one key as a trusted key and as a certificate counts once" \
	"$VOUCH" verify --ca "$CA" -p "$PKI/alice1.pub" --threshold 2 ak
mkdir ca && cp "$CA" ca/root.pem
model a1 $V "$PKI/alice1.sig"
printf 'models = nothing-*\n' >ca/root.ini
want 1 "a1/model.sig: untrusted-key .*CA root.pem may not sign model" "[2] CA roles (root.ini models =) apply" \
	"$VOUCH" verify --ca ca/root.pem a1
printf 'not_after = 2025-01-01T00:00:00Z\n' >ca/root.ini
want 1 "a1/model.sig: expired .*CA root.pem is outside its validity window" \
	"[2] CA window (root.ini not_after) applies" "$VOUCH" verify --ca ca/root.pem a1
printf 'not_before = 2025-01-01T00:00:00Z\nmodels = v1.1.0-*\n' >ca/root.ini
want 0 "a1: verified" "[2] CA window and role that allow it" "$VOUCH" verify --ca ca/root.pem a1
mkdir rtrust && chmod 755 rtrust
cp "$PKI/alice1.fp" rtrust/revoked
want 1 "a1/model.sig: revoked-key" "[2] a CA-issued leaf revoked by its certificate fingerprint" \
	"$VOUCH" verify --trust rtrust --ca "$CA" a1
openssl x509 -in "$VEC/keys/int-ca-cert.pem" -pubkey -noout | openssl pkey -pubin -outform DER |
	sha256sum | cut -c1-64 >rtrust/revoked
want 1 "a1/model.sig: revoked-key" "[2] every leaf of an intermediate revoked by its key id" \
	"$VOUCH" verify --trust rtrust --ca "$CA" a1

# ---- [4] one EC key, one id ----
EM=$PKI/ecmodel
want 3 "explicit curve parameters" "[4] explicit-parameter copy of a trusted key refused" \
	"$VOUCH" verify -p "$PKI/ec.pub" -p "$PKI/ec-explicit.pub" --threshold 2 "$EM"
mkdir etrust && chmod 755 etrust && cp "$PKI/ec-explicit.pub" etrust/
"$VOUCH" verify -p "$PKI/ec.pub" "$EM" 2>&1 | sed -n 's/.*signed by \([0-9a-f]*\)).*/\1/p' >etrust/revoked
[ -s etrust/revoked ] || fail "no key id for ec.pub"
want 3 "explicit curve parameters" "[4] explicit copy in a trust dir that revokes the key: refused, not trusted" \
	"$VOUCH" verify --trust etrust "$EM"
want 0 "signed by $(cat etrust/revoked)" "[4] compressed-point copy has the same key id" \
	"$VOUCH" verify -p "$PKI/ec-compressed.pub" "$EM"

# ---- [5] what a certificate proves ----
model ex $V "$PKI/expired.sig"
want 1 "ex/model.sig: expired .*no timestamp" "[5] expired leaf without a trusted timestamp refused" \
	"$VOUCH" verify --ca "$CA" ex
model sv $V "$PKI/server.sig"
want 1 "sv/model.sig: untrusted-key .*codeSigning" "[5] serverAuth-only leaf refused" \
	"$VOUCH" verify --ca "$CA" sv
cat >pin.conf <<EOF
[vouch]
ca = $CA
ca_identity = alice, *@example.com
EOF
chmod 644 pin.conf
model ma $V "$PKI/mallory.sig"
want 1 "ma/model.sig: untrusted-key .*mallory is not one ca_identity allows" \
	"[5] leaf outside ca_identity refused" "$VOUCH" verify -c pin.conf ma
want 0 "a1: verified .*signed by x509:alice" "[5] leaf CN in ca_identity verifies" "$VOUCH" verify -c pin.conf a1
model sb $V "$PKI/sanbob.sig"
want 0 "sb: verified .*signed by x509:bob@example.com" "[5] SAN email matching a ca_identity glob verifies" \
	"$VOUCH" verify -c pin.conf sb
model se $V "$PKI/sanevil.sig"
want 1 "se/model.sig: untrusted-key .*bob@example.com.evil.net" \
	"[5] SAN bob@example.com.evil.net (CN alice ignored beside a SAN) refused" "$VOUCH" verify -c pin.conf se
want 1 "model.sig: threshold \(1 distinct" "[2] with ca_identity: CN=alice twice counts once" \
	"$VOUCH" verify -c pin.conf --threshold 2 aa

[ "$FAILS" -eq 0 ] || fail "$FAILS check(s) failed"
