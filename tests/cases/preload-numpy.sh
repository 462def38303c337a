#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# preload-numpy: numpy.load (plain and mmap_mode) and joblib.load (plain and
# mmap_mode) of a protected model with the shim: signed loads, one flipped
# byte is PermissionError errno 13, unprotected copies load.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/preload-lib.sh"
"$PY" -c 'import numpy, joblib, sklearn' 2>/dev/null || fail "python3-numpy/joblib/sklearn missing (make deps)"
syslog_start
pl_setup
mkdir -p "$PROT/np" "$TMPDIR/free"
"$PY" - "$PROT/np" "$TMPDIR/free" <<'PYEOF' || fail "making models"
import sys, numpy as np, joblib
from sklearn.linear_model import LogisticRegression
X = np.arange(40, dtype=float).reshape(20, 2); y = (X[:, 0] > 20).astype(int)
clf = LogisticRegression().fit(X, y)
for d in sys.argv[1:]:
    np.save(d + "/weights.npy", np.arange(100000, dtype=np.float32))
    joblib.dump(clf, d + "/clf.joblib")
    joblib.dump({"w": np.arange(50000, dtype=np.float64)}, d + "/arrays.joblib")
PYEOF
pl_sign "$PROT/np"

cat >"$TMPDIR/load.py" <<'PYEOF'
import errno, sys, numpy as np, joblib
d, want = sys.argv[1], sys.argv[2]
loads = {
    "np.load": lambda: float(np.load(d + "/weights.npy").sum()),
    "np.load mmap": lambda: float(np.load(d + "/weights.npy", mmap_mode="r")[-1]),
    "joblib.load": lambda: joblib.load(d + "/clf.joblib").predict([[30.0, 31.0]])[0],
    "joblib.load mmap": lambda: float(joblib.load(d + "/arrays.joblib", mmap_mode="r")["w"][-1]),
}
for name, f in loads.items():
    try:
        f()
        got = "ok"
    except PermissionError as e:
        got = "EACCES" if e.errno == errno.EACCES else "errno %d" % e.errno
    print(name, got)
    if got != want:
        sys.exit("%s: wanted %s, got %s" % (name, want, got))
PYEOF
expect_rc 0 shim "$PY" "$TMPDIR/load.py" "$PROT/np" ok
expect_rc 0 shim "$PY" "$TMPDIR/load.py" "$TMPDIR/free" ok
ok "signed and unprotected: np.load, mmap_mode, joblib.load, joblib mmap_mode"

flip_byte "$PROT/np/weights.npy" 4000
flip_byte "$PROT/np/clf.joblib" 200
flip_byte "$PROT/np/arrays.joblib" 3000
expect_rc 0 shim "$PY" "$TMPDIR/load.py" "$PROT/np" EACCES
expect_rc 0 "$PY" -c "import numpy as np; np.load('$PROT/np/weights.npy')"   # control: no shim, loads
expect_rc 0 shim "$PY" "$TMPDIR/load.py" "$TMPDIR/free" ok
syslog_wait "decision=deny cause=hash-mismatch .*path=$PROT/np/weights.npy "
syslog_wait "decision=deny cause=hash-mismatch .*path=$PROT/np/clf.joblib "
ok "tampered: every loader PermissionError errno 13"
