#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-kill: vouchfs fails closed across a crash and a restart, in place.
# kill -9 while a client reads: its next uncached read and every new open
# answer ENOTCONN; a restart stacks a new instance on the dead mount (the
# source is served from the private pin) and serves verified bytes again.
# A watcher opening a tampered and an unsigned file in a loop the whole time
# never reads a byte: it sees EACCES, then ENOTCONN, then EACCES.  A clean
# stop removes every layer; `vouchfs --unmount` clears a dead stack.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start

M=$TMPDIR/models
fs_model "$M"
head -c $((64 << 20)) /dev/urandom >"$M/big.bin"
cp "$M/model.bin" "$M/tampered.bin"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$M"
flip_byte "$M/tampered.bin" 10
printf 'raw\n' >"$M/loose.bin"; mkdir "$M/x"; printf 'raw\n' >"$M/x/raw.txt"
cp "$M/big.bin" "$TMPDIR/big.ref"
# prefetch=0: the reader below must have uncached pages left when the daemon
# dies (pages already cached stay readable through open handles: verified).
fs_mount "$M" "$M" --trust "$TMPDIR/trust" -o prefetch=0
pid1=$FS_PID
[ "$(fs_errno "$M/tampered.bin")" = EACCES ] || fail "tampered file readable"

# The watcher: opens and reads the files a crash must never expose.
cat >"$TMPDIR/watch.py" <<'PYEOF'
import errno, os, sys, time, collections
stop, paths = sys.argv[1], sys.argv[2:]
seen = collections.Counter(); order = []
while not os.path.exists(stop):
    for p in paths:
        try:
            with open(p, "rb") as f:
                f.read()
            r = "READ"
        except OSError as e:
            r = errno.errorcode.get(e.errno, str(e.errno))
        seen[r] += 1
        if not order or order[-1] != r:
            order.append(r)
    time.sleep(0.001)
print(dict(seen), " ".join(order))
PYEOF
"$PY" "$TMPDIR/watch.py" "$TMPDIR/stop" "$M/tampered.bin" "$M/loose.bin" "$M/x/raw.txt" >"$TMPDIR/watch.out" 2>&1 &
WATCH=$!
FS_HOOK="touch $TMPDIR/stop"

# A reader with the big file open, paused after its first MiB.
cat >"$TMPDIR/read.py" <<'PYEOF'
import errno, os, sys, time
path, ref, ready, go = sys.argv[1:5]
fd = os.open(path, os.O_RDONLY); want = open(ref, "rb").read()
got = os.read(fd, 1 << 20)
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.01)
res = "EOF"
try:
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            break
        got += b
except OSError as e:
    res = errno.errorcode.get(e.errno, str(e.errno))
print(res, len(got), "verified-prefix" if want[:len(got)] == got else "OTHER-BYTES")
PYEOF
"$PY" "$TMPDIR/read.py" "$M/big.bin" "$TMPDIR/big.ref" "$TMPDIR/ready" "$TMPDIR/go" >"$TMPDIR/read.out" 2>&1 &
READER=$!
for _ in $(seq 200); do [ -e "$TMPDIR/ready" ] && break; sleep 0.05; done
[ -e "$TMPDIR/ready" ] || fail "reader did not start"
sleep 0.3

kill -9 "$pid1"
sleep 0.3
touch "$TMPDIR/go"
wait "$READER"
read r n verdict <"$TMPDIR/read.out" || fail "reader: $(cat "$TMPDIR/read.out")"
[ "$r" = ENOTCONN ] || fail "reader after kill -9: $r ($n bytes)"
[ "$verdict" = verified-prefix ] || fail "reader got bytes that are not the verified file"
[ "$(fs_errno "$M/model.bin")" = ENOTCONN ] || fail "new open after kill -9 is not ENOTCONN"
[ "$(fs_layers "$M")" -eq 1 ] || fail "the dead mount must stay (fail closed)"
ok "kill -9: the reader's next read and new opens answer ENOTCONN ($n verified bytes read before)"

fs_mount "$M" "$M" --trust "$TMPDIR/trust"
pid2=$FS_PID
[ "$(fs_layers "$M")" -eq 2 ] || fail "the restart did not stack on the dead mount"
cmp "$M/big.bin" "$TMPDIR/big.ref" || fail "restarted instance serves other bytes"
[ "$(fs_errno "$M/tampered.bin")" = EACCES ] || fail "tampered readable after the restart"
sleep 0.2
touch "$TMPDIR/stop"; wait "$WATCH"
cat "$TMPDIR/watch.out"
grep -q READ "$TMPDIR/watch.out" && fail "the raw source showed during the crash/restart"
# ECONNABORTED may answer the one request in flight at the kill.
"$PY" -c 'import sys; o = sys.argv[1].split("} ")[1].split()
sys.exit(not (o[0] == "EACCES" and "ENOTCONN" in o and o[-1] == "EACCES"))' "$(cat "$TMPDIR/watch.out")" \
	|| fail "watcher did not see deny, then dead, then deny"
ok "restart stacked on the dead mount; the watcher never read the raw source"

fs_stop "$pid2" "$M"
cmp "$M/tampered.bin" "$M/tampered.bin" && [ "$(fs_errno "$M/tampered.bin")" = OK ] \
	|| fail "after a clean stop the source itself should show"
ok "clean stop removed both layers and the pin"

fs_mount "$M" "$M" --trust "$TMPDIR/trust"
kill -9 "$FS_PID"; sleep 0.2
fs_mount "$M" "$M" --trust "$TMPDIR/trust"
kill -9 "$FS_PID"; sleep 0.2
[ "$(fs_layers "$M")" -eq 2 ] && [ "$(fs_errno "$M/model.bin")" = ENOTCONN ] || fail "dead stack"
expect_rc 0 "$VOUCHFS" --unmount "$M"
[ "$(fs_layers "$M")" -eq 0 ] || fail "--unmount left layers"
ls /run/vouchfs 2>/dev/null | grep -q 'models$' && fail "--unmount left a pin: $(ls /run/vouchfs)"
ok "vouchfs --unmount clears a stack of dead instances and the pin"
