#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-torch: /usr/bin/python3 torch.load with the shim instead of a
# mount.  A signed checkpoint loads; after one byte is flipped (same process:
# the verdict cache must notice) torch.load raises PermissionError errno 13;
# an unprotected checkpoint loads; torch.jit.load (fopen64 inside libtorch)
# is refused the same way; in audit mode the tampered file loads and alerts.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
"$PY" -c 'import torch' 2>/dev/null || fail "python3-torch missing (make deps)"
syslog_start
pl_setup
mkdir -p "$PROT/tm" "$TMPDIR/free"
"$PY" - "$PROT/tm" "$TMPDIR/free" <<'PYEOF' || fail "making checkpoints"
import sys, torch
net = torch.nn.Linear(8, 4)
for d in sys.argv[1:]:
    torch.save(net.state_dict(), d + "/model.pth")
    torch.jit.save(torch.jit.script(net), d + "/model.pt")
PYEOF
pl_sign "$PROT/tm"

expect_rc 0 shim "$PY" - "$PROT/tm" "$TMPDIR/free" <<'PYEOF'
import errno, sys, torch
prot, free = sys.argv[1:]
sd = torch.load(prot + "/model.pth")
assert tuple(sd["weight"].shape) == (4, 8), sd["weight"].shape
torch.jit.load(prot + "/model.pt")
torch.load(free + "/model.pth")
print("good loaded")
# Flip one byte in place (a write: the shim lets it through), load again.
for name in ("model.pth", "model.pt"):
    with open(prot + "/" + name, "r+b") as f:
        f.seek(60); b = f.read(1); f.seek(60); f.write(bytes([b[0] ^ 1]))
try:
    torch.load(prot + "/model.pth")
except PermissionError as e:
    assert e.errno == errno.EACCES, e
    print("torch.load denied errno", e.errno)
else:
    sys.exit("tampered checkpoint loaded")
try:
    torch.jit.load(prot + "/model.pt")
except Exception as e:           # libtorch reports the failed fopen64 as a RuntimeError
    print("torch.jit.load denied:", type(e).__name__)
else:
    sys.exit("tampered TorchScript loaded")
torch.load(free + "/model.pth")
print("unprotected still loads")
PYEOF
expect_out "good loaded"
expect_out "torch.load denied errno 13"
expect_out "torch.jit.load denied"
expect_out "unprotected still loads"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=hash-mismatch mode=enforce path=$PROT/tm/model.pth "
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=hash-mismatch mode=enforce path=$PROT/tm/model.pt "
ok "torch.load / torch.jit.load: good loads, tampered PermissionError 13"

pl_conf audit "$PROT"
expect_rc 0 shim "$PY" -c "import torch; torch.load('$PROT/tm/model.pth'); print('audit loaded')"
expect_out "audit loaded"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=allow-audit cause=hash-mismatch mode=audit path=$PROT/tm/model.pth "
ok "audit mode: loads and alerts"
