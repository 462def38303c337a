#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/vm/image.sh - build (once) and cache a bootable Debian bookworm image
# with a real systemd, for tests that need PID 1 to be systemd (the
# vouchfs@.service unit).  Prints the image directory on stdout:
#
#   /var/cache/vouch-vm/<key>/{base.ext4,vmlinuz,initrd.img,build-seconds}
#
# <key> is a hash of the package list and of this script, so editing either
# (e.g. a new runtime library for vouch) builds a new image; older images
# are pruned after a successful build.  Concurrent callers serialise on a
# lock, the image is built in a temporary directory and renamed into place,
# so a half-built image is never seen.
#
# The image boots (tests/vm/run.sh) straight into multi-user.target, where
# the enabled unit vouch-vm-run.service mounts the 9p share "hostshare" at
# /share, runs /share/run.sh with its output in /share/output.txt, writes
# the journal to /share/journal.txt, its exit code to /share/rc, and powers
# the machine off.
#
# Environment:
#   VOUCH_VM_CACHE   cache directory (default /var/cache/vouch-vm)
#   VOUCH_VM_MIRROR  Debian mirror (default: the one the host's apt uses)
#
# Needs root, debootstrap and e2fsprogs (mkfs.ext4 -d).  Exit 0 with the
# path on stdout, else non-zero with the reason on stderr.
set -eu

# What the guest needs: a real systemd, FUSE 3, the kernel, the tools the
# in-VM checks use (coreutils, sh, dd, cmp from diffutils are in minbase),
# and vouch's runtime libraries (keep in step with the Makefile's link
# libraries: a missing one shows as "error while loading shared libraries"
# in the guest's output).
PKGS="systemd systemd-sysv dbus udev kmod fuse3 linux-image-amd64 initramfs-tools
procps iproute2 util-linux
libsodium23 libssl3 libjansson4 libinih1 libfuse3-3 libsystemd0"
SUITE=bookworm

CACHE=${VOUCH_VM_CACHE:-/var/cache/vouch-vm}
SELF=$(readlink -f "$0")
KEY=$( { printf '%s\n' $PKGS "$SUITE"; cat "$SELF"; } | sha256sum | cut -c1-16)
OUT=$CACHE/$KEY

say() { echo "vm-image: $*" >&2; }

if [ -f "$OUT/ok" ]; then echo "$OUT"; exit 0; fi

[ "$(id -u)" = 0 ] || { say "needs root"; exit 1; }
for t in debootstrap mkfs.ext4 flock chroot; do
	command -v "$t" >/dev/null 2>&1 || { say "missing $t (make deps)"; exit 1; }
done

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
# Someone else may have built it while we waited.
if [ -f "$OUT/ok" ]; then echo "$OUT"; exit 0; fi

# Unmount whatever a build (ours, or debootstrap's own proc/sys/devpts)
# left mounted under DIR, deepest first.
umount_under() {
	awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# Leftovers of a build that was killed (we hold the lock, so nobody else
# is building): unmount, then remove without crossing file systems.
for d in "$CACHE"/.build.*; do
	[ -d "$d" ] || continue
	umount_under "$d"
	rm -rf --one-file-system "$d"
done

# The mirror the host's apt uses (deb822 .sources or one-line lists), and
# its proxy if apt has one.
mirror=${VOUCH_VM_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "'$SUITE'" && u != "") { print u; exit } }')
fi
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { u = $i; if ($(i + 1) == "'$SUITE'") { print u; exit } } }')
fi
mirror=${mirror:-http://deb.debian.org/debian}
proxy=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -n 1)
if [ -n "$proxy" ] && [ -z "${http_proxy:-}" ]; then export http_proxy="$proxy"; fi

