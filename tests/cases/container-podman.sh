#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# container-podman: a container's model volume protected by vouchfs.
#
# Debian's podman runs a container from an image imported from a minimal
# Debian root file system (debootstrap --variant=minbase, built once and
# cached under /var/cache/vouch-container; no registry).  A vouchfs mount on
# the host is bind-mounted into it; the loader inside the container (python3
# if the image has it; minbase has none, so `cat`, piped into sha256sum)
# reads the good model byte for byte and gets EACCES ("Permission denied")
# for a tampered one.
#
# Mount propagation: the container binds the *parent* of the vouchfs mount
# point (VOL, with vouchfs on VOL/models), and VOL is a shared mount (on a
# systemd host "/" already is; here PID 1 is not systemd and nothing is
# shared, so the case makes it so, as kubelet does for Bidirectional
# volumes).  Four containers: VOL `rslave`, VOL `rshared`, VOL `rprivate`,
# and the mount point VOL/models itself `rslave`.  vouchfs is stopped and
# mounted again while they run: the first two lose the mount with the host
# (the empty mount point: ENOENT, never the unverified source) and are served
# by the new one at once; the other two keep the dead FUSE mount (ENOTCONN: fails closed,
# serves nothing) until they are restarted -- a bind of the mount point
# copies the FUSE mount alone, whose parent is not in the host's peer group,
# so neither the unmount nor the new mount reaches it.
#
# What this machine needs (docs/containers.md): the runtime is runc, because
# crun 1.8.1 refuses cgroup v1 with a cgroup2 hierarchy that has a controller
# (here hugetlb in /sys/fs/cgroup/unified): "cgroups in hybrid mode not
# supported"; the case tries crun first and prints its error.  Without
# CAP_SYS_RESOURCE the container's rlimits must not exceed podman's own,
# hence the explicit --ulimit values.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"

command -v podman >/dev/null 2>&1 || skip "podman is not installed (make deps installs it)"
command -v debootstrap >/dev/null 2>&1 || skip "debootstrap is not installed (make deps)"

# --- the image: a minbase root file system, built once -------------------
SUITE=bookworm
CACHE=${VOUCH_CONTAINER_CACHE:-/var/cache/vouch-container}
KEY=$(printf '%s minbase v1\n' "$SUITE" | sha256sum | cut -c1-12)
TAR=$CACHE/$KEY/rootfs.tar
IMG=localhost/vouch-test-debian:$KEY
mkdir -p "$CACHE"
(
	flock 9
	[ -f "$TAR" ] && exit 0
	mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "'$SUITE'" && u != "") { print u; exit } }')
	mirror=${VOUCH_VM_MIRROR:-${mirror:-http://deb.debian.org/debian}}
	proxy=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -n 1)
	[ -n "$proxy" ] && [ -z "${http_proxy:-}" ] && export http_proxy="$proxy"
	b=$(mktemp -d "$CACHE/.build.XXXXXX")
	# The .debs are shared with tests/vm's image cache: no second download.
	mkdir -p /var/cache/vouch-vm/debs
	if ! debootstrap --variant=minbase --cache-dir=/var/cache/vouch-vm/debs \
		"$SUITE" "$b/root" "$mirror" >"$b/log" 2>&1; then
		tail -n 20 "$b/log" >&2; rm -rf --one-file-system "$b"; exit 1
	fi
	rm -rf "$b/root/var/cache/apt/archives/"*.deb "$b/root/var/lib/apt/lists/"*
	tar -C "$b/root" --numeric-owner -cf "$b/rootfs.tar" . || { rm -rf --one-file-system "$b"; exit 1; }
	mkdir -p "$CACHE/$KEY" && mv "$b/rootfs.tar" "$TAR"
	rm -rf --one-file-system "$b"
) 9>"$CACHE/.lock" || fail "debootstrap of the container root file system failed (mirror, see above)"
podman image exists "$IMG" || podman import "$TAR" "$IMG" >/dev/null 2>&1 || fail "podman import $TAR"
ok "image $IMG from a debootstrap minbase tarball (podman import, no registry)"

