#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-rotation: the key rotation runbook of docs/policy.md, step by step, on a
# live vouchfs mount while a reader opens the model every 50 ms the whole
# time: not one of its opens may fail (no downtime).  Then revocation: a key
# revoked with `vouch trust revoke` denies (revoked-key) a model whose allow
# verdict was cached before the revocation, from the next SIGHUP on, and the
# revoked key cannot be added back by mistake.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start
keyid() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -c1-64; }
S=$TMPDIR/srv; M=$TMPDIR/mnt
mkdir -p "$S" "$M" && mkdir -m 755 trust
cat >vouch.conf <<CONF
[vouch]
trust = $TMPDIR/trust
CONF
chmod 644 vouch.conf
V() { "$VOUCH" "$@"; }

# Before: release-2026 signs every model.
newkey release-2026
expect_rc 0 V trust -c vouch.conf add release-2026.pub
OLD=$(keyid release-2026.pub)
expect_out "$OLD"
mkmodel "$S/resnet"; mkmodel "$S/straggler"; mkmodel "$S/bert"
for m in resnet straggler bert; do
	expect_rc 0 V sign -k release-2026.key --name $m --version 7 "$S/$m"
done
fs_mount "$S" "$M" -c "$TMPDIR/vouch.conf"
PID=$FS_PID
[ "$(fs_errno "$M/resnet/model.bin")" = OK ] || fail "resnet before the rotation"

# The reader: one open+read every 50 ms, each failure logged.
: >reader.log
( while [ ! -e reader.stop ]; do
	r=$(fs_errno "$M/resnet/model.bin")
	[ "$r" = OK ] || echo "$(date +%T.%N) $r" >>reader.log
	echo . >>reader.count
	sleep 0.05
  done ) &
READER=$!
FS_HOOK="touch $TMPDIR/reader.stop; kill $READER"

# 1. the new key
expect_rc 0 V keygen --no-passphrase -o release-2027
NEW=$(keyid release-2027.pub)
# 2. trust it beside the old one, reload
expect_rc 0 V trust -c vouch.conf add release-2027.pub; expect_out "$NEW"
fs_hup "$PID" "$M"
expect_rc 0 V trust -c vouch.conf list
expect_out "$OLD"; expect_out "$NEW"
# 3. re-sign with the new key, raising the version; verify with the config
for m in resnet bert; do
	expect_rc 0 V sign -k release-2027.key --name $m --version 8 "$S/$m"
	expect_rc 0 V verify -c vouch.conf "$S/$m"; expect_out "$NEW"
done
[ "$(fs_errno "$M/bert/config.json")" = OK ] || fail "bert re-signed"
syslog_wait "decision=allow cause=ok .*path=$S/bert/config.json .*version=8 keyid=$NEW"
# 4. remove the old key, reload: stragglers show up as untrusted-key
expect_rc 0 V trust -c vouch.conf remove "$OLD"
fs_hup "$PID" "$M"
[ "$(fs_errno "$M/straggler/model.bin")" = EACCES ] || fail "a model signed only by the removed key"
syslog_wait "<81>vouch.*decision=deny cause=untrusted-key .*path=$S/straggler/model.bin "
[ "$(fs_errno "$M/resnet/tokenizer.json")" = OK ] || fail "resnet after the old key left"
sleep 0.3
touch reader.stop; wait "$READER" 2>/dev/null
[ "$(wc -l <reader.count)" -ge 5 ] || fail "the reader hardly ran"
[ ! -s reader.log ] && ok "rotation runbook on a live mount: $(wc -l <reader.count) opens by a reader across it, none failed" ||
	{ cat reader.log >&2; fail "opens failed during the rotation"; }
ok "after step 4 a model signed only by the old key is denied (untrusted-key), as the runbook says"

# 5. revocation of a compromised key: cached verdicts go at the reload.
[ "$(fs_errno "$M/bert/model.bin")" = OK ] || fail "bert"       # verdict cached
expect_rc 0 V trust -c vouch.conf revoke "$NEW"
[ "$(fs_errno "$M/bert/model.bin")" = OK ] || fail "revocation applied before the reload"
fs_hup "$PID" "$M"
[ "$(fs_errno "$M/bert/model.bin")" = EACCES ] || fail "a cached verdict outlived the revocation"
syslog_wait "<81>vouch.*decision=deny cause=revoked-key .*path=$S/bert/model.bin "
expect_rc 1 V verify -c vouch.conf "$S/bert"; expect_out "revoked-key"
expect_rc 0 V trust -c vouch.conf list; expect_out "$NEW .*REVOKED"
expect_rc 3 V trust -c vouch.conf add release-2027.pub; expect_out "revoked"
ok "revoke: a cached allow is denied after SIGHUP (revoked-key), CLI agrees, the key cannot be re-added"

# Removing every key is applied too (refusing the reload would keep trusting
# the removed keys): every open is denied, at alert.
newkey spare
expect_rc 0 V trust -c vouch.conf add spare.pub
expect_rc 0 V sign -k spare.key --name bert --version 9 "$S/bert"
fs_hup "$PID" "$M"
[ "$(fs_errno "$M/bert/model.bin")" = OK ] || fail "bert signed by the spare key"
expect_rc 0 V trust -c vouch.conf remove "$(keyid spare.pub)"
expect_rc 0 V trust -c vouch.conf remove "$NEW"
ls trust/*.pem 2>/dev/null && fail "keys left"
fs_hup "$PID" "$M"
syslog_wait "<81>vouch.*no trusted keys .*every protected file is denied"
[ "$(fs_errno "$M/bert/model.bin")" = EACCES ] || fail "the last key removed, yet the model still opens"
ok "the last key removed: the reload applies, every open is denied (alert)"
