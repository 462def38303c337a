#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-stream: verified streaming (-o verify=stream) tried the way an attacker
# would.  A 1 GiB .npy and a 1 GiB torch state_dict, signed with 64 MiB
# shards; one byte flipped in a shard in the middle of each:
#   - the open succeeds (content=streamed), a plain read loop gets every
#     byte before the bad shard, identical to the signed file, and EIO at
#     it; not one byte of the bad shard is returned, every later read
#     fails too and a later open is refused (EACCES, with its own record);
#     exactly one streaming deny record per mount names the byte range;
#   - numpy (np.load, and np.load with mmap_mode: SIGBUS, the kernel's way
#     to fail a page fault) and torch.load fail, never load;
# the source changed in place under a streaming reader (rewrite, truncate):
# EIO, never mixed bytes; a rename over it: the reader stays on the old,
# verified file; a size change and a --method files signature are refused
# at open as in open mode; audit mode records and serves.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
"$PY" -c 'import torch, numpy' 2>/dev/null || fail "python3-torch/numpy missing (make deps)"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC/np" "$SRC/pt" "$SRC/files" "$MNT"
newkey k; mkdir -p "$TMPDIR/trust"; cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
SHARD=67108864
"$PY" - "$SRC" <<'PYEOF' || fail "making the models"
import sys, numpy as np, torch
src = sys.argv[1]
rng = np.random.default_rng(5)
a = rng.integers(0, 255, size=(1 << 30) - 128, dtype=np.uint8)
np.save(src + "/np/weights.npy", a)                   # 1 GiB with its header
torch.manual_seed(5)
torch.save({"w": torch.randn(1 << 28)}, src + "/pt/model.pth")   # 1 GiB of float32
np.save(src + "/files/w.npy", a[: 200 << 20])
PYEOF
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/np"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/pt"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" --method files "$SRC/files"
NP=$SRC/np/weights.npy
SIZE=$(stat -c %s "$NP")
GOOD_SUM=$(sha256sum <"$NP" | cut -d' ' -f1)
# The bad shard: the 9th (bytes 512 MiB to 576 MiB), one byte in its middle.
BAD=8; BAD_START=$((BAD * SHARD)); BAD_END=$(((BAD + 1) * SHARD))
PREFIX_SUM=$(head -c "$BAD_START" "$NP" | sha256sum | cut -d' ' -f1)

fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" -o verify=stream

# READ_LOOP FILE: read 1 MiB at a time; print the bytes read, the sha256 of
# what was read and the error at the end (OK if none); then try one more
# read at offset 0 with a fresh fd (every later read must fail too).
READ_LOOP='
import errno, hashlib, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
h = hashlib.sha256(); n = 0; err = "OK"
while True:
    try:
        b = os.read(fd, 1 << 20)
    except OSError as e:
        err = errno.errorcode[e.errno]; break
    if not b:
        break
    h.update(b); n += len(b)
os.close(fd)
later = "OK"
try:
    fd = os.open(sys.argv[1], os.O_RDONLY)
    os.pread(fd, 1 << 20, int(sys.argv[2]))
except OSError as e:
    later = errno.errorcode[e.errno]
print(n, h.hexdigest(), err, later)
'

# 1. The good file streams whole, byte for byte, recorded as streamed.
expect_rc 0 "$PY" -c "$READ_LOOP" "$MNT/np/weights.npy" 0
expect_out "^$SIZE $GOOD_SUM OK OK$"
syslog_wait "decision=allow cause=ok mode=enforce path=$NP .*content=streamed"
ok "good 1 GiB file read whole under verify=stream, identical, content=streamed"
fs_stop "$FS_PID" "$MNT"

# 2. One byte flipped in shard 8.
flip_byte "$NP" $((BAD_START + SHARD / 2))
: >"$SYSLOG"
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" -o verify=stream
expect_rc 0 "$PY" -c "$READ_LOOP" "$MNT/np/weights.npy" 0
set -- $OUT
[ "$3" = EIO ] || fail "read loop ended with $3, wanted EIO: $OUT"
[ "$1" -le "$BAD_START" ] || fail "read $1 bytes: bytes of the bad shard (from $BAD_START) were returned"
[ "$1" -ge $((BAD_START - (4 << 20))) ] || fail "read only $1 bytes before the bad shard at $BAD_START"
GOT_SUM=$(head -c "$1" "$NP" | sha256sum | cut -d' ' -f1)
[ "$2" = "$GOT_SUM" ] || fail "the bytes read differ from the file's first $1 bytes"
[ "$1" -ne "$BAD_START" ] || [ "$2" = "$PREFIX_SUM" ] || fail "prefix differs from the signed file's"
# The shard is known bad now: a new open is refused outright, with a record.
[ "$4" = EACCES ] || fail "a later open and read at offset 0 gave $4, wanted EACCES"
syslog_wait "decision=deny cause=hash-mismatch mode=enforce path=$NP .*found by verify = stream"

syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=hash-mismatch mode=enforce path=$NP .*detail=\"?bytes $BAD_START-$BAD_END differ"
ok "read loop: $1 bytes (all before shard $BAD, identical), then EIO; a later open EACCES; deny names $BAD_START-$BAD_END"

# numpy, plain and with mmap_mode, on a fresh mount (no cached pages).
fs_stop "$FS_PID" "$MNT"
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" -o verify=stream
expect_rc 0 "$PY" -c '
import sys, numpy as np
try:
    a = np.load(sys.argv[1]); print("loaded", int(a.sum()))
except OSError as e:
    print("failed OSError", e.errno)
except ValueError as e:     # np.load reads with fread(): a short read, then a reshape error
    print("failed ValueError", e)
' "$MNT/np/weights.npy"
expect_out "^failed (OSError 5|ValueError cannot reshape array of size [0-9]+ into shape \\(1073741696,\\))$"
# A fresh mount again: after a refused read, every read of the file fails.
fs_stop "$FS_PID" "$MNT"
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" -o verify=stream
"$PY" -c '
import sys, numpy as np
a = np.load(sys.argv[1], mmap_mode="r")
print("summed", int(a.sum(dtype=np.uint64)))
' "$MNT/np/weights.npy" >"$TMPDIR/mm.out" 2>&1
rc=$?
[ "$rc" -eq 135 ] || [ "$rc" -eq 138 ] || { cat "$TMPDIR/mm.out"; fail "numpy mmap: exit $rc, wanted death by SIGBUS"; }
grep -q summed "$TMPDIR/mm.out" && fail "numpy mmap summed a tampered array"
n=$(grep -c "cause=hash-mismatch mode=enforce path=$NP .*(verify = stream: this and every" "$SYSLOG")
[ "$n" -eq 3 ] || { cat "$SYSLOG"; fail "$n stream deny records for $NP, wanted one per mount (3)"; }
ok "numpy: np.load fails (its fread() stops at the EIO: $(printf '%s' "$OUT" | cut -c1-40)); mmap_mode dies by SIGBUS at the bad page; one record per mount"

# torch.load of a 1 GiB state_dict with one flipped byte in a middle shard.
PT=$SRC/pt/model.pth
expect_rc 0 "$PY" -c '
import sys, torch
sd = torch.load(sys.argv[1]); print("pt-good", sd["w"].numel())
' "$MNT/pt/model.pth"
expect_out "^pt-good 268435456$"
flip_byte "$PT" $((BAD_START + 12345))
fs_stop "$FS_PID" "$MNT"
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" -o verify=stream
expect_rc 0 "$PY" -c '
import sys, torch
try:
    sd = torch.load(sys.argv[1]); print("loaded")
except (RuntimeError, OSError) as e:
    print("failed:", str(e).splitlines()[0])
' "$MNT/pt/model.pth"
expect_out "^failed:"
syslog_wait "cause=hash-mismatch mode=enforce path=$PT .*bytes $BAD_START-$BAD_END differ"
ok "torch.load of the tampered 1 GiB state_dict fails ($(printf '%s' "$OUT" | head -c 80))"
fs_stop "$FS_PID" "$MNT"

# 3. Changed in place under a streaming reader: rewrite, truncate, rename.
cp "$SRC/files/w.npy" "$TMPDIR/w.npy"
mkdir -p "$SRC/chg"
head -c $((300 << 20)) /dev/urandom >"$SRC/chg/a.bin"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/chg"
ORIG=$(sha256sum <"$SRC/chg/a.bin" | cut -d' ' -f1)
cp "$SRC/chg/a.bin" "$TMPDIR/a.orig"
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" -o verify=stream,prefetch=0
# MIDWAY FILE ACTION: read 10 MiB, run ACTION in a shell, read the rest.
MIDWAY='
import errno, hashlib, os, subprocess, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
h = hashlib.sha256(); n = 0
b = os.read(fd, 10 << 20); h.update(b); n += len(b)
subprocess.run(["sh", "-c", sys.argv[2]], check=True)
err = "OK"
while True:
    try:
        b = os.read(fd, 1 << 20)
    except OSError as e:
        err = errno.errorcode[e.errno]; break
    if not b:
        break
    h.update(b); n += len(b)
print(n, h.hexdigest(), err)
'
expect_rc 0 "$PY" -c "$MIDWAY" "$MNT/chg/a.bin" \
	"printf X | dd of=$SRC/chg/a.bin bs=1 seek=$((200 << 20)) conv=notrunc status=none"
