#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-reload-stall: issue 15, defect 5 (a reload stalls the whole mount).  A
# SIGHUP while a multi-GiB first open hashes must not make opens of unrelated
# files wait for that hash.
#
# A 4 GiB sparse file is opened for the first time through vouchfs (its hash
# takes seconds); once vouchfs is seen hashing it (its read counter), vouchfs
# gets SIGHUP; 0.3 s later (time for the reload to queue behind the hash)
# an unrelated, already verified small file and an unrelated never-opened
# small file are each opened and read.
# Asserts, without absolute timings: both small opens succeed and return
# while the big open is still pending (its process alive, no answer yet);
# the big open then succeeds too and the reload is reported.  Prints the
# measured times.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start
BIG_GIB=4

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC/big" "$SRC/small" "$MNT"
newkey k
mkdir -p "$TMPDIR/trust"; cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
truncate -s "${BIG_GIB}G" "$SRC/big/big.bin"
head -c 100000 /dev/urandom >"$SRC/small/seen.bin"
head -c 100000 /dev/urandom >"$SRC/small/fresh.bin"
t0=$(date +%s%N)
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/big"
echo "signing ${BIG_GIB} GiB took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/small"
cat >"$TMPDIR/vouch.conf" <<CONF
[vouch]
mode = enforce
trust = $TMPDIR/trust
CONF
chmod 0644 "$TMPDIR/vouch.conf"
fs_mount "$SRC" "$MNT" -c "$TMPDIR/vouch.conf" -o prefetch=0
[ "$(fs_errno "$MNT/small/seen.bin")" = OK ] || fail "small file before the reload"

# timed PATH [RESULT-FILE]: open, read to EOF; print "OK|ERRNO ms"; with
# RESULT-FILE, write that line there (atomically) instead.
cat >"$TMPDIR/timed.py" <<'PYEOF'
import errno, os, sys, time
t = time.monotonic()
try:
    fd = os.open(sys.argv[1], os.O_RDONLY)
    if len(sys.argv) < 3:
        while os.read(fd, 1 << 20):
            pass
    os.close(fd)
    r = "OK"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e.errno))
line = "%s %.1f\n" % (r, (time.monotonic() - t) * 1e3)
if len(sys.argv) > 2:
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(line)
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
else:
    sys.stdout.write(line)
PYEOF
rchar() { awk '/^rchar:/ { print $2 }' "/proc/$FS_PID/io"; }
pending() { kill -0 "$BIG_PID" 2>/dev/null && [ ! -e "$TMPDIR/big.res" ]; }

base=$(rchar)
t0=$(date +%s%N)
"$PY" "$TMPDIR/timed.py" "$MNT/big/big.bin" "$TMPDIR/big.res" &
BIG_PID=$!
FS_PIDS="$FS_PIDS $BIG_PID"
for _ in $(seq 400); do
	[ $(( $(rchar) - base )) -ge 134217728 ] && break
	pending || break
	sleep 0.05
done
pending || fail "the big first open finished before the reload could be sent ($(cat "$TMPDIR/big.res" 2>/dev/null)): not exercised"
[ $(( $(rchar) - base )) -ge 134217728 ] || fail "vouchfs did not start hashing big.bin"
echo "big first open hashing after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
c=$(grep -c reload "$TMPDIR/vouchfs.err")
kill -HUP "$FS_PID"
sleep 0.3
seen=$("$PY" "$TMPDIR/timed.py" "$MNT/small/seen.bin")
p1=no; pending && p1=yes
fresh=$("$PY" "$TMPDIR/timed.py" "$MNT/small/fresh.bin")
p2=no; pending && p2=yes
echo "after SIGHUP: verified small file: $seen ms (big open still pending: $p1);" \
	"never-opened small file: $fresh ms (big open still pending: $p2)"
wait "$BIG_PID"
echo "big first open: $(cat "$TMPDIR/big.res") ms"
case $seen in OK\ *) ;; *) fail "verified small file after SIGHUP: $seen" ;; esac
case $fresh in OK\ *) ;; *) fail "never-opened small file after SIGHUP: $fresh" ;; esac
[ "$p1" = yes ] || fail "the open of an unrelated verified file waited for the big hash (returned only after it: $seen ms)"
[ "$p2" = yes ] || fail "the open of an unrelated new file waited for the big hash (returned only after it: $fresh ms)"
ok "unrelated opens after SIGHUP answered while the big hash was still running"

case $(cat "$TMPDIR/big.res") in OK\ *) ;; *) fail "big first open: $(cat "$TMPDIR/big.res")" ;; esac
for _ in $(seq 100); do
	[ "$(grep -c reload "$TMPDIR/vouchfs.err")" -gt "$c" ] && break
	sleep 0.05
done
[ "$(grep -c reload "$TMPDIR/vouchfs.err")" -gt "$c" ] || fail "no reload reported after SIGHUP"
[ "$(fs_errno "$MNT/small/seen.bin")" = OK ] || fail "small file after the reload"
kill -0 "$FS_PID" || fail "vouchfs died"
ok "the big open completed, the reload was applied, the mount kept serving"
