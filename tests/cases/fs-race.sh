#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-race: issue 15, defect 3 through vouchfs (the rename race, same idea as
# preload-race).  vouchfs must decide on the node the client opened and serve
# only the bytes it hashed, however fast the source changes under it.
#
# The source holds a signed directory r/: model.pt (good), other.pt (signed,
# other bytes), a tampered copy of model.pt planted as z.sig after signing,
# and a twin of r/ with the tampered model.pt named q.sig.d/.  One process
# (tests/helpers/race-swap.c) exchanges, in the source, model.pt with z.sig,
# model.pt with other.pt, and the directories r and q.sig.d, with
# renameat2(RENAME_EXCHANGE) in a tight loop while it does 3,000
# open+read+close of r/model.pt through the mount; with the default entry
# cache (names cached 1 s by the client's kernel), and with -o timeout=0.
# Asserts: 0 opens returned bytes other than model.pt's signed bytes
# (denials and ESTALE are fine); the race was exercised (swaps, denials);
# deny records name .../r/model.pt (the node opened) and none names z.sig,
# other.pt or q.sig.d.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
RACE=$VOUCH_BUILD/tests/race-swap
[ -x "$RACE" ] || fail "missing $RACE (make)"
fs_syslog_start
N=3000

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
D=$SRC/r
mkdir -p "$D" "$MNT"
newkey k
mkdir -p "$TMPDIR/trust"; cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
head -c 65536 /dev/urandom >"$D/model.pt"
head -c 65536 /dev/urandom >"$D/other.pt"
printf '{"arch": "x"}\n' >"$D/config.json"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$D"
cp "$D/model.pt" "$TMPDIR/good.pt"
cp -r "$D" "$SRC/q.sig.d"
flip_byte "$SRC/q.sig.d/model.pt" 4000
cp "$SRC/q.sig.d/model.pt" "$D/z.sig"

# unswap DIR A B: a run may leave A and B exchanged; put them back.
unswap() {
	cmp -s "$D/model.pt" "$TMPDIR/good.pt" && return 0
	mv "$1/$2" "$1/tmp.swap" && mv "$1/$3" "$1/$2" && mv "$1/tmp.swap" "$1/$3"
	cmp -s "$D/model.pt" "$TMPDIR/good.pt" || fail "could not restore $D/model.pt after the race"
}

race() { # DIR A B WHAT
	start=$(date +%s%N)
	OUT=$("$RACE" "$N" "$1" "$2" "$3" "$TMPDIR/good.pt" "$MNT/r/model.pt" 2>&1); rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "r/model.pt through the mount, $2 <-> $3 ($4), $ms ms: $OUT"
	unswap "$1" "$2" "$3"
	case $rc in
	0) ;;
	1) fail "$2 <-> $3 ($4): reads of r/model.pt through the mount returned bytes other than its signed ones: $OUT" ;;
	*) fail "race-swap: $OUT" ;;
	esac
	swaps=$(printf '%s\n' "$OUT" | sed -n 's/.* swaps=\([0-9]*\).*/\1/p')
	denied=$(printf '%s\n' "$OUT" | sed -n 's/.* denied=\([0-9]*\).*/\1/p')
	[ "${swaps:-0}" -ge 1000 ] || fail "only ${swaps:-0} swaps: the race was not exercised"
	[ "${denied:-0}" -gt 0 ] || fail "no open was denied while the names were exchanged: the race was not exercised"
}

for opt in "" "-o timeout=0"; do
	fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" -o prefetch=0 $opt
	cmp "$MNT/r/model.pt" "$TMPDIR/good.pt" || fail "model.pt through the mount"
	race "$D" model.pt z.sig "tampered copy named like a signature, mount ${opt:-default}"
	race "$D" model.pt other.pt "another signed file, mount ${opt:-default}"
	race "$SRC" r q.sig.d "tampered twin directory named like a cosignature directory, mount ${opt:-default}"
	fs_stop "$FS_PID" "$MNT"
	ok "mount ${opt:-default}: 0 tampered or foreign reads in 3 x $N opens"
done
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=(unlocated|hash-mismatch|size-mismatch) mode=enforce path=$D/model.pt "
grep -E "path=($D/(z\.sig|other\.pt)|$SRC/q\.sig\.d/)" "$SYSLOG" | head -n 3 >&2
grep -Eq "path=($D/(z\.sig|other\.pt)|$SRC/q\.sig\.d/)" "$SYSLOG" &&
	fail "an audit record names a file the reader never opened"
echo "records naming model.pt by cause: $(grep -o "cause=[a-z-]* mode=enforce path=$D/model.pt " "$SYSLOG" | cut -d' ' -f1 | sort | uniq -c | tr -s ' \n' ' ')"
ok "deny records name model.pt, the node opened"
