#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# leaks-preload: 10,000 opens through the preload shim leak neither
# descriptors nor memory (issue 19 item 3).  The ASan+UBSan shim
# ($VOUCH_SAN_BUILD, default build/san; the ASan runtime preloaded ahead of
# it) runs inside tests/helpers/open-loop from the regular build, so every
# allocation LeakSanitizer sees at exit is the shim's or libc's.  The loop
# opens verified, tampered, unsigned and unlisted protected files, a
# signature file and an unprotected file in turn (open, openat, fopen) and
# checks every verdict.  What it proves: no wrong verdict; the process holds
# as many descriptors after the 10,000 opens as after one warm-up pass; at
# exit LeakSanitizer and ASan/UBSan report nothing; each denial has its JSON
# audit record.  A descriptor or an allocation leaked per open or per denial
# fails it; so does the same loop with 16 processes at once.
. "$VOUCH_SRC/tests/lib.sh"
SAN=${VOUCH_SAN_BUILD:-$VOUCH_SRC/build/san}
[ -r "$SAN/lib/libvouch-preload.so" ] || skip "no ASan build at $SAN (make BUILD=build/san SAN=1 all)"
PRELOAD=$SAN/lib/libvouch-preload.so
ASAN_RT=$(gcc -print-file-name=libasan.so)
[ -e "$ASAN_RT" ] || fail "no ASan runtime ($ASAN_RT)"
. "$VOUCH_SRC/tests/preload-lib.sh"
LOOP=$VOUCH_BUILD/tests/open-loop
[ -x "$LOOP" ] || fail "missing $LOOP (make)"
N=${LEAKS_OPENS:-10000}
syslog_start
pl_setup
AUDIT=$TMPDIR/audit.jsonl
pl_conf enforce "$PROT" "audit_log = $AUDIT"
printf 'not signed\n' >"$PROT/loose.bin"
printf 'added\n' >"$PROT/m/added.bin"
head -c 5000 /dev/urandom >"$TMPDIR/plain.bin"
set -- ok:"$PROT/m/model.bin" ok:"$PROT/m/config.json" deny:"$PROT/t/model.bin" \
	ok:"$PROT/m/tokenizer.json" deny:"$PROT/loose.bin" ok:"$PROT/m/model.sig" \
	deny:"$PROT/m/added.bin" ok:"$PROT/m/sub/extra.txt" ok:"$TMPDIR/plain.bin" \
	ok:"$PROT/t/config.json" ok:"$PROT/m/__init__.py"

# Every sanitizer report goes to a file of its own: none may exist at the end.
san_shim() {
	ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:log_path=$TMPDIR/san" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$TMPDIR/san" \
	LD_PRELOAD="$ASAN_RT $PRELOAD" VOUCH_CONFIG=$CONF "$@"
}
san_clean() {
	for f in "$TMPDIR"/san.*; do
		[ -e "$f" ] || continue
		head -n 40 "$f" >&2
		fail "a sanitizer report: $f ($1)"
	done
}
denials() { printf '%s\n' "$OUT" | sed -n 's/.* denied=\([0-9]*\) .*/\1/p'; }

# Control: the loop without the shim sees the tampered file as a file.
OUT=$("$LOOP" 11 "$@" 2>&1) && fail "open-loop without the shim found no wrong verdict"
printf '%s\n' "$OUT" | grep -q "wrong: open $PROT/t/model.bin: wanted EACCES, got ok" ||
	fail "control: $OUT"

t0=$(date +%s)
OUT=$(san_shim "$LOOP" "$N" "$@" 2>&1); rc=$?
echo "$OUT"
echo "shim: $N opens in $(( $(date +%s) - t0 ))s"
san_clean "10,000 opens"
printf '%s\n' "$OUT" | grep -q " wrong=0 " || fail "wrong verdicts"
set -- $(printf '%s\n' "$OUT" | sed -n 's/.*fds_before=\([0-9]*\) fds_after=\([0-9]*\)$/\1 \2/p') "$@"
[ "$1" -gt 0 ] && [ "$1" -eq "$2" ] || fail "descriptors $1 -> $2 over $N opens"
fd0=$1; shift 2
[ "$rc" -eq 0 ] || fail "open-loop exit status $rc"
want=$(denials)
ok "$N opens: no wrong verdict, $fd0 descriptors before and after, no sanitizer report"

# 16 processes at once, 500 opens each (the verdict cache and the audit
# queue shared by threads of none; each process its own shim).
pids=""
for i in $(seq 16); do
	san_shim "$LOOP" 500 "$@" >"$TMPDIR/loop.$i" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || true; done
san_clean "16 processes"
for i in $(seq 16); do
	grep -q ' wrong=0 ' "$TMPDIR/loop.$i" || { cat "$TMPDIR/loop.$i" >&2; fail "process $i: wrong verdicts"; }
	grep -Eq 'fds_before=([0-9]+) fds_after=\1$' "$TMPDIR/loop.$i" ||
		{ cat "$TMPDIR/loop.$i" >&2; fail "process $i: descriptors changed"; }
	OUT=$(cat "$TMPDIR/loop.$i"); want=$(( want + $(denials) ))
done
ok "16 processes x 500 opens: no wrong verdict, no descriptor leaked, no sanitizer report"

# Each denial the loops counted has its record (warm-up passes add more).
for _ in $(seq 40); do [ "$(grep -c '"decision":"deny"' "$AUDIT")" -ge "$want" ] && break; sleep 0.05; done
den=$(grep -c '"decision":"deny"' "$AUDIT")
[ "$den" -ge "$want" ] || fail "$den deny records in the JSON audit log, fewer than the $want denials counted"
ok "$den deny records for the $want denials counted"