# --- how podman runs here ----------------------------------------------------
# rlimits: podman asks 1048576 open files and lowers its own RLIMIT_NPROC to
# 32768 before it starts the runtime; without CAP_SYS_RESOURCE nothing may
# be raised back, so ask for at most what the host and podman have.
hard() { awk -v l="$1" -v m="$2" 'index($0, l) == 1 { v = $(NF - 1)
	print (v == "unlimited" || v + 0 > m) ? m : v }' /proc/self/limits; }
hn=$(hard "Max open files" 1048576)
hu=$(hard "Max processes" 32768)
RUNOPTS="--network=none --ulimit nofile=$hn:$hn --ulimit nproc=$hu:$hu"
RUNTIME=""
if out=$(podman run --rm $RUNOPTS "$IMG" true 2>&1); then
	RUNTIME=$(podman info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null)
else
	echo "default runtime failed: $out"
	command -v runc >/dev/null 2>&1 || fail "podman cannot run a container (above) and runc is not installed"
	out=$(podman --runtime runc run --rm $RUNOPTS "$IMG" true 2>&1) ||
		fail "podman with runc cannot run a container either: $out"
	RUNTIME=runc
fi
P="podman --runtime $RUNTIME"
echo "runtime: $RUNTIME ($($RUNTIME --version 2>/dev/null | head -n 1)); cgroup manager:" \
	"$(podman info --format '{{.Host.CgroupManager}} {{.Host.CgroupsVersion}}' 2>/dev/null)"

# --- the protected root, shared so that mounts propagate ------------------
SRC=$TMPDIR/src; VOL=$TMPDIR/vol; MODELS=$VOL/models
mkdir -p "$SRC" "$VOL"
fs_model "$SRC/m"
mkdir "$SRC/t"; cp -r "$SRC/m/." "$SRC/t/"; flip_byte "$SRC/t/model.bin" 1000
mount --bind "$VOL" "$VOL" && mount --make-shared "$VOL" || fail "make $VOL a shared mount"
mkdir -p "$MODELS"
CTS=""
cleanup() {
	for c in $CTS; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	fs_cleanup
	umount -l "$VOL" 2>/dev/null
}
trap cleanup EXIT
fs_mount "$SRC" "$MODELS" --trust "$TMPDIR/trust"

SL=vouch-ct-rslave-$$; SH=vouch-ct-rshared-$$; PR=vouch-ct-private-$$; MP=vouch-ct-mountpoint-$$
CTS="$SL $SH $PR $MP"
$P run -d --name "$SL" $RUNOPTS -v "$VOL:/vol:ro,rslave" "$IMG" sleep 600 >/dev/null ||
	fail "podman run (rslave bind of the parent)"
$P run -d --name "$SH" $RUNOPTS -v "$VOL:/vol:ro,rshared" "$IMG" sleep 600 >/dev/null ||
	fail "podman run (rshared bind of the parent)"
$P run -d --name "$PR" $RUNOPTS -v "$VOL:/vol:ro,rprivate" "$IMG" sleep 600 >/dev/null ||
	fail "podman run (private bind of the parent)"
$P run -d --name "$MP" $RUNOPTS -v "$MODELS:/vol/models:ro,rslave" "$IMG" sleep 600 >/dev/null ||
	fail "podman run (rslave bind of the mount point)"

# load CONTAINER PATH: the loader inside the container; prints the sha256 of
# what it read, or the error it got.
if $P exec "$SL" test -x /usr/bin/python3; then
	LOADER=python3
	load() {
		$P exec "$1" python3 -c '
import errno, hashlib, sys
try:
    print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))' "$2" 2>&1
	}
	EACCES=EACCES; ENOTCONN=ENOTCONN; ENOENT=ENOENT
else
	LOADER=cat
	load() {
		$P exec "$1" sh -c 'out=$(cat "$1" 2>&1 >/dev/null) || { echo "$out"; exit 0; }
			cat "$1" | sha256sum | cut -d" " -f1' sh "$2" 2>&1
	}
	EACCES="Permission denied"; ENOTCONN="Transport endpoint is not connected"
	ENOENT="No such file or directory"
