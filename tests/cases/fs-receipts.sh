#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-receipts (issue 18 item 5): with `receipts = yes` a verdict survives a
# restart of vouchfs.  Models verified through one mount are reopened through
# a new vouchfs process without being hashed (the record says
# content=receipt; a 1 GiB file's receipt-served open takes a small fraction
# of its hash, read from the records' elapsed_ms); then every way to make a
# receipt lie is tried, each through a fresh process, and must be hashed
# again (and denied where the bytes are wrong): the file rewritten in place
# with its size and mtime restored, replaced by a new inode, the signature
# re-made, a key added (trust digest), the signer revoked, the horizon
# (expires) passed, a receipt corrupted, truncated, oversized, made
# group-writable or replaced by a symlink; an older version served from its
# receipt is still refused by the anti-rollback mark.  receipts = no writes
# none.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"

SRC=$TMPDIR/src MNT=$TMPDIR/mnt STATE=$TMPDIR/state RC=$TMPDIR/state/receipts
mkdir -p "$SRC" "$MNT" "$TMPDIR/trust"
for k in a b c; do newkey $k; done
cp "$TMPDIR/a.pub" "$TMPDIR/b.pub" "$TMPDIR/trust/"
for m in keep inplace replace corrupt link perm resign revoked; do mkmodel "$SRC/$m"; done
mkdir -p "$SRC/big"
# 1 GiB, sparse but for a random head: hashed at memory speed, stored in no space.
head -c 65536 /dev/urandom >"$SRC/big/weights.bin"
truncate -s 1G "$SRC/big/weights.bin"
for m in keep inplace replace corrupt link perm resign big; do
	"$VOUCH" sign -k "$TMPDIR/a.key" "$SRC/$m" >/dev/null 2>&1 || fail "sign $m"
done
"$VOUCH" sign -k "$TMPDIR/b.key" "$SRC/revoked" >/dev/null 2>&1 || fail "sign revoked"
mkmodel "$SRC/old"
"$VOUCH" sign -k "$TMPDIR/a.key" --name rb --version 1 "$SRC/old" >/dev/null 2>&1 || fail "sign old"
mkmodel "$SRC/expiring"
EXP=$(date -u -d '+20 seconds' +%Y-%m-%dT%H:%M:%SZ)
"$VOUCH" sign -k "$TMPDIR/a.key" --expires "$EXP" "$SRC/expiring" >/dev/null 2>&1 || fail "sign expiring"
MODELS="keep inplace replace corrupt link perm resign revoked old expiring"
FILES="model.bin config.json tokenizer.json sub/extra.txt"

# conf N [receipts] [state_dir]: a config whose audit log is $TMPDIR/audit-N.jsonl.
conf() {
	printf '[vouch]\ntrust = %s\nstate_dir = %s\naudit_log = %s/audit-%s.jsonl\nclock_skew = 0\nreceipts = %s\n' \
		"$TMPDIR/trust" "${3:-$STATE}" "$TMPDIR" "$1" "${2:-yes}" >"$TMPDIR/vouch-$1.conf"
	chmod 0644 "$TMPDIR/vouch-$1.conf"
	echo "$TMPDIR/vouch-$1.conf"
}
want() { # MODEL WANT WHY
	for f in $FILES; do
		r=$(fs_errno "$MNT/$1/$f"); [ "$r" = "$2" ] || fail "$1/$f: $r, wanted $2 ($3)"
	done
}
# rec N PATH: the records for PATH in audit log N (settled after a stop).
rec() { grep "\"path\":\"$SRC/$2\"" "$TMPDIR/audit-$1.jsonl"; }
from_receipt() { rec "$1" "$2" | grep '"decision":"allow"' | grep -c '"content":"receipt"'; }
hashed() { rec "$1" "$2" | grep '"decision":"allow"' | grep -vc '"content":"receipt"'; }
run() { # N CONF: a new vouchfs process on $MNT
	fs_mount "$SRC" "$MNT" -c "$2" -o timeout=0
}
stop() { fs_stop "$FS_PID" "$MNT"; }

# A file changed less than 2 s before its hash gets no receipt (a change in
# the same timestamp tick could go unseen): let the files age.
sleep 2.2

# ---- receipts = no: verified, nothing written
run 0 "$(conf 0 no "$TMPDIR/state-no")"
want keep OK "receipts = no"
stop
[ -z "$(ls -A "$TMPDIR/state-no/receipts" 2>/dev/null)" ] || fail "receipts = no wrote receipts"
ok "receipts = no writes no receipt"