set -- $OUT
[ "$3" = EIO ] || fail "rewrite under the reader: ended $3, wanted EIO ($OUT)"
[ "$2" = "$(head -c "$1" "$TMPDIR/a.orig" | sha256sum | cut -d' ' -f1)" ] || fail "mixed bytes after a rewrite"
ok "rewritten in place under a streaming reader: EIO after $1 original bytes, no mixed bytes"
cp "$TMPDIR/a.orig" "$SRC/chg/a.bin"
expect_rc 0 "$PY" -c "$MIDWAY" "$MNT/chg/a.bin" "truncate -s $((100 << 20)) $SRC/chg/a.bin"
set -- $OUT
[ "$3" = EIO ] || fail "truncated under the reader: ended $3, wanted EIO ($OUT)"
ok "truncated under a streaming reader: EIO"
cp "$TMPDIR/a.orig" "$SRC/chg/a.bin"
head -c $((300 << 20)) /dev/urandom >"$TMPDIR/other.bin"
expect_rc 0 "$PY" -c "$MIDWAY" "$MNT/chg/a.bin" "cp $TMPDIR/other.bin $SRC/chg/.new && mv $SRC/chg/.new $SRC/chg/a.bin"
set -- $OUT
# Unlinking the replaced file moves its ctime, so a read that reaches
# vouchfs fails (EIO) as in open mode; what was read is the old file's.
[ "$3" = OK ] || [ "$3" = EIO ] || fail "renamed over: ended $3 ($OUT)"
[ "$2" = "$(head -c "$1" "$TMPDIR/a.orig" | sha256sum | cut -d' ' -f1)" ] || fail "bytes of the new file reached the old reader"
ok "renamed over under a streaming reader: $1 bytes, all of the old, verified file, then $3"
expect_rc 0 fs_errno "$MNT/chg/a.bin"
expect_out "^EIO$"
ok "the new content (same size, not what was signed) opens and fails at its first read: EIO"

# 4. Refused at open as in open mode: a size change; --method files content.
cp "$TMPDIR/a.orig" "$SRC/chg/a.bin"; printf 'x' >>"$SRC/chg/a.bin"
expect_rc 0 fs_errno "$MNT/chg/a.bin"; expect_out "^EACCES$"
flip_byte "$SRC/files/w.npy" 1000000
expect_rc 0 fs_errno "$MNT/files/w.npy"; expect_out "^EACCES$"
syslog_wait "cause=hash-mismatch mode=enforce path=$SRC/files/w.npy"
ok "size change and a whole-file (--method files) signature: EACCES at open, as with verify=open"
fs_stop "$FS_PID" "$MNT"

# 4b. Audit mode switched to enforce by a reload (SIGHUP) while an audit-era
# verifier exists for a file whose bad shard nobody read yet (beyond the
# hash-ahead window): a new reader must not be served through it.
mkdir -p "$SRC/sw"
head -c $((300 << 20)) /dev/urandom >"$SRC/sw/w.bin"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" --shard-size 1048576 "$SRC/sw"
flip_byte "$SRC/sw/w.bin" $((290 << 20))
printf '[vouch]\nmode = audit\nverify = stream\ntrust = %s\n' "$TMPDIR/trust" >"$TMPDIR/sw.conf"
fs_mount "$SRC" "$MNT" -c "$TMPDIR/sw.conf"
SWPID=$FS_PID
expect_rc 0 "$PY" -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.read(fd, 1 << 20)
' "$MNT/sw/w.bin"
sed -i 's/^mode = audit/mode = enforce/' "$TMPDIR/sw.conf"
: >"$SYSLOG"
kill -HUP "$SWPID"
for _ in $(seq 100); do grep -q "reloaded" "$TMPDIR/vouchfs.err" 2>/dev/null && break; sleep 0.05; done
sleep 0.3
expect_rc 0 fs_errno "$MNT/sw/w.bin"
expect_out "^EACCES$"
syslog_wait "decision=deny cause=hash-mismatch mode=enforce path=$SRC/sw/w.bin "
ok "audit switched to enforce by SIGHUP: the audit-era verifier serves no new reader (EACCES)"
fs_stop "$SWPID" "$MNT"
rm -rf "$SRC/sw"

# 5. Audit mode: recorded, served.
: >"$SYSLOG"
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" --mode audit -o verify=stream
expect_rc 0 "$PY" -c "$READ_LOOP" "$MNT/np/weights.npy" 0
expect_out "^$SIZE [0-9a-f]+ OK OK$"
syslog_wait "decision=allow-audit cause=hash-mismatch mode=audit path=$NP .*bytes $BAD_START-$BAD_END"
ok "audit mode: the tampered shard is served and recorded"
