#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs INSIDE the test VM (as /share/run.sh, root, under systemd 252), for
# tests/cases/vm-deb.sh.  The host prepared /share:
#   vouch.deb        the package `make deb` built (nothing of vouch is in the image)
#   version          its version
#   K.pub            the key the models are signed with
#   models/demo      signed with K
#   models/bad       signed with K, then model.bin tampered (one byte)
# Every check prints "ok: ..." or "FAIL: ..."; the exit code is the number
# of failed checks (at most 100), so run.sh's own codes stay distinct.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
fails=0
ok()    { echo "ok: $*"; }
bad()   { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
section() { echo; echo "=== $* ==="; }

M=/srv/models
SVC=vouchfs@srv-models.service
UNITS="vouchd.service vouchd.socket vouch-metrics.service vouch-scan.timer vouch-scan.service"
good_sum=$(sha256sum </share/models/demo/model.bin | cut -d' ' -f1)
bad_sum=$(sha256sum </share/models/bad/model.bin | cut -d' ' -f1)
fuse_layers() { awk -v m="$M" '$2 == m && $3 ~ /^fuse/' /proc/mounts | wc -l; }
mode_of() { stat -c '%a %U %G %F' "$1" 2>/dev/null; }
none_active() {
	for u in $UNITS; do systemctl -q is-active "$u" && { echo "active: $u"; return 1; }; done
	! pgrep -x 'vouchd|vouchfs' >/dev/null
}
main_pid() { systemctl show -p MainPID --value "$SVC"; }

section "boot"
echo "system state: $(systemctl is-system-running --wait)"
check "vouch is not in the image before the package" sh -c '! command -v vouch && ! dpkg -s vouch >/dev/null 2>&1'

section "dpkg -i"
dpkg -i /share/vouch.deb >/tmp/dpkg.out 2>&1; rc=$?
cat /tmp/dpkg.out
check "dpkg -i succeeds in a clean image (its Depends are all met)" [ "$rc" -eq 0 ]
check "dpkg -s: install ok installed, version $(cat /share/version)" \
	sh -c '[ "$(dpkg-query -W -f="\${Status} \${Version}" vouch)" = "install ok installed $(cat /share/version)" ]'
check "no maintainer-script warning" sh -c '! grep -qi "warning\|error" /tmp/dpkg.out'
for f in /usr/bin/vouch /usr/bin/vouchfs /usr/bin/vouchd /usr/lib/vouch/libvouch-preload.so \
	/lib/systemd/system/vouchfs@.service /lib/systemd/system/vouchd.service \
	/usr/share/man/man1/vouch.1.gz /usr/share/man/man5/vouch.conf.5.gz \
	/usr/share/bash-completion/completions/vouch /usr/share/bash-completion/completions/vouchfs \
	/usr/share/vouch/vouch-preload.conf /etc/vouch/vouch.conf; do
	check "installed: $f" [ -e "$f" ]
done
check "vouch.conf is a conffile" sh -c 'dpkg-query -W -f="\${Conffiles}" vouch | grep -q "^ /etc/vouch/vouch.conf "'
check "vouch --version names the package version" sh -c 'vouch --version | grep -qF "$(cat /share/version)"'
echo "postinst made: /etc/vouch/trust: $(mode_of /etc/vouch/trust); /var/lib/vouch: $(mode_of /var/lib/vouch)"
check "postinst made /etc/vouch/trust 0755 root:root" [ "$(mode_of /etc/vouch/trust)" = "755 root root directory" ]
check "postinst made /var/lib/vouch 0755 root:root" [ "$(mode_of /var/lib/vouch)" = "755 root root directory" ]
check "the units name /usr/bin, not /usr/local" sh -c \
	'grep -q "^ExecStart=/usr/bin/vouchfs " /lib/systemd/system/vouchfs@.service && ! grep -rq /usr/local /lib/systemd/system/vouch*'
systemd-analyze verify --man=no "$SVC" >/tmp/verify.out 2>&1; rc=$?      # (no man in the image)
cat /tmp/verify.out
check "systemd-analyze verify $SVC" [ "$rc" -eq 0 ]

section "installing started and enabled nothing"
systemctl list-units --all --no-pager 'vouch*' 2>&1
check "no vouch unit active, no vouch daemon running" none_active
for u in vouchd.service vouchd.socket vouch-metrics.service vouch-scan.timer; do
	check "$u is disabled" [ "$(systemctl is-enabled "$u" 2>&1)" = disabled ]
done
check "nothing mounted on $M" [ "$(fuse_layers)" -eq 0 ]

section "configure and enable vouchfs@srv-models.service"
vouch trust add /share/K.pub; rc=$?
check "vouch trust add (the packaged config's trust directory)" [ "$rc" -eq 0 ]
mkdir -p "$M"
cp -a /share/models/. "$M/"
chown -R root:root "$M"; chmod -R go-w,a+rX "$M"
check "vouch verify demo with the packaged config" vouch verify "$M/demo"
systemctl enable --now "$SVC" >/tmp/enable.out 2>&1; rc=$?
cat /tmp/enable.out
check "systemctl enable --now $SVC" [ "$rc" -eq 0 ]
check "$SVC is active" systemctl -q is-active "$SVC"
check "$SVC is enabled" [ "$(systemctl is-enabled "$SVC")" = enabled ]
check "vouchfs is mounted on $M" [ "$(fuse_layers)" -ge 1 ]

section "reading models through it"
sum=$(sha256sum <"$M/demo/model.bin" | cut -d' ' -f1)
check "the signed model reads, with its signed bytes" [ "$sum" = "$good_sum" ]
sum=$(setpriv --reuid=nobody --regid=nogroup --clear-groups sha256sum <"$M/demo/model.bin" 2>/dev/null | cut -d' ' -f1)
check "... also for user nobody" [ "$sum" = "$good_sum" ]
cat "$M/bad/model.bin" >/tmp/bad.out 2>/tmp/bad.err; rc=$?
echo "tampered: rc=$rc $(cat /tmp/bad.err)"
check "the tampered model is refused" [ "$rc" -ne 0 ]
check "... with EACCES" grep -q "Permission denied" /tmp/bad.err
check "... and none of its bytes came through" [ "$(sha256sum </tmp/bad.out | cut -d' ' -f1)" != "$bad_sum" ]
sleep 0.5
journalctl -t vouch --no-pager -o cat >/tmp/j.txt 2>&1
grep -F "$M/bad/model.bin" /tmp/j.txt | tail -n 1
check "the alert is in the journal (deny, hash-mismatch, path)" sh -c \
	"grep -F 'path=$M/bad/model.bin ' /tmp/j.txt | grep -F decision=deny | grep -qF cause=hash-mismatch"
# The journald recipe of docs/recipes.md: what a SIEM's journald input or
# `journalctl -o json` forwarder gets.
journalctl -t vouch -p alert -o json --no-pager >/tmp/j.json 2>&1
grep -F "$M/bad/model.bin" /tmp/j.json | tail -n 1
check "journalctl -t vouch -p alert -o json: the deny with PRIORITY 1, SYSLOG_FACILITY 10 (authpriv)" sh -c \
	"grep -F 'path=$M/bad/model.bin ' /tmp/j.json | grep -F '\"PRIORITY\":\"1\"' | grep -F '\"SYSLOG_FACILITY\":\"10\"' | grep -qF '\"SYSLOG_IDENTIFIER\":\"vouch\"'"
journalctl -t vouch -p info -o cat --no-pager | grep -F "path=$M/demo/model.bin " | head -n 1 >/tmp/ja.txt
cat /tmp/ja.txt
check "the allow (decision=allow cause=ok) is in the journal at info" grep -q 'decision=allow cause=ok' /tmp/ja.txt
vouch status >/tmp/status.out 2>&1; rc=$?
cat /tmp/status.out
check "vouch status: every configured root protected (exit 0)" [ "$rc" -eq 0 ]

section "reinstall (an upgrade): the admin's config kept, the running mount untouched"
echo "# edited by the admin" >>/etc/vouch/vouch.conf
pid=$(main_pid)
dpkg -i /share/vouch.deb >/tmp/dpkg2.out 2>&1; rc=$?
cat /tmp/dpkg2.out
check "dpkg -i again succeeds" [ "$rc" -eq 0 ]
check "the edited conffile is kept" grep -q '^# edited by the admin' /etc/vouch/vouch.conf
check "vouchfs was not restarted (MainPID $pid)" [ "$(main_pid)" = "$pid" ]
check "the key added is kept" sh -c 'ls /etc/vouch/trust/*.pem >/dev/null 2>&1'
sum=$(sha256sum <"$M/demo/model.bin" | cut -d' ' -f1)
check "the signed model still reads" [ "$sum" = "$good_sum" ]

section "dpkg -r: every vouch unit stopped, the mount removed cleanly"
dpkg -r vouch >/tmp/dpkg3.out 2>&1; rc=$?
cat /tmp/dpkg3.out
check "dpkg -r succeeds" [ "$rc" -eq 0 ]
check "$SVC stopped" sh -c "! systemctl -q is-active $SVC"
check "no fuse mount left on $M" [ "$(fuse_layers)" -eq 0 ]
check "no vouch daemon running" sh -c '! pgrep -x "vouchd|vouchfs" >/dev/null'
check "the binaries are gone" [ ! -e /usr/bin/vouchfs ]
check "the conffile stays until purge" [ -e /etc/vouch/vouch.conf ]

section "dpkg --purge"
dpkg --purge vouch >/tmp/dpkg4.out 2>&1; rc=$?
cat /tmp/dpkg4.out
check "dpkg --purge succeeds" [ "$rc" -eq 0 ]
check "vouch.conf removed" [ ! -e /etc/vouch/vouch.conf ]
check "/var/lib/vouch removed" [ ! -e /var/lib/vouch ]
check "the admin's key in /etc/vouch/trust is kept" sh -c 'ls /etc/vouch/trust/*.pem >/dev/null 2>&1'
check "no dangling vouchfs@ enable link" sh -c \
	'! find /etc/systemd/system -name "vouchfs@*.service" -type l | grep -q .'

echo
echo "guest checks failed: $fails"
[ "$fails" -gt 100 ] && fails=100
exit "$fails"
