#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-interop: OMS vectors made by the reference tool (model_signing), served
# through a live vouchfs mount with the config trusting what the ecosystem
# signs with: an EC public key in the trust dir, the vectors' CA (`ca`), and a
# Sigstore identity (`sigstore_root`, `sigstore_identity`, `sigstore_issuer`).
# Every signed file of every vector opens; a file the signature excludes
# (ignore-me) is denied; one flipped byte in a signed file, a signature from
# another identity, or a CA the config does not trust is EACCES with the cause
# in syslog.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
V=$VOUCH_DATA/oms-vectors
[ -d "$V" ] || fail "no $V (the vectors are part of the repository: tests/data)"
fs_syslog_start

S=$TMPDIR/srv
mkdir -p "$S" "$TMPDIR/trust" "$TMPDIR/mnt"
for d in "$V"/v*; do cp -r "$d" "$S/"; done
chmod -R u+w "$S"
cp "$V/keys/signing-key-pub.pem" "$TMPDIR/trust/"
conf() { # IDENTITY CA
	cat >"$TMPDIR/vouch.conf" <<CONF
[vouch]
trust = $TMPDIR/trust
ca = $2
sigstore_root = $V/sigstore-trusted-root.json
sigstore_identity = $1
sigstore_issuer = https://sigstore.verify.ibm.com/oauth2
CONF
	chmod 644 "$TMPDIR/vouch.conf"
}
conf stefanb@us.ibm.com "$V/keys/ca-cert.pem"
fs_mount "$S" "$TMPDIR/mnt" -c "$TMPDIR/vouch.conf"
PID=$FS_PID

count=0
for d in "$S"/v*; do
	v=$(basename "$d")
	for f in "$d"/*; do
		b=$(basename "$f")
		got=$(fs_errno "$TMPDIR/mnt/$v/$b")
		case $b in
		ignore-me) want=EACCES ;;   # unsigned (v1.0.1) or excluded in the predicate (v1.1.0)
		*) want=OK ;;
		esac
		[ "$got" = "$want" ] || fail "$v/$b through vouchfs: $got, wanted $want"
		[ "$want" = OK ] && count=$((count + 1))
	done
done
[ "$(ls -d "$S"/v* | wc -l)" -eq 13 ] || fail "expected 13 vectors"
syslog_wait "decision=allow cause=ok .*path=$S/v0.2.0-certificate/signme-1 "
syslog_wait "decision=allow cause=ok .*path=$S/v1.1.0-sigstore/signme-1 "
syslog_wait "decision=allow cause=ok .*path=$S/v1.0.0-elliptic-key/signme-1 "
ok "13 vectors (EC key, X.509 chain, Sigstore keyless) admitted through vouchfs: $count signed files open"

# One flipped byte in a signed file of each kind: EACCES, hash-mismatch.
for v in v1.1.0-elliptic-key v1.0.0-certificate v1.1.0-sigstore v0.2.0-certificate; do
	flip_byte "$S/$v/signme-2" 2
	[ "$(fs_errno "$TMPDIR/mnt/$v/signme-2")" = EACCES ] || fail "$v: a tampered file opened"
	syslog_wait "<81>vouch.*decision=deny cause=hash-mismatch .*path=$S/$v/signme-2 "
	[ "$(fs_errno "$TMPDIR/mnt/$v/signme-1")" = OK ] || fail "$v: an untouched file is denied"
done
ok "one flipped byte in an OMS-signed file: EACCES with hash-mismatch; its untouched siblings still open"

# Another trust: a different Sigstore identity and a look-alike CA.  SIGHUP
# drops the verdicts made under the old trust.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$TMPDIR/fake.key" \
	-out "$TMPDIR/fake-ca.pem" -subj "$(openssl x509 -in "$V/keys/ca-cert.pem" -noout -subject -nameopt compat | sed 's/^subject=//')" \
	-days 3650 >/dev/null 2>&1 || fail "openssl req (look-alike CA)"
conf someone-else@example.com "$TMPDIR/fake-ca.pem"
fs_hup "$PID" "$TMPDIR/mnt"
[ "$(fs_errno "$TMPDIR/mnt/v1.0.1-sigstore/signme-1")" = EACCES ] || fail "wrong identity admitted"
syslog_wait "decision=deny cause=untrusted-key .*path=$S/v1.0.1-sigstore/signme-1 .*identity"
[ "$(fs_errno "$TMPDIR/mnt/v1.0.1-certificate/signme-1")" = EACCES ] || fail "look-alike CA admitted"
syslog_wait "decision=deny cause=untrusted-key .*path=$S/v1.0.1-certificate/signme-1 "
[ "$(fs_errno "$TMPDIR/mnt/v1.0.1-elliptic-key/signme-1")" = OK ] || fail "the EC key is still trusted"
ok "after SIGHUP: another Sigstore identity and a look-alike CA are denied; the EC-key vector still opens"