# ---- first process: everything verified (hashed), receipts written
run 1 "$(conf 1)"
for m in $MODELS; do want "$m" OK "first verification"; done
r=$(fs_errno "$MNT/big/weights.bin"); [ "$r" = OK ] || fail "big: $r"
stop
n=$(ls "$RC" | wc -l)
[ "$n" -eq $(( 10 * 4 + 1 )) ] || { ls -la "$RC" >&2; fail "$n receipts, wanted 41 (one per hashed file)"; }
[ "$(stat -c %a "$RC")" = 755 ] || fail "receipts dir mode $(stat -c %a "$RC")"
for f in "$RC"/*; do [ "$(stat -c %a "$f")" = 644 ] || fail "receipt $f mode $(stat -c %a "$f")"; done
[ -z "$(ls -A "$RC" | grep '^\.')" ] || fail "temp files left in $RC"
ok "a receipt per verified file, 0644 in a 0755 directory"

# name PATH: the receipt file for $SRC/PATH.
name() { printf '%s' "$SRC/$1" | sha256sum | cut -c1-64; }

# ---- second process: served from receipts, nothing hashed
run 2 "$(conf 2)"
want keep OK "from receipts"
r=$(fs_errno "$MNT/big/weights.bin"); [ "$r" = OK ] || fail "big after restart: $r"
stop
for f in $FILES; do
	[ "$(from_receipt 2 "keep/$f")" -eq 1 ] && [ "$(hashed 2 "keep/$f")" -eq 0 ] ||
		{ rec 2 "keep/$f" >&2; fail "keep/$f not served from its receipt"; }
done
[ "$(from_receipt 2 big/weights.bin)" -eq 1 ] || { rec 2 big/weights.bin >&2; fail "1 GiB file hashed again"; }
h=$(rec 1 big/weights.bin | sed -n 's/.*"elapsed_ms":\([0-9.]*\).*/\1/p' | head -1)
q=$(rec 2 big/weights.bin | sed -n 's/.*"elapsed_ms":\([0-9.]*\).*/\1/p' | head -1)
awk -v h="$h" -v q="$q" 'BEGIN { exit !(q * 10 < h) }' ||
	fail "1 GiB: receipt open took $q ms, its hash $h ms (records)"
ok "after a restart every file is served from its receipt, none hashed (1 GiB: $h ms hashed, $q ms from the receipt)"

# ---- tamper, each under a fresh process
# inplace: same size, mtime restored (ctime moves, and the bytes differ)
t=$(stat -c %y "$SRC/inplace/model.bin")
flip_byte "$SRC/inplace/model.bin" 1000
touch -d "$t" "$SRC/inplace/model.bin"
# replace: a new inode with tampered bytes, same size and mtime
cp "$SRC/replace/model.bin" "$TMPDIR/r.bin"; flip_byte "$TMPDIR/r.bin" 7
touch -d "$(stat -c %y "$SRC/replace/model.bin")" "$TMPDIR/r.bin"
mv "$TMPDIR/r.bin" "$SRC/replace/model.bin"
# corrupt: tampered bytes, and its receipt corrupted; its other receipts
# truncated, oversized, garbage (the model otherwise untouched)
t=$(stat -c %y "$SRC/corrupt/model.bin")
flip_byte "$SRC/corrupt/model.bin" 5; touch -d "$t" "$SRC/corrupt/model.bin"
flip_byte "$RC/$(name corrupt/model.bin)" 40
c=$RC/$(name corrupt/config.json); head -c 100 "$c" >"$c.x"; mv "$c.x" "$c"
head -c 1000000 /dev/urandom >"$RC/$(name corrupt/tokenizer.json)"
printf 'vouchrc1' >"$RC/$(name corrupt/sub/extra.txt)"
# link: a valid receipt moved elsewhere, the name a symlink to it
for f in $FILES; do
	n=$(name "link/$f"); mv "$RC/$n" "$TMPDIR/rcpt-$(basename "$f")"
	ln -s "$TMPDIR/rcpt-$(basename "$f")" "$RC/$n"
done
cp "$TMPDIR/rcpt-model.bin" "$TMPDIR/rcpt-model.bin.orig"
# perm: receipts writable by others are not believed
for f in $FILES; do chmod 0666 "$RC/$(name "perm/$f")"; done
# resign: the same bytes, a new signature file
"$VOUCH" sign -k "$TMPDIR/a.key" "$SRC/resign" >/dev/null 2>&1 || fail "re-sign"
# rollback: version 2 of model rb published beside version 1
mkmodel "$SRC/new"
"$VOUCH" sign -k "$TMPDIR/a.key" --name rb --version 2 "$SRC/new" >/dev/null 2>&1 || fail "sign new"
# expiring: wait past its horizon
while [ "$(date -u +%s)" -le "$(date -u -d "$EXP" +%s)" ]; do sleep 0.5; done

