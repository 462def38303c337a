#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# systemd/vouchd.service under a real systemd (a qemu TCG VM, tests/vm/,
# Debian's kernel 6.1): start (Type=notify) on an ext4 model filesystem,
# good and tampered reads (dynamic and static readers), kill -9 of the worker
# in the middle of a hash (0 tampered reads, the pending open re-dispatched),
# kill -9 of the broker (the fanotify group waits in systemd's fd store:
# 0 tampered reads, the open in flight denied; the restart window is printed), reload, and --disarm
# (logged at alert, not restarted).  The checks run in the guest:
# tests/vm/guest-vouchd-unit.sh.
. "$VOUCH_SRC/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, qemu virtfs)"
for t in qemu-system-x86_64 qemu-img debootstrap mkfs.ext4; do
	command -v "$t" >/dev/null 2>&1 || fail "missing $t: run 'make deps'"
done
VOUCHD=$VOUCH_BUILD/bin/vouchd
for f in "$VOUCH" "$VOUCHD" "$VOUCH_SRC/systemd/vouchd.service" "$VOUCH_SRC/systemd/vouchd.socket"; do
	[ -e "$f" ] || fail "$f missing (run make)"
done

share=$TMPDIR/share
mkdir -p "$share/bin" "$share/models"
cp "$VOUCH" "$VOUCHD" "$share/bin/"
cp "$VOUCH_SRC/systemd/vouchd.service" "$VOUCH_SRC/systemd/vouchd.socket" "$share/"
cp "$VOUCH_SRC/tests/vm/guest-vouchd-unit.sh" "$share/run.sh"
printf '#include <stdio.h>\nint main(int c,char**v){FILE*f=fopen(v[1],"rb");char b[65536];if(!f)return 1;while(fread(b,1,sizeof b,f)>0);return ferror(f)?1:0;}\n' \
	>"$TMPDIR/static-cat.c"
cc -static -O1 -o "$share/bin/static-cat" "$TMPDIR/static-cat.c" || fail "cannot build a static reader"

newkey K
cp "$TMPDIR/K.pub" "$share/"
m=$share/models
mkdir -p "$m/demo"
head -c 1048576 /dev/urandom >"$m/demo/model.bin"
printf '{"hidden": 16}\n' >"$m/demo/config.json"
cp -a "$m/demo" "$m/bad"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/K.key" "$m/demo"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/K.key" "$m/bad"
flip_byte "$m/bad/model.bin" 4096
# Large enough that its hash under TCG takes seconds: the kills land in it.
head -c 268435456 /dev/urandom >"$m/big.bin"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/K.key" "$m/big.bin"
head -c 268435456 /dev/urandom >"$m/big2.bin"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/K.key" "$m/big2.bin"
sha256sum <"$m/big2.bin" | cut -d' ' -f1 >"$m/big2.sum"
chmod -R a+rX "$share"

t0=$(date +%s)
sh "$VOUCH_SRC/tests/vm/run.sh" "$share" 900 >"$TMPDIR/vm.out" 2>&1
rc=$?
t1=$(date +%s)
cat "$TMPDIR/vm.out"
grep '^WINDOW:' "$share/output.txt" 2>/dev/null
echo "VM run $((t1 - t0))s"
if [ "$rc" -ne 0 ]; then
	echo "--- failed checks ---"
	grep '^FAIL:' "$share/output.txt" 2>/dev/null
	fail "VM run exited $rc (guest: number of failed checks; 124 timeout, 125 no report)"
fi
ok "vouchd.service under systemd: all guest checks passed"
