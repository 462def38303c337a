#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/vm/run.sh SHARE_DIR [TIMEOUT_SECONDS]
#
# Boot the cached Debian image (tests/vm/image.sh, built on first use) under
# a real systemd with qemu TCG, on a throwaway qcow2 overlay, with SHARE_DIR
# shared into the guest at /share (9p, read-write).  The guest runs
# SHARE_DIR/run.sh as root once the system is up (output in
# SHARE_DIR/output.txt, journal in SHARE_DIR/journal.txt) and powers off.
#
# Prints the guest's output; on failure also the serial console log.
# Exit: the guest script's exit code, or
#   124  the VM did not power off within TIMEOUT_SECONDS (default 300; qemu killed)
#   125  the VM stopped without reporting an exit code (boot failure, panic)
#   3    this script could not start (no image, no qemu, bad arguments)
# run.sh's own 124/125 are indistinguishable from these: use other codes in guests.
set -u
here=$(cd "$(dirname "$0")" && pwd)
share=${1:-}
limit=${2:-300}
[ -n "$share" ] && [ -d "$share" ] || { echo "usage: $0 SHARE_DIR [TIMEOUT_SECONDS]" >&2; exit 3; }
[ -f "$share/run.sh" ] || { echo "vm-run: $share/run.sh missing" >&2; exit 3; }
share=$(cd "$share" && pwd)
for t in qemu-system-x86_64 qemu-img; do
	command -v "$t" >/dev/null 2>&1 || { echo "vm-run: missing $t (make deps)" >&2; exit 3; }
done

img=$(sh "$here/image.sh") || { echo "vm-run: no image" >&2; exit 3; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vouch-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
rm -f "$share/rc" "$share/rc.tmp" "$share/output.txt" "$share/journal.txt"

qemu-img create -q -f qcow2 -F raw -b "$img/base.ext4" "$work/ovl.qcow2" ||
	{ echo "vm-run: qemu-img failed" >&2; exit 3; }

start=$(date +%s)
# /dev/kvm here is a paravirtual KVM a stock Debian kernel hangs on: TCG only.
# panic=-1: a guest kernel panic reboots at once, and -no-reboot turns that into exit.
timeout -s KILL "$limit" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m 1024 \
	-nodefaults -nographic -no-reboot -nic none \
	-serial "file:$work/console.log" \
	-kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0 quiet panic=-1 mitigations=off" \
	-drive "file=$work/ovl.qcow2,if=virtio,format=qcow2,cache=unsafe" \
	-virtfs "local,path=$share,mount_tag=hostshare,security_model=none,id=hs" \
	</dev/null >"$work/qemu.log" 2>&1
qrc=$?
secs=$(( $(date +%s) - start ))

if [ -f "$share/output.txt" ]; then
	echo "--- guest output (run.sh) ---"
	cat "$share/output.txt"
	echo "--- end of guest output ---"
fi
if [ "$qrc" -eq 137 ]; then
	rc=124; why="timed out after ${limit}s, qemu killed"
elif [ -f "$share/rc" ]; then
	rc=$(cat "$share/rc"); why="run.sh exited $rc"
else
	rc=125; why="the VM stopped (qemu exit $qrc) without reporting an exit code"
fi
echo "vm-run: $why; boot+run+poweroff ${secs}s"
if [ "$rc" -ne 0 ]; then
	echo "--- qemu ---"; cat "$work/qemu.log"
	echo "--- serial console ---"; cat "$work/console.log"
	echo "--- end of console ---"
fi
cp "$work/console.log" "$share/console.log" 2>/dev/null
exit "$rc"
