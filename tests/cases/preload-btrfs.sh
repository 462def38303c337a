#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-btrfs: files in a btrfs subvolume below a protected root report the
# subvolume's own device number, not the root's; the shim must still see
# them as protected (directly, and through a bind mount of the subvolume
# that lives outside the root).  Loop-mounted image in a private namespace.
if [ -z "${PRELOAD_BTRFS_NS:-}" ]; then
	PRELOAD_BTRFS_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
command -v mkfs.btrfs >/dev/null || skip "mkfs.btrfs missing (apt-get install btrfs-progs)"
grep -qw btrfs /proc/filesystems || skip "kernel has no btrfs"
syslog_start
pl_setup
BTR=$TMPDIR/btr
truncate -s 160M "$TMPDIR/btr.img"
mkfs.btrfs -q "$TMPDIR/btr.img" >/dev/null 2>&1 || fail "mkfs.btrfs"
mkdir -p "$BTR" "$TMPDIR/elsewhere"
# The namespace's mounts die with it; autoclear frees the loop device then.
mount -o loop "$TMPDIR/btr.img" "$BTR" || fail "mount btrfs image"
btrfs -q subvolume create "$BTR/vol" >/dev/null || fail "btrfs subvolume create"
mkmodel "$BTR/vol/b"
pl_sign "$BTR/vol/b"
[ "$(stat -c %d "$BTR/vol/b/model.bin")" != "$(stat -c %d "$BTR")" ] ||
	fail "subvolume and root report the same device: the case is not exercised"
pl_conf enforce "$PROT:$BTR"
mount --bind "$BTR/vol" "$TMPDIR/elsewhere" || fail "bind subvolume"
try_ok open "$BTR/vol/b/model.bin"
try_ok open "$TMPDIR/elsewhere/b/model.bin"
flip_byte "$BTR/vol/b/model.bin" 99
try_denied open "$BTR/vol/b/model.bin"
try_denied open "$TMPDIR/elsewhere/b/model.bin"
syslog_wait "decision=deny cause=hash-mismatch .*path=$BTR/vol/b/model.bin "
ok "btrfs subvolume, directly and through a bind mount"
