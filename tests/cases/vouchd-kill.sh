#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouchd-kill: vouchd fails closed when its verifier dies (issue 18 item 3),
# and what a killed broker lets through, measured.
#
# A. Two tight reader loops, one dynamically and one statically linked (the
#    same C source), open and read a tampered file and a good file over and
#    over.  A first open of a 1 GiB signed model starts its hash in the
#    worker; mid-hash (the worker has read part of it, no verdict yet) the
#    worker is killed with SIGKILL, and once more during the new worker's
#    re-hash.  Required: the tampered file is read 0 times by either loop;
#    the good file reads again after the new worker comes up; the open that
#    was waiting on the big hash completes with the right verdict (allowed,
#    exact size); the broker (same pid) logs each worker's death.
# B. SIGKILL of the broker itself, without systemd (no fd store): the group
#    closes and the kernel lets every pending open through -- fapolicyd's
#    hole, expected here.  The case measures and prints what got through (a
#    first open of a tampered 1 GiB model that was waiting on its hash; the
#    loops' reads of the tampered file) and the window (kill to "enforcing"
#    of a restarted vouchd), and asserts only that the worker does not
#    outlive the broker and that a restarted vouchd enforces again.  (The
#    systemd fd-store case is tested in the VM harness.)
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/vouchd-lib.sh"
vd_syslog_start

MFS=$TMPDIR/mfs; ROOT=$MFS/models
vd_fs "$MFS" 4g
mkdir -p "$ROOT/big" "$ROOT/bigbad"
mkmodel "$ROOT/m"; vd_sign "$ROOT/m"
mkmodel "$ROOT/t"; vd_sign "$ROOT/t"
flip_byte "$ROOT/t/model.bin" 1000
# 1 GiB, mostly a hole (tmpfs: no memory), random MiBs at the start and end:
# its hash takes long enough for a kill to land in it.
mkbig() {
	truncate -s 1G "$1" || fail "truncate $1"
	head -c 1048576 /dev/urandom | dd of="$1" bs=1M seek=0 conv=notrunc 2>/dev/null
	head -c 1048576 /dev/urandom | dd of="$1" bs=1M seek=1023 conv=notrunc 2>/dev/null
}
mkbig "$ROOT/big/model.bin"; vd_sign "$ROOT/big"
mkbig "$ROOT/bigbad/model.bin"; vd_sign "$ROOT/bigbad"
flip_byte "$ROOT/bigbad/model.bin" $((1073741824 - 5))
BIGSIZE=1073741824

