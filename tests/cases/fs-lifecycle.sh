#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-lifecycle: how vouchfs starts and stops, as systemd (Type=notify) and
# scripts see it.  READY=1 is sent only once the mount answers; SIGHUP sends
# RELOADING=1 then READY=1; SIGTERM sends STOPPING=1, unmounts and exits 0.
# Without -f, vouchfs returns only when the mount answers.  A bad trust dir
# or config fails the start (exit 3) and mounts nothing; bad usage exits 2.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC" "$MNT"
fs_model "$SRC/m"

# A notify socket like systemd's; each message is one line in notify.log.
"$PY" - "$TMPDIR/notify.sock" "$TMPDIR/notify.log" <<'PYEOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
PYEOF
NOTIFY=$!
FS_HOOK="kill $NOTIFY"
for _ in $(seq 100); do [ -S "$TMPDIR/notify.sock" ] && break; sleep 0.05; done
: >"$TMPDIR/notify.log"
NOTIFY_SOCKET=$TMPDIR/notify.sock "$VOUCHFS" -f --trust "$TMPDIR/trust" "$SRC" "$MNT" 2>"$TMPDIR/err" &
PID=$!
FS_PIDS=$PID; FS_MOUNTS=$MNT
for _ in $(seq 200); do grep -q "READY=1" "$TMPDIR/notify.log" && break; sleep 0.02; done
grep -q "READY=1" "$TMPDIR/notify.log" || fail "no READY=1"
# Immediately usable once READY=1 arrived.
cmp "$MNT/m/model.bin" "$SRC/m/model.bin" || fail "not serving at READY=1"
kill -HUP "$PID"
for _ in $(seq 100); do [ "$(grep -c "READY=1" "$TMPDIR/notify.log")" -ge 2 ] && break; sleep 0.05; done
grep -q "RELOADING=1" "$TMPDIR/notify.log" || fail "no RELOADING=1 on SIGHUP"
[ "$(grep -c "READY=1" "$TMPDIR/notify.log")" -ge 2 ] || fail "no READY=1 after the reload"
kill -TERM "$PID"; wait "$PID"; rc=$?
[ "$rc" -eq 0 ] || fail "exit $rc after SIGTERM"
# The receiver may write the datagram a moment after vouchfs exited.
for _ in $(seq 100); do grep -q "STOPPING=1" "$TMPDIR/notify.log" && break; sleep 0.02; done
grep -q "STOPPING=1" "$TMPDIR/notify.log" || fail "no STOPPING=1"
[ "$(fs_layers "$MNT")" -eq 0 ] || fail "still mounted after SIGTERM"
ok "notify: READY=1 once serving, RELOADING=1/READY=1 on SIGHUP, STOPPING=1 and unmount on SIGTERM"

# Daemon mode: returns when the mount answers.
expect_rc 0 "$VOUCHFS" --trust "$TMPDIR/trust" "$SRC" "$MNT"
cmp "$MNT/m/model.bin" "$SRC/m/model.bin" || fail "daemon mode: not serving on return"
expect_rc 0 "$VOUCHFS" --unmount "$MNT"
[ "$(fs_layers "$MNT")" -eq 0 ] || fail "--unmount"
ok "without -f: returns once the mount answers"

# Failures: nothing mounted, exit codes as documented in --help.
expect_rc 3 "$VOUCHFS" -f --trust "$TMPDIR/no-such-dir" "$SRC" "$MNT"
expect_out "no-such-dir"
expect_rc 3 "$VOUCHFS" -f -c "$TMPDIR/missing.conf" "$SRC" "$MNT"
expect_out "missing.conf"
printf '[vouch]\nbogus = 1\n' >"$TMPDIR/bad.conf"
expect_rc 3 "$VOUCHFS" -f -c "$TMPDIR/bad.conf" "$SRC" "$MNT"
expect_out "bad.conf"
expect_rc 2 "$VOUCHFS" "$SRC"
expect_rc 2 "$VOUCHFS" --mode lax "$SRC" "$MNT"
expect_rc 2 "$VOUCHFS" -o writeback "$SRC" "$MNT"
[ "$(fs_layers "$MNT")" -eq 0 ] || fail "a failed start left a mount"
expect_rc 0 "$VOUCHFS" --help
for o in --config --trust --mode --audit-log --foreground --unmount allow_other max_threads SIGHUP ENOTCONN; do
	expect_out "$o"
done
ok "bad trust/config: exit 3, nothing mounted; usage: exit 2; --help names every option"
