#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-hsm: 2-of-2 sign-off by an Ed25519 key file and an ECDSA P-256 key that
# never leaves a PKCS#11 token (SoftHSM2, made here), through the CLI and a
# live vouchfs mount: the Ed25519 signature alone is denied (threshold), the
# token's cosignature (`vouch cosign --pkcs11`) makes the model open, and a
# tampered file is still denied.  Also the other order: the token signs first
# and the Ed25519 key cosigns.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
. "$VOUCH_SRC/tests/pkcs11-lib.sh"
fs_syslog_start
p11_token release hsm
URI='pkcs11:token=release;object=hsm;type=private'
newkey ed
mkdir -m 755 trust
cp ed.pub hsm.pem trust/
printf '[vouch]\ntrust = %s/trust\nthreshold = 2\n' "$TMPDIR" >vouch.conf; chmod 644 vouch.conf
S=$TMPDIR/srv; M=$TMPDIR/mnt
mkdir -p "$S" "$M"
mkmodel "$S/m"; mkmodel "$S/n"

expect_rc 0 "$VOUCH" sign -k ed.key --name m "$S/m"
expect_rc 1 "$VOUCH" verify -c vouch.conf "$S/m"; expect_out "threshold"
fs_mount "$S" "$M" -c "$TMPDIR/vouch.conf"
[ "$(fs_errno "$M/m/model.bin")" = EACCES ] || fail "one of two signers opened the model"
syslog_wait "decision=deny cause=threshold .*path=$S/m/model.bin "
expect_rc 0 "$VOUCH" cosign --pkcs11 "$URI" --pkcs11-module "$MOD" --passphrase-file pin "$S/m/model.sig"
expect_rc 0 "$VOUCH" verify -c vouch.conf "$S/m"
[ "$(fs_errno "$M/m/model.bin")" = OK ] || fail "Ed25519 + PKCS#11 (2 of 2) denied"
syslog_wait "decision=allow cause=ok .*path=$S/m/model.bin "
ok "2 of 2, Ed25519 key file + PKCS#11 token key: one is denied, both open the model (CLI and mount)"

expect_rc 0 "$VOUCH" sign --pkcs11 "$URI" --pkcs11-module "$MOD" --passphrase-file pin --name n "$S/n"
[ "$(fs_errno "$M/n/config.json")" = EACCES ] || fail "the token alone opened n"
expect_rc 0 "$VOUCH" cosign -k ed.key "$S/n/model.sig"
[ "$(fs_errno "$M/n/config.json")" = OK ] || fail "token + Ed25519 cosignature denied"
flip_byte "$S/n/model.bin" 77
[ "$(fs_errno "$M/n/model.bin")" = EACCES ] || fail "tampered file opened with 2 signatures"
syslog_wait "decision=deny cause=hash-mismatch .*path=$S/n/model.bin "
ok "the token signs, the Ed25519 key cosigns: opens; a tampered file is still denied"
