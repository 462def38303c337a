#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# static-analysis: gcc -fanalyzer and cppcheck over src/ (issue 19 item 5).
# What it proves: neither analyser has a finding in any source of libvouch or a
# front end.  Any finding fails the case, CI=true or not: a false positive is
# suppressed on its own line, with a comment saying why, never here.
#  - gcc -fanalyzer: `make analyze` (each src/**/*.c compiled with the
#    build's own flags, a front end's extra ones included, plus -fanalyzer
#    -Werror) into a fresh BUILD under $TMPDIR, so no object made before a
#    header changed can hide a finding.  -k: every file is analysed and every
#    finding listed, not just the first.
#  - cppcheck --enable=warning,portability,performance over src/ with the
#    include paths and the defines of the build.
. "$VOUCH_SRC/tests/lib.sh"
command -v gcc >/dev/null || fail "no gcc"
gcc -fanalyzer -x c -c -o /dev/null /dev/null 2>/dev/null || skip "gcc without -fanalyzer (gcc >= 10)"
if ! command -v cppcheck >/dev/null; then
	# On a machine made by `make deps` it is missing until the Makefile's
	# package list names it: loud in CI, a skip on a developer's machine.
	[ "${CI:-}" = true ] && fail "cppcheck is not installed (apt-get install cppcheck)"
	skip "cppcheck is not installed (apt-get install cppcheck)"
fi
cd "$VOUCH_SRC" || fail "cd $VOUCH_SRC"
bad=0

# 1. gcc -fanalyzer, two files at a time (the machine has two cores).
t0=$(date +%s)
make --no-print-directory -k -j2 CC=gcc V=0 BUILD="$TMPDIR/ana" analyze >"$TMPDIR/analyzer.log" 2>&1
rc=$?
n=$(grep -Ec ': (warning|error): ' "$TMPDIR/analyzer.log")
echo "gcc -fanalyzer: $(grep -c 'ANALYZE' "$TMPDIR/analyzer.log") files, $n findings, $(( $(date +%s) - t0 ))s"
if [ "$rc" -ne 0 ] || [ "$n" -ne 0 ]; then
	grep -E ': (warning|error): ' "$TMPDIR/analyzer.log" | sed 's/^/  /' >&2
	[ "$n" -eq 0 ] && tail -n 30 "$TMPDIR/analyzer.log" >&2
	echo "FAIL: gcc -fanalyzer (full paths: make analyze, or $TMPDIR/analyzer.log)" >&2
	bad=1
fi
[ "$(grep -c 'ANALYZE' "$TMPDIR/analyzer.log")" -ge "$(ls src/*/*.c | wc -l)" ] ||
	{ echo "FAIL: make analyze did not analyse every source" >&2; bad=1; }

# 2. cppcheck, with the defines the Makefile passes (given -D, cppcheck checks
# that one configuration, the one that is built).
t0=$(date +%s)
# shellcheck disable=SC2046
cppcheck -j2 -q --enable=warning,portability,performance --inline-suppr --error-exitcode=1 \
	--std=c11 -D_GNU_SOURCE -DVOUCH_SYSCONFDIR='"/etc"' -DVOUCH_VERSION='"analysis"' \
	-Iinclude $(pkg-config --cflags-only-I fuse3 libsystemd 2>/dev/null) \
	--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
	src/ >"$TMPDIR/cppcheck.log" 2>&1
rc=$?
n=$(grep -Ec '^[^ ]+:[0-9]+:[0-9]+: ' "$TMPDIR/cppcheck.log")
echo "cppcheck: $n findings, $(( $(date +%s) - t0 ))s"
if [ "$rc" -ne 0 ] || [ "$n" -ne 0 ]; then
	sed 's/^/  /' "$TMPDIR/cppcheck.log" >&2
	echo "FAIL: cppcheck" >&2
	bad=1
fi

[ "$bad" -eq 0 ] || exit 1
ok "gcc -fanalyzer and cppcheck: no finding in src/"
