#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-concurrent: 32 processes open the same 1 GiB signed file at the same
# moment through vouchfs.  Exactly one hash job runs (one allow record in the
# audit log), all 32 opens were waiting on it together and all get the
# file's bytes; meanwhile an open+read of another verified file answers at
# once (the mount does not stall).  A tampered 1 GiB copy: all 32 get EACCES.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC/big" "$MNT"
# Sparse: hashing costs the same as for real weights, generating costs nothing.
truncate -s 1G "$SRC/big/weights.bin" "$SRC/big/tampered.bin"
printf 'small\n' >"$SRC/big/small.txt"
newkey k; mkdir -p "$TMPDIR/trust"; cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/big"
printf 'X' | dd of="$SRC/big/tampered.bin" bs=1 seek=$((600 << 20)) conv=notrunc 2>/dev/null
AUDIT=$TMPDIR/audit.jsonl
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" --audit-log "$AUDIT"
cat "$MNT/big/small.txt" >/dev/null || fail "small file"

out=$("$PY" "$VOUCH_SRC/tests/fs-openers.py" 32 "$MNT/big/weights.bin" "$MNT/big/small.txt")
echo "$out"
field() { printf '%s' "$out" | "$PY" -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
[ "$(field n)" = 32 ] || fail "not 32 results"
[ "$(field results)" = "['OK']" ] || fail "not every open succeeded: $(field results)"
zero=$(head -c 3145728 /dev/zero | sha256sum | cut -d' ' -f1)
[ "$(field sha)" = "['$zero']" ] || fail "some opener read other bytes"
hashes=$(grep -c "\"decision\":\"allow\",\"cause\":\"ok\".*\"path\":\"$SRC/big/weights.bin\"" "$AUDIT")
[ "$hashes" -eq 1 ] || { cat "$AUDIT" >&2; fail "$hashes hash jobs for one file"; }
"$PY" -c "
import json, sys
o = json.loads(sys.argv[1])
# every open had started before the first one was answered: they all waited
assert o['last_start'] < o['first_end'], o
# the small file answered while the 32 opens were still waiting, and fast
assert o['busy_small_end'] < o['first_end'], o
assert o['busy_small_s'] < o['first_end'] / 2, o
" "$out" || fail "the 32 opens did not wait together, or the mount stalled"
ok "32 concurrent first opens: one hash job, all got the file; a small open answered in $(field busy_small_s)s meanwhile (idle $(field idle_small_s)s)"

out=$("$PY" "$VOUCH_SRC/tests/fs-openers.py" 32 "$MNT/big/tampered.bin")
[ "$(field n)" = 32 ] && [ "$(field results)" = "['EACCES']" ] || fail "tampered: $(field results)"
denies=$(grep -c "\"decision\":\"deny\",\"cause\":\"hash-mismatch\".*\"path\":\"$SRC/big/tampered.bin\"" "$AUDIT")
[ "$denies" -eq 32 ] || fail "$denies deny records for 32 denied opens"
ok "tampered 1 GiB copy: all 32 opens EACCES, one deny record each"
