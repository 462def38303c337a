#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# leaks-vouchfs: 10,000 opens through a live vouchfs mount leak neither
# descriptors nor memory (issue 19 item 3).  The ASan+UBSan vouchfs
# ($VOUCH_SAN_BUILD, default build/san) serves a tree of verified files, a
# tampered one, an unsigned one, one the signature does not list and a
# symlink; tests/helpers/open-loop opens them in turn (open, openat, fopen),
# reads each allowed one to its end and checks every verdict.  What it
# proves: no wrong verdict; vouchfs's /proc/PID/fd count is the same after
# the 10,000 opens as before them (after one warm-up pass); its RSS is
# reported; after a SIGHUP (cached verdicts dropped) the same holds; on a
# clean stop LeakSanitizer (at exit) and ASan/UBSan report nothing, and the
# exit status is 0.  A leak of one descriptor or of one allocation per
# open, per denial or per reload fails it.
. "$VOUCH_SRC/tests/lib.sh"
SAN=${VOUCH_SAN_BUILD:-$VOUCH_SRC/build/san}
[ -x "$SAN/bin/vouchfs" ] || skip "no ASan build at $SAN (make BUILD=build/san SAN=1 all)"
VOUCHFS=$SAN/bin/vouchfs
. "$VOUCH_SRC/tests/fs-lib.sh"
LOOP=$VOUCH_BUILD/tests/open-loop
[ -x "$LOOP" ] || fail "missing $LOOP (make)"
N=${LEAKS_OPENS:-10000}
# Every sanitizer report goes to a file of its own: none may exist at the end.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:log_path=$TMPDIR/san"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$TMPDIR/san"
san_clean() {
	for f in "$TMPDIR"/san.*; do
		[ -e "$f" ] || continue
		head -n 40 "$f" >&2
		fail "a sanitizer report: $f ($1)"
	done
}
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC" "$MNT"
fs_model "$SRC/m"
mkdir "$SRC/t"; cp -r "$SRC/m/." "$SRC/t/"
flip_byte "$SRC/t/model.bin" 1000
printf 'not signed\n' >"$SRC/loose.bin"
printf 'added\n' >"$SRC/m/added.bin"
ln -s model.bin "$SRC/m/link.bin"
AUDIT=$TMPDIR/audit.jsonl
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" --audit-log "$AUDIT"
set -- ok:"$MNT/m/model.bin" ok:"$MNT/m/config.json" deny:"$MNT/t/model.bin" \
	ok:"$MNT/m/tokenizer.json" deny:"$MNT/loose.bin" ok:"$MNT/m/model.sig" \
	deny:"$MNT/m/added.bin" ok:"$MNT/m/sub/extra.txt" deny:"$MNT/m/link.bin" \
	ok:"$MNT/t/config.json" ok:"$MNT/m/__init__.py"

fds() { ls "/proc/$FS_PID/fd" | wc -l; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$FS_PID/status"; }
# settle: a close's RELEASE reaches vouchfs after close(2) has returned.
fds_settled() { # WANT
	for _ in $(seq 40); do [ "$(fds)" -eq "$1" ] && break; sleep 0.05; done
	fds
}

expect_rc 0 "$LOOP" 1 "$@"                      # warm-up: every verdict once
fd0=$(fds); rss0=$(rss)
t0=$(date +%s)
expect_rc 0 "$LOOP" "$N" "$@"
echo "$OUT"
denials=$(printf '%s\n' "$OUT" | sed -n 's/.* denied=\([0-9]*\) .*/\1/p')
fd1=$(fds_settled "$fd0"); rss1=$(rss)
echo "vouchfs: $N opens in $(( $(date +%s) - t0 ))s; fds $fd0 -> $fd1; RSS ${rss0} -> ${rss1} KiB"
[ "$fd1" -eq "$fd0" ] || { ls -l "/proc/$FS_PID/fd" >&2; fail "vouchfs descriptors $fd0 -> $fd1 over $N opens"; }
printf '%s\n' "$OUT" | grep -q " wrong=0 " || fail "wrong verdicts"
san_clean "while serving"
ok "$N opens: no wrong verdict, vouchfs holds $fd0 descriptors before and after"

# Reloads drop every cached verdict: the next opens decide afresh.
for _ in 1 2 3; do
	fs_hup "$FS_PID" "$MNT"
	expect_rc 0 "$LOOP" 300 "$@"
	denials=$(( denials + $(printf '%s\n' "$OUT" | sed -n 's/.* denied=\([0-9]*\) .*/\1/p') ))
done
fd2=$(fds_settled "$fd0")
[ "$fd2" -eq "$fd0" ] || { ls -l "/proc/$FS_PID/fd" >&2; fail "vouchfs descriptors $fd0 -> $fd2 after 3 reloads"; }
ok "3 reloads with opens between: $fd2 descriptors"

# The denials were each recorded (an allowed open is recorded when it is
# decided, not when the cache answers it).
sleep 1
den=$(grep -c '"decision":"deny"' "$AUDIT")
[ "$den" -ge "$denials" ] || fail "$den deny records in the JSON audit log, fewer than the $denials denials counted"
ok "$den deny records for the $denials denials counted (and the warm-up passes)"

# A clean stop: LeakSanitizer runs at exit and must find nothing.
fs_stop "$FS_PID" "$MNT"
wait "$FS_PID"; rc=$?
san_clean "at exit"
[ "$rc" -eq 0 ] || { tail -n 20 "$TMPDIR/vouchfs.err" >&2; fail "vouchfs exit status $rc"; }
grep -Eq 'Sanitizer|runtime error' "$TMPDIR/vouchfs.err" && { cat "$TMPDIR/vouchfs.err" >&2; fail "a sanitizer wrote to stderr"; }
ok "clean stop: exit 0, no leak or error report from ASan/LSan/UBSan"
