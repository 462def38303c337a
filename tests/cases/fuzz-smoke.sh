#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A short libFuzzer run of every harness (tests/fuzz/*.c, built by `make
# fuzz-build` into $VOUCH_BUILD/fuzz/): each starts from a copy of its seeds
# and must finish without a crash, leak, timeout or sanitizer report.
# `make fuzz` runs them longer (FUZZ_SECONDS each).
. "$VOUCH_SRC/tests/lib.sh"

SECONDS_EACH=${FUZZ_SMOKE_SECONDS:-5}
crashes=$VOUCH_BUILD/fuzz-crashes
n=0
for src in "$VOUCH_SRC"/tests/fuzz/*.c; do
	h=$(basename "$src" .c)
	bin=$VOUCH_BUILD/fuzz/$h
	[ -x "$bin" ] || skip "$bin is not built (run 'make fuzz-build'; needs clang and libclang-rt)"
	mkdir -p "corpus-$h" "art-$h"
	[ -d "$VOUCH_SRC/tests/fuzz/seeds/$h" ] && cp "$VOUCH_SRC/tests/fuzz/seeds/$h"/* "corpus-$h"/ 2>/dev/null
	[ -n "$(ls "corpus-$h")" ] || fail "$h has no seeds under tests/fuzz/seeds/$h"
	# libFuzzer's own failure exit code is 77, the runner's "skip": use 1.
	"$bin" -runs=20000 -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=20 \
		-rss_limit_mb=4096 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
		-artifact_prefix="$TMPDIR/art-$h/" "corpus-$h" >"$h.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ] || grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer\|libFuzzer\)\|runtime error:' "$h.log"; then
		grep -B2 -A25 'ERROR:\|runtime error:' "$h.log" | head -60 >&2 || tail -40 "$h.log" >&2
		mkdir -p "$crashes"; cp "art-$h"/* "$crashes"/ 2>/dev/null
		fail "$h failed (exit $rc); reproducer(s) kept in $crashes: $(ls "art-$h" | tr '\n' ' ')"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$h.log")
	ok "$h: ${runs:-?} runs, no crash"
	n=$((n + 1))
done
[ $n -gt 0 ] || skip "no harness under tests/fuzz/"
