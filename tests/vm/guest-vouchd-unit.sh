#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs INSIDE the test VM (as /share/run.sh, root, under systemd 252, Debian
# kernel 6.1: no FAN_DENY_ERRNO), for tests/cases/vm-vouchd-unit.sh.  The
# host prepared /share:
#   bin/vouch bin/vouchd         the build output
#   bin/static-cat               a statically linked reader
#   vouchd.service vouchd.socket the units under test (systemd/)
#   K.pub                        the trusted key
#   models/demo                  signed with K; models/bad: signed, then one byte flipped
#   models/big.bin(.sig)         a large signed file (its hash takes seconds here)
#   models/big2.bin(.sig)        another, first opened while the broker is killed;
#                                its sha256 in models/big2.sum
# Every check prints "ok: ..." or "FAIL: ..."; the exit code is the number
# of failed checks.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
fails=0
ok()    { echo "ok: $*"; }
bad()   { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
section() { echo; echo "=== $* ==="; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

M=/srv/models
SVC=vouchd.service
main_pid() { systemctl show -p MainPID --value "$SVC"; }
worker_pid() { pgrep -P "$(main_pid)" | head -n 1; }
good_sum=$(sha256sum </share/models/demo/model.bin | cut -d' ' -f1)
bad_sum=$(sha256sum </share/models/bad/model.bin | cut -d' ' -f1)

section "boot"
echo "system state: $(systemctl is-system-running --wait)"
uname -r

section "install"
install -m 0755 /share/bin/vouch /share/bin/vouchd /share/bin/static-cat /usr/local/bin/
install -m 0644 /share/vouchd.service /share/vouchd.socket /etc/systemd/system/
install -d -m 0755 /etc/vouch /etc/vouch/trust
install -m 0644 /share/K.pub /etc/vouch/trust/K.pub
# Models on a filesystem of their own (ext4 in a loop image: tmpfs on 6.1
# has no fsid, so new symlinks there could not be watched).
truncate -s 900M /var/models.img
mkfs.ext4 -q -F /var/models.img
mkdir -p $M
mount -o loop /var/models.img $M
cp -a /share/models/. $M/
cat >/etc/vouch/vouch.conf <<EOF
[vouch]
mode = enforce
protect = $M
trust = /etc/vouch/trust
vouchd_socket = /run/vouch/vouchd.sock
EOF
chmod 0644 /etc/vouch/vouch.conf
systemctl daemon-reload

section "start"
t0=$(now_ms)
systemctl start vouchd.socket vouchd.service
rc=$?
echo "systemctl start: exit $rc, $(( $(now_ms) - t0 )) ms"
check "vouchd.service starts (Type=notify)" [ "$rc" -eq 0 ]
check "vouchd.service is active" systemctl is-active --quiet "$SVC"
echo "broker $(main_pid), worker $(worker_pid)"

section "decisions"
out=$(sha256sum <$M/demo/model.bin | cut -d' ' -f1)
check "a signed model reads" [ "$out" = "$good_sum" ]
check "the static reader reads a signed model" static-cat $M/demo/config.json
if cat $M/bad/model.bin >/dev/null 2>/tmp/e; then bad "the tampered model was read"; else
	ok "the tampered model is refused: $(cat /tmp/e)"; fi
check "the static reader is refused the tampered model" sh -c "! static-cat $M/bad/model.bin"
journalctl -t vouch --no-pager -o cat | grep "bad/model.bin" | tail -n 1
check "journal: deny of bad/model.bin, cause=hash-mismatch" \
	sh -c "journalctl -t vouch --no-pager -o cat | grep 'bad/model.bin' | grep -q 'cause=hash-mismatch'"

section "kill -9 of the worker"
# A tight reader of the tampered file and of the good file while the worker
# dies in the middle of hashing big.bin.
( i=0; n=0; while [ $i -lt 400 ]; do if cat $M/bad/model.bin >/dev/null 2>&1; then n=$((n + 1)); fi;
  i=$((i + 1)); done; echo $n >/tmp/badreads ) &
rd=$!
( sha256sum <$M/big.bin >/tmp/big.sum 2>/tmp/big.err; echo $? >/tmp/big.rc ) &
bg=$!
sleep 1
w=$(worker_pid)
kill -9 "$w"
echo "killed worker $w"
wait $rd $bg
check "the tampered file was read 0 times around the worker's death" [ "$(cat /tmp/badreads)" = 0 ]
check "the big file's open survived the worker's death (re-dispatched)" [ "$(cat /tmp/big.rc)" = 0 ]
out=$(sha256sum <$M/demo/model.bin | cut -d' ' -f1)
check "the good file reads again after" [ "$out" = "$good_sum" ]
check "a new worker runs" [ -n "$(worker_pid)" ]
journalctl -u "$SVC" --no-pager -o cat | grep -i 'worker' | tail -n 3

section "kill -9 of the broker (fd store)"
old=$(main_pid)
echo 3 >/proc/sys/vm/drop_caches
( i=0; n=0; while [ $i -lt 300 ]; do if static-cat $M/bad/model.bin >/dev/null 2>&1; then n=$((n + 1)); fi;
  i=$((i + 1)); done; echo $n >/tmp/badreads2 ) &
rd=$!
# A first open in flight when the broker dies (big2.bin was never opened:
# its hash takes seconds here).
( t=$(now_ms); { sha256sum <$M/big2.bin >/dev/null; } 2>/tmp/big2.err; echo "$? $(( $(now_ms) - t ))" >/tmp/big2 ) &
bg=$!
sleep 0.5
t0=$(now_ms)
kill -9 "$old"
# How long until a new broker enforces again?
while [ "$(main_pid)" = "$old" ] || [ "$(main_pid)" = 0 ] || ! systemctl is-active --quiet "$SVC"; do
	sleep 0.05
	[ $(( $(now_ms) - t0 )) -gt 60000 ] && break
done
t1=$(now_ms)
echo "broker $old killed; new broker $(main_pid) active after $((t1 - t0)) ms"
wait $rd $bg
echo "tampered reads that succeeded: $(cat /tmp/badreads2); big2.bin open in flight: rc, ms: $(cat /tmp/big2) ($(cat /tmp/big2.err))"
check "systemd restarted the broker" [ "$(main_pid)" != "$old" ]
check "the tampered file was read 0 times across the broker's death" [ "$(cat /tmp/badreads2)" = 0 ]
journalctl -u "$SVC" --no-pager -o cat | grep -i 'fd store\|took over' | tail -n 3
check "the new broker took the group from the fd store" \
	sh -c "journalctl -u $SVC --no-pager -o cat | grep -q 'took over the fanotify group'"
check "the open in flight at the broker's death was denied, not let through" \
	sh -c "grep -q 'not permitted' /tmp/big2.err"
check "the new broker says it denied it" \
	sh -c "journalctl -u $SVC --no-pager -o cat | grep -q 'group from systemd.s fd store: [1-9]'"
out=$(sha256sum <$M/big2.bin | cut -d' ' -f1)
check "big2.bin opens when asked again" [ "$out" = "$(cat /share/models/big2.sum)" ]
out=$(sha256sum <$M/demo/model.bin | cut -d' ' -f1)
check "the good file reads under the new broker" [ "$out" = "$good_sum" ]
check "the tampered file is refused under the new broker" sh -c "! cat $M/bad/model.bin >/dev/null 2>&1"
echo "WINDOW: broker restart $((t1 - t0)) ms, tampered reads $(cat /tmp/badreads2)"

section "reload"
check "systemctl reload" systemctl reload "$SVC"
sleep 1
check "the tampered file is still refused after reload" sh -c "! cat $M/bad/model.bin >/dev/null 2>&1"

section "disarm"
check "vouchd --disarm" vouchd --disarm
sleep 1
journalctl -u "$SVC" --no-pager -o cat | grep DISARMED | tail -n 1
check "journal: DISARMED at alert" sh -c "journalctl -u $SVC -p alert --no-pager -o cat | grep -q DISARMED"
check "disarmed: not restarted" sh -c "! systemctl is-active --quiet $SVC"
check "disarmed: the tampered file reads (enforcement stopped on purpose)" sh -c "cat $M/bad/model.bin >/dev/null"

section "systemd-analyze security"
systemd-analyze security --no-pager "$SVC" >/tmp/sec.txt 2>&1
score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' /tmp/sec.txt)
echo "EXPOSURE: ${score:-none}"

section "journal of the unit"
journalctl -u "$SVC" --no-pager -o short-monotonic | tail -n 40

echo
echo "guest checks failed: $fails"
[ "$fails" -gt 100 ] && fails=100
exit "$fails"
