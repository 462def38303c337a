#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vouchd-loaders: the readers the shim cannot see, through vouchd alone (no
# mount, no preload), models on a private tmpfs.  For each: a good load
# passes with the right bytes; one flipped byte is refused at open (EPERM;
# Python: PermissionError) and logged at LOG_ALERT naming the reader.
#   torch.load                       (python3 + torch)
#   numpy.load(mmap_mode='r')        (the first byte comes from a page fault,
#                                     so the open is the only chance)
#   a statically linked reader       (built here with cc -static: no loader,
#                                     nothing to preload)
#   io_uring IORING_OP_OPENAT        ($VOUCH_BUILD/tests/uring-open: the open
#                                     is done by the kernel in an io-wq worker)
#   a reader in its own mount namespace that sees the model root (and one
#   model dir) only through a bind mount at another path
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/vouchd-lib.sh"
"$PY" -c 'import torch, numpy' 2>/dev/null || fail "python3-torch/python3-numpy missing (make deps)"
URING=$VOUCH_BUILD/tests/uring-open
[ -x "$URING" ] || fail "missing $URING (make)"
command -v unshare >/dev/null || fail "unshare missing (util-linux)"
vd_syslog_start

MFS=$TMPDIR/mfs; ROOT=$MFS/models
vd_fs "$MFS"
mkdir -p "$ROOT/net" "$ROOT/arr" "$ROOT/raw"

# torch state_dict, a numpy array, raw bytes; offsets of bytes to flip that
# lie inside tensor / array data (found by their bytes, not guessed).
eval "$("$PY" - "$ROOT" "$TMPDIR" <<'PYEOF'
import sys, numpy, torch
root, tmp = sys.argv[1:]
torch.manual_seed(7)
sd = {"fc1.weight": torch.randn(128, 64), "fc1.bias": torch.randn(128), "steps": torch.tensor([1234])}
torch.save(sd, root + "/net/model.pth"); torch.save(sd, tmp + "/ref.pth")
raw = sd["fc1.weight"].numpy().tobytes()
print("TOFF=%d" % (open(root + "/net/model.pth", "rb").read().find(raw[:64]) + 100))
a = numpy.arange(200000, dtype=numpy.float32).reshape(400, 500)
numpy.save(root + "/arr/weights.npy", a); numpy.save(tmp + "/ref.npy", a)
print("NOFF=%d" % (open(root + "/arr/weights.npy", "rb").read().find(a.tobytes()[:64]) + 4000))
PYEOF
)" || fail "writing the models"
[ "${TOFF:-0}" -gt 100 ] && [ "${NOFF:-0}" -gt 4000 ] || fail "tensor/array data not found"
head -c 1000000 /dev/urandom >"$ROOT/raw/model.bin"
for m in net arr raw; do
	vd_sign "$ROOT/$m"
	mkdir "$ROOT/t$m"; cp -a "$ROOT/$m/." "$ROOT/t$m/"; vd_sign "$ROOT/t$m"
done
flip_byte "$ROOT/tnet/model.pth" "$TOFF"
flip_byte "$ROOT/tarr/weights.npy" "$NOFF"
flip_byte "$ROOT/traw/model.bin" 999999          # the very last byte
vd_static_reader "$TMPDIR/static-read"
vd_conf "$ROOT"
vd_start

# 1. torch.load
TORCH='
import sys, torch
ref = torch.load(sys.argv[2])
try:
    sd = torch.load(sys.argv[1])
except PermissionError as e:
    print("PermissionError", e.errno); sys.exit(0)
print("loaded", "equal" if sd.keys() == ref.keys() and all(torch.equal(sd[k], ref[k]) for k in ref) else "different")
'
vd_mark
expect_rc 0 "$PY" -c "$TORCH" "$ROOT/net/model.pth" "$TMPDIR/ref.pth"
expect_out "^loaded equal$"
vd_expect "$ROOT/net/model.pth" allow ok "" python3
expect_rc 0 "$PY" -c "$TORCH" "$ROOT/tnet/model.pth" "$TMPDIR/ref.pth"
expect_out "^PermissionError 1$"
vd_expect "$ROOT/tnet/model.pth" deny hash-mismatch "" python3
ok "torch.load: good loads equal; one flipped byte → PermissionError (EPERM), deny logged"

