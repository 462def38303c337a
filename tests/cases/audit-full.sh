#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# audit-full (issue 16): audit loss is loud.  The JSON audit log sits on a
# tiny tmpfs that is then filled: opens through vouchfs are decided as
# before, one alert on syslog names the file and the error (once per
# episode, not once per record), and when space returns one record says how
# many records were lost and when.  With `audit_failure = deny` and syslog
# gone too, an open that needs a new decision fails closed (EACCES, the
# reason on vouchfs's stderr), while an already verified file still opens.
# Runs in a private mount namespace (the tmpfs).
if [ -z "${AUDIT_FULL_NS:-}" ]; then
	AUDIT_FULL_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"

SRC=$TMPDIR/src MNT=$TMPDIR/mnt FULL=$TMPDIR/full
mkdir -p "$SRC" "$MNT" "$FULL"
fs_model "$SRC/m"
for i in $(seq 40); do printf 'unsigned %d\n' "$i" >"$SRC/m/extra$i.bin"; done
mount -t tmpfs -o size=64k tmpfs "$FULL" || fail "mount tmpfs"
AUDIT=$FULL/audit.jsonl
fs_syslog_start
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" --audit-log "$AUDIT"
[ "$(fs_errno "$MNT/m/model.bin")" = OK ] || fail "good open"
for _ in $(seq 50); do grep -q '"path":"[^"]*/m/model.bin"' "$AUDIT" && break; sleep 0.1; done
grep -q '"path":"[^"]*/m/model.bin"' "$AUDIT" || fail "the JSON log works at first"

# Fill the filesystem; decisions go on.
dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
# (The log's last page may still take a few records: decide until it is full.)
for i in $(seq 30); do
	[ "$(fs_errno "$MNT/m/extra$i.bin")" = EACCES ] || fail "extra$i.bin decided differently with a full audit log"
done
[ "$(fs_errno "$MNT/m/config.json")" = OK ] || fail "a good file with a full audit log"
syslog_wait "audit: writing the audit log $AUDIT failed \\(No space left on device\\)"
sleep 0.3
[ "$(grep -c 'audit: writing the audit log' "$SYSLOG")" -eq 1 ] || { cat "$SYSLOG" >&2; fail "wanted one alert per episode"; }
grep -q "decision=deny cause=not-in-manifest .*path=$SRC/m/extra30.bin" "$SYSLOG" || fail "denials still reach syslog"
ok "full audit log: decisions unchanged, one alert on syslog naming the file and the error"

# Space returns: the next record ends the episode, with the count.
rm -f "$FULL/filler"
[ "$(fs_errno "$MNT/m/tokenizer.json")" = OK ] || fail "good open after space returned"
syslog_wait "audit: the audit log $AUDIT works again; [0-9]+ records were lost between"
n=$(sed -n 's/.*works again; \([0-9]*\) records were lost.*/\1/p' "$SYSLOG" | head -n 1)
[ "$n" -ge 6 ] || fail "only $n records counted as lost (6 decisions were made)"
for _ in $(seq 50); do grep -q 'works again' "$AUDIT" && break; sleep 0.1; done
grep -q "audit log $AUDIT works again; $n records were lost" "$AUDIT" || fail "the recovery is not in the JSON log"
ok "space back: one record counts the $n lost records, on both sinks"
fs_stop "$FS_PID" "$MNT"

# audit_failure = deny, syslog gone, the JSON log full: fail closed.
syslog_stop
rm -f /dev/log
CONF=$TMPDIR/deny.conf
printf '[vouch]\ntrust = %s\naudit_log = %s\naudit_failure = deny\n' "$TMPDIR/trust" "$AUDIT" >"$CONF"
chmod 0644 "$CONF"
: >"$TMPDIR/vouchfs.err"
fs_mount "$SRC" "$MNT" -c "$CONF"
[ "$(fs_errno "$MNT/m/model.bin")" = OK ] || fail "audit_failure = deny: the first open (sinks not yet failing)"
dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
# One more decision whose record both sinks refuse starts the episodes.
for i in 31 32 33 34 35 36 37 38; do fs_errno "$MNT/m/extra$i.bin" >/dev/null; done
for _ in $(seq 50); do [ "$(fs_errno "$MNT/m/config.json")" = EACCES ] && break; sleep 0.1; done
[ "$(fs_errno "$MNT/m/config.json")" = EACCES ] || fail "audit_failure = deny: a new decision was made unaudited"
grep -q 'audit delivery is failing (neither syslog nor the audit log takes records): new decisions are denied' \
	"$TMPDIR/vouchfs.err" || { cat "$TMPDIR/vouchfs.err" >&2; fail "no reason on stderr"; }
[ "$(grep -c 'audit delivery is failing' "$TMPDIR/vouchfs.err")" -eq 1 ] || fail "the reason more than once per episode"
[ "$(fs_errno "$MNT/m/model.bin")" = OK ] || fail "an already verified file (no new decision) was refused"
ok "audit_failure = deny: new decisions fail closed while no sink takes records, the reason said once"
rm -f "$FULL/filler"
fs_stop "$FS_PID" "$MNT"
umount "$FULL"
