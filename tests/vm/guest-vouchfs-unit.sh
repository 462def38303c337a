#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs INSIDE the test VM (as /share/run.sh, root, under systemd 252), for
# tests/cases/vm-vouchfs-unit.sh.  The host prepared /share:
#   bin/vouch bin/vouchfs      the build output
#   bin/libvouch-preload.so    the shim, and bin/preload-try (tests/helpers)
#   vouchfs@.service           the unit under test (systemd/)
#   K.pub K2.pub               trusted key, and a key trusted only after reload
#   models/demo                signed with K (model.bin, config.json, tokenizer.json)
#   models/bad                 signed with K, then model.bin tampered (one byte)
#   models/k2                  signed with K2
#   dropin.conf                (optional) a drop-in for the unit, to try a fix
# Every check prints "ok: ..." or "FAIL: ..."; the exit code is the number
# of failed checks (at most 100), so run.sh's own codes stay distinct.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
fails=0
ok()    { echo "ok: $*"; }
bad()   { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
section() { echo; echo "=== $* ==="; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

M=/srv/models
RAW=/mnt/raw                       # private bind of the backing dir, for tampering
SVC=vouchfs@$(systemd-escape -p "$M").service
good_sum=$(sha256sum </share/models/demo/model.bin | cut -d' ' -f1)
bad_sum=$(sha256sum </share/models/bad/model.bin | cut -d' ' -f1)

# read FILE: cat it as user $AS (default root); sets RD_RC, RD_SUM, RD_ERR.
read_file() {
	if [ -n "${AS:-}" ]; then
		setpriv --reuid="$AS" --regid=nogroup --clear-groups cat "$1" >/tmp/rd.out 2>/tmp/rd.err
	else
		cat "$1" >/tmp/rd.out 2>/tmp/rd.err
	fi
	RD_RC=$?
	RD_SUM=$(sha256sum </tmp/rd.out | cut -d' ' -f1)
	RD_ERR=$(cat /tmp/rd.err)
}
got() { [ "$RD_RC" -eq 0 ] && [ "$RD_SUM" = "$1" ]; }      # read succeeded with these bytes
refused() { [ "$RD_RC" -ne 0 ] && [ "$RD_SUM" != "$bad_sum" ]; }   # failed, and not the raw bytes
eacces() { echo "$RD_ERR" | grep -q "Permission denied"; }
fuse_layers() { awk -v m="$M" '$2 == m && $3 ~ /^fuse/' /proc/mounts | wc -l; }
main_pid() { systemctl show -p MainPID --value "$SVC"; }

section "boot"
st=$(systemctl is-system-running --wait)
echo "system state: $st"

section "install"
install -m 0755 /share/bin/vouch /share/bin/vouchfs /usr/local/bin/
install -m 0644 /share/vouchfs@.service /etc/systemd/system/vouchfs@.service
install -d -m 0755 /etc/vouch /etc/vouch/trust
install -m 0644 /share/K.pub /etc/vouch/trust/K.pub
cat >/etc/vouch/vouch.conf <<EOF
[vouch]
mode = enforce
protect = $M
trust = /etc/vouch/trust
allow_other = yes
EOF
chmod 0644 /etc/vouch/vouch.conf
mkdir -p "$M"
cp -a /share/models/. "$M/"
chown -R root:root "$M"
chmod -R go-w,a+rX "$M"
# The FUSE mount hides the directory; a private bind made first keeps a
# way to the backing files (a shared bind would receive the FUSE mount too).
mkdir -p "$RAW"
mount --bind "$M" "$RAW" && mount --make-private "$RAW"
if [ -f /share/dropin.conf ]; then             # VOUCH_VM_DROPIN on the host
	install -d /etc/systemd/system/vouchfs@.service.d
	install -m 0644 /share/dropin.conf /etc/systemd/system/vouchfs@.service.d/test.conf
	echo "NOTE: testing the unit with this drop-in:"; cat /share/dropin.conf
fi
systemctl daemon-reload
check "vouch runs in the guest (libraries present)" sh -c 'vouch --help >/dev/null'
check "vouch verify demo before mounting" vouch verify --trust /etc/vouch/trust "$M/demo"
echo "instance: $SVC"

section "start"
t0=$(now_ms)
systemctl start "$SVC"; rc=$?
t1=$(now_ms)
echo "systemctl start: exit $rc, $((t1 - t0)) ms"
check "start succeeds" [ "$rc" -eq 0 ]
check "service is active" systemctl is-active -q "$SVC"
check "a fuse mount is on $M as soon as start returns (Type=notify)" [ "$(fuse_layers)" -ge 1 ]
grep " $M " /proc/mounts
pid1=$(main_pid)
echo "MainPID: $pid1"

section "reads from outside the service"
read_file "$M/demo/model.bin"
check "root reads the good file (verified bytes)" got "$good_sum"
AS=nobody read_file "$M/demo/model.bin"
check "nobody reads the good file too (allow_other)" got "$good_sum"
read_file "$M/demo/config.json"
check "root reads config.json" [ "$RD_RC" -eq 0 ]
read_file "$M/bad/model.bin"
echo "tampered read: rc=$RD_RC err=$RD_ERR"
check "the file tampered before start is refused" refused
check "... with EACCES" eacces
read_file "$M/k2/model.bin"
check "a model signed by a not yet trusted key is refused" [ "$RD_RC" -ne 0 ]
check "... with EACCES" eacces

# Tamper a file already verified and cached, through the private bind.
printf 'X' | dd of="$RAW/demo/config.json" bs=1 seek=2 conv=notrunc status=none
sleep 1.2                                      # past the attribute cache
read_file "$M/demo/config.json"
echo "after live tamper: rc=$RD_RC err=$RD_ERR"
check "a file tampered after it was verified is refused at the next open" [ "$RD_RC" -ne 0 ]
check "... with EACCES" eacces

section "audit record in the journal"
sleep 0.5
journalctl -t vouch --no-pager -o short-monotonic >/tmp/j.txt 2>&1
cat /tmp/j.txt
# deny_in FILE PATH CAUSE: FILE has one record denying PATH for CAUSE.
deny_in() {
	grep -F "path=$M/$2 " "$1" | grep -F 'decision=deny' | grep -qF "cause=$3"
}
check "journalctl -t vouch: deny of bad/model.bin, cause=hash-mismatch" deny_in /tmp/j.txt bad/model.bin hash-mismatch
journalctl -t vouch -p alert --no-pager -o cat >/tmp/ja.txt 2>&1
check "... at priority alert" deny_in /tmp/ja.txt bad/model.bin hash-mismatch
check "deny of the live-tampered demo/config.json, cause=hash-mismatch" deny_in /tmp/j.txt demo/config.json hash-mismatch
check "deny of k2/model.bin before the reload, cause=untrusted-key" deny_in /tmp/j.txt k2/model.bin untrusted-key

section "reload after adding a key"
install -m 0644 /share/K2.pub /etc/vouch/trust/K2.pub
systemctl reload "$SVC"; rc=$?
echo "systemctl reload: exit $rc"
sleep 1
check "reload succeeds" [ "$rc" -eq 0 ]
check "service still active" systemctl is-active -q "$SVC"
check "same main pid ($pid1)" [ "$(main_pid)" = "$pid1" ]
check "mount still there" [ "$(fuse_layers)" -ge 1 ]
read_file "$M/k2/model.bin"
echo "k2 read after reload: rc=$RD_RC err=$RD_ERR"
check "the model signed by the new key is served after reload" [ "$RD_RC" -eq 0 ]
read_file "$M/demo/model.bin"
check "the good file still reads" got "$good_sum"

section "kill -9 of the daemon: fail closed until systemd restarts it"
# A tight reader runs all along; systemctl is polled separately (it is slow
# under TCG and would make the reader miss the gap).
cp /share/models/demo/model.bin /tmp/good.bin
rm -f /tmp/reader.stop
reader() {
	while [ ! -e /tmp/reader.stop ]; do
		if cat "$M/bad/model.bin" >/tmp/rb.out 2>/tmp/rb.err; then
			echo "LEAK: the tampered file was read"; cp /tmp/rb.out /tmp/leaked.bin
		else
			echo "bad: $(cat /tmp/rb.err)"
		fi
		if cat "$M/demo/model.bin" >/tmp/rg.out 2>/tmp/rg.err; then
			if cmp -s /tmp/rg.out /tmp/good.bin; then echo "good: ok"; else echo "WRONG: good file bytes differ"; fi
		else
			echo "good: $(cat /tmp/rg.err)"
		fi
	done
}
reader >/tmp/reader.log 2>&1 &
rpid=$!
sleep 1
pid1=$(main_pid)
kill -9 "$pid1"
t0=$(now_ms)
restarted_at=""
while [ $(( $(now_ms) - t0 )) -lt 90000 ]; do
	p=$(main_pid)
	if [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pid1" ] && systemctl is-active -q "$SVC"; then
		restarted_at=$(( $(now_ms) - t0 )); break
	fi
	sleep 0.2
done
sleep 3                                        # let the reader see the new daemon
touch /tmp/reader.stop; wait "$rpid"
sed 's/^\(bad\|good\): cat: [^:]*: /\1: /' /tmp/reader.log >/tmp/reader.sum
echo "reader: $(grep -c . /tmp/reader.sum) reads; outcomes:"; sort /tmp/reader.sum | uniq -c
echo "systemd had a new main pid after: ${restarted_at:-never} ms; MainPID $(main_pid); fuse layers on $M: $(fuse_layers)"
check "no reader ever got the raw tampered bytes" sh -c '! grep -q ^LEAK /tmp/reader.sum'
check "no reader got wrong bytes for the good file" sh -c '! grep -q ^WRONG /tmp/reader.sum'
check "the reader saw the dead mount (ENOTCONN) during the restart" grep -q 'Transport endpoint is not connected' /tmp/reader.sum
# A read in flight at the moment of the kill gets ECONNABORTED from the
# kernel (the connection was aborted under it): also an error, never bytes.
check "errors were ENOTCONN, ECONNABORTED (in flight at the kill) or EACCES only" \
	sh -c '! grep -v -e ": ok$" -e "Transport endpoint is not connected" -e "Software caused connection abort" -e "Permission denied" /tmp/reader.sum | grep -q .'
check "systemd restarted vouchfs" [ -n "$restarted_at" ]
check "the good file reads again after the restart" sh -c 'tail -n 4 /tmp/reader.sum | grep -q "^good: ok"'
check "the tampered file is still refused after the restart" sh -c 'tail -n 4 /tmp/reader.sum | grep -q "^bad: Permission denied"'
systemctl status --no-pager "$SVC" | head -n 12

section "stop"
t0=$(now_ms)
systemctl stop "$SVC"; rc=$?
echo "systemctl stop: exit $rc, $(( $(now_ms) - t0 )) ms"
check "stop succeeds" [ "$rc" -eq 0 ]
check "no fuse mount remains on $M" [ "$(fuse_layers)" -eq 0 ]
check "no fuse file system mounted anywhere" [ "$(awk '$3 ~ /^fuse($|\.)/' /proc/mounts | wc -l)" -eq 0 ]
grep -E "fuse|vouch" /proc/mounts
read_file "$M/bad/model.bin"
check "$M shows the raw directory again (tampered bytes readable)" got "$bad_sum"
check "the source pin is gone" sh -c '! grep -q /run/vouchfs /proc/mounts'

section "the shim in a sandboxed unit (RestrictSUIDSGID=: openat2 refused)"
# systemd's seccomp filter for RestrictSUIDSGID= cannot inspect openat2's
# flags and answers ENOSYS; the shim must then resolve signatures without it
# (a component walk with O_NOFOLLOW), neither failing good models nor
# letting a tampered one through.  $M shows the raw directory now.
install -m 0755 /share/bin/libvouch-preload.so /usr/local/lib/
install -m 0755 /share/bin/preload-try /usr/local/bin/
printf '[vouch]\nprotect = %s\ntrust = /etc/vouch/trust\n' "$M" >/etc/vouch/shim.conf
chmod 0644 /etc/vouch/shim.conf
sandboxed() {
	systemd-run --wait --pipe --quiet -p RestrictSUIDSGID=yes "$@" 2>&1
}
probe=$(sandboxed /usr/local/bin/preload-try openat2 /etc/hostname)
echo "openat2 in the sandbox: $probe"
check "the sandbox refuses openat2 with ENOSYS" [ "$probe" = "openat2 errno=38" ]
shimmed() {
	sandboxed -p "Environment=LD_PRELOAD=/usr/local/lib/libvouch-preload.so VOUCH_CONFIG=/etc/vouch/shim.conf" \
		/usr/local/bin/preload-try "$@"
}
out=$(shimmed open "$M/demo/model.bin"); echo "signed: $out"
check "the shim admits the signed model in the sandbox" [ "$out" = "open ok off=0" ]
out=$(shimmed open "$M/bad/model.bin"); echo "tampered: $out"
check "the shim denies the tampered model in the sandbox" [ "$out" = "open errno=13" ]
journalctl -t vouch --no-pager -o cat | grep "path=$M/bad/model.bin" | tail -n 1

section "vouch-scan.service and vouch-scan.timer (the daily assessment)"
# $M shows the raw directory now: bad is tampered, demo's config.json was
# tampered live above, k2 verifies (K2 trusted since the reload).
install -m 0644 /share/vouch-scan.service /share/vouch-scan.timer /etc/systemd/system/
systemctl daemon-reload
systemctl start vouch-scan.service
status=$(systemctl show -p ExecMainStatus --value vouch-scan.service)
echo "vouch-scan.service exit status: $status"
check "the scan ran under its sandbox and exited 1 (a finding at or above high)" [ "$status" = 1 ]
journalctl -u vouch-scan.service --no-pager -o cat | tail -n 20
check "the tampered model is in the journal at priority err or worse" \
	sh -c "journalctl -u vouch-scan.service -p err --no-pager -o cat | grep -q '$M/bad'"
check "the live-tampered demo/config.json is in the journal at err or worse" \
	sh -c "journalctl -u vouch-scan.service -p err --no-pager -o cat | grep -q '$M/demo/config.json'"
check "the good model k2 is reported verified" \
	sh -c "journalctl -u vouch-scan.service --no-pager -o cat | grep '\"subject\":\"$M/k2\"' | grep -q '\"check\":\"verified\"'"
check "no finding for the good model at err or worse" \
	sh -c "! journalctl -u vouch-scan.service -p err --no-pager -o cat | grep -q '$M/k2'"
systemctl enable --now vouch-scan.timer
check "vouch-scan.timer is active" [ "$(systemctl is-active vouch-scan.timer)" = active ]
next=$(systemctl show -p NextElapseUSecRealtime --value vouch-scan.timer)
echo "vouch-scan.timer next: $next"
check "vouch-scan.timer has a next run" [ -n "$next" ]

section "systemd-analyze security"
systemd-analyze security --no-pager "$SVC" >/tmp/sec.txt 2>&1
cat /tmp/sec.txt
score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' /tmp/sec.txt)
echo "EXPOSURE: ${score:-none}"
check "systemd-analyze security gives a score" [ -n "$score" ]

section "journal of the unit"
journalctl -u "$SVC" --no-pager -o short-monotonic | tail -n 60

echo
echo "guest checks failed: $fails"
[ "$fails" -gt 100 ] && fails=100
exit "$fails"
