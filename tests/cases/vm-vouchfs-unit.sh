#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# systemd/vouchfs@.service under a real systemd (a qemu TCG VM, see
# tests/vm/): start (Type=notify) mounts vouchfs over /srv/models for every
# reader, a good file reads, a tampered one gets EACCES with an alert in the
# journal, reload picks up a new trusted key without unmounting, kill -9 of
# the daemon fails closed (ENOTCONN, never the raw bytes) until systemd
# restarts it, stop removes every layer; vouch-scan.service runs in its
# sandbox (exit 1, the tampered model in the journal at err) and
# vouch-scan.timer is enabled with a next run.  Prints systemd-analyze security's
# exposure score.  The checks themselves run in the guest:
# tests/vm/guest-vouchfs-unit.sh.
. "$VOUCH_SRC/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, qemu virtfs)"
for t in qemu-system-x86_64 qemu-img debootstrap mkfs.ext4; do
	command -v "$t" >/dev/null 2>&1 || fail "missing $t: run 'make deps'"
done
unit=$VOUCH_SRC/systemd/vouchfs@.service
for f in "$VOUCH" "$VOUCHFS" "$unit"; do
	[ -e "$f" ] || fail "$f missing (run make)"
done

share=$TMPDIR/share
mkdir -p "$share/bin" "$share/models"
cp "$VOUCH" "$VOUCHFS" "$PRELOAD" "$VOUCH_BUILD/tests/preload-try" "$share/bin/"
cp "$unit" "$share/vouchfs@.service"
cp "$VOUCH_SRC/systemd/vouch-scan.service" "$VOUCH_SRC/systemd/vouch-scan.timer" "$share/"
cp "$VOUCH_SRC/tests/vm/guest-vouchfs-unit.sh" "$share/run.sh"
# VOUCH_VM_DROPIN=FILE: test the unit with FILE as a drop-in (to try a fix).
if [ -n "${VOUCH_VM_DROPIN:-}" ]; then
	cp "$VOUCH_VM_DROPIN" "$share/dropin.conf" || fail "VOUCH_VM_DROPIN: cannot read $VOUCH_VM_DROPIN"
fi

# Keys and signatures are made here, not in the slow guest.
newkey K
newkey K2
cp "$TMPDIR/K.pub" "$TMPDIR/K2.pub" "$share/"
m=$share/models
mkdir -p "$m/demo"
head -c 1048576 /dev/urandom >"$m/demo/model.bin"
printf '{"hidden": 16}\n' >"$m/demo/config.json"
printf '{"vocab": ["a", "b"]}\n' >"$m/demo/tokenizer.json"
cp -a "$m/demo" "$m/bad"
cp -a "$m/demo" "$m/k2"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/K.key" "$m/demo"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/K.key" "$m/bad"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/K2.key" "$m/k2"
flip_byte "$m/bad/model.bin" 4096
expect_rc 1 "$VOUCH" verify -p "$TMPDIR/K.pub" "$m/bad"
chmod -R a+rX "$share"

t0=$(date +%s)
sh "$VOUCH_SRC/tests/vm/run.sh" "$share" 800 >"$TMPDIR/vm.out" 2>&1
rc=$?
t1=$(date +%s)
cat "$TMPDIR/vm.out"
score=$(sed -n 's/^EXPOSURE: //p' "$share/output.txt" 2>/dev/null)
echo "exposure (systemd-analyze security): ${score:-not reached}; VM run $((t1 - t0))s"
if [ "$rc" -ne 0 ]; then
	echo "--- failed checks ---"
	grep '^FAIL:' "$share/output.txt" 2>/dev/null
	fail "VM run exited $rc (guest: number of failed checks; 124 timeout, 125 no report)"
fi
ok "vouchfs@.service under systemd: all guest checks passed, exposure $score"
