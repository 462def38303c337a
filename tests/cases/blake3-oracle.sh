#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# blake3-oracle: libvouch's BLAKE3 of a file (vouch_blake3_fd, through the
# tests/helpers/b3-file helper) must equal Debian's b3sum (the BLAKE3 team's
# reference implementation) on files of awkward sizes: 0, 1, 1023, 1024,
# 1025 (around a chunk), 64 KiB - 1, 64 KiB, 64 KiB + 1, a few MiB of random
# bytes, a sparse 3 GiB file, and a sparse 4 GiB + 1 MiB + 1 file (more than
# 4096 units of 1 MiB, so the workers' subtrees grow to 2 MiB); the small
# ones on 1, 2 and 3 threads and one per core, whole and as a range, the
# sparse ones on two thread counts each (every pass reads gigabytes).
# BLAKE2b-512 (vouch_blake2b_fd) is checked against coreutils' b2sum.
. "$VOUCH_SRC/tests/lib.sh"

B3FILE=$VOUCH_BUILD/tests/b3-file
command -v b3sum >/dev/null || skip "b3sum not installed (apt-get install b3sum)"
[ -x "$B3FILE" ] || fail "$B3FILE is not built (make all)"

# same FILE [b3-file options]: b3-file on each of $THREADS == b3sum
THREADS="1 2 3 0"
same() {
	f=$1; shift
	want=$(b3sum --no-names "$f") || fail "b3sum $f"
	for t in $THREADS; do
		got=$("$B3FILE" -t $t "$@" "$f") || fail "b3-file -t $t $f"
		[ "$got" = "$want" ] ||
			fail "$(basename "$f") ($(stat -c %s "$f") bytes), $t thread(s): $got, b3sum: $want"
	done
}

for n in 0 1 1023 1024 1025 65535 65536 65537; do
	head -c $n /dev/urandom >"f$n" || fail "head -c $n"
	same "f$n"
done
ok "0, 1, 1023, 1024, 1025, 64 KiB - 1, 64 KiB, 64 KiB + 1 bytes"

head -c $((3 * 1048576 + 12345)) /dev/urandom >rand || fail "head"
same rand
ok "3 MiB + 12345 random bytes"

# A range: b3-file -o OFF -l LEN against b3sum of the same bytes cut out.
off=4097; len=$((2 * 1048576 + 3))
tail -c +$((off + 1)) rand | head -c $len >cut
want=$(b3sum --no-names cut)
for t in 1 2 3; do
	got=$("$B3FILE" -t $t -o $off -l $len rand) || fail "b3-file range"
	[ "$got" = "$want" ] || fail "range $off+$len, $t thread(s): $got, b3sum says $want"
done
"$B3FILE" -o $off -l $(($(stat -c %s rand) - off + 1)) rand >/dev/null 2>err &&
	fail "a range past the end of the file hashed"
grep -q 'Numerical result out of range' err || fail "past the end: $(cat err)"
ok "a range at an odd offset; past the end is refused"

# The big ones on fewer thread counts: each pass reads gigabytes.
truncate -s 3G sparse3g || fail "truncate"
THREADS="1 0" same sparse3g
rm -f sparse3g
ok "sparse 3 GiB"
truncate -s $((4 * 1073741824 + 1048576 + 1)) sparse4g || fail "truncate"
THREADS="2 3" same sparse4g
rm -f sparse4g
ok "sparse 4 GiB + 1 MiB + 1"

if command -v b2sum >/dev/null; then
	for f in f0 f1 f65537 rand; do
		want=$(b2sum "$f" | cut -d' ' -f1)
		got=$("$B3FILE" -2 "$f") || fail "b3-file -2 $f"
		[ "$got" = "$want" ] || fail "BLAKE2b-512 of $f: $got, b2sum says $want"
	done
	ok "BLAKE2b-512 equals b2sum"
fi