run 3 "$(conf 3)"
r=$(fs_errno "$MNT/inplace/model.bin"); [ "$r" = EACCES ] || fail "inplace: $r"
r=$(fs_errno "$MNT/replace/model.bin"); [ "$r" = EACCES ] || fail "replace: $r"
r=$(fs_errno "$MNT/corrupt/model.bin"); [ "$r" = EACCES ] || fail "corrupt receipt + tampered file: $r"
for f in config.json tokenizer.json sub/extra.txt; do
	r=$(fs_errno "$MNT/corrupt/$f"); [ "$r" = OK ] || fail "corrupt/$f: $r"
done
want link OK "symlinked receipts"
want perm OK "group-writable receipts"
want resign OK "re-signed"
want keep OK "untouched"
want new OK "version 2"
want old EACCES "version 1 after version 2 was accepted"
want expiring EACCES "past its horizon"
kill -0 "$FS_PID" || fail "vouchfs died on hostile receipts"
stop
for p in inplace/model.bin replace/model.bin corrupt/model.bin; do
	rec 3 "$p" | grep -q '"decision":"deny","cause":"hash-mismatch"' || { rec 3 "$p" >&2; fail "$p not denied hash-mismatch"; }
	[ "$(from_receipt 3 "$p")" -eq 0 ] || fail "$p served from a receipt"
done
for f in $FILES; do
	for m in link perm resign; do
		[ "$(from_receipt 3 "$m/$f")" -eq 0 ] && [ "$(hashed 3 "$m/$f")" -eq 1 ] ||
			{ rec 3 "$m/$f" >&2; fail "$m/$f: not hashed again"; }
	done
	[ "$(from_receipt 3 "keep/$f")" -eq 1 ] || fail "keep/$f: receipt not served beside hostile ones"
	rec 3 "old/$f" | grep -q '"cause":"rollback"' || { rec 3 "old/$f" >&2; fail "old/$f: not refused as a rollback"; }
	rec 3 "expiring/$f" | grep -q '"cause":"expired"' || { rec 3 "expiring/$f" >&2; fail "expiring/$f: not expired"; }
done
for f in config.json tokenizer.json sub/extra.txt; do
	[ "$(hashed 3 "corrupt/$f")" -eq 1 ] || fail "corrupt/$f: not hashed again"
done
[ -L "$RC/$(name link/model.bin)" ] && fail "a symlinked receipt was left in place, not replaced"
cmp -s "$TMPDIR/rcpt-model.bin" "$TMPDIR/rcpt-model.bin.orig" || fail "a write went through a symlinked receipt"
ok "in-place rewrite, new inode, re-signed, corrupt/short/huge/symlinked/writable receipts: hashed again (tampered ones denied)"
ok "a receipt does not lift the anti-rollback mark, nor outlive its horizon"

# ---- trust: a key added changes the digest (hashed again, allowed); the
# signer revoked denies.
cp "$TMPDIR/c.pub" "$TMPDIR/trust/"
"$VOUCH" trust --trust "$TMPDIR/trust" revoke "$TMPDIR/b.pub" >/dev/null || fail "revoke b"
run 4 "$(conf 4)"
want keep OK "key added"
want revoked EACCES "signer revoked"
stop
for f in $FILES; do
	[ "$(from_receipt 4 "keep/$f")" -eq 0 ] && [ "$(hashed 4 "keep/$f")" -eq 1 ] ||
		{ rec 4 "keep/$f" >&2; fail "keep/$f: served from a receipt made under other trust"; }
	rec 4 "revoked/$f" | grep -q '"decision":"deny","cause":"revoked-key"' || fail "revoked/$f: not denied"
done
ok "new trust: no receipt made under the old one is served; a revoked signer is denied"

# ---- the receipts rewritten under the new trust serve the next process
run 5 "$(conf 5)"
want keep OK "after re-verification"
stop
for f in $FILES; do
	[ "$(from_receipt 5 "keep/$f")" -eq 1 ] || { rec 5 "keep/$f" >&2; fail "keep/$f: no new receipt"; }
done
ok "receipts made under the new trust serve the next restart"