# The reader loop: until STOP exists, open+read+close each FILE; one line per
# change of outcome per file: "MONOTONIC_MS INDEX 0|errno", and at the end
# "count INDEX OK-COUNT FAIL-COUNT LAST-OK-MS LONGEST-OPEN-MS" (the longest
# a single open of that file waited).
cat >"$TMPDIR/rloop.c" <<'CEOF'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	static char b[1 << 16];
	long ok[8] = { 0 }, bad[8] = { 0 };
	long long lastok[8] = { 0 }, longest[8] = { 0 };
	int last[8], n = argc - 2;

	if (n < 1 || n > 8)
		return 2;
	for (int i = 0; i < n; i++)
		last[i] = -1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (access(argv[1], F_OK) != 0) {
		for (int i = 0; i < n; i++) {
			struct timespec ts, t0;
			long long ms, ms0;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			int fd = open(argv[i + 2], O_RDONLY), r = fd < 0 ? errno : 0;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ms0 = (long long)t0.tv_sec * 1000 + t0.tv_nsec / 1000000;
			ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
			if (ms - ms0 > longest[i])
				longest[i] = ms - ms0;

			if (fd >= 0) {
				while (read(fd, b, sizeof(b)) > 0)
					;
				close(fd);
			}
			if (r) {
				bad[i]++;
			} else {
				ok[i]++;
				lastok[i] = ms;
			}
			if (r != last[i]) {
				printf("%lld %d %d\n", ms, i, r);
				last[i] = r;
			}
		}
	}
	for (int i = 0; i < n; i++)
		printf("count %d %ld %ld %lld %lld\n", i, ok[i], bad[i], lastok[i], longest[i]);
	return 0;
}
CEOF
cc -O2 -o "$TMPDIR/rloop-dyn" "$TMPDIR/rloop.c" || fail "cc rloop"
cc -O2 -static -o "$TMPDIR/rloop-static" "$TMPDIR/rloop.c" || fail "cc -static rloop (libc6-dev)"
readelf -l "$TMPDIR/rloop-dyn" | grep -q INTERP || fail "rloop-dyn is not dynamic"
readelf -l "$TMPDIR/rloop-static" | grep -q INTERP && fail "rloop-static is not static"
now_ms() { "$PY" -c 'import time; print(int(time.monotonic() * 1000))'; }
READERS=""
VD_HOOK='touch "$TMPDIR/stop"; for r in $READERS; do kill -9 $r; done'
start_loops() { # TAG FILES...: both loops on FILES
	tag=$1; shift
	rm -f "$TMPDIR/stop"
	"$TMPDIR/rloop-dyn" "$TMPDIR/stop" "$@" >"$TMPDIR/$tag.dyn" 2>&1 &
	READERS="$READERS $!"
	"$TMPDIR/rloop-static" "$TMPDIR/stop" "$@" >"$TMPDIR/$tag.static" 2>&1 &
	READERS="$READERS $!"
}
stop_loops() {
	touch "$TMPDIR/stop"
	for r in $READERS; do wait "$r" 2>/dev/null; done
	READERS=""
}
# loop_stat FILE INDEX AFTER_MS: "ok=N fail=N ok_after=0|1 longest_open_ms=MS"
# (ok_after: a read succeeded at or after AFTER_MS)
loop_stat() {
	awk -v i="$2" -v after="$3" '$1 == "count" && $2 == i {
		printf "ok=%d fail=%d ok_after=%d longest_open_ms=%d\n", $3, $4, ($3 > 0 && $5 >= after), $6 }' "$1"
}
# rchar PID: bytes the process has read so far
rchar() { awk '/^rchar:/ { print $2 }' "/proc/$1/io" 2>/dev/null || echo 0; }
# mid_hash WORKER CATPID: wait until WORKER has read >= 64 MiB more than at
# the call while CATPID still waits in its open; fail if the hash ended first.
mid_hash() {
	base=$(rchar "$1")
	for _ in $(seq 500); do
		kill -0 "$2" 2>/dev/null || fail "the big open finished before the kill could land (hash too fast?)"
		[ $(( $(rchar "$1") - base )) -ge $((64 << 20)) ] && return 0
		sleep 0.005
	done
	fail "worker $1 never read the big file"
}

vd_conf "$ROOT"
vd_start
BROKER=$VD_PID

# ---- A. kill -9 of the worker mid-hash ------------------------------------
start_loops a "$ROOT/t/model.bin" "$ROOT/m/model.bin"
sleep 0.3
w1=$(vd_worker); [ -n "$w1" ] || fail "no worker"
vd_mark
cat "$ROOT/big/model.bin" | wc -c >"$TMPDIR/big.count" &
BIGCAT=$!
sleep 0.05
mid_hash "$w1" "$BIGCAT"
kill -9 "$w1"
t_kill1=$(now_ms)
w2=$(vd_wait_worker "$w1") || { cat "$VD_ERR" >&2; fail "no new worker after kill -9 of $w1"; }
# the re-dispatched open is being hashed again: kill this one mid-hash too
mid_hash "$w2" "$BIGCAT"
kill -9 "$w2"
w3=$(vd_wait_worker "$w2") || { cat "$VD_ERR" >&2; fail "no new worker after kill -9 of $w2"; }
for _ in $(seq 200); do kill -0 "$BIGCAT" 2>/dev/null || break; sleep 0.05; done
kill -0 "$BIGCAT" 2>/dev/null && fail "the open waiting on the big hash never completed"
wait "$BIGCAT"
[ "$(cat "$TMPDIR/big.count")" = "$BIGSIZE" ] || fail "the waiting open: read $(cat "$TMPDIR/big.count") bytes, wanted $BIGSIZE"
t_up=$(now_ms)
sleep 0.5                               # the loops run on under the new worker
stop_loops
kill -0 "$BROKER" || fail "the broker died with its worker"
[ "$VD_PID" = "$BROKER" ] || fail "broker changed"
for w in "$w1" "$w2"; do
	grep -q "worker $w was killed by signal 9" "$VD_ERR" || { cat "$VD_ERR" >&2; fail "the broker did not log worker $w's death"; }