fi
echo "loader inside the container: $LOADER"
GOOD=$(sha256sum "$SRC/m/model.bin" | cut -d' ' -f1)

check() { # CONTAINER PATH WANT WHAT
	got=$(load "$1" "$2")
	case $got in *"$3"*) ;; *) fail "$4: $1 $2 gave '$got', wanted '$3'" ;; esac
}
for c in $CTS; do
	check "$c" /vol/models/m/model.bin "$GOOD" "good model"
	check "$c" /vol/models/t/model.bin "$EACCES" "tampered model"
	check "$c" /vol/models/t/config.json "$(sha256sum "$SRC/t/config.json" | cut -d' ' -f1)" "intact file"
done
$P exec "$SL" sh -c 'echo x >/vol/models/m/new' 2>/dev/null && fail "container wrote into the mount"
ok "in all four containers ($LOADER): the good model's bytes, EACCES for the tampered one, no writes"

# --- vouchfs restart on the host while the containers run ------------------
t0=$(date +%s.%N)
fs_stop "$FS_PID" "$MODELS"
for c in "$SL" "$SH"; do
	check "$c" /vol/models/m/model.bin "$ENOENT" "parent rslave/rshared, vouchfs stopped"
	[ -z "$($P exec "$c" ls -A /vol/models)" ] || fail "$c sees something but the empty mount point"
done
check "$PR" /vol/models/m/model.bin "$ENOTCONN" "parent private, vouchfs stopped"
check "$MP" /vol/models/m/model.bin "$ENOTCONN" "mount point rslave, vouchfs stopped"
ok "vouchfs stopped: parent rslave and rshared see the empty mount point (ENOENT); parent private and mount point rslave keep the dead mount (ENOTCONN)"

fs_mount "$SRC" "$MODELS" --trust "$TMPDIR/trust"
check "$SL" /vol/models/m/model.bin "$GOOD" "parent rslave, after the restart"
t1=$(date +%s.%N)
check "$SL" /vol/models/t/model.bin "$EACCES" "parent rslave, tampered after the restart"
check "$SH" /vol/models/m/model.bin "$GOOD" "parent rshared, after the restart"
check "$SH" /vol/models/t/model.bin "$EACCES" "parent rshared, tampered after the restart"
check "$PR" /vol/models/m/model.bin "$ENOTCONN" "parent private, after the restart"
check "$MP" /vol/models/m/model.bin "$ENOTCONN" "mount point rslave, after the restart"
ok "vouchfs mounted again: the running parent-rslave and -rshared containers are served by the new mount" \
	"(stop to served again $(echo "$t1 - $t0" | bc 2>/dev/null || echo '?') s); the other two still fail closed"

$P restart -t 0 "$PR" "$MP" >/dev/null || fail "podman restart"
for c in "$PR" "$MP"; do
	check "$c" /vol/models/m/model.bin "$GOOD" "$c after the container restart"
	check "$c" /vol/models/t/model.bin "$EACCES" "$c, tampered after the container restart"
done
ok "the private and mount-point containers are served again only after their own restart"

# A crash: the dead FUSE mount stays (ENOTCONN everywhere, fails closed); a new
# vouchfs stacks on it (docs/vouchfs.md) and that mount reaches the rslave
# container too.
kill -9 "$FS_PID"; wait "$FS_PID" 2>/dev/null
check "$SL" /vol/models/m/model.bin "$ENOTCONN" "parent rslave, vouchfs killed"
fs_mount "$SRC" "$MODELS" --trust "$TMPDIR/trust"
check "$SL" /vol/models/m/model.bin "$GOOD" "parent rslave, vouchfs stacked on the dead mount"
check "$SL" /vol/models/t/model.bin "$EACCES" "parent rslave, tampered, stacked"
ok "vouchfs killed (-9): ENOTCONN in the container; a new vouchfs stacked on the dead mount serves it at once"
