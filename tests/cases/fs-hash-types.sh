#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-hash-types (issue 20): blake2b- and blake3-signed models through the
# front ends that serve other programs.  A live vouchfs mount and the
# preload shim each serve a 6 MiB blake3 file (hashed with the tree split
# across threads) and a blake2b-sharded model, read to the end by a real
# reader; then one byte of each is flipped in the source and each front end
# refuses it (EACCES) with a hash-mismatch record naming the file.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
fs_syslog_start
newkey k
mkdir -p "$TMPDIR/trust" "$PROT" "$TMPDIR/mnt"
cp "$TMPDIR/k.pub" "$TMPDIR/trust/k.pub"
for h in blake3 blake2b; do
	mkmodel "$PROT/$h"
	head -c 6291456 /dev/urandom >"$PROT/$h/big.bin"
	"$VOUCH" sign -k k.key --hash $h --shard-size 1048576 "$PROT/$h" >/dev/null 2>&1 || fail "sign $h"
done
pl_conf enforce "$PROT"
fs_mount "$PROT" "$TMPDIR/mnt" -c "$CONF"
for h in blake3 blake2b; do
	for f in big.bin config.json model.bin; do
		[ "$(fs_errno "$TMPDIR/mnt/$h/$f")" = OK ] || fail "vouchfs: $h/$f not served"
		try_ok open "$PROT/$h/$f"
	done
done
ok "vouchfs and the shim serve blake3 (per file) and blake2b (sharded) models"

for h in blake3 blake2b; do
	flip_byte "$PROT/$h/big.bin" 5000000
	want=EACCES; [ "$h" = blake3 ] || want=$FS_TAMPERED     # blake3: one digest per file
	[ "$(fs_errno "$TMPDIR/mnt/$h/big.bin")" = "$want" ] || fail "vouchfs served tampered $h/big.bin"
	try_denied open "$PROT/$h/big.bin"
	syslog_wait "decision=deny cause=hash-mismatch .*path=$PROT/$h/big\\.bin "
	[ "$(grep -c "decision=deny cause=hash-mismatch .*path=$PROT/$h/big\\.bin " "$SYSLOG")" -ge 2 ] ||
		fail "$h: not one deny record per front end"
done
ok "a flipped byte in a blake3 or blake2b file: EACCES through vouchfs and the shim, hash-mismatch records"
