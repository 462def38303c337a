#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-race: issue 15, defect 3 (shim rename race).  The shim must decide
# on the name the program opened and prove that the fd it got is that name's
# inode; deciding on where the fd resolves afterwards (readlink of
# /proc/self/fd/N) lets a swapped-in file through under another name.
#
# A signed directory r/ holds model.pt (good) and other.pt (signed, other
# bytes); a tampered copy of model.pt is planted beside it as z.sig after
# signing (a name that looks like a signature), and a copy of r/ with the
# tampered model.pt as the directory q.sig.d/ (a name whose contents look
# like cosignatures).  One process (tests/helpers/race-swap.c) runs a
# swapper thread doing renameat2(RENAME_EXCHANGE) in a tight loop while its
# main thread opens r/model.pt and reads it, under the shim:
#   open()   10,000 x   model.pt <-> z.sig
#   openat()  5,000 x   model.pt <-> z.sig   (relative to a dirfd of r/)
#   fopen()   5,000 x   model.pt <-> other.pt
#   open()    5,000 x   directory r <-> q.sig.d
# Asserts, for each: 0 opens returned bytes other than model.pt's signed
# bytes (denials are fine and expected: EACCES with deny records
# cause=unlocated or hash-mismatch/size-mismatch naming .../r/model.pt, the
# name opened); the race was exercised (>= 1,000 swaps, denials seen); no
# audit record names z.sig, other.pt or q.sig.d, which the reader never
# opened.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
RACE=$VOUCH_BUILD/tests/race-swap
[ -x "$RACE" ] || fail "missing $RACE (make)"
syslog_start
pl_setup

D=$PROT/r
mkdir -p "$D"
head -c 65536 /dev/urandom >"$D/model.pt"
head -c 65536 /dev/urandom >"$D/other.pt"
printf '{"arch": "x"}\n' >"$D/config.json"
pl_sign "$D"
cp "$D/model.pt" "$TMPDIR/good.pt"
cp -r "$D" "$PROT/q.sig.d"
flip_byte "$PROT/q.sig.d/model.pt" 4000
cp "$PROT/q.sig.d/model.pt" "$D/z.sig"
try_ok open "$D/model.pt"

# unswap DIR A B: a run may leave A and B exchanged; put them back.
unswap() {
	cmp -s "$D/model.pt" "$TMPDIR/good.pt" && return 0
	mv "$1/$2" "$1/tmp.swap" && mv "$1/$3" "$1/$2" && mv "$1/tmp.swap" "$1/$3"
	cmp -s "$D/model.pt" "$TMPDIR/good.pt" || fail "could not restore $D/model.pt after the race"
}

race() { # MODE N DIR A B WHAT
	start=$(date +%s%N)
	OUT=$(shim "$RACE" -m "$1" "$2" "$3" "$4" "$5" "$TMPDIR/good.pt" "$D/model.pt" 2>&1); rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "$1() of r/model.pt, $4 <-> $5 ($6), $ms ms: $OUT"
	unswap "$3" "$4" "$5"
	case $rc in
	0) ;;
	1) fail "$4 <-> $5, $1(): opens of r/model.pt returned bytes other than its signed ones: $OUT" ;;
	*) fail "race-swap: $OUT" ;;
	esac
	swaps=$(printf '%s\n' "$OUT" | sed -n 's/.* swaps=\([0-9]*\).*/\1/p')
	denied=$(printf '%s\n' "$OUT" | sed -n 's/.* denied=\([0-9]*\).*/\1/p')
	[ "${swaps:-0}" -ge 1000 ] || fail "only ${swaps:-0} swaps: the race was not exercised"
	[ "${denied:-0}" -gt 0 ] || fail "no open was denied while the names were exchanged: the race was not exercised"
	ok "$4 <-> $5, $1(): 0 tampered or foreign reads in $2 opens"
}

race open 10000 "$D" model.pt z.sig "a tampered copy named like a signature"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=(unlocated|hash-mismatch|size-mismatch) mode=enforce path=$D/model.pt "
race openat 5000 "$D" model.pt z.sig "a tampered copy named like a signature"
race fopen 5000 "$D" model.pt other.pt "another signed file of the same model"
race open 5000 "$PROT" r q.sig.d "the model directory and a tampered twin named like a cosignature directory"

grep -E "path=($D/(z\.sig|other\.pt)|$PROT/q\.sig\.d/)" "$SYSLOG" | head -n 3 >&2
grep -Eq "path=($D/(z\.sig|other\.pt)|$PROT/q\.sig\.d/)" "$SYSLOG" &&
	fail "an audit record names a file the reader never opened (decided on the swapped-in name)"
echo "records naming r/model.pt, by cause: $(grep -o "cause=[a-z-]* mode=enforce path=$D/model.pt " "$SYSLOG" | cut -d' ' -f1 | sort | uniq -c | tr -s ' \n' ' ')"
ok "every record names r/model.pt, the name opened"
