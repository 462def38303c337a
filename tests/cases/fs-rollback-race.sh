#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-rollback-race: issue 15, defect 4 (anti-rollback race, vouchfs with
# state_dir).  A version below the high-water mark at acceptance must be
# `rollback`, never allowed and never cached as allowed.
#
# Model "m" is signed as version 1 in A/ (a sparse 4 GiB big.bin, so its
# first hash takes seconds) and as version 2 in B/ (small).  The first open
# of A/big.bin starts (mark 0: it passes the check before hashing); while
# vouchfs is hashing it (seen from its read counter), B/small.bin is opened
# and raises the mark to 2; then the A open completes.  A second process
# opens A/big.bin while the first hash runs (it waits on the same hash).
# Asserts: the A open and the concurrent one are EACCES, with a record
# cause=rollback path=.../A/big.bin; a later open of A/big.bin is EACCES
# (cause=rollback) too, not a cached allow; a never-opened v1 file is
# refused; the mark is 2; B stays readable.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start
BIG_GIB=4

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt; STATE=$TMPDIR/state
mkdir -p "$SRC/A" "$SRC/B" "$MNT"
mkdir -m 0700 "$STATE"
newkey k
mkdir -p "$TMPDIR/trust"; cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
truncate -s "${BIG_GIB}G" "$SRC/A/big.bin"
printf 'v1\n' >"$SRC/A/config.json"
head -c 4096 /dev/urandom >"$SRC/B/small.bin"
printf 'v2\n' >"$SRC/B/config.json"
t0=$(date +%s%N)
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" --name m --version 1 "$SRC/A"
echo "signing ${BIG_GIB} GiB took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" --name m --version 2 "$SRC/B"
cat >"$TMPDIR/vouch.conf" <<CONF
[vouch]
mode = enforce
trust = $TMPDIR/trust
state_dir = $STATE
CONF
chmod 0644 "$TMPDIR/vouch.conf"
fs_mount "$SRC" "$MNT" -c "$TMPDIR/vouch.conf" -o prefetch=0

# open PATH RESULT-FILE: open, read one byte, write "OK|ERRNO" to the file.
cat >"$TMPDIR/open1.py" <<'PYEOF'
import errno, os, sys
try:
    fd = os.open(sys.argv[1], os.O_RDONLY)
    os.read(fd, 1)
    os.close(fd)
    r = "OK"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e.errno))
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(r + "\n")
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
PYEOF
rchar() { awk '/^rchar:/ { print $2 }' "/proc/$FS_PID/io"; }

base=$(rchar)
t0=$(date +%s%N)
"$PY" "$TMPDIR/open1.py" "$MNT/A/big.bin" "$TMPDIR/a1" &
A_PID=$!
FS_PIDS="$FS_PIDS $A_PID"
# Wait until vouchfs has read 128 MiB of big.bin: the v1 hash is running.
for _ in $(seq 400); do
	[ $(( $(rchar) - base )) -ge 134217728 ] && break
	[ -e "$TMPDIR/a1" ] && break
	sleep 0.05
done
[ -e "$TMPDIR/a1" ] && fail "the v1 open finished before the v2 open could start (answer $(cat "$TMPDIR/a1")): race not exercised"
[ $(( $(rchar) - base )) -ge 134217728 ] || fail "vouchfs did not start hashing A/big.bin"
echo "v1 hash running after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
"$PY" "$TMPDIR/open1.py" "$MNT/A/big.bin" "$TMPDIR/a1w" &
W_PID=$!
FS_PIDS="$FS_PIDS $W_PID"
r=$(fs_errno "$MNT/B/small.bin")
[ "$r" = OK ] || fail "v2 B/small.bin: $r"
expect_rc 0 "$VOUCH" state --state-dir "$STATE" show m
expect_out "version 2 "
echo "v2 open done (mark raised) after $(( ($(date +%s%N) - t0) / 1000000 )) ms; $OUT"
[ -e "$TMPDIR/a1" ] && fail "the v1 open finished before the mark was raised: race not exercised"
ok "v2 opened and the mark raised while the v1 first open was still hashing"

wait "$A_PID"
wait "$W_PID"
echo "v1 first open answered after $(( ($(date +%s%N) - t0) / 1000000 )) ms: $(cat "$TMPDIR/a1"); the concurrent one: $(cat "$TMPDIR/a1w")"
[ "$(cat "$TMPDIR/a1")" = EACCES ] ||
	fail "the v1 first open whose hash finished after the mark rose to 2 was answered $(cat "$TMPDIR/a1"), not EACCES"
[ "$(cat "$TMPDIR/a1w")" = EACCES ] ||
	fail "a v1 open waiting on that hash was answered $(cat "$TMPDIR/a1w"), not EACCES"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=rollback mode=enforce path=$SRC/A/big.bin .*version=1 "
ok "v1 first open completing after the mark rose, and one waiting on it: EACCES, cause=rollback"

n1=$(grep -c "decision=deny cause=rollback mode=enforce path=$SRC/A/big.bin " "$SYSLOG")
"$PY" "$TMPDIR/open1.py" "$MNT/A/big.bin" "$TMPDIR/a2"
[ "$(cat "$TMPDIR/a2")" = EACCES ] || fail "second open of v1 A/big.bin: $(cat "$TMPDIR/a2") (a cached allow)"
for _ in $(seq 100); do
	[ "$(grep -c "decision=deny cause=rollback mode=enforce path=$SRC/A/big.bin " "$SYSLOG")" -gt "$n1" ] && break
	sleep 0.05
done
[ "$(grep -c "decision=deny cause=rollback mode=enforce path=$SRC/A/big.bin " "$SYSLOG")" -gt "$n1" ] ||
	{ cat "$SYSLOG" >&2; fail "no second rollback record for A/big.bin"; }
[ "$(fs_errno "$MNT/A/config.json")" = EACCES ] || fail "a never-opened v1 file after the mark rose"
syslog_wait "decision=deny cause=rollback mode=enforce path=$SRC/A/config.json "
[ "$(fs_errno "$MNT/B/small.bin")" = OK ] || fail "v2 after the race"
ok "second open of v1: EACCES (rollback), not a cached allow; v2 still served"
