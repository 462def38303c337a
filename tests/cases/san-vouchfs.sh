#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# san-vouchfs: a real vouchfs mount under AddressSanitizer, LeakSanitizer
# and UBSan (issue 19 item 3).  The ASan+UBSan vouchfs ($VOUCH_SAN_BUILD,
# default build/san) serves verified, tampered, unsigned, unlisted and
# symlinked files; 16 readers at once make the first open of a 32 MiB signed
# file (one hash, waiters) and of its tampered twin while SIGHUPs drop the
# cache mid-hash; a file is read through mmap; listings, stat, xattrs and
# refused writes; a config replaced by garbage is refused on SIGHUP, then
# restored.  What it proves: every verdict is right, and no sanitizer
# reports anything -- neither while serving (an error stops vouchfs:
# halt_on_error) nor at the clean stop (LeakSanitizer), which exits 0.
# Each report goes to a file of its own ($TMPDIR/san.PID): none may exist.
. "$VOUCH_SRC/tests/lib.sh"
SAN=${VOUCH_SAN_BUILD:-$VOUCH_SRC/build/san}
[ -x "$SAN/bin/vouchfs" ] || skip "no ASan build at $SAN (make BUILD=build/san SAN=1 all)"
VOUCHFS=$SAN/bin/vouchfs
. "$VOUCH_SRC/tests/fs-lib.sh"
LOOP=$VOUCH_BUILD/tests/open-loop
[ -x "$LOOP" ] || fail "missing $LOOP (make)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:log_path=$TMPDIR/san"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$TMPDIR/san"
san_clean() {
	for f in "$TMPDIR"/san.*; do
		[ -e "$f" ] || continue
		head -n 40 "$f" >&2
		fail "a sanitizer report: $f ($1)"
	done
	grep -Eq 'Sanitizer|runtime error' "$TMPDIR/vouchfs.err" 2>/dev/null &&
		{ cat "$TMPDIR/vouchfs.err" >&2; fail "a sanitizer wrote to stderr ($1)"; }
	kill -0 "$FS_PID" 2>/dev/null || fail "vouchfs is gone ($1)"
}
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC" "$MNT"
fs_model "$SRC/m"
mkdir "$SRC/t" "$SRC/big"; cp -r "$SRC/m/." "$SRC/t/"
flip_byte "$SRC/t/model.bin" 1000
printf 'not signed\n' >"$SRC/loose.bin"
printf 'added\n' >"$SRC/m/added.bin"
ln -s model.bin "$SRC/m/link.bin"
ln -s /etc/passwd "$SRC/m/out-link"
head -c 33554432 /dev/urandom >"$SRC/big/weights.bin"
cp "$SRC/big/weights.bin" "$SRC/big/tampered.bin"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/big"
flip_byte "$SRC/big/tampered.bin" 30000000
cat >"$TMPDIR/vouch.conf" <<CONF
[vouch]
mode = enforce
trust = $TMPDIR/trust
audit_log = $TMPDIR/audit.jsonl
CONF
chmod 644 "$TMPDIR/vouch.conf"
cp "$TMPDIR/vouch.conf" "$TMPDIR/vouch.conf.good"
fs_mount "$SRC" "$MNT" -c "$TMPDIR/vouch.conf"

# Every kind of verdict, through open, openat and fopen.
expect_rc 0 "$LOOP" 66 ok:"$MNT/m/model.bin" ok:"$MNT/m/config.json" deny:"$MNT/t/model.bin" \
	deny:"$MNT/loose.bin" ok:"$MNT/m/model.sig" deny:"$MNT/m/added.bin" deny:"$MNT/m/link.bin" \
	deny:"$MNT/m/out-link" ok:"$MNT/m/sub/extra.txt" ok:"$MNT/t/config.json" ok:"$MNT/m/__init__.py"
cmp "$MNT/m/model.bin" "$SRC/m/model.bin" || fail "bytes differ through the mount"
san_clean "verdicts"
ok "verified, tampered, unsigned, unlisted, symlinked: right verdicts, no report"

# 16 first opens at once of a 32 MiB file and of its tampered twin, with a
# SIGHUP (cached verdicts dropped, trust rebuilt) while they hash.
pids=""
for i in $(seq 8); do
	"$LOOP" 3 ok:"$MNT/big/weights.bin" >"$TMPDIR/r.ok.$i" 2>&1 &
	pids="$pids $!"
	"$LOOP" 3 deny:"$MNT/big/tampered.bin" >"$TMPDIR/r.bad.$i" 2>&1 &
	pids="$pids $!"
done
sleep 0.05
fs_hup "$FS_PID" "$MNT"
for p in $pids; do wait "$p" || true; done
for f in "$TMPDIR"/r.*; do
	grep -q ' wrong=0 ' "$f" || { cat "$f" >&2; fail "concurrent readers: wrong verdict ($f)"; }
done
san_clean "concurrent first opens and a reload"
ok "16 concurrent first opens of a 32 MiB file and its tampered twin across a SIGHUP"

# mmap, listings, stat, xattrs, refused writes.
"$PY" - "$MNT/m/model.bin" "$SRC/m/model.bin" <<'PYEOF' || fail "mmap read"
import mmap, sys
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "rb") as g:
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    assert m[:] == g.read()
PYEOF
[ "$(ls -A "$MNT/m" | sort)" = "$(ls -A "$SRC/m" | sort)" ] || fail "listing differs"
stat "$MNT/m/model.bin" "$MNT/m/sub" >/dev/null || fail "stat"
getfattr -d "$MNT/m/model.bin" >/dev/null 2>&1
expect_rc 1 touch "$MNT/m/new"; expect_out "Read-only file system"
expect_rc 1 rm -f "$MNT/m/config.json"; expect_out "Read-only file system"
san_clean "mmap, listings, writes"
ok "mmap, listings, stat, xattrs, EROFS writes"

# A config replaced by garbage: the reload is refused, the old trust serves.
printf '[vouch\nmode = sometimes\n\001\002\n' >"$TMPDIR/vouch.conf"
fs_hup "$FS_PID" "$MNT"
[ "$(fs_errno "$MNT/m/config.json")" = OK ] || fail "old trust not kept after a refused reload"
[ "$(fs_errno "$MNT/t/model.bin")" = EACCES ] || fail "tampered file after a refused reload"
cp "$TMPDIR/vouch.conf.good" "$TMPDIR/vouch.conf"
fs_hup "$FS_PID" "$MNT"
expect_rc 0 "$LOOP" 22 ok:"$MNT/m/model.bin" deny:"$MNT/t/model.bin"
san_clean "a refused reload"
ok "garbage config: reload refused, old trust kept; restored: reload applied"

# A clean stop: LeakSanitizer runs at exit and must find nothing.
fs_stop "$FS_PID" "$MNT"
wait "$FS_PID"; rc=$?
for f in "$TMPDIR"/san.*; do
	[ -e "$f" ] || continue
	head -n 40 "$f" >&2
	fail "a sanitizer report at exit: $f"
done
[ "$rc" -eq 0 ] || { tail -n 20 "$TMPDIR/vouchfs.err" >&2; fail "vouchfs exit status $rc"; }
ok "clean stop: exit 0, nothing from ASan, LeakSanitizer or UBSan"