# 2. numpy.load(mmap_mode='r'): the data is read by page faults.
NUMPY='
import sys, numpy
ref = numpy.load(sys.argv[2])
try:
    a = numpy.load(sys.argv[1], mmap_mode="r")
except PermissionError as e:
    print("PermissionError", e.errno); sys.exit(0)
print(type(a).__name__, "equal" if numpy.array_equal(a, ref) else "different")
'
vd_mark
expect_rc 0 "$PY" -c "$NUMPY" "$ROOT/arr/weights.npy" "$TMPDIR/ref.npy"
expect_out "^memmap equal$"
vd_expect "$ROOT/arr/weights.npy" allow ok "" python3
expect_rc 0 "$PY" -c "$NUMPY" "$ROOT/tarr/weights.npy" "$TMPDIR/ref.npy"
expect_out "^PermissionError 1$"
vd_expect "$ROOT/tarr/weights.npy" deny hash-mismatch "" python3
ok "numpy.load(mmap_mode='r'): good memmap equal; tampered → PermissionError (EPERM), deny logged"

# 3. A statically linked reader.
vd_mark
vd_bg_rc "$TMPDIR/static-read" "$ROOT/raw/model.bin"
[ "$BG_RC" = 0 ] && [ "$(cat "$TMPDIR/bg.out")" = "read 1000000" ] || fail "static reader, good file: $(cat "$TMPDIR/bg.out")"
vd_expect "$ROOT/raw/model.bin" allow ok "$BG_PID" static-read
vd_bg_rc "$TMPDIR/static-read" "$ROOT/traw/model.bin"
[ "$(cat "$TMPDIR/bg.out")" = "errno 1" ] || fail "static reader, tampered file: $(cat "$TMPDIR/bg.out")"
vd_expect "$ROOT/traw/model.bin" deny hash-mismatch "$BG_PID" static-read
ok "static reader: good read whole; tampered (last byte) → EPERM at open, deny names it (pid $BG_PID)"

# 4. io_uring's IORING_OP_OPENAT (the open runs in a kernel io-wq thread).
vd_mark
vd_bg_rc "$URING" "$ROOT/raw/model.bin"
grep -q "^uring read 1000000 bytes$" "$TMPDIR/bg.out" || fail "io_uring, good file: $(cat "$TMPDIR/bg.out" "$TMPDIR/bg.err")"
vd_bg_rc "$URING" "$ROOT/traw/model.bin"
[ "$BG_RC" != 0 ] && grep -q "^openat: Operation not permitted$" "$TMPDIR/bg.out" ||
	fail "io_uring, tampered file: $(cat "$TMPDIR/bg.out" "$TMPDIR/bg.err")"
vd_expect "$ROOT/traw/model.bin" deny hash-mismatch "$BG_PID" uring-open
ok "io_uring openat: good read; tampered → EPERM, deny names the submitting process (pid $BG_PID)"

# 5. Another mount namespace: the model root bind-mounted at another path,
#    and one model directory bind-mounted alone (its files then sit at the
#    top of the bind: the name the reader used says nothing of "models/t").
NS=$TMPDIR/ns; mkdir -p "$NS/all" "$NS/one" "$NS/onebad"
cat >"$TMPDIR/ns.sh" <<'SHEOF'
set -u
ROOT=$1 NS=$2 PY=$3 SR=$4
mount --make-rprivate / || exit 9
mount --bind "$ROOT" "$NS/all" || exit 9
mount --bind "$ROOT/raw" "$NS/one" || exit 9
mount --bind "$ROOT/traw" "$NS/onebad" || exit 9
for f in all/raw/model.bin all/traw/model.bin one/model.bin onebad/model.bin all/tnet/model.pth; do
	printf '%s ' "$f"; "$SR" "$NS/$f"
done
printf 'torch '
"$PY" -c 'import sys, torch
try:
    torch.load(sys.argv[1]); print("loaded")
except PermissionError as e:
    print("PermissionError", e.errno)' "$NS/all/tnet/model.pth"
