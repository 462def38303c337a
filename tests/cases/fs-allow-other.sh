#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-allow-other: a service user reading through vouchfs with the default
# configuration (no allow_other line), as docs/vouchfs.md sets it up.
#  - allow_other is on by default: www-data reads a signed 0644 model, is
#    refused a tampered one with EACCES and a cause=hash-mismatch record;
#  - file modes still hold (default_permissions): a 0600 root file stays
#    unreadable to www-data through the mount;
#  - `allow_other = no` is the documented way back to root only, and the
#    one line vouchfs prints at start (-f) says who may read, so the
#    kernel's unlogged EACCES is not mistaken for a verification deny.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
id www-data >/dev/null 2>&1 || skip "no www-data user"
fs_syslog_start
chmod 755 "$TMPDIR"
MNT=$TMPDIR/srv/models
mkdir -p "$MNT"
fs_model "$MNT/good"
fs_model "$MNT/bad"
flip_byte "$MNT/bad/model.bin" 10
fs_model "$MNT/private"
chmod 0600 "$MNT/private/model.bin"
chmod -R a+rX "$TMPDIR/trust"
CONF=$TMPDIR/vouch.conf
printf '[vouch]\nprotect = %s\ntrust = %s\n' "$MNT" "$TMPDIR/trust" >"$CONF"
chmod 0644 "$CONF"
as_www() { setpriv --reuid=www-data --regid=www-data --clear-groups "$@"; }

fs_mount "$MNT" "$MNT" -c "$CONF"
[ "$(as_www "$PY" -c 'import sys; open(sys.argv[1], "rb").read(); print("OK")' "$MNT/good/model.bin" 2>&1)" = OK ] ||
	fail "www-data cannot read a signed model through the default mount"
grep -q "vouchfs: serving $MNT at $MNT, in place, source pinned at /run/vouchfs/.* ($CONF; all users, file modes apply)" \
	"$TMPDIR/vouchfs.err" || { cat "$TMPDIR/vouchfs.err" >&2; fail "no start line on stderr"; }
OUT=$(as_www "$PY" -c 'import sys; open(sys.argv[1], "rb").read()' "$MNT/bad/model.bin" 2>&1)
printf '%s\n' "$OUT" | grep -q "Permission denied" || fail "www-data read a tampered model: $OUT"
syslog_wait "cause=hash-mismatch .*path=$MNT/bad/model.bin .*uid=33"
OUT=$(as_www "$PY" -c 'import sys; open(sys.argv[1], "rb").read()' "$MNT/private/model.bin" 2>&1)
printf '%s\n' "$OUT" | grep -q "Permission denied" || fail "www-data read a 0600 file: $OUT"
fs_stop "$FS_PID" "$MNT"
ok "default allow_other: www-data reads signed models, file modes hold"

printf 'allow_other = no\n' >>"$CONF"
fs_mount "$MNT" "$MNT" -c "$CONF"
grep -q "root only: allow_other = no, other users get EACCES from the kernel, unlogged" \
	"$TMPDIR/vouchfs.err" || { cat "$TMPDIR/vouchfs.err" >&2; fail "the start line does not say root only"; }
OUT=$(as_www "$PY" -c 'import sys; open(sys.argv[1], "rb").read()' "$MNT/good/model.bin" 2>&1)
printf '%s\n' "$OUT" | grep -q "Permission denied" || fail "allow_other = no, yet www-data reads: $OUT"
[ "$(fs_errno "$MNT/good/model.bin")" = OK ] || fail "root cannot read with allow_other = no"
fs_stop "$FS_PID" "$MNT"
ok "allow_other = no: root only, and the start line says so"
