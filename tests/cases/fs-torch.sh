#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-torch: torch.load() through vouchfs.  A state_dict saved with
# torch.save and signed loads through the mount with equal tensors; one byte
# flipped in the source makes torch.load raise PermissionError (errno 13)
# with a LOG_ALERT record; in audit mode the same file loads (the tampered
# tensors) and the alert is still written.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
"$PY" -c 'import torch' 2>/dev/null || fail "python3-torch missing (make deps)"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC/net" "$MNT"
off=$("$PY" - "$SRC/net/model.pth" "$TMPDIR/ref.pth" <<'PYEOF'
import sys, torch
torch.manual_seed(7)
sd = {"fc1.weight": torch.randn(128, 64), "fc1.bias": torch.randn(128),
      "fc2.weight": torch.randn(10, 128), "steps": torch.tensor([1234])}
torch.save(sd, sys.argv[1])
torch.save(sd, sys.argv[2])
# where fc1.weight's bytes are, to flip one inside the tensor data later
raw = sd["fc1.weight"].numpy().tobytes()
print(open(sys.argv[1], "rb").read().find(raw[:64]) + 100)
PYEOF
)
newkey k; mkdir -p "$TMPDIR/trust"; cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/net"

LOAD='
import errno, sys, torch
ref = torch.load(sys.argv[2])
try:
    sd = torch.load(sys.argv[1])
except PermissionError as e:
    print("PermissionError", e.errno); sys.exit(0)
same = sd.keys() == ref.keys() and all(torch.equal(sd[k], ref[k]) for k in ref)
print("loaded", "equal" if same else "different")
'
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust"
expect_rc 0 "$PY" -c "$LOAD" "$MNT/net/model.pth" "$TMPDIR/ref.pth"
expect_out "^loaded equal$"
ok "torch.load of the verified state_dict: tensors equal"

# Flip one byte inside the tensor data (found by its bytes, not guessed).
[ "$off" -gt 100 ] || fail "tensor data not found in the file"
flip_byte "$SRC/net/model.pth" "$off"
expect_rc 0 "$PY" -c "$LOAD" "$MNT/net/model.pth" "$TMPDIR/ref.pth"
expect_out "^PermissionError 13$"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=hash-mismatch mode=enforce path=$SRC/net/model.pth .*comm=python3"
ok "one flipped byte: PermissionError (errno 13) and a LOG_ALERT record"
fs_stop "$FS_PID" "$MNT"

: >"$SYSLOG"
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust" --mode audit
expect_rc 0 "$PY" -c "$LOAD" "$MNT/net/model.pth" "$TMPDIR/ref.pth"
expect_out "^loaded different$"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=allow-audit cause=hash-mismatch mode=audit path=$SRC/net/model.pth .*comm=python3"
ok "audit mode: the tampered model loads and the alert is written"
