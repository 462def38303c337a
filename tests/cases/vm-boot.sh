#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The real-systemd VM harness works: the cached Debian image (tests/vm/
# image.sh, built on first use, ~2-3 min cold) boots under qemu TCG, systemd
# reaches running/degraded, /dev/fuse exists, and the guest's exit code and
# output come back through the 9p share.  The vm-* cases build on this.
. "$VOUCH_SRC/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, qemu virtfs)"
for t in qemu-system-x86_64 qemu-img debootstrap mkfs.ext4; do
	command -v "$t" >/dev/null 2>&1 || fail "missing $t: run 'make deps'"
done

share=$TMPDIR/share
mkdir -p "$share"
cat >"$share/run.sh" <<'EOF'
set -u
echo "pid1: $(cat /proc/1/comm)"
[ "$(cat /proc/1/comm)" = systemd ] || { echo "PID 1 is not systemd"; exit 10; }
st=$(systemctl is-system-running --wait)
echo "system state: $st"
case $st in
running|degraded) ;;
*) systemctl --failed --no-pager; exit 11 ;;
esac
[ "$st" = running ] || systemctl --failed --no-pager
[ -c /dev/fuse ] || { echo "no /dev/fuse"; exit 12; }
ls -l /dev/fuse
systemd-analyze --version | head -n 1 | grep '^systemd ' || { echo "systemd-analyze --version failed"; exit 13; }
systemd-analyze time --no-pager || true
echo guest-ok
EOF

t0=$(date +%s)
sh "$VOUCH_SRC/tests/vm/run.sh" "$share" 600 >"$TMPDIR/vm.out" 2>&1
rc=$?
t1=$(date +%s)
cat "$TMPDIR/vm.out"
[ "$rc" -eq 0 ] || fail "VM run exited $rc"
grep -q '^guest-ok$' "$share/output.txt" || fail "guest script did not finish"
ok "systemd booted, /dev/fuse present, systemd-analyze works ($((t1 - t0))s incl. image check)"