start=$(date +%s)
tmp=$(mktemp -d "$CACHE/.build.XXXXXX")
chmod 0755 "$tmp"
root=$tmp/root
cleanup() {
	umount_under "$tmp"
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building $OUT from $mirror (log: $tmp/debootstrap.log) ..."
mkdir -p "$CACHE/debs"
include=$(printf '%s\n' $PKGS | paste -sd, -)
if ! debootstrap --variant=minbase --include="$include" --cache-dir="$CACHE/debs" \
	"$SUITE" "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
	tail -n 30 "$tmp/debootstrap.log" >&2
	[ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
	say "debootstrap failed (mirror $mirror; set VOUCH_VM_MIRROR to the mirror or proxy apt uses)"
	exit 1
fi

# --- configure the guest -------------------------------------------------
echo vouch-vm >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 vouch-vm\n' >"$root/etc/hosts"
printf '/dev/vda / ext4 rw 0 0\n' >"$root/etc/fstab"
: >"$root/etc/machine-id"          # systemd makes a fresh one at each boot
chroot "$root" passwd -d root >/dev/null

# Boot time under TCG: nothing reads the serial line, timers that could wake
# during a test stay off, the journal stays in memory (no flush to disk),
# and udev does not load drivers for emulated hardware nobody uses (kvm on
# "-cpu max" alone costs seconds).
for u in serial-getty@ttyS0.service getty@tty1.service apt-daily.timer \
	apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
	e2scrub_reap.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/vouch-vm.conf"
for m in kvm kvm_amd kvm_intel pcspkr floppy ata_piix pata_acpi ata_generic \
	i2c_piix4 psmouse serio_raw joydev evdev sr_mod sg intel_rapl_msr \
	intel_rapl_common qemu_fw_cfg; do
	echo "blacklist $m"
done >"$root/etc/modprobe.d/vouch-vm.conf"

cat >"$root/usr/local/sbin/vouch-vm-run" <<'EOF'
#!/bin/sh
# Run /share/run.sh once, report its exit code in /share/rc, power off.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mkdir -p /share
if ! mountpoint -q /share &&
   ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 hostshare /share; then
	echo "vouch-vm: cannot mount the 9p share hostshare" >/dev/console
	systemctl poweroff --no-block
	exit 1
fi
cd /share
if [ -f /share/run.sh ]; then
	sh /share/run.sh >/share/output.txt 2>&1 </dev/null
	rc=$?
else
	echo "vouch-vm: no /share/run.sh" >/share/output.txt
	rc=126
fi
echo "vouch-vm: run.sh exited $rc" >/dev/console
journalctl -b --no-pager -o short-monotonic >/share/journal.txt 2>&1
echo "$rc" >/share/rc.tmp && mv /share/rc.tmp /share/rc
sync
systemctl poweroff --no-block
EOF
chmod 0755 "$root/usr/local/sbin/vouch-vm-run"

# Type=simple, not oneshot: a oneshot start job keeps the system "starting"
# until it ends, so a run.sh waiting for `systemctl is-system-running --wait`
# would wait for itself.  It still runs exactly once per boot.
cat >"$root/etc/systemd/system/vouch-vm-run.service" <<'EOF'
[Unit]
Description=Run /share/run.sh from the host, then power off
After=multi-user.target
DefaultDependencies=yes

[Service]
Type=simple
ExecStart=/usr/local/sbin/vouch-vm-run
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/vouch-vm-run.service \
	"$root/etc/systemd/system/multi-user.target.wants/vouch-vm-run.service"

# A small initrd (virtio disk + ext4 only) unpacks much faster under TCG
# than Debian's MODULES=most default; the root file system has every module.
mkdir -p "$root/etc/initramfs-tools/conf.d"
echo 'MODULES=list' >"$root/etc/initramfs-tools/conf.d/vouch-vm.conf"
printf '%s\n' virtio_pci virtio_blk ext4 >>"$root/etc/initramfs-tools/modules"

# Drop what a headless VM never loads, to shrink the image.
for m in "$root"/lib/modules/*; do
	[ -d "$m/kernel" ] || continue
	for d in drivers/gpu drivers/media drivers/net/wireless drivers/infiniband \
		drivers/staging drivers/bluetooth drivers/iio drivers/isdn sound \
		net/wireless net/bluetooth net/mac80211; do
		rm -rf "$m/kernel/$d"
	done
	chroot "$root" depmod -a "$(basename "$m")"
done
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
	"$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

mount -t proc proc "$root/proc"
chroot "$root" update-initramfs -u -k all >"$tmp/initramfs.log" 2>&1 ||
	{ cat "$tmp/initramfs.log" >&2; say "update-initramfs failed"; exit 1; }
umount "$root/proc"

cp -L "$root/vmlinuz" "$tmp/vmlinuz"
cp -L "$root/initrd.img" "$tmp/initrd.img"
mkfs.ext4 -q -L vouch-vm -d "$root" "$tmp/base.ext4" 2G >/dev/null
rm -rf --one-file-system "$root"
secs=$(( $(date +%s) - start ))
echo "$secs" >"$tmp/build-seconds"
printf '%s\n' $PKGS >"$tmp/packages"
touch "$tmp/ok"
mv -T "$tmp" "$OUT"
trap - EXIT

# Older images (another package list or script version) are no longer used.
for d in "$CACHE"/*/; do
	d=${d%/}
	[ "$d" = "$OUT" ] || [ ! -f "$d/ok" ] || rm -rf --one-file-system "$d"
done
say "built $OUT in ${secs}s"
echo "$OUT"
