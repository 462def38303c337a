#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# audit-deaf (issue 16): a syslog receiver that stops reading must never
# freeze model loading.  A datagram socket is bound at /dev/log and never
# read (what a wedged journald or rsyslog looks like; its queue holds
# net.unix.max_dgram_qlen = 10 records).  Through vouchfs and through the
# shim: 100 denied opens all complete with EACCES, a good first open in
# between completes, no client is left in state D; then the deaf receiver is
# replaced by a reading one, and one record says how many records syslog
# lost and when.  Bounds are generous (a stall was 20-30 s per open; a pass
# takes milliseconds): no timing is asserted, only completion.
# The latencies are in `make bench` (bench/audit.sh).
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"

SRC=$TMPDIR/src MNT=$TMPDIR/mnt
mkdir -p "$SRC" "$MNT"
fs_model "$SRC/m"
mkdir -p "$SRC/bad"
for i in $(seq 100); do printf 'unsigned %d\n' "$i" >"$SRC/bad/f$i.bin"; done
AUDIT=$TMPDIR/audit.jsonl

# The deaf receiver: bound, never read.
deaf_start() {
	rm -f /dev/log
	"$PY" - <<'PYEOF' &
import os, signal, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
signal.pause()
PYEOF
	DEAF_PID=$!
	for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.05; done
	[ -S /dev/log ] || fail "deaf receiver did not bind /dev/log"
}
deaf_stop() { kill "$DEAF_PID" 2>/dev/null; wait "$DEAF_PID" 2>/dev/null; rm -f /dev/log; }
FS_HOOK='deaf_stop'

# The opener: 100 denied opens (and a good first open after the 50th) in
# one process, each timed; prints "deny=N good=OK|ERR max_ms=X".
cat >"$TMPDIR/opener.py" <<'PYEOF'
import errno, sys, time
base, good = sys.argv[1], sys.argv[2]
deny = 0; worst = 0.0; g = "not-tried"
for i in range(1, 101):
    t = time.monotonic()
    try:
        open("%s/f%d.bin" % (base, i), "rb").read()
    except PermissionError:
        deny += 1
    worst = max(worst, time.monotonic() - t)
    if i == 50:
        try:
            open(good, "rb").read(); g = "OK"
        except OSError as e:
            g = errno.errorcode.get(e.errno, str(e.errno))
print("deny=%d good=%s max_ms=%.1f" % (deny, g, worst * 1e3))
PYEOF

# run_bounded SECONDS CMD...: CMD must finish in time; no process of ours in D.
run_bounded() {
	lim=$1; shift
	"$@" >"$TMPDIR/out" 2>&1 &
	p=$!
	n=$((lim * 10))
	while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	if kill -0 "$p" 2>/dev/null; then
		ps -eo pid,stat,wchan:30,comm | awk '$2 ~ /D/' >&2
		fail "$* did not complete within ${lim}s with a deaf syslog receiver"
	fi
	wait "$p"
	OUT=$(cat "$TMPDIR/out")
}

# --- vouchfs ---------------------------------------------------------------
deaf_start
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" --audit-log "$AUDIT"
run_bounded 60 "$PY" "$TMPDIR/opener.py" "$MNT/bad" "$MNT/m/model.bin"
echo "vouchfs, deaf syslog: $OUT"
printf '%s\n' "$OUT" | grep -q '^deny=100 good=OK ' || fail "vouchfs: $OUT"
[ -z "$(ps -eo stat,comm | awk '$1 ~ /^D/ && ($2 ~ /python|vouchfs/)')" ] || fail "a process in state D"
# Every decision still reached the JSON log, and the JSON log says syslog failed.
for _ in $(seq 50); do
	[ "$(grep -c '"decision":"deny","cause":"not-signed"' "$AUDIT")" -ge 100 ] && break; sleep 0.1
done
[ "$(grep -c '"decision":"deny","cause":"not-signed"' "$AUDIT")" -ge 100 ] ||
	fail "deny records missing from the JSON log"
grep -q 'syslog (/dev/log) does not take records' "$AUDIT" || fail "no note in the JSON log that syslog fails"
ok "vouchfs: 100 denials and a good first open complete with a deaf syslog receiver"

# The deaf receiver goes, a reading one comes: the next record ends the
# episode with a count.
deaf_stop
fs_syslog_start
[ "$(fs_errno "$MNT/m/config.json")" = OK ] || fail "good open after the receiver came back"
syslog_wait 'audit: syslog \(/dev/log\) works again; [0-9]+ records were lost between' 10
n=$(sed -n 's/.*works again; \([0-9]*\) records were lost.*/\1/p' "$SYSLOG" | head -n 1)
[ "$n" -ge 90 ] || fail "only $n records counted as lost (100 denials went out)"
grep -q "works again; $n records were lost" "$AUDIT" || fail "the recovery is not in the JSON log"
ok "vouchfs: recovery reported once, with the count ($n lost)"
fs_stop "$FS_PID" "$MNT"
syslog_stop

# --- the shim ----------------------------------------------------------------
CONF=$TMPDIR/vouch.conf
printf '[vouch]\nprotect = %s\ntrust = %s\naudit_log = %s\n' "$SRC" "$TMPDIR/trust" "$TMPDIR/shim.jsonl" >"$CONF"
chmod 0644 "$CONF"
deaf_start
run_bounded 60 env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$CONF" "$PY" "$TMPDIR/opener.py" "$SRC/bad" "$SRC/m/model.bin"
echo "shim, deaf syslog: $OUT"
printf '%s\n' "$OUT" | grep -q '^deny=100 good=OK ' || fail "shim: $OUT"
[ "$(grep -c '"decision":"deny","cause":"not-signed"' "$TMPDIR/shim.jsonl")" -ge 100 ] ||
	fail "shim: deny records missing from the JSON log"
grep -q 'syslog (/dev/log) does not take records' "$TMPDIR/shim.jsonl" || fail "shim: no note that syslog fails"
ok "shim: 100 denials and a good first open complete with a deaf syslog receiver"
deaf_stop
