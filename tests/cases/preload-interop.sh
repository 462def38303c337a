#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-interop: the shim admits OMS-signed model directories (EC key,
# X.509 chain, Sigstore keyless) under the same config keys as vouchfs and
# the CLI, and denies one once a signed file in it is tampered.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
V=$VOUCH_DATA/oms-vectors
[ -d "$V" ] || fail "no $V (the vectors are part of the repository: tests/data)"
syslog_start
mkdir -p "$PROT" "$TMPDIR/trust"
for v in v1.1.0-elliptic-key v1.0.0-certificate v0.2.0-certificate v1.1.0-sigstore; do
	cp -r "$V/$v" "$PROT/"
done
chmod -R u+w "$PROT"
cp "$V/keys/signing-key-pub.pem" "$TMPDIR/trust/"
pl_conf enforce "$PROT" "ca = $V/keys/ca-cert.pem" \
	"sigstore_root = $V/sigstore-trusted-root.json" \
	"sigstore_identity = stefanb@us.ibm.com" \
	"sigstore_issuer = https://sigstore.verify.ibm.com/oauth2"

for v in v1.1.0-elliptic-key v1.0.0-certificate v0.2.0-certificate v1.1.0-sigstore; do
	try_ok open "$PROT/$v/signme-1"
	try_ok fopen "$PROT/$v/signme-2"
done
syslog_wait "decision=allow cause=ok .*path=$PROT/v1.1.0-sigstore/signme-1 "
ok "the shim admits OMS vectors signed with an EC key, an X.509 chain and Sigstore keyless"

for v in v1.1.0-elliptic-key v1.0.0-certificate v0.2.0-certificate v1.1.0-sigstore; do
	flip_byte "$PROT/$v/signme-1" 3
	try_denied open "$PROT/$v/signme-1"
	syslog_wait "decision=deny cause=hash-mismatch .*path=$PROT/$v/signme-1 "
done
try_denied open "$PROT/v1.1.0-sigstore/ignore-me"
ok "tampered OMS-signed files are EACCES through the shim; an excluded file is denied"
