#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-cosig-rewrite: issue 15, defect 8 through vouchfs (a cosignature
# rewritten in place).  The signature identity must cover every file it
# reads: rewriting model.sig.d/<bob>.sig in place keeps its inode and leaves
# the directory's mtime alone, and must still be seen at the next open.
#
# threshold = 2 of the trusted keys alice and bob; alice signs the model
# (vouch sign), bob cosigns it (vouch cosign -> model.sig.d/KEYID.sig).
# model.bin opens.  Then bob's cosignature file is rewritten IN PLACE
# (O_WRONLY|O_TRUNC, same inode, directory mtime unchanged: checked), first
# with bob's valid cosignature of another model (a withdrawn sign-off
# replaced by one over another payload), later with garbage.
# Asserts: after each rewrite, the first open of a never-opened file and the
# reopen of the verified model.bin are EACCES with cause=threshold records;
# with bob's original bytes written back in place both open again.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC" "$MNT" "$TMPDIR/trust"
newkey alice; newkey bob
cp "$TMPDIR/alice.pub" "$TMPDIR/bob.pub" "$TMPDIR/trust/"
mkmodel "$SRC/m"
mkmodel "$SRC/other"
for d in m other; do
	expect_rc 0 "$VOUCH" sign -k "$TMPDIR/alice.key" "$SRC/$d"
	expect_rc 0 "$VOUCH" cosign -k "$TMPDIR/bob.key" "$SRC/$d/model.sig"
done
set -- "$SRC"/m/model.sig.d/*.sig
[ $# -eq 1 ] && [ -f "$1" ] || fail "bob's cosignature: $*"
BOB=$1
FOREIGN=$SRC/other/model.sig.d/$(basename "$BOB")
[ -f "$FOREIGN" ] || fail "bob's cosignature of the other model"
cp "$BOB" "$TMPDIR/bob.orig"
cat >"$TMPDIR/vouch.conf" <<CONF
[vouch]
mode = enforce
trust = $TMPDIR/trust
threshold = 2
CONF
chmod 0644 "$TMPDIR/vouch.conf"
fs_mount "$SRC" "$MNT" -c "$TMPDIR/vouch.conf"

[ "$(fs_errno "$MNT/m/model.bin")" = OK ] || fail "alice + bob: model.bin"
ok "threshold 2: signed by alice, cosigned by bob: model.bin opens"

# rewrite FROM: write FROM's bytes into bob's file in place; prove the
# inode and the directory's mtime did not move.
rewrite() {
	before="$(stat -c %i "$BOB") $(stat -c %y "$(dirname "$BOB")")"
	cat "$1" >"$BOB"
	after="$(stat -c %i "$BOB") $(stat -c %y "$(dirname "$BOB")")"
	[ "$before" = "$after" ] || fail "rewrite in place moved the inode or the directory mtime: $before -> $after"
}
denied_threshold() { # FILE WHAT
	r=$(fs_errno "$MNT/m/$1")
	[ "$r" = EACCES ] || fail "$2: m/$1 answered $r, not EACCES (the withdrawn cosignature still counts)"
	syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=threshold mode=enforce path=$SRC/m/$1 "
}

rewrite "$FOREIGN"
denied_threshold config.json "bob's cosignature replaced in place by his cosignature of another model"
denied_threshold model.bin "bob's cosignature replaced in place by his cosignature of another model"
ok "cosignature rewritten in place (another payload): never-opened file and reopen denied (threshold)"

rewrite "$TMPDIR/bob.orig"
[ "$(fs_errno "$MNT/m/model.bin")" = OK ] || fail "bob's cosignature written back: model.bin"
[ "$(fs_errno "$MNT/m/tokenizer.json")" = OK ] || fail "bob's cosignature written back: tokenizer.json"
ok "original cosignature written back in place: opens again"

printf 'garbage, not a bundle\n' >"$TMPDIR/garbage"
rewrite "$TMPDIR/garbage"
denied_threshold sub/extra.txt "bob's cosignature overwritten in place with garbage"
denied_threshold model.bin "bob's cosignature overwritten in place with garbage"
denied_threshold tokenizer.json "bob's cosignature overwritten in place with garbage"
ok "cosignature overwritten in place with garbage: never-opened file and reopens denied (threshold)"