printf 'torch-good '
"$PY" -c 'import sys, torch; torch.load(sys.argv[1]); print("loaded")' "$NS/all/net/model.pth"
SHEOF
vd_mark
expect_rc 0 unshare -m sh "$TMPDIR/ns.sh" "$ROOT" "$NS" "$PY" "$TMPDIR/static-read"
printf '%s\n' "$OUT"
for want in "all/raw/model.bin read 1000000" "all/traw/model.bin errno 1" "one/model.bin read 1000000" \
	"onebad/model.bin errno 1" "all/tnet/model.pth errno 1" "torch PermissionError 1" "torch-good loaded"; do
	printf '%s\n' "$OUT" | grep -qxF "$want" || fail "mount namespace: no line '$want'"
done
grep -q "$NS" /proc/self/mountinfo && fail "the namespace's bind mounts leaked into ours"
# every deny in there is logged; the name recorded is the file's place under
# the protected root, whichever path the reader used
n=$(vd_recs "$ROOT/traw/model.bin" | grep -c '"decision":"deny"')
[ "$n" -ge 2 ] || { tail -n +"$((VD_MARK + 1))" "$VD_AUDIT" >&2; fail "mount namespace: $n deny records for traw/model.bin, wanted 2"; }
vd_expect "$ROOT/traw/model.bin" deny hash-mismatch "" static-read
vd_recs "$ROOT/tnet/model.pth" | grep -q '"decision":"deny".*"comm":"python3"' || fail "no deny record for torch in the namespace"
ok "own mount namespace with bind mounts (root and a single model dir): good loads, tampered refused and logged"

# 6. Opens that never name the file: open_by_handle_at (the dentry may be
#    disconnected: no path at all) and a reopen of an O_PATH fd through
#    /proc/self/fd.  The tampered file is never read; the good file's
#    outcome is printed (a handle open with no name may be refused as
#    unlocated: fail closed).
cat >"$TMPDIR/handle.py" <<'PYEOF'
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
class FH(ctypes.Structure):
    _fields_ = [("bytes", ctypes.c_uint), ("type", ctypes.c_int), ("h", ctypes.c_ubyte * 128)]
mnt, path = sys.argv[1:3]
fh = FH(); fh.bytes = 128; mid = ctypes.c_int()
if libc.name_to_handle_at(-100, path.encode(), ctypes.byref(fh), ctypes.byref(mid), 0) != 0:
    sys.exit("name_to_handle_at: %s" % os.strerror(ctypes.get_errno()))
mfd = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
fd = libc.open_by_handle_at(mfd, ctypes.byref(fh), os.O_RDONLY)
if fd < 0:
    print("errno=%d" % ctypes.get_errno())
else:
    n = 0
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            break
        n += len(b)
    print("ok path=%s bytes=%d" % (os.readlink("/proc/self/fd/%d" % fd), n))
PYEOF
expect_rc 0 "$PY" "$TMPDIR/handle.py" "$MFS" "$ROOT/traw/model.bin"
[ "$OUT" = "errno=1" ] || fail "open_by_handle_at of the tampered file: $OUT"
expect_rc 0 "$PY" "$TMPDIR/handle.py" "$MFS" "$ROOT/raw/model.bin"
echo "open_by_handle_at of the good file: $OUT"
case $OUT in "ok path="*" bytes=1000000"|"errno=1") ;; *) fail "open_by_handle_at of the good file: $OUT" ;; esac
expect_rc 0 "$PY" - "$ROOT/traw/model.bin" "$ROOT/raw/model.bin" <<'PYEOF'
import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_PATH)          # no permission event: nothing is read
    try:
        with open("/proc/self/fd/%d" % fd, "rb") as f:
            print(os.path.basename(os.path.dirname(p)), "read", len(f.read()))
    except PermissionError as e:
        print(os.path.basename(os.path.dirname(p)), "PermissionError", e.errno)
PYEOF
printf '%s\n' "$OUT" | grep -qx "traw PermissionError 1" || fail "O_PATH + /proc/self/fd reopen of the tampered file: $OUT"
printf '%s\n' "$OUT" | grep -qx "raw read 1000000" || fail "O_PATH + /proc/self/fd reopen of the good file: $OUT"
ok "open_by_handle_at and O_PATH + /proc/self/fd reopen: tampered refused"