done
grep -q "no worker for" "$VD_ERR" && fail "opens were denied for want of a worker: $(grep 'no worker for' "$VD_ERR")"
vd_expect "$ROOT/big/model.bin" allow ok
for l in dyn static; do
	st=$(loop_stat "$TMPDIR/a.$l" 0 0)
	case $st in ok=0\ fail=*) ;; *) cat "$TMPDIR/a.$l" >&2; fail "$l loop read the tampered file: $st" ;; esac
	case $st in *fail=0\ *) fail "$l loop never tried the tampered file: $st" ;; esac
	sg=$(loop_stat "$TMPDIR/a.$l" 1 "$t_kill1")
	case $sg in *ok_after=0*) cat "$TMPDIR/a.$l" >&2; fail "$l loop: the good file never read again after the kill: $sg" ;; esac
	echo "loop $l: tampered $st; good $sg (kill at $t_kill1, waiting open done at $t_up)"
done
ok "kill -9 of worker $w1 mid-hash, then of $w2 mid-rehash: tampered read 0 times (dynamic and static loops), good file reads again, the waiting open completes, deaths logged"

# ---- B. kill -9 of the broker, no systemd: measured, not hidden -----------
start_loops b "$ROOT/t/model.bin" "$ROOT/m/model.bin"
sleep 0.3
w=$(vd_worker)
cat "$ROOT/bigbad/model.bin" | wc -c >"$TMPDIR/bigbad.count" &
BADCAT=$!
mid_hash "$w" "$BADCAT"
t_kill=$(now_ms)
kill -9 "$BROKER"
wait "$BROKER" 2>/dev/null
vd_start                                 # at once, as systemd's Restart= would
t_back=$(now_ms)
for _ in $(seq 100); do kill -0 "$w" 2>/dev/null || break; sleep 0.02; done
kill -0 "$w" 2>/dev/null && fail "worker $w outlived its killed broker"
for _ in $(seq 200); do kill -0 "$BADCAT" 2>/dev/null || break; sleep 0.05; done
wait "$BADCAT"
pending_through=$(cat "$TMPDIR/bigbad.count")
[ "$(vd_open "$ROOT/t/model.bin")" = EPERM ] || fail "the restarted vouchd does not enforce"
[ "$(vd_open "$ROOT/bigbad/model.bin")" = EPERM ] || fail "the restarted vouchd lets the tampered big model through"
[ "$(vd_open "$ROOT/m/model.bin")" = OK ] || fail "the restarted vouchd refuses a good file"
sleep 0.3
stop_loops
for l in dyn static; do
	st=$(loop_stat "$TMPDIR/b.$l" 0 0)
	last=$(grep -v '^count' "$TMPDIR/b.$l" | awk '$2 == 0' | tail -n 1)
	echo "broker kill, $l loop: tampered file $st; last change: $last"
	[ "${last##* }" != 0 ] || fail "$l loop: the tampered file still reads after the restart"
done
echo "broker kill -9 (no fd store): pending first open of a tampered 1 GiB model got through with $pending_through bytes;" \
	"window from kill to a restarted vouchd enforcing: $((t_back - t_kill)) ms (restart by this test, at once)"
ok "broker kill -9 measured (window $((t_back - t_kill)) ms); the worker died with it; a restarted vouchd enforces again"
