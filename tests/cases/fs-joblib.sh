#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fs-joblib: joblib.load() of a signed scikit-learn model through vouchfs
# (plain, and with mmap_mode='r', which maps the numpy arrays it holds);
# predictions equal the original's; a tampered pickle fails with EACCES.
. "$VOUCH_SRC/tests/lib.sh"
. "$VOUCH_SRC/tests/fs-lib.sh"
"$PY" -c 'import sklearn, joblib' 2>/dev/null || fail "python3-sklearn/python3-joblib missing (make deps)"
fs_syslog_start

SRC=$TMPDIR/src; MNT=$TMPDIR/mnt
mkdir -p "$SRC/clf" "$MNT"
"$PY" - "$SRC/clf" <<'PYEOF'
import sys, joblib, numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=400, n_features=12, random_state=0)
m = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
joblib.dump(m, sys.argv[1] + "/model.joblib")
joblib.dump(m, sys.argv[1] + "/tampered.joblib")
np.save(sys.argv[1] + "/../X.npy", X)
np.save(sys.argv[1] + "/../pred.npy", m.predict_proba(X))
PYEOF
mv "$SRC/X.npy" "$SRC/pred.npy" "$TMPDIR/"
newkey k; mkdir -p "$TMPDIR/trust"; cp "$TMPDIR/k.pub" "$TMPDIR/trust/"
expect_rc 0 "$VOUCH" sign -k "$TMPDIR/k.key" "$SRC/clf"
size=$(stat -c %s "$SRC/clf/tampered.joblib")
flip_byte "$SRC/clf/tampered.joblib" $((size / 2))
fs_mount "$SRC" "$MNT" --trust "$TMPDIR/trust"

LOAD='
import sys, joblib, numpy as np
X = np.load(sys.argv[2] + "/X.npy"); ref = np.load(sys.argv[2] + "/pred.npy")
for mode in (None, "r"):
    try:
        m = joblib.load(sys.argv[1], mmap_mode=mode)
        print(mode, "equal" if np.array_equal(m.predict_proba(X), ref) else "different")
    except PermissionError as e:
        print(mode, "PermissionError", e.errno)
'
expect_rc 0 "$PY" -c "$LOAD" "$MNT/clf/model.joblib" "$TMPDIR"
expect_out "^None equal$"
expect_out "^r equal$"
ok "joblib.load of the verified RandomForest: same predictions (plain and mmap)"

expect_rc 0 "$PY" -c "$LOAD" "$MNT/clf/tampered.joblib" "$TMPDIR"
expect_out "^None PermissionError 13$"
expect_out "^r PermissionError 13$"
syslog_wait "^<81>vouch\[[0-9]+\]: decision=deny cause=hash-mismatch mode=enforce path=$SRC/clf/tampered.joblib .*comm=python3"
ok "tampered joblib file: PermissionError, LOG_ALERT record"
