#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-reload: SIGHUP rereads the config and the trusted keys without
# unmounting and drops verdicts cached under the old trust: a key removed
# from the trust dir denies the next open of a file it verified before, a key
# put back allows it again, a config switched to audit mode lets a tampered
# file open (with the alert), and a broken config leaves the old trust in
# force.  The mount and the daemon survive every SIGHUP (libfuse's own
# handler would have unmounted and exposed an in-place source).
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start

M=$TMPDIR/models
fs_model "$M"                    # signed with key k, trust dir has k.pub
newkey other
cp "$M/model.bin" "$M/tampered.bin"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$M"
flip_byte "$M/tampered.bin" 3
conf() {
	cat >"$TMPDIR/vouch.conf" <<CONF
[vouch]
mode = $1
trust = $TMPDIR/trust
audit_log = $TMPDIR/audit.jsonl
CONF
	chmod 644 "$TMPDIR/vouch.conf"
}
conf enforce
fs_mount "$M" "$M" -c "$TMPDIR/vouch.conf"
PID=$FS_PID
hup() { fs_hup "$PID" "$M"; }

[ "$(fs_errno "$M/model.bin")" = OK ] || fail "verified file"
rm "$TMPDIR/trust/k.pub"; cp "$TMPDIR/other.pub" "$TMPDIR/trust/"
[ "$(fs_errno "$M/model.bin")" = OK ] || fail "before SIGHUP the old trust holds"
hup
[ "$(fs_errno "$M/model.bin")" = EACCES ] || fail "after SIGHUP a verdict made under the old key still allows"
syslog_wait "decision=deny cause=untrusted-key .*path=$M/model.bin"
ok "SIGHUP: key removed -> cached verdict dropped, next open denied (untrusted-key)"

cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
hup
[ "$(fs_errno "$M/model.bin")" = OK ] || fail "key put back: still denied"
ok "SIGHUP: key put back -> allowed, mount never left"

conf audit
hup
[ "$(fs_errno "$M/tampered.bin")" = OK ] || fail "audit mode after SIGHUP"
syslog_wait "decision=allow-audit cause=hash-mismatch mode=audit path=$M/tampered.bin"
ok "SIGHUP: config reread (mode = audit): tampered file opens with an alert"

printf '[vouch]\nmode = sideways\n' >"$TMPDIR/vouch.conf"
hup
grep -q "reload refused\|reload failed" "$TMPDIR/audit.jsonl" "$TMPDIR/vouchfs.err" || fail "a broken config was not reported"
[ "$(fs_errno "$M/tampered.bin")" = OK ] || fail "a broken config changed the policy"
conf enforce
hup
[ "$(fs_errno "$M/tampered.bin")" = EACCES ] || fail "enforce again"
ok "SIGHUP with a broken config keeps the old policy; a fixed one applies"
