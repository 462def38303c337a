#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-cost: the common case stays cheap.  An open of a file on a device
# that no protected root can reach costs exactly one statx more and no
# readlink (counted with strace over 2000 opens); a protected, verified file
# opened by its name under the root costs no readlink either (the name asked
# for decides; libvouch proves the fd is the file at that name with one
# openat2 + fstat) and no re-hash.  bench/preload.sh has the timings.
if [ -z "${PRELOAD_COST_NS:-}" ]; then
	PRELOAD_COST_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
command -v strace >/dev/null || fail "strace missing"
PB=$VOUCH_BUILD/tests/preload-bench
[ -x "$PB" ] || fail "missing $PB (make)"
pl_setup
mkdir -p "$TMPDIR/other"
mount -t tmpfs other "$TMPDIR/other" || fail "mount tmpfs"
head -c 4096 /dev/urandom >"$TMPDIR/other/free.bin"

count() { # SYSCALL [FILE]: its "calls" column in an strace -c summary
	n=$(awk -v s="$1" '$NF == s { print $4 }' "${2:-$TMPDIR/st}" | head -1)
	echo "${n:-0}"
}
# syscalls N: the syscalls of N open+close pairs, start-up cancelled out by
# running 3000 and 1000 pairs and taking the difference (so for 2000 pairs).
syscalls() { # [ENV...] -> sets total, statx, readlink, fstat for 2000 opens
	strace -f -c -o "$TMPDIR/st1" env "$@" "$PB" 1000 "$TMPDIR/other/free.bin" >/dev/null || fail "strace"
	strace -f -c -o "$TMPDIR/st3" env "$@" "$PB" 3000 "$TMPDIR/other/free.bin" >/dev/null || fail "strace"
	for s in total statx readlink newfstatat; do
		eval "$s=\$((\$(count $s "$TMPDIR/st3") - \$(count $s "$TMPDIR/st1")))"
	done
}
syscalls PRELOAD_COST_NS=1
plain=$total
syscalls LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$CONF"
[ "$plain" -eq 4000 ] || fail "without the shim: $plain syscalls for 2000 open+close"
# (A slow run may re-read the mount table once a second: openat, reads,
# close; hence the small allowance on the total.)
[ "$total" -ge 6000 ] && [ "$total" -le 6015 ] && [ "$statx" -eq 2000 ] && [ "$readlink" -eq 0 ] &&
	[ "$newfstatat" -eq 0 ] ||
	fail "with the shim, 2000 opens on another device: $total syscalls, $statx statx, $readlink readlink, $newfstatat fstat (wanted 6000, 2000, 0, 0)"
ok "unprotected, other device: exactly one statx more per open, no readlink"

strace -f -c -o "$TMPDIR/st" env LD_PRELOAD="$PRELOAD" VOUCH_CONFIG="$CONF" \
	"$PB" 2000 "$PROT/m/model.bin" >/dev/null || fail "strace shim protected"
reads=$(count pread64)
[ "$reads" -le 40 ] || fail "protected, verified: $reads pread64 calls for 2000 opens (re-hashing?)"
[ "$(count readlink)" -le 40 ] || fail "protected, by its own name: $(count readlink) readlinks in 2000 opens"
[ "$(count openat2)" -ge 2000 ] || fail "protected: expected the name to be checked at each open (openat2)"
ok "protected, verified: no re-hash ($reads pread64 in 2000 opens), the name checked at each open"
